"""Carry a model to a new site: external validation and updating on a local cohort.

* :func:`load_local_cohort`: the local file (canonical, or mapped by a cohort
  config) and its outcome -- a built-in label (``rair``, ...) or a column of
  the file; rows whose outcome is unknown and rows the import rejects are
  counted, never silently dropped.
* :func:`evaluate_model`: score the cohort with the model (the same
  :func:`~rairpredict.scoring.score_frame` as ``rairpredict score``, so the
  input-shift checks run too) and validate with
  :func:`rairpredict.evaluation.external_validation`; write HTML + JSON and log an
  MLflow run linked to the model version (aggregates only).
* :func:`recalibrate_model`: choose keep / intercept / recalibration / refit
  by closed testing (:func:`rairpredict.evaluation.closed_testing`), refuse a
  refit the local sample size cannot support (Riley criteria), and register
  the updated model as a new version with alias ``@candidate`` (parent untouched).

Examples
--------
>>> from rairpredict.experiment.site import evaluate_model
>>> res = evaluate_model(None, "site.csv", "rair", tracking=False)  # doctest: +SKIP
>>> res.validation.verdicts["calibration"]  # doctest: +SKIP
'Miscalibrated: risks are on average too high: ...'
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rairpredict.errors import ConfigError

__all__ = ["LocalCohort", "load_local_cohort", "outcome_values", "EvaluationResult", "evaluate_model",
           "write_evaluation", "UpdateResult", "recalibrate_model", "updated_calibration", "DEFAULT_SUBGROUPS"]

#: Subgroups reported by default (when present in the cohort).
DEFAULT_SUBGROUPS = ("sex", "age_band", "histology", "preparation")
_POSITIVE = ("1", "1.0", "true", "yes", "y", "positive", "pos")
_NEGATIVE = ("0", "0.0", "false", "no", "n", "negative", "neg")


@dataclass
class LocalCohort:
    """Rows with a known outcome (canonical table), the outcome 0/1 and the row account."""

    table: pd.DataFrame
    y: np.ndarray
    outcome: str
    name: str
    counts: dict = field(default_factory=dict)


def outcome_values(values: pd.Series, column: str, positive=None, negative=None) -> pd.Series:
    """A file's outcome column as a nullable boolean (NA = unknown).

    Booleans and 0/1 numbers are read as they are; text is matched (case
    insensitive) against ``positive`` / ``negative`` values (default yes/no,
    true/false, 1/0, positive/negative). Any other value is an error naming it.

    Examples
    --------
    >>> outcome_values(pd.Series(["Yes", "no", None]), "recurrence").tolist()
    [True, False, <NA>]
    """
    pos = {str(v).strip().lower() for v in (positive or _POSITIVE)}
    neg = {str(v).strip().lower() for v in (negative or _NEGATIVE)}
    text = values.astype(object).where(values.notna(), None).map(lambda v: None if v is None else str(v).strip().lower())
    out = pd.array([pd.NA] * len(values), dtype="boolean")
    known = text.notna().to_numpy() & (text != "").to_numpy()
    is_pos, is_neg = text.isin(pos).to_numpy(), text.isin(neg).to_numpy()
    bad = np.flatnonzero(known & ~is_pos & ~is_neg)
    if bad.size:
        raise ConfigError(
            f"outcome column {column!r}, row {bad[0] + 1}: value {values.iloc[bad[0]]!r} is neither positive "
            f"({', '.join(sorted(pos))}) nor negative ({', '.join(sorted(neg))}); pass --positive/--negative")
    out[is_pos] = True
    out[is_neg & ~is_pos] = False
    return pd.Series(out, index=values.index, name=column)


def load_local_cohort(path, outcome: str, *, cohort_config=None, positive=None, negative=None) -> LocalCohort:
    """Read the local cohort and its outcome (see module docstring)."""
    from rairpredict.cohort.contract import load_contract
    from rairpredict.cohort.derive import add_derived
    from rairpredict.cohort.importer import import_cohort
    from rairpredict.cohort.io import read_table
    from rairpredict.cohort.validate import validate_canonical
    from rairpredict.labels import LABELS

    path = Path(path)
    contract = load_contract()
    builtin = outcome in LABELS
    column = None if builtin else outcome
    raw_outcome = None
    if cohort_config is not None:
        from rairpredict.cohort.config import load_cohort_config

        cfg = load_cohort_config(cohort_config) if not hasattr(cohort_config, "read") else cohort_config
        result = import_cohort(path, cfg)
        if column is not None and column not in result.table.columns:
            raw = read_table(path, **cfg.read.reader_kwargs())
            if column not in raw.columns:
                raise ConfigError(f"{path}: outcome {outcome!r} is neither a built-in label "
                                  f"({', '.join(sorted(LABELS))}) nor a column of the file")
            raw_outcome = raw[column].reset_index(drop=True)
        name = getattr(cfg, "name", None) or path.stem
    else:
        raw = read_table(path)
        if column is not None and column not in raw.columns:
            raise ConfigError(f"{path}: outcome {outcome!r} is neither a built-in label "
                              f"({', '.join(sorted(LABELS))}) nor a column of the file")
        if column is not None and column not in contract:
            raw_outcome = raw[column].reset_index(drop=True)
            raw = raw.drop(columns=[column])
        result = validate_canonical(raw, file=path)
        result.table = add_derived(result.table)
        name = path.stem
    table = result.table.reset_index(drop=True)
    if builtin:
        fn, col, _ = LABELS[outcome]
        label = fn(table)[col]
    elif raw_outcome is not None:
        rejected = set((result.rejects["source_row"].to_numpy() - 1).tolist()) if len(result.rejects) else set()
        keep = np.array([i for i in range(result.n_in) if i not in rejected], dtype=int)
        label = outcome_values(raw_outcome.iloc[keep].reset_index(drop=True), column, positive, negative)
    else:
        label = outcome_values(table[column], column, positive, negative)
    known = label.notna().to_numpy(bool)
    counts = {"rows_in": int(result.n_in), "rejected_at_import": int(result.n_rejected),
              "outcome_unknown": int((~known).sum()), "rows_used": int(known.sum())}
    sub = table.loc[known].reset_index(drop=True)
    y = label[known].astype(int).to_numpy()
    counts["events"] = int(y.sum())
    return LocalCohort(sub, y, outcome, name, counts)


def _groups(table: pd.DataFrame, names) -> pd.DataFrame:
    from rairpredict.evaluation import age_band

    out = {}
    for name in names:
        if name == "age_band" and "age_years" in table.columns:
            out[name] = age_band(table["age_years"].astype(float).to_numpy()).astype(object).to_numpy()
        elif name in table.columns and table[name].notna().any():
            out[name] = table[name].astype(object).to_numpy()
        elif name != "age_band" and name not in DEFAULT_SUBGROUPS:
            raise ConfigError(f"subgroup {name!r}: not a column of the cohort")
    return pd.DataFrame(out)


# ----------------------------------------------------------------- evaluate
@dataclass
class EvaluationResult:
    """Validation figures, input-shift summary and lineage (aggregates only)."""

    validation: object            # rairpredict.evaluation.ExternalValidation
    shift: dict
    model: dict
    cohort: dict
    run_id: str | None = None
    outputs: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"model": self.model, "cohort": self.cohort, **self.validation.to_dict(),
                "input_shift": self.shift, "mlflow_run_id": self.run_id}


def _model_facts(model) -> dict:
    meta = model.metadata or {}
    ml = meta.get("mlflow") or {}
    cohort = meta.get("cohort") or {}
    return {"name": meta.get("name") or model.target, "version": None if meta.get("version") is None
            else str(meta.get("version")), "target": model.target, "kind": model.kind,
            "run_id": ml.get("run_id"), "development_cohort": cohort.get("name"),
            "development_prevalence": cohort.get("prevalence"), "threshold": meta.get("threshold"),
            "calibration": model.calibration.method,
            "fingerprint": model.fingerprint() if hasattr(model, "fingerprint") else None}


def _score(model, table):
    from rairpredict.scoring._frame import score_frame_checked
    from rairpredict.scoring.shift import shift_summary

    scored, counts = score_frame_checked(model, table)
    return scored["probability"].to_numpy(float), shift_summary(model, counts)


def evaluate_model(model_ref, path, outcome: str, *, cohort_config=None, positive=None, negative=None,
                   subgroups=DEFAULT_SUBGROUPS, thresholds=None, n_boot: int = 200, seed: int = 0,
                   tracking: bool = True, cohort: LocalCohort | None = None) -> EvaluationResult:
    """Externally validate ``model_ref`` on the cohort in ``path`` (see module docstring)."""
    from rairpredict.evaluation import external_validation
    from rairpredict.scoring import load_model_ref

    model = load_model_ref(model_ref)
    cohort = cohort or load_local_cohort(path, outcome, cohort_config=cohort_config, positive=positive,
                                         negative=negative)
    if cohort.counts["rows_used"] == 0:
        raise ConfigError(f"{path}: no row has a known outcome {outcome!r}")
    p, shift = _score(model, cohort.table)
    facts = _model_facts(model)
    thresholds = list(thresholds or [facts["threshold"] or 0.1])
    validation = external_validation(cohort.y, p, groups=_groups(cohort.table, subgroups), thresholds=thresholds,
                                     development_prevalence=facts["development_prevalence"], n_boot=n_boot,
                                     seed=seed)
    info = {"name": cohort.name, "outcome": outcome, **cohort.counts}
    result = EvaluationResult(validation, shift, facts, info)
    if tracking:
        result.run_id = _log_evaluation(result, cohort)
    return result


def _log_evaluation(result: EvaluationResult, cohort: LocalCohort) -> str:
    import mlflow

    from rairpredict import tracking

    tracking.configure_tracking()
    exp = tracking.get_or_create_experiment(f"rairpredict-{result.model['target']}-external")
    fp = tracking.dataset_fingerprint(cohort.table, cohort.y, cohort.name)
    with mlflow.start_run(experiment_id=exp, run_name=f"evaluate {result.model['name']} on {cohort.name}") as run:
        mlflow.set_tags({"model_name": str(result.model["name"]), "model_version": str(result.model["version"]),
                         "model_run_id": str(result.model["run_id"]), "outcome": cohort.outcome,
                         "model_fingerprint": str(result.model["fingerprint"]),
                         "kind": "external_validation", "local_cohort_sha256": fp["sha256"]})
        mlflow.log_params({f"data.{k}": v for k, v in fp.items()})
        metrics = {}
        for name, row in result.validation.metrics.iterrows():
            for col in ("estimate", "lo", "hi"):
                if np.isfinite(row[col]):
                    metrics[name if col == "estimate" else f"{name}_{col}"] = float(row[col])
        mlflow.log_metrics(metrics)
        mlflow.log_dict(json.loads(json.dumps(result.to_dict(), default=_plain)), "external_validation.json")
        return run.info.run_id


def _plain(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, (set, tuple)):
        return list(v)
    return str(v)


def write_evaluation(result: EvaluationResult, html_path) -> tuple[Path, Path]:
    """Write the report (HTML) and its figures (JSON, same stem); returns both paths."""
    from rairpredict.report.validation import validation_html

    html_path = Path(html_path)
    json_path = html_path.with_suffix(".json")
    doc = json.loads(json.dumps(result.to_dict(), default=_plain), parse_constant=lambda c: None)
    from rairpredict.cohort.io import atomic_path

    with atomic_path(json_path) as tmp:  # never a half-written report
        tmp.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    with atomic_path(html_path) as tmp:
        tmp.write_text(validation_html(doc), encoding="utf-8")
    result.outputs = {"html": str(html_path), "json": str(json_path)}
    return html_path, json_path


# ----------------------------------------------------------------- recalibrate
def updated_calibration(model, intercept: float, slope: float):
    """The model's calibration followed by ``logit p' = intercept + slope * logit p``.

    Platt calibration stays Platt (``a' = slope a``, ``b' = intercept + slope b``),
    so SHAP contributions stay exactly additive on the new log-odds.
    """
    from rairpredict.models.risk_model import Calibration

    cal = model.calibration
    if cal.method == "isotonic":
        raise ConfigError("this model's calibration is isotonic: an intercept/slope update is not defined for it "
                          "here; use --method refit (when the local sample is large enough)")
    a, b = (cal.a, cal.b) if cal.method == "sigmoid" else (1.0, 0.0)
    return Calibration("sigmoid", a=float(slope * a), b=float(intercept + slope * b))


@dataclass
class UpdateResult:
    """The chosen update, its test statistics, the updated model and where it was registered."""

    method: str
    chosen_by_test: str
    tests: dict
    model: object
    sample_size: dict
    before: dict
    registered: tuple | None = None
    note: str = ""


def _lp_and_contributions(model, table):
    from rairpredict.scoring import field_contributions

    if model.calibration.method == "isotonic":
        p = model.predict_risk(table)
        return np.log(p / (1 - p)), None
    contrib = field_contributions(model, table)
    lp = contrib.sum(axis=1).to_numpy(float)
    if model.calibration.method == "none":  # contributions on the margin = the log-odds
        return lp, contrib.drop(columns="bias").to_numpy(float)
    return lp, contrib.drop(columns="bias").to_numpy(float)


def recalibrate_model(model_ref, path, outcome: str, *, cohort_config=None, positive=None, negative=None,
                      method: str = "auto", register: bool = True, seed: int = 0,
                      cohort: LocalCohort | None = None, parent_ref: str | None = None,
                      log=print) -> UpdateResult:
    """Update ``model_ref`` for the local cohort in ``path`` (see module docstring).

    ``method``: ``auto`` (closed testing) or one of ``keep``, ``intercept``,
    ``recalibration``, ``refit`` to force it (the test statistics are still reported).
    ``parent_ref`` names the parent in the lineage (default: ``model_ref``).
    """
    from rairpredict.evaluation import closed_testing, riley_sample_size
    from rairpredict.evaluation import auroc
    from rairpredict.models.risk_model import fit_risk_model
    from rairpredict.scoring import load_model_ref

    if method not in ("auto", "keep", "intercept", "recalibration", "refit"):
        raise ConfigError(f"--method {method!r}: expected auto, keep, intercept, recalibration or refit")
    parent = load_model_ref(model_ref)
    cohort = cohort or load_local_cohort(path, outcome, cohort_config=cohort_config, positive=positive,
                                         negative=negative)
    y, table = cohort.y, cohort.table
    if y.min() == y.max():
        raise ConfigError(f"{path}: the outcome needs both events and non-events to update a model")
    lp, contrib = _lp_and_contributions(parent, table)
    test = closed_testing(y, lp, contrib)
    p_before = 1 / (1 + np.exp(-lp))
    n_params = len(parent.feature_names_out)
    c_stat = float(np.clip(auroc(y, p_before), 0.55, 0.99))
    ss = riley_sample_size(n=len(y), events=int(y.sum()), n_parameters=n_params, c_statistic=c_stat)
    sample = {"n": ss.n, "events": ss.events, "n_parameters": n_params, "required_n": ss.required_n,
              "adequate": bool(ss.adequate), "c_statistic_assumed": c_stat}
    chosen = {"revision": "refit"}.get(test.method, test.method) if method == "auto" else method
    note = ""
    if chosen == "refit" and not ss.adequate:
        note = (f"refit refused: the local cohort has n = {ss.n} ({ss.events} events) but the Riley criteria "
                f"need n >= {ss.required_n} for {n_params} parameters; logistic recalibration used instead")
        log(note)
        chosen = "recalibration"
    model = copy.deepcopy(parent)
    if chosen == "intercept":
        model.calibration = updated_calibration(parent, test.intercept if test.method == "intercept"
                                                else _intercept_only(y, lp), 1.0)
    elif chosen == "recalibration":
        a, b = test.recalibration
        model.calibration = updated_calibration(parent, a, b)
    elif chosen == "refit":
        meta = parent.metadata or {}
        model = fit_risk_model(table, y, features=list(parent.features), decision_point=parent.decision_point,
                               kind=parent.kind, params=meta.get("params") or {}, seed=seed,
                               target=parent.target, label=parent.label, bands=parent.bands,
                               band_names=parent.band_names)
        model.metadata = {k: v for k, v in copy.deepcopy(meta).items() if k not in ("input_profile", "mlflow")}
    from rairpredict.scoring.shift import PROFILE_KEY, input_profile

    parent_meta = parent.metadata or {}
    fp = _fingerprint(table, y, cohort.name)
    if parent_ref is None:
        parent_ref = "shipped default model" if model_ref is None else str(model_ref) \
            if not hasattr(model_ref, "metadata") else "in-memory model"
    model.metadata = {**model.metadata, "parent": {"name": parent_meta.get("name"), "ref": parent_ref,
                                                   "version": parent_meta.get("version")},
                      "update": {"method": chosen, "chosen_by_test": test.method, "tests": test.to_dict(),
                                 "local_cohort_sha256": fp["sha256"], "local_cohort": cohort.name,
                                 "local_n": len(y), "local_events": int(y.sum()), "note": note}}
    if chosen == "refit":
        model.metadata[PROFILE_KEY] = input_profile(model, table, cohort=cohort.name)
    result = UpdateResult(chosen, test.method, test.to_dict(), model, sample,
                          {"auroc": float(auroc(y, p_before))}, note=note)
    if register:
        result.registered = _register(model, parent, chosen, test, fp)
    return result


def _intercept_only(y, lp) -> float:
    from rairpredict.evaluation._logistic import fit_logistic

    return float(fit_logistic(np.ones_like(lp), y, offset=lp).coef[0])


def _fingerprint(table, y, name) -> dict:
    from rairpredict.tracking import dataset_fingerprint

    return dataset_fingerprint(table, y, name)


def _register(model, parent, method, test, fp) -> tuple[str, str]:
    import mlflow

    from rairpredict import tracking
    from rairpredict.scoring.pyfunc import log_risk_model

    tracking.configure_tracking()
    pmeta = parent.metadata or {}
    name = str(pmeta.get("name") or f"rairpredict-{parent.target}")
    exp = tracking.get_or_create_experiment(f"rairpredict-{parent.target}-external")
    tags = {"parent_name": name, "parent_version": str(pmeta.get("version")),
            "parent_ref": str(model.metadata.get("parent", {}).get("ref")), "update_method": method,
            "closed_test_choice": test.method, "local_cohort_sha256": fp["sha256"],
            "local_n": str(fp["n"]), "local_events": str(fp["n_events"])}
    for row in test.tests.itertuples():
        key = row.comparison.replace(" ", "_")
        tags[f"lr.{key}"] = f"{row.lr_statistic:.3f} (df {row.df}, p {row.p_value:.3g})"
    with mlflow.start_run(experiment_id=exp, run_name=f"recalibrate {name} ({method})") as run:
        mlflow.set_tags({**tags, "kind": "model_update"})
        mlflow.log_params({f"data.{k}": v for k, v in fp.items()})
        mlflow.log_dict(test.to_dict(), "closed_testing.json")
        model = copy.copy(model)
        model.metadata = {**model.metadata, "name": name, "version": None,
                          "mlflow": {"run_id": run.info.run_id}}
        info = log_risk_model(model, name="model", registered_model_name=name)
    version = str(info.registered_model_version)
    client = mlflow.MlflowClient()
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)
    tracking.set_alias(name, version, tracking.CANDIDATE)
    return name, version
