"""Train, validate, explain and track one target: the researcher's one command.

``train_target(cfg)`` runs, in order:

1. the cohort named by the config -> outcome -> population (rows excluded by
   each population rule and rows with unknown outcome counted, never silently
   dropped); CV and bootstrap grouped by patient when patients have several courses;
2. Riley et al. (2020) minimum-sample-size check, warned loudly when short;
3. nested, repeated CV of every model kind and of the published scores on the
   same outer folds (:mod:`rairpredict.experiment.validation`);
4. figures with CIs (median over repeats), DeLong comparisons, subgroups, and
   on simulated cohorts the oracle AUROC and the model / oracle ratio;
5. the final model (``final_model: auto``: best nested-CV AUROC, the simpler
   model when not significantly worse): a fresh, seeded Optuna study on all rows (same config,
   data and seed give the same model bytes, whatever the stored studies hold),
   or, when asked (``use_stored_study`` / ``tuning: {use_stored_study: true}``),
   the best parameters of the stored study that ``rairpredict tune`` extends;
   fit, calibration, Harrell's bootstrap optimism correction;
6. SHAP (XGBoost native contributions, checked against ``shap.TreeExplainer``);
7. MLflow: config, environment, dataset fingerprint, metrics, plots, the
   model as a data-only pyfunc, registered with alias ``candidate``; export of
   ``<target>.zip`` (see :mod:`rairpredict.models.artifact`).

Examples
--------
>>> from rairpredict.experiment.config import load_target_config, CONFIG_DIR
>>> from rairpredict.experiment.train import train_target
>>> cfg = load_target_config(CONFIG_DIR / "rair.yaml")  # doctest: +SKIP
>>> result = train_target(cfg, n=600, trials=2, tracking=False)  # doctest: +SKIP
"""
from __future__ import annotations

import datetime as _dt
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rairpredict import __version__
from rairpredict.cohort.contract import EXTRA_FIELDS_ATTR
from rairpredict.evaluation import (age_band, optimism_corrected, riley_sample_size, sample_size_warning,
                                    subgroup_metrics)
from rairpredict.experiment._threads import single_blas_thread
from rairpredict.experiment.config import MODEL_COMPLEXITY
from rairpredict.experiment.data import TargetData, load_target_data, patient_groups
from rairpredict.experiment.development import development_summary
from rairpredict.experiment.summary import (choose_final_model, compare_models, no_evidence_of_discrimination,
                                            oracle_summary, summarise_repeats, summarise_subset)
from rairpredict.experiment.tuning import stored_study, tune
from rairpredict.experiment.validation import cross_validate_baseline, cross_validate_model
from rairpredict.features import make_preprocessor
from rairpredict.models.risk_model import RiskModel, fit_risk_model

__all__ = ["TargetResult", "train_target", "published_baselines", "run_final_study", "export_model",
           "whole_process_fit_predict"]


@dataclass
class TargetResult:
    """Everything one training run produced (no patient rows)."""

    name: str
    counts: dict
    metrics: pd.DataFrame
    comparisons: pd.DataFrame
    subgroups: pd.DataFrame
    oracle: dict
    sample_size: dict
    optimism: pd.DataFrame
    model: RiskModel
    protocol: dict
    skipped_baselines: dict = field(default_factory=dict)
    seconds: float = 0.0
    run_id: str | None = None
    registered: tuple[str, str] | None = None
    exported: str | None = None
    fingerprint: str = ""
    oof: dict = field(default_factory=dict)
    final_choice: dict = field(default_factory=dict)
    population_flow: list = field(default_factory=list)
    #: with ``train_target(defer_logging=True)``: export and log, then return the result
    finish: object = None


def published_baselines(names, decision_point: str, table: pd.DataFrame) -> tuple[dict, dict]:
    """Instantiate the named published scores computable at ``decision_point``.

    Returns (usable, skipped) where skipped maps name -> reason.
    """
    from rairpredict.models.published_scores import PUBLISHED_SCORES

    usable, skipped = {}, {}
    for name in names:
        if name not in PUBLISHED_SCORES:
            skipped[name] = f"unknown published score (known: {sorted(PUBLISHED_SCORES)})"
            continue
        score = PUBLISHED_SCORES[name]()
        late = score.unavailable_reason(decision_point)
        absent = [f for f in score.required_inputs if f not in table or table[f].isna().all()]
        if late:
            skipped[name] = late
        elif absent:
            skipped[name] = f"needs {absent}, absent from this cohort"
        else:
            usable[name] = score
    return usable, skipped


def _subgroups(data: TargetData, proba0: np.ndarray) -> pd.DataFrame:
    t = data.table
    groups = pd.DataFrame({"age_band": age_band(t["age_years"].astype(float).to_numpy()).astype(object).to_numpy()})
    for col in ("sex", "histology", "preparation"):
        if col in t and t[col].notna().any():
            groups[col] = t[col].astype("object").to_numpy()
    return subgroup_metrics(data.y, proba0, groups)


def _study_name(cfg, kind: str, data: TargetData) -> str:
    """Stable per (target, model, data): ``tune`` and ``train`` share the study."""
    from rairpredict.tracking import dataset_fingerprint

    digest = dataset_fingerprint(data.table[list(cfg.features)], data.y, cfg.name)["sha256"]
    return f"{cfg.name}-{kind}-{digest[:10]}"


def default_optuna_storage() -> str:
    """SQLite file beside the MLflow store (``optuna.db`` in the repository)."""
    from rairpredict.resources import home

    return f"sqlite:///{home() / 'optuna.db'}"


def run_final_study(cfg, *, kind: str = "xgboost", trials: int, n=None, seed=None, table=None,
                    storage: str | None = None, data: TargetData | None = None, callbacks=None):
    """Run or extend the stored Optuna study for the final model of ``cfg`` on all rows."""
    data = data or load_target_data(cfg, n=n, seed=seed, table=table)
    return tune(data.table, data.y, features=cfg.features, decision_point=cfg.decision_point, kind=kind,
                trials=trials, inner_folds=cfg.validation["inner_folds"], seed=cfg.validation["seed"],
                storage=storage or default_optuna_storage(), study_name=_study_name(cfg, kind, data),
                callbacks=callbacks, groups=data.groups)


def _final_params(data: TargetData, cfg, kind: str, trials: int, storage: str | None,
                  use_stored_study: bool) -> tuple[dict, dict, float, "np.ndarray | None"]:
    """(best parameters, what tuned them, seconds, the best trial's inner margins if this run computed them).

    Only reproducible facts go in the second item."""
    name = _study_name(cfg, kind, data)
    if use_stored_study:
        res = stored_study(storage or default_optuna_storage(), name, kind)
        source = "stored study (extended by `rairpredict tune`)"
    elif trials <= 0:
        return {}, {"source": "library defaults (no tuning)", "trials": 0}, 0.0, None
    else:
        res = tune(data.table, data.y, features=cfg.features, decision_point=cfg.decision_point, kind=kind,
                   trials=trials, inner_folds=cfg.validation["inner_folds"], seed=cfg.validation["seed"],
                   storage=None, study_name=name, groups=data.groups)
        source = f"fresh Optuna study (TPE, seed {cfg.validation['seed']})"
    return res.best_params, {"source": source, "study_name": res.study_name, "trials": res.n_trials,
                             "pruned": res.n_pruned, "best_inner_cv_logloss": res.best_value}, res.seconds, \
        res.inner_margins


@single_blas_thread
def train_target(cfg, *, n: int | None = None, seed: int | None = None, table: pd.DataFrame | None = None,
                 trials: int | None = None, final_model: str | None = None, optimism_boot: int = 30,
                 tracking: bool = True, export_dir: str | Path | None = None,
                 optuna_storage: str | None = None, register: bool = True,
                 cohort_name: str | None = None, tracking_root=None, log=print,
                 use_stored_study: bool | None = None, defer_logging: bool = False) -> TargetResult:
    """Run the whole protocol for one target config (see module docstring).

    ``defer_logging``: return before the export and the MLflow logging, with
    ``result.finish()`` doing them (and returning the result). The demo runs
    it in a thread while the next target trains: logging is one-core work
    (figures, the store), so it fills a core the training leaves idle.

    ``use_stored_study`` (default: the config's ``tuning.use_stored_study``,
    else False): take the final model's parameters from the stored Optuna
    study (``rairpredict tune``) instead of a fresh seeded one.
    """
    start = time.perf_counter()
    data = load_target_data(cfg, n=n, seed=seed, table=table, cohort_name=cohort_name)
    log(f"[{cfg.name}] cohort {data.cohort_name}: {data.counts}")
    log(f"[{cfg.name}] outcome: {cfg.outcome.name}: {cfg.outcome.definition}"
        + (f" (horizon {cfg.outcome.horizon['text']})" if cfg.outcome.horizon else ""))
    for step in data.population_flow:
        log(f"[{cfg.name}] population rule '{step['rule']}': {step['excluded']} rows excluded "
            f"({step['missing']} with the value missing), {step['remaining']} remain")
    if data.groups is not None:
        log(f"[{cfg.name}] {data.n} rows from {data.counts['patients']} patients: "
            "CV folds and bootstrap grouped by patient")
    trials = int(cfg.tuning.get("trials", 10) if trials is None else trials)
    if use_stored_study is None:
        use_stored_study = bool(cfg.tuning.get("use_stored_study", False))
    early_kind = final_model or cfg.final_model
    if use_stored_study and early_kind in cfg.models:
        # a missing study is a one-line refusal before the long cross-validation, not after
        stored_study(optuna_storage or default_optuna_storage(), _study_name(cfg, early_kind, data), early_kind)

    # -- sample size (Riley 2020): parameters = engineered candidate columns
    n_params = len(make_preprocessor(list(cfg.features), cfg.decision_point, "tree")
                   .fit(data.table, data.y).get_feature_names_out())
    ss = riley_sample_size(n=data.n, events=data.events, n_parameters=n_params)
    sample_size = {k: (v if isinstance(v, (bool, str)) else float(v))
                   for k, v in vars(ss).items() if k != "table"}
    sample_size["criteria"] = ss.table.reset_index().astype(str).to_dict(orient="records")
    warning = sample_size_warning(ss)
    if warning:
        msg = f"[{cfg.name}] {warning}"
        warnings.warn(msg, stacklevel=2)
        log(msg)

    # -- nested CV of models, same folds for the published scores
    oof: dict[str, np.ndarray] = {}
    protocol: dict = {}
    timing: dict[str, float] = {}
    for kind in cfg.models:
        cvp = cross_validate_model(data.table, data.y, cfg, kind, trials=trials, groups=data.groups)
        oof[kind], protocol = cvp.proba, cvp.protocol
        timing[f"{kind}_cv_seconds"], timing[f"{kind}_tuning_seconds"] = cvp.seconds, cvp.tuning_seconds
        log(f"[{cfg.name}] {kind}: nested CV {cvp.seconds:.1f} s")
    baselines, skipped = published_baselines(cfg.baselines, cfg.decision_point, data.table)
    for name, score in baselines.items():
        oof[name] = cross_validate_baseline(data.table, data.y, cfg, score, groups=data.groups).proba
    for name, reason in skipped.items():
        log(f"[{cfg.name}] baseline {name} skipped: {reason}")

    metrics = pd.DataFrame({name: summarise_repeats(data.y, p, cfg.threshold) for name, p in oof.items()}).T
    # discrimination within the case mix that already carries the answer: patients
    # with structural disease before the course (issue 12: the headline RAIR AUROC is
    # partly the case mix), beside the overall figure
    if "structural_disease_pre" in data.table:
        prior = data.table["structural_disease_pre"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        casemix = pd.DataFrame({name: summarise_subset(data.y, p, prior, "auroc_prior_structural")
                                for name, p in oof.items()}).T
        metrics = metrics.join(casemix)
    metrics["no_evidence_of_discrimination"] = [
        float(no_evidence_of_discrimination(lo, hi)) for lo, hi in zip(metrics["auroc_lo"], metrics["auroc_hi"])]
    comparisons = compare_models(data.y, oof) if len(oof) > 1 else pd.DataFrame()
    oracle = {}
    if data.oracle is not None:
        oracle = oracle_summary(data.y, data.oracle, metrics["auroc"].to_dict())
    requested = final_model or cfg.final_model
    if requested != "auto" and requested not in cfg.models:
        raise ValueError(f"final_model {requested!r} is not one of {list(cfg.models)} or 'auto'")
    choice = choose_final_model(data.y, {k: oof[k] for k in cfg.models},
                                {k: float(metrics.loc[k, "auroc"]) for k in cfg.models}, requested,
                                MODEL_COMPLEXITY)
    final_model = choice["model"]
    log(f"[{cfg.name}] exported model: {final_model} ({choice['rule']}): {choice['reason']}")
    if choice["warning"]:
        warnings.warn(f"[{cfg.name}] {choice['warning']}", stacklevel=2)
        log(f"[{cfg.name}] WARNING: {choice['warning']}")
    subgroups = _subgroups(data, oof[final_model][0])

    # -- final model on all rows
    params, tuning_info, timing["final_tuning_seconds"], margins = _final_params(
        data, cfg, final_model, trials, optuna_storage, use_stored_study)
    tuning_info["summary"] = _tuning_text(tuning_info)
    log(f"[{cfg.name}] final {final_model}: parameters from {tuning_info['summary']}")
    model = fit_risk_model(data.table, data.y, features=list(cfg.features), decision_point=cfg.decision_point,
                           kind=final_model, params=params, seed=cfg.validation["seed"],
                           inner_folds=cfg.validation["inner_folds"], target=cfg.name, label=cfg.label,
                           bands=cfg.bands, band_names=cfg.band_names, threshold=cfg.threshold,
                           groups=data.groups, inner_margins=margins)

    fit_predict = whole_process_fit_predict(cfg, final_model, trials, params, grouped=data.groups is not None)
    # several courses per patient: the bootstrap resamples patients
    # the final model IS the whole process fitted on all rows (a fresh study with the same seed, or no
    # tuning): its predictions are the bootstrap's apparent performance (test_optimism_apparent_is_the_final_model)
    same_process = not use_stored_study
    optimism = optimism_corrected(fit_predict, data.table, data.y, n_boot=optimism_boot,
                                  seed=cfg.validation["seed"], n_jobs=2, groups=data.groups,
                                  apparent=model.predict_risk(data.table) if same_process else None) \
        if optimism_boot > 0 else pd.DataFrame()
    from rairpredict.evaluation.table_one import table_one, table_one_records

    table1 = table_one_records(table_one(data.table, data.y, columns=list(cfg.features), outcome=cfg.label),
                               cfg.label)
    m = metrics.loc[final_model]
    model.metadata.update({
        "name": f"rairpredict-{cfg.name}", "version": "unregistered",
        "trained_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "package_version": __version__, "description": cfg.description,
        "intended_use": (f"Supports the {cfg.decision_point.replace('_', '-')} decision in 131I therapy of "
                         f"differentiated thyroid cancer: {cfg.description} It supports, and does not replace, "
                         "clinical judgement."),
        "cohort": {"name": data.cohort_name, "synthetic": data.synthetic, "n": data.n, "events": data.events,
                   "prevalence": data.events / max(data.n, 1),
                   # row accounting under its own names (rows_in, rows_used, outside_population, ...)
                   **{k: v for k, v in data.counts.items() if k != "events"}},
        "validation": {"protocol": _protocol_text(protocol, optimism_boot),
                       **{k: float(m[k]) for k in ("auroc", "auroc_lo", "auroc_hi", "cal_slope", "cal_slope_lo",
                                                    "cal_slope_hi", "brier", "auprc") if k in m},
                       **{k: float(m[k]) for k in ("auroc_prior_structural", "auroc_prior_structural_lo",
                                                    "auroc_prior_structural_hi", "auroc_prior_structural_n",
                                                    "auroc_prior_structural_events")
                          if k in m and np.isfinite(m[k])},
                       **({"oracle_share": oracle.get(f"{final_model}_oracle_share"),
                           "oracle_ratio": oracle.get(f"{final_model}_oracle_ratio")} if oracle else {}),
                       **({"optimism_corrected_auroc": float(optimism.loc["auroc", "corrected"]),
                           "optimism_method": _optimism_text(optimism_boot, trials, cfg)}
                          if not optimism.empty else {})},
        "no_evidence_of_discrimination": bool(m["no_evidence_of_discrimination"]),
        "table_one": table1,
        "params": params, "tuning": tuning_info, "threshold": cfg.threshold,
        "limitations": _limitations(data, sample_size, cfg),
        "label_definition": cfg.outcome.definition, "decision_point": cfg.decision_point,
        # stable keys the card, the review and `evaluate` read (no patient rows, only counts)
        "outcome": {**cfg.outcome.metadata(), "unknown_rows": data.counts["label_unknown"],
                    "unknown_reasons": data.unknown_reasons},
        # per-rule exclusions, as a table the card renders (empty: no population rule)
        "population": ({"columns": ["population rule", "rows excluded", "of which value missing", "rows remaining"],
                        "rows": [[s["rule"], s["excluded"], s["missing"], s["remaining"]] for s in data.population_flow],
                        "rules": data.population_flow, "rows_in": data.counts["rows_in"],
                        "excluded": data.counts["outside_population"], "definition": cfg.population}
                       if data.population_flow else {}),
        "grouping": {"grouped_by_patient": data.groups is not None, "rows": data.n,
                     "patients": data.counts["patients"],
                     "text": (f"{data.n} courses of {data.counts['patients']} patients; outer and inner CV folds, "
                              "tuning, calibration and the optimism bootstrap keep each patient's courses "
                              "together" if data.groups is not None else "one row per patient")},
        "final_model_choice": choice,
        # the cohort config's extra columns the model reads (type, stage, values): scoring validates them
        "extra_fields": [f for f in data.table.attrs.get(EXTRA_FIELDS_ATTR, [])
                         if f["name"] in cfg.features or f.get("lacking")],
    })
    if model.metadata["no_evidence_of_discrimination"]:
        model.metadata["limitations"].insert(0, "No evidence this model ranks patients better than chance: the "
                                                "95 % confidence interval of its AUROC contains 0.5.")
    # the training profile every scoring path checks new inputs against (aggregates only)
    from rairpredict.scoring.shift import PROFILE_KEY, input_profile

    model.metadata[PROFILE_KEY] = input_profile(model, data.table, population=cfg.population,
                                                cohort=data.cohort_name)
    # aggregates of the out-of-fold predictions, so the review and the card work from the model alone
    model.metadata["development"] = development_summary(
        data.y, oof[final_model], bands=model.bands, band_names=model.band_names, threshold=cfg.threshold,
        subgroups=subgroups, metrics=metrics, seed=cfg.validation["seed"])
    result = TargetResult(cfg.name, data.counts, metrics, comparisons, subgroups, oracle, sample_size,
                          optimism, model, protocol, skipped, time.perf_counter() - start, oof=oof,
                          final_choice=choice, population_flow=data.population_flow)
    result.protocol = {**protocol, **timing}
    result.fingerprint = model.fingerprint()  # of the model as trained (logging adds only provenance)

    def finish() -> TargetResult:
        if export_dir is not None:
            result.exported = export_model(model, Path(export_dir))
        if tracking:
            from rairpredict.experiment.log_run import log_target_result

            log_target_result(result, cfg, data, register=register, root=tracking_root)
            if export_dir is not None:  # re-export with the registered name/version in metadata
                result.exported = export_model(model, Path(export_dir))
        result.seconds = time.perf_counter() - start
        return result

    if defer_logging:
        result.finish = finish
        return result
    return finish()


def _tuning_text(info: dict) -> str:
    """One line on what chose the final parameters (train's output, MLflow, the card)."""
    if not info.get("trials"):
        return info.get("source", "library defaults")
    return (f"{info['source']} {info['study_name']!r}: {info['trials']} trials ({info['pruned']} pruned), "
            f"best inner-CV log loss {info['best_inner_cv_logloss']:.4f}")


def _protocol_text(protocol: dict, optimism_boot: int) -> str:
    if not protocol:
        return ""
    grouped = " grouped by patient" if protocol.get("grouped_by_patient") else ""
    return (f"nested CV: {protocol['repeats']} x {protocol['outer_folds']}-fold stratified{grouped} outer CV "
            f"(seeds {protocol['seed']}..{protocol['seed'] + protocol['repeats'] - 1}), "
            f"{protocol['inner_folds']}-fold inner CV with {protocol['trials_per_fold']} Optuna trials per outer "
            f"fold; {protocol['calibration']}; figures = median over repeats of pooled out-of-fold metrics, "
            f"95 % CI DeLong (AUROC), Wald (calibration), Wilson (rates); Harrell bootstrap optimism "
            f"correction with {optimism_boot} replicates{' resampling patients' if grouped else ''} of the whole "
            "model-building process (tuning and calibration choice) for the final model")


def whole_process_fit_predict(cfg, kind: str, trials: int, params: dict, grouped: bool = False):
    """``fit_predict(X_train, y_train, X_eval)`` that repeats the WHOLE model-building
    process: Optuna tuning on an inner CV (when ``trials`` > 0) and the
    calibration choice, as for the final model.  Reusing the parameters tuned on
    all rows (``params``, used only when ``trials`` == 0) would hide the
    optimism of tuning (Harrell 1996).  ``grouped``: inner folds keep a
    patient's courses (and a bootstrap's copies of them) together."""
    def fit_predict(X_tr, y_tr, X_ev):
        groups = patient_groups(X_tr) if grouped else None
        p_rep, margins = params, None
        if trials > 0:
            res = tune(X_tr, y_tr, features=cfg.features, decision_point=cfg.decision_point, kind=kind,
                       trials=trials, inner_folds=cfg.validation["inner_folds"],
                       seed=cfg.validation["seed"], groups=groups)
            p_rep, margins = res.best_params, res.inner_margins
        m = fit_risk_model(X_tr, y_tr, features=list(cfg.features), decision_point=cfg.decision_point,
                           kind=kind, params=p_rep, seed=cfg.validation["seed"],
                           inner_folds=cfg.validation["inner_folds"], groups=groups, inner_margins=margins)
        return m.predict_risk(X_ev)
    return fit_predict


def _optimism_text(optimism_boot: int, trials: int, cfg) -> str:
    process = (f"Optuna tuning with {trials} trials on a {cfg.validation['inner_folds']}-fold inner CV and the "
               "calibration choice (sigmoid or isotonic by inner CV)" if trials > 0 else
               "fixed hyper-parameters (no tuning) and the calibration choice (sigmoid or isotonic by inner CV)")
    return (f"Harrell's bootstrap (Harrell, Lee & Mark 1996; Steyerberg 2019 ch. 5) repeating the whole "
            f"model-building process -- {process} -- in each of {optimism_boot} replicates")


def _limitations(data: TargetData, sample_size: dict, cfg) -> list[str]:
    out = []
    if data.synthetic:
        out.append("Developed on a SYNTHETIC cohort from rairpredict's simulator; not validated on patients.")
    if not sample_size.get("adequate", True):
        out.append("Sample size below Riley et al. 2020 criteria: expect overfitting; interpret with caution.")
    if data.events < 100:
        out.append(f"Only {data.events} events: wide confidence intervals.")
    out.append("Internal validation only (nested cross-validation); external validation is needed before use.")
    out.append(f"Valid only at the {cfg.decision_point} decision point with the listed inputs.")
    return out


def export_model(model: RiskModel, directory: Path) -> str:
    """Write ``<target>.zip`` to ``directory``: the model as data with its sha256 manifest (no pickle).

    Carry this one file to another site; ``rairpredict score --model FILE``
    verifies it before reading anything.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{model.target}.zip"
    model.save(path)
    return str(path)
