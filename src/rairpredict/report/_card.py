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
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from rairpredict.cohort.contract import load_contract
from rairpredict.cohort.io import atomic_path
from rairpredict.report._payload import (JUDGEMENT_STATEMENT, band_table, field_label, model_summary,
                                         stage_text)

__all__ = ["card_sections", "render_model_card", "render_model_card_html", "write_model_card",
           "log_model_card", "fetch_mlflow_run", "Section"]

_NR = "not recorded"
# MLflow metric name fragments shown under each card item.
_METRIC_GROUPS = {
    "discrimination": ("auroc", "auprc", "c_statistic", "delong"),
    "calibration": ("cal_", "brier", "calibration", "ici", "oe_ratio", "o_e"),
    "decision curve": ("net_benefit", "nb_", "decision"),
}


@dataclass
class Section:
    """One card item: a title, paragraphs and optional tables ``(header, rows)``."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[list[str], list[list[str]]]] = field(default_factory=list)


def _fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return _NR
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _ci(est, lo, hi, digits: int = 3) -> str:
    if est is None:
        return _NR
    text = _fmt(float(est), digits)
    if lo is not None and hi is not None:
        text += f" (95% CI {_fmt(float(lo), digits)} to {_fmt(float(hi), digits)})"
    return text


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


def card_sections(model, *, run: dict | None = None) -> list[Section]:
    """The card's items in TRIPOD+AI order (no patient data)."""
    meta = dict(model.metadata or {})
    s = model_summary(model)
    coh, val = s["cohort"], s["validation"]
    run = run or {}
    metrics = run.get("metrics", {})
    sections = [
        Section("Model", [
            f"Name: {s['name']}; version: {s['version'] or _NR}; trained: {s['trained_at'] or _NR}.",
            f"Model type: {model.kind}; calibration: {getattr(model.calibration, 'method', _NR)}.",
            *([f"MLflow: run {meta['mlflow'].get('run_id')}, experiment {meta['mlflow'].get('experiment')}, "
               f"registered as {meta['mlflow'].get('registered_name')} version {meta['mlflow'].get('version')}."]
              if meta.get("mlflow") else []),
            *([run["error"]] if run.get("error") else []),
        ]),
        Section("Intended use", [s["intended_use"] or _NR, JUDGEMENT_STATEMENT]),
        Section("Source of data", [
            f"Cohort: {coh['name'] or _NR}; "
            + ("synthetic (simulated patients)" if coh["synthetic"] else
               "real patients" if coh["synthetic"] is not None else "data source " + _NR) + "."]),
        Section("Outcome: definition and timing", [
            f"Outcome: {s['outcome']} (label column `{model.label or model.target}`).",
            f"Predicted at the {s['decision_point_text']} decision point; the outcome is ascertained "
            "after it (at the post-therapy scan or at follow-up), so no outcome information is an input."]),
        Section("Predictors and their timing", [
            f"{len(model.features)} candidate inputs, each available at or before the "
            f"{s['decision_point_text']} stage of the contract (checked by the leakage guard at fit)."],
            [(["field", "description", "unit", "available at", "kind"], _predictor_rows(model))]),
        Section("Sample size and events", [
            f"Patients: {_fmt(coh['n'])}; events: {_fmt(coh['events'])}; prevalence: "
            + (f"{100 * coh['prevalence']:.1f}%" if coh["prevalence"] is not None else _NR) + "."]),
        Section("Missing data handling", [meta.get("missing_data") or (
            "Missing inputs are kept as missing: XGBoost learns a default direction per split; for "
            "logistic regression they are imputed by the training median with a missing-indicator column. "
            "No patient is dropped for a missing input; the review flags each patient's missing and "
            "implausible inputs.")]),
        Section("Model type and tuning", [
            f"{model.kind}; hyper-parameters: {meta.get('params') or _NR}.",
            f"Tuning: {meta.get('tuning') or _NR}."]),
        Section("Internal validation protocol", [val["protocol"] or _NR]),
        Section("Discrimination", [
            f"AUROC {_ci(val['auroc'], val['auroc_lo'], val['auroc_hi'])}.",
            *([f"Oracle ratio (AUROC relative to the simulator's true risks): {_fmt(val['oracle_ratio'], 2)}."]
              if val["oracle_ratio"] is not None else [])],
            [(["metric", "value"], rows)] if (rows := _metric_rows(metrics, _METRIC_GROUPS["discrimination"]))
            else []),
        Section("Calibration", [
            f"Calibration slope {_ci(val['cal_slope'], val['cal_slope_lo'], val['cal_slope_hi'], 2)}; "
            f"Brier score {_fmt(val['brier'])}."],
            [(["metric", "value"], rows)] if (rows := _metric_rows(metrics, _METRIC_GROUPS["calibration"]))
            else []),
        Section("Decision curve", [
            f"Decision threshold used in validation: {_fmt(meta.get('threshold'))}."
            + (" The decision-curve plot is logged with the MLflow run (plots/decision_curve.png)."
               if meta.get("mlflow") else "")],
            [(["metric", "value"], rows)] if (rows := _metric_rows(metrics, _METRIC_GROUPS["decision curve"]))
            else []),
        Section("Subgroup results", *_subgroup_parts(run.get("subgroups"))),
        Section("Risk bands", [f"{b['name']}: {b['meaning']}." for b in band_table(model)]),
        Section("Limitations", s["limitations"] or [_NR]),
    ]
    return sections


def _subgroup_parts(table) -> tuple[list[str], list]:
    if table is None or len(table) == 0:
        return [f"{_NR} (logged with the MLflow run when available)."], []
    header = [str(c) for c in table.columns]
    rows = [[_fmt(v, 3) if isinstance(v, float) else str(v) for v in r] for r in table.itertuples(index=False)]
    return [], [(header, rows)]


def _md_text(text) -> str:
    # Markdown passes raw HTML through to the renderer: metadata text must stay text.
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _md_cell(text) -> str:
    return _md_text(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_model_card(model, *, mlflow_run: bool = True) -> str:
    """Markdown model card; ``mlflow_run=False`` skips the MLflow look-up."""
    run = fetch_mlflow_run((model.metadata.get("mlflow") or {}).get("run_id")) if mlflow_run else {}
    name = model_summary(model)["name"]
    lines = [f"# Model card: {name}", ""]
    for sec in card_sections(model, run=run):
        lines += [f"## {sec.title}", ""]
        for p in sec.paragraphs:
            lines += [_md_text(p), ""]
        for header, rows in sec.tables:
            lines.append("| " + " | ".join(_md_cell(h) for h in header) + " |")
            lines.append("|" + "---|" * len(header))
            lines += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_model_card_html(model, *, mlflow_run: bool = True) -> str:
    """The same card as a standalone HTML page (autoescaped, no scripts)."""
    from rairpredict.report._review import _environment

    run = fetch_mlflow_run((model.metadata.get("mlflow") or {}).get("run_id")) if mlflow_run else {}
    return _environment().get_template("card.html").render(
        name=model_summary(model)["name"], sections=card_sections(model, run=run))


def write_model_card(model, out=None, html=None, *, mlflow_run: bool = True) -> list[Path]:
    """Write the Markdown card to ``out`` and/or the HTML card to ``html`` (atomically)."""
    written = []
    for path, render in ((out, render_model_card), (html, render_model_card_html)):
        if path is None:
            continue
        path = Path(path)
        with atomic_path(path) as tmp:
            tmp.write_text(render(model, mlflow_run=mlflow_run), encoding="utf-8")
        written.append(path)
    return written


def log_model_card(model, run_id: str) -> None:
    """Log ``model_card.md`` and ``model_card.html`` as artifacts of MLflow run ``run_id``."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    client.log_text(run_id, render_model_card(model, mlflow_run=True), "model_card.md")
    client.log_text(run_id, render_model_card_html(model, mlflow_run=True), "model_card.html")
