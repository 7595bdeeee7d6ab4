"""Train, validate and track one time-to-event target (``outcome: {type: time_to_event}``).

The same steps as :func:`rairpredict.experiment.train.train_target` for binary
targets, with censoring handled by the methods instead of by dropping or
relabelling patients:

1. cohort -> population -> time-to-event outcome (rows with an unreadable
   time or status counted, never silently dropped; censored rows kept);
2. Riley et al. minimum sample size for survival outcomes; median follow-up by
   reverse Kaplan-Meier;
3. nested, repeated CV of every survival model kind (ridge Cox, XGBoost
   ``survival:cox``), grouped by patient when a patient has several courses;
4. figures with CIs (median over repeats): Harrell's and Uno's C,
   time-dependent AUC, IPCW Brier, calibration (O/E, slope, ICI) at each
   horizon, integrated Brier, net benefit at the band horizon; on simulated
   cohorts the oracle's figures and each model's share of achievable C;
5. the final model (``final_model: auto`` = highest C; the simpler model when
   the difference is within the CI): tuned and fitted on all rows, Harrell
   bootstrap optimism of the C-index.

Examples
--------
>>> from rairpredict.experiment.survival_train import train_survival_target  # doctest: +SKIP
>>> result = train_survival_target(cfg, trials=2)  # doctest: +SKIP
"""
from __future__ import annotations

import datetime as _dt
import time as _time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rairpredict import __version__
from rairpredict.cohort.population import apply_population
from rairpredict.evaluation import harrell_c, reverse_km_followup, riley_survival_sample_size
from rairpredict.experiment.survival_summary import (oracle_survival_summary, summarise_survival_repeats,
                                                     survival_development)
from rairpredict.experiment.survival_validation import cross_validate_survival, tune_survival
from rairpredict.features import make_preprocessor
from rairpredict.labels.time_to_event import TimeToEventSpec, compute_time_to_event
from rairpredict.models.survival import SURVIVAL_KINDS, SurvivalModel, fit_survival_model

__all__ = ["SurvivalData", "SurvivalResult", "load_survival_data", "train_survival_target", "choose_final_model",
           "run_survival_target", "run_survival_study", "survival_study_name"]

#: Kinds ordered from simplest to most flexible (ties go to the simpler one).
_SIMPLICITY = {"cox": 0, "xgboost_cox": 1}


@dataclass
class SurvivalData:
    """Rows with a readable time and status, and an account of the rest."""

    table: pd.DataFrame
    time: np.ndarray
    event: np.ndarray
    cohort_name: str
    synthetic: bool
    groups: np.ndarray | None = None
    oracle: np.ndarray | None = None
    counts: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(len(self.time))

    @property
    def events(self) -> int:
        return int(self.event.sum())


@dataclass
class SurvivalResult:
    """Everything one time-to-event training run produced (no patient rows)."""

    name: str
    counts: dict
    metrics: pd.DataFrame
    oracle: dict
    sample_size: dict
    followup: dict
    optimism: dict
    model: SurvivalModel
    protocol: dict
    choice: dict
    seconds: float = 0.0
    oof: dict = field(default_factory=dict)
    data: SurvivalData | None = field(default=None, repr=False)  # in memory only, never logged
    exported: str | None = None
    registered: tuple | None = None
    run_id: str | None = None


def _oracle_columns(spec: TimeToEventSpec, table: pd.DataFrame, horizons) -> list[str] | None:
    if spec.label != "rair":
        return None
    cols = [f"oracle_risk_rair_{h:g}y" for h in horizons]
    return cols if all(c in table for c in cols) else None


def load_survival_data(cfg, spec: TimeToEventSpec, *, table: pd.DataFrame | None = None, n=None, seed=None,
                       cohort_name: str | None = None) -> SurvivalData:
    """Cohort -> population -> time and event; unknown rows counted with their reason."""
    from rairpredict.cohort.contract import load_contract
    from rairpredict.experiment import data as target_data

    if table is None:
        table, cohort_name, synthetic = target_data.load_cohort_for(cfg.cohort, n=n, seed=seed)
    else:
        synthetic = bool(any(load_contract().is_oracle(c) for c in table.columns))
        cohort_name = cohort_name or ("simulated" if synthetic else "given table")
    in_pop, flow = apply_population(cfg.population_rules, table)
    in_pop = np.asarray(in_pop, dtype=bool)
    outcome = compute_time_to_event(spec, table)
    known = in_pop & outcome["event"].notna().to_numpy()
    sub = table.loc[known].reset_index(drop=True)
    reasons = outcome.loc[in_pop & ~known, "reason"].value_counts().to_dict()
    counts = {"rows_in": len(table), "outside_population": int((~in_pop).sum()),
              "outcome_unknown": int((in_pop & ~known).sum()), "rows_used": int(known.sum()),
              "events": int(outcome.loc[known, "event"].sum()),
              "censored": int((~outcome.loc[known, "event"].astype(bool)).sum()),
              "competing_events": int(outcome.loc[known, "competing"].sum())}
    assert counts["rows_in"] == counts["outside_population"] + counts["outcome_unknown"] + counts["rows_used"]
    counts["unknown_reasons"] = {str(k): int(v) for k, v in reasons.items()}
    counts["population_flow"] = flow
    groups = target_data.patient_groups(sub)
    oracle_cols = _oracle_columns(spec, sub, spec.horizons)
    # The oracle is the truth given pre-therapy features: other decision points get no oracle share.
    oracle = sub[oracle_cols].to_numpy(float) if oracle_cols and cfg.decision_point == "pre_therapy" else None
    return SurvivalData(sub, outcome.loc[known, "time"].to_numpy(float), outcome.loc[known, "event"].to_numpy(bool),
                        str(cohort_name), synthetic, groups, oracle, counts)


def choose_final_model(metrics: pd.DataFrame) -> tuple[str, str]:
    """Highest Harrell's C; the simpler kind when the best one's lead is inside the simpler one's CI."""
    best = metrics["c_harrell"].idxmax()
    reason = f"highest nested-CV Harrell's C ({metrics.loc[best, 'c_harrell']:.3f})"
    for kind in sorted(metrics.index, key=lambda k: _SIMPLICITY.get(k, 99)):
        if kind == best:
            break
        if metrics.loc[kind, "c_harrell_hi"] >= metrics.loc[best, "c_harrell"]:
            return kind, (f"simpler model chosen: {kind} C {metrics.loc[kind, 'c_harrell']:.3f} (CI up to "
                          f"{metrics.loc[kind, 'c_harrell_hi']:.3f}) is within reach of {best} "
                          f"{metrics.loc[best, 'c_harrell']:.3f}")
    return best, reason


def _optimism_c(data: SurvivalData, cfg, spec, kind, params, n_boot: int) -> dict:
    """Harrell's bootstrap optimism of the C-index for the final model's fitting process."""
    if n_boot <= 0:
        return {}
    rng = np.random.default_rng(cfg.validation["seed"])
    full = fit_survival_model(data.table, data.time, data.event, features=list(cfg.features),
                              decision_point=cfg.decision_point, kind=kind, horizons=spec.horizons,
                              params=params, seed=cfg.validation["seed"], inner_folds=cfg.validation["inner_folds"])
    apparent = harrell_c(data.time, data.event, full.log_hazard(data.table), n_boot=0).estimate
    optimism = []
    for _ in range(int(n_boot)):
        idx = rng.integers(0, data.n, data.n)
        if data.event[idx].sum() < 5:
            continue
        m = fit_survival_model(data.table.iloc[idx], data.time[idx], data.event[idx], features=list(cfg.features),
                               decision_point=cfg.decision_point, kind=kind, horizons=spec.horizons,
                               params=params, seed=cfg.validation["seed"], inner_folds=2)
        boot = harrell_c(data.time[idx], data.event[idx], m.log_hazard(data.table.iloc[idx]), n_boot=0).estimate
        orig = harrell_c(data.time, data.event, m.log_hazard(data.table), n_boot=0).estimate
        optimism.append(boot - orig)
    mean_opt = float(np.mean(optimism)) if optimism else float("nan")
    return {"c_apparent": float(apparent), "c_optimism": mean_opt, "c_corrected": float(apparent - mean_opt),
            "replicates": len(optimism),
            "method": "Harrell bootstrap; tuned parameters held fixed (tuning not repeated), so optimism is "
                      "a lower bound"}


def survival_study_name(cfg, kind: str, data: SurvivalData) -> str:
    """Stable per (target, model kind, data): ``rairpredict tune`` and ``train --use-study`` share the study."""
    from rairpredict.tracking import dataset_fingerprint

    frame = data.table[list(cfg.features)].assign(__time__=data.time)
    digest = dataset_fingerprint(frame, data.event.astype(int), cfg.name)["sha256"]
    return f"{cfg.name}-{kind}-{digest[:10]}"


def run_survival_study(cfg, *, kind: str, trials: int, n=None, seed=None, table: pd.DataFrame | None = None,
                       storage: str | None = None, callbacks=None):
    """Run or extend the stored Optuna study of a survival model kind on all rows (``rairpredict tune``).

    The objective is the inner-CV Cox partial likelihood (per event, higher is
    better), as inside nested CV; ``train --use-study`` fits the final model
    with the best trial's parameters.
    """
    from rairpredict.experiment.train import default_optuna_storage

    if kind not in SURVIVAL_KINDS:
        from rairpredict.errors import ConfigError

        raise ConfigError(f"{cfg.source}: model kind {kind!r} cannot be tuned for a time-to-event outcome; "
                          f"use one of {', '.join(SURVIVAL_KINDS)}")
    data = load_survival_data(cfg, cfg.outcome, table=table, n=n, seed=seed)
    return tune_survival(data.table, data.time, data.event, features=cfg.features, decision_point=cfg.decision_point,
                         kind=kind, trials=trials, inner_folds=cfg.validation["inner_folds"],
                         seed=cfg.validation["seed"], groups=data.groups, storage=storage or default_optuna_storage(),
                         study_name=survival_study_name(cfg, kind, data), callbacks=callbacks)


def train_survival_target(cfg, spec: TimeToEventSpec | None = None, *, n=None, seed=None,
                          table: pd.DataFrame | None = None, trials: int | None = None, optimism_boot: int = 20,
                          n_boot: int = 100, cohort_name: str | None = None, log=print,
                          use_stored_study: bool | None = None, optuna_storage: str | None = None) -> SurvivalResult:
    """Run the whole protocol for one time-to-event target (see the module docstring).

    ``use_stored_study`` (default: the config's ``tuning.use_stored_study``):
    the final model's parameters come from the stored Optuna study that
    ``rairpredict tune`` extends, instead of a fresh seeded study.
    """
    from rairpredict.experiment.train import default_optuna_storage
    from rairpredict.experiment.tuning import stored_study

    start = _time.perf_counter()
    spec = spec or cfg.outcome
    data = load_survival_data(cfg, spec, table=table, n=n, seed=seed, cohort_name=cohort_name)
    if use_stored_study is None:
        use_stored_study = bool(cfg.tuning.get("use_stored_study", False))
    storage = optuna_storage or default_optuna_storage()
    named = getattr(cfg, "final_model", "auto")
    if use_stored_study and named in SURVIVAL_KINDS:
        # a missing study is a one-line refusal before the long cross-validation, not after
        stored_study(storage, survival_study_name(cfg, named, data))
    log(f"[{cfg.name}] cohort {data.cohort_name}: {data.n} rows used, {data.events} events, "
        f"{data.counts['censored']} censored ({data.counts['outcome_unknown']} with unknown outcome excluded)")
    trials = int(cfg.tuning.get("trials", 10) if trials is None else trials)
    horizons = list(spec.horizons)
    followup = reverse_km_followup(data.time, data.event).to_dict()
    n_params = len(make_preprocessor(list(cfg.features), cfg.decision_point, "tree").fit(data.table)
                   .get_feature_names_out())
    ss = riley_survival_sample_size(n=data.n, events=data.events, n_parameters=n_params,
                                    mean_followup=float(np.mean(data.time)), horizon=spec.band_horizon)
    sample_size = {k: (v if isinstance(v, (bool, str)) else float(v)) for k, v in ss.items()}
    if not ss["adequate"]:
        msg = (f"[{cfg.name}] WARNING: SAMPLE SIZE INADEQUATE (Riley criteria, survival): n = {data.n} with "
               f"{data.events} events for {n_params} candidate parameters; the criteria need n >= "
               f"{int(ss['required_n'])}. Expect overfitting; report optimism-corrected performance.")
        warnings.warn(msg, stacklevel=2)
        log(msg)

    kinds = [k for k in cfg.models if k in SURVIVAL_KINDS] or list(SURVIVAL_KINDS)
    oof, rows, protocol = {}, {}, {}
    for kind in kinds:
        cvp = cross_validate_survival(data.table, data.time, data.event, cfg, kind, horizons=horizons, trials=trials,
                                      groups=data.groups)
        oof[kind], protocol = cvp, cvp.protocol
        rows[kind] = summarise_survival_repeats(data.time, data.event, cvp, horizons, spec.band_horizon,
                                                cfg.threshold, n_boot=n_boot, seed=cfg.validation["seed"])
        rows[kind]["cv_seconds"] = cvp.seconds
        log(f"[{cfg.name}] {kind}: nested CV {cvp.seconds:.1f} s, Harrell's C {rows[kind]['c_harrell']:.3f}")
    metrics = pd.DataFrame(rows).T
    oracle = {}
    if data.oracle is not None:
        oracle = oracle_survival_summary(data.time, data.event, data.oracle, horizons, spec.band_horizon,
                                         cfg.threshold, metrics["c_harrell"].to_dict(), n_boot=n_boot)
    requested = getattr(cfg, "final_model", "auto")
    if requested in metrics.index:
        final, why = requested, "named in the config"
    else:
        final, why = choose_final_model(metrics)
    log(f"[{cfg.name}] exported model: {final} ({why})")

    params, tuning = {}, {"source": "library defaults (no tuning)", "final_trials": 0}
    if use_stored_study:
        res = stored_study(storage, survival_study_name(cfg, final, data))
        params, tuning = res.best_params, {"source": "stored study (extended by `rairpredict tune`)",
                                           "study_name": res.study_name, "final_trials": res.n_trials,
                                           "final_best_partial_loglik": res.best_value}
    elif trials > 0:
        res = tune_survival(data.table, data.time, data.event, features=cfg.features,
                            decision_point=cfg.decision_point, kind=final, trials=trials,
                            inner_folds=cfg.validation["inner_folds"], seed=cfg.validation["seed"], groups=data.groups)
        params, tuning = res.best_params, {"source": f"fresh Optuna study (TPE, seed {cfg.validation['seed']})",
                                           "final_trials": res.n_trials, "final_best_partial_loglik": res.best_value}
    log(f"[{cfg.name}] final model parameters: {tuning['source']}")
    model = fit_survival_model(data.table, data.time, data.event, features=list(cfg.features),
                               decision_point=cfg.decision_point, kind=final, horizons=horizons,
                               band_horizon=spec.band_horizon, params=params, seed=cfg.validation["seed"],
                               inner_folds=cfg.validation["inner_folds"], target=cfg.name, bands=cfg.bands,
                               band_names=cfg.band_names)
    optimism = _optimism_c(data, cfg, spec, final, params, optimism_boot)
    m = metrics.loc[final]
    model.metadata.update({
        "name": f"rairpredict-{cfg.name}", "version": "unregistered", "package_version": __version__,
        "trained_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "outcome": spec.metadata(), "description": getattr(cfg, "description", ""),
        "cohort": {"name": data.cohort_name, "synthetic": data.synthetic, "n": data.n, "events": data.events,
                   "censored": data.counts["censored"], "competing_events": data.counts["competing_events"],
                   "median_followup_years": followup["median"]},
        "validation": {"protocol": protocol, "figures": {k: float(v) for k, v in m.items()},
                       "optimism": optimism},
        "final_model_choice": {"model": final, "reason": why}, "params": params, "tuning": tuning,
        "decision_point": cfg.decision_point, "threshold": cfg.threshold,
        "censoring": ("Censored patients contribute their follow-up until their last contact; risks by a horizon "
                      "are compared with Kaplan-Meier estimates; "
                      + ("competing events are censored, so risks are net risks (in the absence of the competing "
                         "event)" if spec.competing_method == "censor" else
                         "competing events count as events (composite outcome)" if spec.competing_method ==
                         "composite" else "no competing event declared") + "."),
    })
    # the review's calibration plot and band meanings: out-of-fold risks of the first repeat by the band horizon
    jb = horizons.index(float(spec.band_horizon))
    model.metadata["survival_development"] = survival_development(data.time, data.event, oof[final].risk[0][:, jb], model)
    # Table 1 by event (seen during follow-up) vs censored, with the follow-up itself as a row
    from rairpredict.evaluation.table_one import table_one, table_one_records

    described = data.table.assign(follow_up_years=data.time)
    model.metadata["table_one"] = table_one_records(
        table_one(described, data.event, columns=[*cfg.features, "follow_up_years"], outcome="event"), "event")
    # the cohort config's extra columns the model reads, and the required fields its cohort lacks: every
    # scoring path validates new rows by them (as for binary models)
    from rairpredict.cohort.contract import EXTRA_FIELDS_ATTR

    model.metadata["extra_fields"] = [f for f in data.table.attrs.get(EXTRA_FIELDS_ATTR, [])
                                      if f["name"] in cfg.features or f.get("lacking")]
    # the training profile every scoring path checks new inputs against (aggregates only)
    from rairpredict.scoring.shift import PROFILE_KEY, input_profile

    model.metadata[PROFILE_KEY] = input_profile(model, data.table, population=getattr(cfg, "population", None),
                                                cohort=data.cohort_name)
    protocol = {**protocol, "final_model": final, "final_model_reason": why}
    return SurvivalResult(cfg.name, data.counts, metrics, oracle, sample_size, followup, optimism, model, protocol,
                          {"model": final, "reason": why}, _time.perf_counter() - start,
                          oof={k: v.lp for k, v in oof.items()}, data=data)


def run_survival_target(cfg, spec: TimeToEventSpec | None = None, *, n=None, seed=None, trials=None,
                        optimism_boot: int = 20, tracking: bool = True, export_dir=None, register: bool = True,
                        table: pd.DataFrame | None = None, log=print, use_stored_study: bool | None = None,
                        optuna_storage: str | None = None) -> SurvivalResult:
    """:func:`train_survival_target`, then export the model (pickle-free artifact) and log/register it in MLflow."""
    from pathlib import Path

    result = train_survival_target(cfg, spec, n=n, seed=seed, table=table, trials=trials,
                                   optimism_boot=optimism_boot, log=log, use_stored_study=use_stored_study,
                                   optuna_storage=optuna_storage)
    if tracking:
        from rairpredict.experiment.survival_log import log_survival_result

        log_survival_result(result, cfg, result.data, register=register)
    if export_dir is not None:  # after registration, so the file carries the registered name and version
        result.model.metadata["exported_at"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        path = Path(export_dir) / cfg.name
        result.model.save(path)
        result.exported = str(path)
    return result
