"""Model card: the TRIPOD+AI items of a model report, as Markdown and HTML.

The card is built from the model (features, decision point, bands), its
``metadata`` (cohort, validation, limitations, written by training) and, when
``metadata["mlflow"]["run_id"]`` points at a reachable MLflow run, that run's
parameters, metrics and subgroup table. It never contains patient rows.

Examples
--------
>>> from rairpredict.models.risk_model import RiskModel, Calibration
>>> m = RiskModel("rair", "rair", "pre_therapy", ["age_years"], "logistic", None, Calibration("none"))
>>> md = render_model_card(m, mlflow_run=False)
>>> md.splitlines()[0]
'# Model card: rair'
>>> "## Predictors and their timing" in md
True
"""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from rairpredict.cohort.contract import load_contract
from rairpredict.cohort.io import atomic_path
from rairpredict.report._card_parts import (_NR, Section, _band_observed, _calibration, _fmt, _interpretation,
                                            _kv_rows,
                                            _net_benefit, _participants, _performance, _subgroup_parts, _table_one)
from rairpredict.report._card_site import (fetch_external_validations, inputs_section, site_section,
                                           updating_section)
from rairpredict.report._payload import (JUDGEMENT_STATEMENT, band_table, field_label, model_summary,
                                         stage_text, threshold_text)
from rairpredict.report._tripod import TRIPOD_AI_CITATION, checklist_rows
from rairpredict.report._words import cohort_words, outcome_words

__all__ = ["card_sections", "render_model_card", "render_model_card_html", "write_model_card",
           "log_model_card", "fetch_mlflow_run", "Section"]

# MLflow metric name fragments shown under each card item.
_METRIC_GROUPS = {
    "discrimination": ("auroc", "auprc", "c_statistic", "delong"),
    "calibration": ("cal_", "brier", "calibration", "ici", "oe_ratio", "o_e"),
    "decision curve": ("net_benefit", "nb_", "decision"),
}


def fetch_mlflow_run(run_id: str | None) -> dict:
    """Params, metrics, tags and subgroup table of an MLflow run (``{}`` if unreachable).

    Uses the current MLflow tracking URI; a missing run, store or artifact is
    tolerated, as a card must still be written from the model alone.
    """
    if not run_id:
        return {}
    try:
        from mlflow.tracking import MlflowClient

        run = MlflowClient().get_run(run_id)
    except Exception as exc:  # noqa: BLE001 - any store problem just means "no run details"
        return {"error": f"MLflow run {run_id} not available ({type(exc).__name__})"}
    out = {"params": dict(run.data.params), "metrics": dict(run.data.metrics), "tags": dict(run.data.tags)}
    try:
        import mlflow

        text = mlflow.artifacts.load_text(f"{run.info.artifact_uri.rstrip('/')}/tables/subgroups.csv")
        out["subgroups"] = pd.read_csv(io.StringIO(text))
    except Exception:  # noqa: BLE001 - the subgroup table is optional
        pass
    return out


def _metric_rows(metrics: dict, fragments) -> list[list[str]]:
    return [[k, _fmt(float(v), 4)] for k, v in sorted(metrics.items())
            if any(f in k.lower() for f in fragments)]


def _predictor_rows(model) -> list[list[str]]:
    contract = load_contract()
    rows = []
    for f in model.features:
        spec = contract[f] if f in contract else None
        rows.append([f, field_label(f), (spec.unit or "") if spec else "",
                     stage_text(spec.stage) if spec else "unknown",
                     "derived" if spec is not None and spec.derived else "recorded"])
    return rows


def card_sections(model, *, run: dict | None = None, shift: dict | None = None,
                  validations: list[dict] | None = None) -> list[Section]:
    """The card's items (no patient data); the last one is the TRIPOD+AI checklist.

    ``shift`` is the input-shift summary of a scored batch (``<OUT>.input_shift.json``);
    ``validations`` the external validations of this model (:func:`fetch_external_validations`).
    """
    meta = dict(model.metadata or {})
    s = model_summary(model)
    coh, val = s["cohort"], s["validation"]
    cohort = dict(meta.get("cohort") or {})
    dev = dict(meta.get("development") or {})
    run = run or {}
    metrics = run.get("metrics", {})
    outcome = outcome_words(model)
    horizon = f", {outcome['horizon']}" if outcome["horizon"] else ""
    synthetic = coh["synthetic"]
    sections = [
        Section("Model", [
            f"Development and internal validation of a model predicting {outcome['name']}{horizon}, in patients "
            f"with differentiated thyroid cancer at the {s['decision_point_text']} decision of 131I therapy.",
            f"Name: {s['name']}; version: {s['version'] or _NR}; trained: {s['trained_at'] or _NR}; software: "
            f"rairpredict {meta.get('package_version') or _NR}.",
            *([f"MLflow: run {meta['mlflow'].get('run_id')}, experiment {meta['mlflow'].get('experiment')}, "
               f"registered as {meta['mlflow'].get('registered_name')} version {meta['mlflow'].get('version')}."]
              if meta.get("mlflow") else []),
            *([run["error"]] if run.get("error") else []),
        ]),
        Section("Intended use", [
            s["intended_use"] or _NR, JUDGEMENT_STATEMENT,
            "Users: clinicians preparing 131I therapy, reading the risk review (one page per list of patients); "
            "they supply recorded data and need no statistical expertise; the review flags missing, "
            "implausible and unusual inputs.",
            *([f"Compared on the same folds with published scores: {', '.join(m['model'] for m in dev['models'] if m['model'] not in ('xgboost', 'logistic', 'stacked'))}."]
              if any(m["model"] not in ("xgboost", "logistic", "stacked") for m in dev.get("models", [])) else [])]),
        Section("Source of data", [
            cohort_words(coh) + (" The cohort was generated by rairpredict's simulator from the published "
                                 "figures of three source studies; it has no real patients and no centres."
                                 if synthetic else ""),
            f"Cohort identifier (provenance): {coh['name'] or _NR}."]),
        Section("Participants", *_participants(cohort, meta)),
        Section("Table 1", *_table_one(meta), answered=bool(_table_one(meta)[1])),
        Section("Outcome: definition and timing", [
            f"Outcome: {outcome['name']}" + (f", defined as {outcome['definition']}" if outcome["definition"] else "")
            + f" (label `{model.label or model.target}`).",
            f"Time horizon: {outcome['horizon'] or _NR}.",
            f"Predicted at the {s['decision_point_text']} decision; the outcome is ascertained after it, so no "
            "outcome information is an input (checked by the leakage guard at fit).",
            *_time_to_event_sentences(meta)]),
        Section("Predictors and their timing", [
            f"{len(model.features)} candidate inputs chosen from the source studies and the literature, each "
            f"available at or before the {s['decision_point_text']} stage of the data contract; no selection by "
            "their association with the outcome before modelling. Treatment before the decision (preparation, "
            "activity, earlier courses) enters as an input where listed."],
            [(["field", "description", "unit", "available at", "kind"], _predictor_rows(model))]),
        Section("Sample size and events", [
            f"Patients: {_fmt(coh['n'])}; events: {_fmt(coh['events'])}; prevalence: "
            + (f"{100 * coh['prevalence']:.1f}%" if coh["prevalence"] is not None else _NR) + "; events per "
            f"candidate input: " + (f"{coh['events'] / max(len(model.features), 1):.1f}" if coh["events"] is not None
                                   else _NR) + ".",
            "Adequacy by Riley et al. (BMJ 2020;368:m441) is checked at training; a shortfall is listed under "
            "Limitations."]),
        Section("Missing data and data quality", [meta.get("missing_data") or (
            "Missing inputs are kept as missing: XGBoost learns a default direction per split; for "
            "logistic regression they are imputed by the training median with a missing-indicator column. "
            "No patient is dropped for a missing input. Every file is validated against the data contract "
            "(types, units, ranges, plausible ranges): rows that break a rule go to a rejects file with the "
            "reason; at scoring each patient's missing, implausible and unusual inputs are flagged.")]),
        Section("Model type and tuning", [
            f"Model: {model.kind}; probability calibration: {getattr(model.calibration, 'method', _NR)}. Numbers "
            "enter as measured (trees) or standardised with missing indicators (logistic); categories are "
            "one-hot or ordinal encoded."],
            [t for t in ((["hyper-parameter", "value"], _kv_rows(meta.get("params"))),
                         (["tuning", "value"], _kv_rows(meta.get("tuning")))) if t[1]]),
        Section("Internal validation protocol", [
            val["protocol"] or _NR,
            *([f"Optimism-corrected AUROC (Harrell bootstrap): "
               f"{_fmt(meta['validation']['optimism_corrected_auroc'])}."]
              if (meta.get("validation") or {}).get("optimism_corrected_auroc") is not None else []),
            "No separate evaluation data: development and validation use the same cohort by nested "
            "cross-validation; the protocol is this text, the configuration is logged with the run."]),
        Section("Performance", *_performance(val, dev, s)),
        Section("Calibration", *_calibration(val, dev)),
        Section("Decision curve (net benefit)", *_net_benefit(dev, meta)),
        Section("Subgroup results", *_subgroup_parts(dev.get("subgroups"), run.get("subgroups"))),
        Section("Risk bands and decision threshold", [threshold_text(model)],
                [(["band", "predicted risk", "development patients", "had the outcome", "observed (95% CI)"],
                  [[b["name"], b["meaning"].removeprefix("predicted probability "),
                    _fmt(b["n"]) if b["n"] is not None else _NR, _fmt(b["events"]) if b["events"] is not None
                    else _NR, _band_observed(dev, b["name"])] for b in band_table(model)])]),
        Section("Model specification", [
            "The full model is the exported model file with its metadata (SHA-256 digest, inputs, bands, "
            f"threshold, calibration); inputs: {len(model.features)} fields listed above. "
            "Predictions in new patients: `rairpredict score`, the MLflow pyfunc, the REST server or the Spark "
            f"UDF, all of the same package (rairpredict {meta.get('package_version') or _NR}, open source)."]),
        inputs_section(model),
        updating_section(model),
        site_section(shift, validations or []),
        Section("Interpretation", _interpretation(val, dev, s)),
        Section("Limitations", (s["limitations"] or [_NR])
                + ["Next step: external validation at another centre (rairpredict evaluate), with recalibration "
                   "if needed (rairpredict recalibrate)."]),
    ]
    sections = [sec for sec in sections if sec is not None]
    if metrics:  # figures logged with the MLflow run, as logged
        rows = _metric_rows(metrics, sum(_METRIC_GROUPS.values(), ()))
        if rows:
            sections.append(Section("Figures logged with the MLflow run", [], [(["metric", "value"], rows)]))
    answered = {sec.title for sec in sections if sec.answered}
    sections.append(Section("TRIPOD+AI checklist", [f"Reporting checklist: {TRIPOD_AI_CITATION}."],
                            [(["item", "topic", "where answered"], checklist_rows(answered, synthetic=synthetic))]))
    return sections


def _time_to_event_sentences(meta: dict) -> list[str]:
    """Censoring, competing events and follow-up of a time-to-event model, in sentences (TRIPOD+AI 8a, 9)."""
    if (meta.get("outcome") or {}).get("type") != "time_to_event":
        return []
    coh = meta.get("cohort") or {}
    out = [f"Time-to-event outcome: {meta['censoring']}" if meta.get("censoring") else ""]
    if coh.get("censored") is not None:
        fu = coh.get("median_followup_years")
        out.append(f"Of {coh.get('n')} patients, {coh.get('events')} had the event and {coh['censored']} were "
                   f"censored ({coh.get('competing_events', 0)} of them at a competing event)"
                   + (f"; median follow-up {fu:.1f} years (reverse Kaplan-Meier)." if fu is not None else "."))
    return [t for t in out if t]


def _md_text(text) -> str:
    # Markdown passes raw HTML through to the renderer: metadata text must stay text.
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _md_cell(text) -> str:
    return _md_text(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _inputs(model, mlflow_run: bool, shift: dict | None) -> dict:
    """The card's inputs besides the model: its MLflow run, external validations, a batch's shift summary."""
    if not mlflow_run:
        return {"run": {}, "shift": shift, "validations": []}
    return {"run": fetch_mlflow_run((model.metadata.get("mlflow") or {}).get("run_id")), "shift": shift,
            "validations": fetch_external_validations(model)}


def _banner(shift: dict | None) -> str:
    """The shift summary's message for the top of the card when inputs are absent or shifted, else ''.

    A few rows outside the training range happen by chance; they are described in the section, not a banner.
    """
    shift = shift or {}
    return shift.get("message") or "" if shift.get("inputs_absent") or shift.get("major_shift") else ""


def render_model_card(model, *, mlflow_run: bool = True, shift: dict | None = None) -> str:
    """Markdown model card; ``mlflow_run=False`` skips the MLflow look-ups.

    ``shift``: the input-shift summary of a batch scored at a site, shown as a banner.
    """
    name = model_summary(model)["name"]
    lines = [f"# Model card: {name}", ""]
    if _banner(shift):
        lines += [f"> **Input warnings at this site.** {_md_text(_banner(shift))}", ""]
    for sec in card_sections(model, **_inputs(model, mlflow_run, shift)):
        lines += [f"## {sec.title}", ""]
        for p in sec.paragraphs:
            lines += [_md_text(p), ""]
        for header, rows in sec.tables:
            lines.append("| " + " | ".join(_md_cell(h) for h in header) + " |")
            lines.append("|" + "---|" * len(header))
            lines += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_model_card_html(model, *, mlflow_run: bool = True, shift: dict | None = None) -> str:
    """The same card as a standalone HTML page (autoescaped, no scripts)."""
    from rairpredict.report._review import _environment

    return _environment().get_template("card.html").render(
        name=model_summary(model)["name"], banner=_banner(shift),
        sections=card_sections(model, **_inputs(model, mlflow_run, shift)))


def write_model_card(model, out=None, html=None, *, mlflow_run: bool = True, shift: dict | None = None) -> list[Path]:
    """Write the Markdown card to ``out`` and/or the HTML card to ``html`` (atomically)."""
    written = []
    for path, render in ((out, render_model_card), (html, render_model_card_html)):
        if path is None:
            continue
        path = Path(path)
        with atomic_path(path) as tmp:
            tmp.write_text(render(model, mlflow_run=mlflow_run, shift=shift), encoding="utf-8")
        written.append(path)
    return written


def log_model_card(model, run_id: str) -> None:
    """Log ``model_card.md`` and ``model_card.html`` as artifacts of MLflow run ``run_id``."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    client.log_text(run_id, render_model_card(model, mlflow_run=True), "model_card.md")
    client.log_text(run_id, render_model_card_html(model, mlflow_run=True), "model_card.html")
