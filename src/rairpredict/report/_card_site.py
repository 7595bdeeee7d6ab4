"""Model-card items for carrying a model to another site (TRIPOD+AI 12f, 20c, 24, 27a).

Three sections, each from aggregates only:

* **Inputs at another site** -- the training profile stored with the model
  (:mod:`rairpredict.scoring.shift`): per input its training missing share,
  range or categories and relative importance, so a site can compare its own
  data before scoring, and what the scoring paths do when inputs differ;
* **Model updating** -- for a model made by ``rairpredict recalibrate``: the
  parent, the method chosen by closed testing and every likelihood-ratio test;
* **Input shift and external validation** -- the input-shift summary of a
  scored batch (``<OUT>.input_shift.json``, given to ``model-card
  --input-shift``) as a banner, and the external validations of this model
  logged by ``rairpredict evaluate`` in the MLflow store.

Examples
--------
>>> from rairpredict.models.risk_model import RiskModel, Calibration
>>> m = RiskModel("rair", "rair", "pre_therapy", ["age_years"], "logistic", None, Calibration("none"))
>>> m.metadata = {"input_profile": {"n_rows": 10, "inputs": {"age_years": {
...     "kind": "numeric", "missing_rate": 0.1, "min": 20.0, "max": 80.0, "importance": 0.4}}}}
>>> sec = inputs_section(m)
>>> sec.tables[0][1][0][:4]
['age_years', 'Age at diagnosis', '10.0%', '20 to 80']
"""
from __future__ import annotations

from rairpredict.report._card_parts import _NR, Section, _fmt
from rairpredict.report._payload import field_label
from rairpredict.report._words import pct

__all__ = ["inputs_section", "updating_section", "site_section", "fetch_external_validations",
           "INPUTS_TITLE", "UPDATING_TITLE", "SITE_TITLE"]

INPUTS_TITLE = "Inputs at another site"
UPDATING_TITLE = "Model updating"
SITE_TITLE = "Input shift and external validation"

_UPDATE_WORDS = {
    "keep": "kept unchanged (no update improved the fit significantly)",
    "intercept": "intercept update (calibration-in-the-large: all risks shifted on the log-odds scale)",
    "recalibration": "logistic recalibration (intercept and slope of the linear predictor re-estimated)",
    "revision": "model revision (recalibration plus re-estimated effects of some inputs)",
    "refit": "refit of the whole model on the local cohort",
}
#: Shown per external validation run, in this order.
_VALIDATION_METRICS = (("auroc", "AUROC", 3), ("cal_intercept", "calibration intercept", 2),
                       ("cal_slope", "calibration slope", 2), ("oe_ratio", "observed/expected", 2),
                       ("brier", "Brier", 3))


def _share(x) -> str:
    return _NR if x is None else pct(x, 1)


def _number(x) -> str:
    return f"{float(x):.4g}"


def _seen(p: dict) -> str:
    if p.get("kind") == "numeric":
        return _NR if p.get("min") is None else f"{_number(p['min'])} to {_number(p['max'])}"
    cats = [str(c) for c in p.get("categories", [])]
    shown = ", ".join(cats[:8]) + (f" and {len(cats) - 8} more" if len(cats) > 8 else "")
    return shown or _NR


def inputs_section(model) -> Section:
    """Each input's training missing share, range or categories and importance (12a of 100)."""
    from rairpredict.scoring.shift import PSI_MAJOR, RARELY_MISSING, model_profile

    profile = model_profile(model)
    if not profile:
        return Section(INPUTS_TITLE, [
            "This model stores no training profile of its inputs (exported before version 0.4): scoring warns "
            "only about inputs absent from a file. Re-export it with `rairpredict train` to store one."],
            answered=False)
    spec = profile.get("inputs", {})
    total = sum(float(p.get("importance") or 0.0) for p in spec.values()) or None
    rows = []
    for f in sorted(model.features, key=lambda f: -float(spec.get(f, {}).get("importance") or 0.0)):
        p = spec.get(f, {})
        imp = p.get("importance")
        rows.append([f, field_label(f), _share(p.get("missing_rate")), _seen(p),
                     _NR if imp is None or total is None else f"{100 * float(imp) / total:.1f}"])
    n = profile.get("n_rows")
    return Section(INPUTS_TITLE, [
        f"What the model saw at training ({_fmt(n)} rows" + (f" of {profile['cohort']}" if profile.get("cohort")
                                                            else "") + "): compare a new site's data with this "
        "table before scoring. Importance is each input's share (per 100) of the mean absolute contribution to "
        "the predictions in the training rows.",
        "Every scoring path (`rairpredict score`, the MLflow pyfunc and REST server, the Spark UDF) runs the "
        "same check against this profile: an input absent from the file, or missing in every row, is a loud "
        "warning naming it and its importance (`--strict-inputs` refuses to score instead); each row gets an "
        f"`input_warnings` text for values outside the training range, unseen categories, inputs missing that "
        f"were missing in fewer than {RARELY_MISSING:.0%} of training rows, and values outside the training "
        "population; each batch gets a summary with the population stability index (PSI) per input, "
        f"PSI above {PSI_MAJOR} reported as a major shift."],
        [(["field", "description", "missing at training", "training range or categories",
           "importance (per 100)"], rows)])


def updating_section(model) -> Section | None:
    """Parent, method and closed-testing statistics of a locally updated model (None if not updated)."""
    meta = model.metadata or {}
    update, parent = meta.get("update"), meta.get("parent") or {}
    if not update:
        return None
    tests = (update.get("tests") or {}).get("tests") or []
    rows = [[str(t.get("comparison", "")), _fmt(t.get("lr_statistic"), 2), _fmt(t.get("df")),
             _fmt(t.get("p_value"), 4)] for t in tests]
    method = update.get("method")
    chosen = update.get("chosen_by_test")
    paragraphs = [
        f"Updated from {parent.get('name') or _NR} version {parent.get('version') or _NR} "
        f"({parent.get('ref') or _NR}) on a local cohort of {_fmt(update.get('local_n'))} patients with "
        f"{_fmt(update.get('local_events'))} events ({update.get('local_cohort') or 'unnamed'}; content "
        f"fingerprint {str(update.get('local_cohort_sha256') or _NR)[:12]}). The parent model is unchanged.",
        f"Method: {_UPDATE_WORDS.get(method, method)}. Chosen by the closed testing procedure (Vergouwe et al., "
        f"Stat Med 2017;36:4529-39), each step a likelihood-ratio test"
        + (f"; the test chose {_UPDATE_WORDS.get(chosen, chosen)}" if chosen and chosen != method else "") + ".",
        *([update["note"]] if update.get("note") else []),
        "Validate the updated model on held-out local patients (`rairpredict evaluate`) before use."]
    return Section(UPDATING_TITLE, paragraphs,
                   [(["comparison", "likelihood-ratio statistic", "df", "p"], rows)] if rows else [])


def fetch_external_validations(model, limit: int = 20) -> list[dict]:
    """External validations of ``model`` logged by ``rairpredict evaluate`` (newest first; [] if none).

    Matched on the model's fingerprint (the sha256 of its files, the same for
    every export of the same fitted model); aggregates only.
    """
    if not hasattr(model, "fingerprint"):
        return []
    try:
        import mlflow

        runs = mlflow.search_runs(
            search_all_experiments=True, output_format="list", max_results=limit,
            filter_string=f"tags.kind = 'external_validation' AND tags.model_fingerprint = '{model.fingerprint()}'",
            order_by=["attributes.start_time DESC"])
    except Exception:  # noqa: BLE001 - no store: the card is written from the model alone
        return []
    return [{"cohort": r.data.params.get("data.cohort"), "n": r.data.params.get("data.n"),
             "events": r.data.params.get("data.n_events"), "metrics": dict(r.data.metrics)} for r in runs]


def _metric_text(metrics: dict, key: str, digits: int) -> str:
    if key not in metrics:
        return _NR
    text = f"{metrics[key]:.{digits}f}"
    if f"{key}_lo" in metrics and f"{key}_hi" in metrics:
        text += f" ({metrics[f'{key}_lo']:.{digits}f} to {metrics[f'{key}_hi']:.{digits}f})"
    return text


def site_section(shift: dict | None, validations: list[dict]) -> Section | None:
    """The input-shift banner of a scored batch and the external validations (None if neither)."""
    if not shift and not validations:
        return None
    paragraphs, tables = [], []
    if shift:
        paragraphs.append(
            f"Input shift of a scored batch ({_fmt(shift.get('n_rows'))} rows, against "
            f"{shift.get('training_cohort') or 'the training data'}): "
            + (shift.get("message") or "no input warnings: the inputs look like the training data."))
        worst = sorted(((f, d) for f, d in (shift.get("inputs") or {}).items() if d.get("psi") is not None),
                       key=lambda fd: -fd[1]["psi"])[:10]
        if worst:
            tables.append((["field", "PSI", "missing at training", "missing in batch", "rows out of range"],
                           [[field_label(f), f"{d['psi']:.2f}", _share(d.get("missing_rate_training")),
                             _share(d.get("missing_rate")), _fmt(d.get("rows_out_of_range"))] for f, d in worst]))
    if validations:
        paragraphs.append(f"{len(validations)} external validation(s) of this model version logged by "
                          "`rairpredict evaluate` (95% confidence intervals):")
        tables.append((["cohort", "patients", "events", *[label for _, label, _ in _VALIDATION_METRICS]],
                       [[v.get("cohort") or _NR, v.get("n") or _NR, v.get("events") or _NR,
                         *[_metric_text(v["metrics"], k, d) for k, _, d in _VALIDATION_METRICS]]
                        for v in validations]))
    return Section(SITE_TITLE, paragraphs, tables)
