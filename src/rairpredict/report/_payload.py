"""The data behind the clinician risk review, as plain JSON-ready Python objects.

:func:`review_payload` turns a scores table (the output of ``rairpredict
score``) and the :class:`~rairpredict.models.risk_model.RiskModel` into one
dict: the model panel, the risk bands, and one record per patient with its
probability, band, plain-language reasons, inputs and published scores. The
HTML template only displays it; every string in it is *data* and is shown by
the browser as text.
"""
from __future__ import annotations

import math
import re
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from rairpredict import __version__
from rairpredict.cohort.contract import load_contract
from rairpredict.errors import ContractError
from rairpredict.report._survival import is_survival, survival_payload, survival_validation, years_text
from rairpredict.report._words import (category_text, cohort_words, count_of, input_warning_text, outcome_words,
                                       patients, pct, plain, reason_sentence)

__all__ = ["review_payload", "model_summary", "field_label", "stage_text", "band_table", "INPUT_PREFIX",
           "JUDGEMENT_STATEMENT", "canonical_inputs"]

INPUT_PREFIX = "input__"
JUDGEMENT_STATEMENT = ("This model supports, and does not replace, clinical judgement: "
                       "it estimates a probability from the recorded inputs only.")
_REQUIRED = ("patient_id", "probability", "risk_band")
_REASON = re.compile(r"^reason_(\d+)_feature$")
# Filters offered in the cohort view when the scores carry these inputs.
FILTER_FIELDS = ("histology", "preparation")
# Band colours from lowest to highest risk (colour is never the only cue: names are shown).
_PALETTES = {
    1: ["#455a64"],
    2: ["#2e7d32", "#c62828"],
    3: ["#2e7d32", "#b26a00", "#c62828"],
    4: ["#2e7d32", "#8d7a00", "#d35400", "#c62828"],
    5: ["#2e7d32", "#6d8b00", "#b26a00", "#d35400", "#c62828"],
}
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


def field_label(name: str) -> str:
    """Short plain-language label of a canonical field, from its contract description.

    >>> field_label("tsh_stim_mu_l")
    'Stimulated TSH on the day of 131I'
    >>> field_label("ln_ratio")
    'Lymph nodes with metastasis / Lymph nodes examined'
    >>> field_label("not_a_field")
    'not a field'
    """
    contract = load_contract()
    if name not in contract or not contract[name].description:
        return name.replace("_", " ")
    text = re.sub(r"\s*\([^)]*\)\s*", " ", contract[name].description)
    text = re.sub(r"\s+([,.;])", r"\1", " ".join(text.split()))
    text = re.split(r";|\.\s|\.$", text, maxsplit=1)[0].strip()
    # Derived fields are described by a formula of other fields: name those in words.
    return re.sub(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b",
                  lambda m: field_label(m.group(0)) if m.group(0) in contract and m.group(0) != name
                  else m.group(0), text)


def stage_text(stage: str) -> str:
    """Care stage in words: ``"pre_therapy"`` -> ``"pre-therapy"``.

    >>> stage_text("post_therapy_scan")
    'post-therapy scan'
    """
    return stage.replace("_therapy", "-therapy").replace("_", " ")


def _extras(model) -> dict:
    """A cohort config's extra fields the model reads (name -> stored description, unit)."""
    return {f["name"]: f for f in ((getattr(model, "metadata", None) or {}).get("extra_fields") or [])
            if isinstance(f, dict) and not f.get("lacking")}


def _label_of(name: str, extras: dict) -> str:
    """An extra field's own description (its first sentence), else :func:`field_label`."""
    text = str((extras.get(name) or {}).get("description") or "").strip()
    return re.split(r";|\.\s|\.$", text, maxsplit=1)[0].strip() if text else field_label(name)


def _unit_of(name: str, extras: dict) -> str:
    return str((extras.get(name) or {}).get("unit") or "") or _unit(name)


def _unit(name: str) -> str:
    contract = load_contract()
    return (contract[name].unit or "") if name in contract else ""


def _clean(value):
    """JSON-safe scalar: NaN/NA -> None, numpy -> Python."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.generic,)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _num(value) -> float | None:
    value = _clean(value)
    if value is None or value == "":
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def format_value(value) -> str:
    """Display text of one input value (bools as yes/no, categories without underscores).

    >>> format_value(114.0), format_value("4.694077"), format_value(True), format_value("papillary_tall_cell")
    ('114', '4.694', 'yes', 'papillary, tall cell')
    """
    value = _clean(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return f"{value:.4g}" if isinstance(value, float) else str(value)
    text = str(value).strip()
    if text.lower() in ("true", "false"):
        return "yes" if text.lower() == "true" else "no"
    if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        return f"{float(text):.4g}"
    return category_text(text)


def _split_list(value) -> list[str]:
    value = _clean(value)
    if value is None:
        return []
    return [v.strip() for v in str(value).split(";") if v.strip()]


def _pct(x: float) -> str:
    return f"{100 * x:.3g}%"


def band_table(model) -> list[dict]:
    """One dict per risk band: name, probability range [lo, hi), colour, meaning, development counts.

    ``observed`` says what the band meant in the development cohort ("in the
    development cohort, N of M patients in this band had the outcome"), from
    the out-of-fold counts training stores in ``metadata["development"]``.
    """
    meta = model.metadata or {}
    # a survival model's development facts are by its band horizon (Kaplan-Meier), stored under their own key
    dev_all = meta.get("survival_development") if is_survival(model) else meta.get("development")
    stored = {b.get("name"): b for b in (dev_all or {}).get("bands", [])}
    names, cuts = list(model.band_names), [float(c) for c in model.bands]
    colours = _PALETTES.get(len(names)) or [_PALETTES[5][min(4, round(4 * i / max(len(names) - 1, 1)))]
                                            for i in range(len(names))]
    edges = [0.0, *cuts, 1.0]
    # a survival model's bands are on its risk by one horizon: say which
    what = f"predicted risk by {years_text(model.band_horizon)}" if is_survival(model) else "predicted probability"
    out = []
    for i, name in enumerate(names):
        lo, hi = edges[i], edges[i + 1]
        if i == 0:
            meaning = f"{what} below {_pct(hi)}"
        elif i == len(names) - 1:
            meaning = f"{what} {_pct(lo)} or more"
        else:
            meaning = f"{what} from {_pct(lo)} to below {_pct(hi)}"
        dev = stored.get(str(name))
        if dev is not None and dev.get("observed_risk") is not None:  # censored follow-up: Kaplan-Meier
            observed = (f"In the development cohort, {pct(dev['observed_risk'], 1)} of the {patients(dev['n'])} in "
                        f"this band had the outcome by {years_text(model.band_horizon)} (Kaplan-Meier estimate)."
                        if dev["n"] else "No patient of the development cohort fell in this band.")
        elif dev is not None and dev.get("n") is not None:
            observed = (f"In the development cohort, {count_of(dev['events'], dev['n'])} in this band had the "
                        "outcome." if dev["n"] else "No patient of the development cohort fell in this band.")
        else:
            observed = "How many patients in this band had the outcome was not stored with this model."
        out.append({"name": str(name), "lo": lo, "hi": hi, "colour": colours[i], "meaning": meaning,
                    "n": None if dev is None else dev.get("n"), "events": None if dev is None else dev.get("events"),
                    "observed": observed})
    return out


def threshold_text(model) -> str:
    """The decision threshold and what it did in the development cohort, in sentences."""
    meta = dict(model.metadata or {})
    t = meta.get("threshold")
    if t is None:
        return "No decision threshold is stored with this model."
    text = (f"The decision threshold is {pct(t)}: a patient at or above it is flagged for a closer look. "
            "It was fixed in the model's configuration before validation.")
    dev = ((meta.get("development") or {}).get("threshold") or {})
    sens, ppv = dev.get("sensitivity"), dev.get("ppv")
    if sens and ppv:
        text += (f" In the development cohort, the model flagged {sens['numerator']:,} of the "
                 f"{patients(sens['denominator'])} who had the outcome (sensitivity {pct(sens['estimate'])}, "
                 f"95% CI {pct(sens['lo'])} to {pct(sens['hi'])}); of the {patients(ppv['denominator'])} flagged, "
                 f"{ppv['numerator']:,} had the outcome ({pct(ppv['estimate'])}, 95% CI {pct(ppv['lo'])} to "
                 f"{pct(ppv['hi'])}).")
    return text


def model_summary(model) -> dict:
    """Model panel facts from the model and its metadata (missing items become None)."""
    meta = dict(model.metadata or {})
    cohort = dict(meta.get("cohort") or {})
    val = dict(meta.get("validation") or {})
    outcome = outcome_words(model)
    return {
        "name": meta.get("name") or model.target or "risk model",
        "version": _clean(meta.get("version")),
        "trained_at": _clean(meta.get("trained_at")),
        "description": meta.get("description"),
        "target": model.target,
        "outcome": outcome["name"],
        "outcome_definition": outcome["definition"],
        "horizon": outcome["horizon"],
        "cohort_text": cohort_words(cohort),
        "base_rate": cohort.get("prevalence"),
        "threshold": _clean(meta.get("threshold")),
        "threshold_text": threshold_text(model),
        "calibration": list(((meta.get("survival_development" if is_survival(model) else "development") or {})
                             .get("calibration")) or []),
        "decision_point": model.decision_point,
        "decision_point_text": stage_text(model.decision_point),
        "kind": model.kind,
        "intended_use": meta.get("intended_use"),
        "features": [{"field": f, "label": _label_of(f, _extras(model)), "unit": _unit_of(f, _extras(model))}
                     for f in model.features],
        "no_discrimination": (val.get("auroc_lo") is not None and float(val["auroc_lo"]) <= 0.5),
        "survival": survival_validation(model) if is_survival(model) else None,
        "cohort": {k: _clean(cohort.get(k)) for k in ("name", "synthetic", "n", "events", "prevalence")},
        "validation": {k: _clean(val.get(k)) for k in (
            "protocol", "auroc", "auroc_lo", "auroc_hi", "cal_slope", "cal_slope_lo",
            "cal_slope_hi", "brier", "oracle_ratio")},
        "limitations": [str(x) for x in (meta.get("limitations") or [])],
        "statement": JUDGEMENT_STATEMENT,
    }


def canonical_inputs(scores: pd.DataFrame) -> pd.DataFrame:
    """The ``input__<field>`` columns as a canonical table with contract dtypes.

    Scores read back from CSV are text; published scores need numbers, booleans
    and category labels, so values are coerced here (unparseable -> missing).
    """
    contract = load_contract()
    out = {}
    for col in scores.columns:
        if not col.startswith(INPUT_PREFIX):
            continue
        name, s = col[len(INPUT_PREFIX):], scores[col]
        dtype = contract[name].dtype if name in contract else "string"
        if dtype in ("float", "int"):
            out[name] = pd.to_numeric(s.replace("", np.nan), errors="coerce").astype(float)
        elif dtype == "bool":
            text = s.astype(object).where(s.notna(), None).map(
                lambda v: None if v is None else str(v).strip().lower())
            out[name] = pd.array([True if v in _TRUE else False if v in _FALSE else pd.NA for v in text],
                                 dtype="boolean")
        else:
            out[name] = s.astype(object).where(s.notna() & (s.astype(str) != ""), None)
    return pd.DataFrame(out, index=scores.index)


def _published(inputs: pd.DataFrame, decision_point: str) -> list[tuple[dict, pd.Series | None]]:
    """(description, points per row or None) for each published score."""
    try:
        from rairpredict.models.published_scores import PUBLISHED_SCORES
    except ImportError:  # pragma: no cover - sibling module always present once merged
        return []
    out = []
    for key, cls in PUBLISHED_SCORES.items():
        score = cls()
        info = {"key": key, "name": score.name, "citation": score.citation,
                "original_points": bool(score.is_original_points),
                "published_cutoff": _clean(score.published_cutoff), "note": None,
                "required": list(score.required_inputs)}
        absent = [f for f in score.required_inputs if f not in inputs.columns
                  and not (f == "ln_ratio" and "ln_examined" in inputs.columns)]
        points = None
        if absent:
            info["note"] = "not computable: the scores table has no " + ", ".join(absent)
            late = score.unavailable_reason(decision_point)
            if late:
                info["note"] = f"not computable at this decision point ({late})"
        else:
            try:
                points = score.points(inputs)
            except (ContractError, KeyError, TypeError, ValueError) as exc:
                info["note"] = f"not computable: {exc}"
        out.append((info, points))
    return out


def _reason_indices(columns) -> list[int]:
    return sorted(int(m.group(1)) for c in columns if (m := _REASON.match(str(c))))


def _check(scores: pd.DataFrame) -> np.ndarray:
    absent = [c for c in _REQUIRED if c not in scores.columns]
    if absent:
        raise ContractError(f"scores table: column {absent[0]!r} missing (expected the output of "
                            "`rairpredict score`)")
    raw = scores["probability"]
    proba = pd.to_numeric(raw.replace("", np.nan) if raw.dtype == object else raw, errors="coerce")
    bad = proba.isna() | (proba < 0) | (proba > 1)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ContractError(f"scores table: column 'probability', row {row + 1}: "
                            "not a probability in [0, 1]")
    return proba.to_numpy(dtype=float)


def _reasons(scores: pd.DataFrame, idx: list[int], extras: dict | None = None) -> list[list[dict]]:
    extras = extras or {}
    cols = {}
    for i in idx:
        for part in ("feature", "value", "unit", "log_odds", "direction", "prob_change"):  # column names
            name = f"reason_{i}_{part}"
            if part == "log_odds" and name not in scores.columns:
                name = f"reason_{i}_log_hazard"  # a survival model's contributions (scoring names them so)
            cols[(i, part)] = scores[name].tolist() if name in scores.columns else [None] * len(scores)
    out = []
    for r in range(len(scores)):
        items = []
        for i in idx:
            feature = _clean(cols[(i, "feature")][r])
            if feature in (None, ""):
                continue
            feature = str(feature)
            unit = _clean(cols[(i, "unit")][r]) or _unit_of(feature, extras)
            label = _label_of(feature, extras)
            value = format_value(cols[(i, "value")][r])
            direction = str(_clean(cols[(i, "direction")][r]) or "")
            shown = f"{value} {unit}".strip() if value else "missing"
            change = _num(cols[(i, "prob_change")][r])
            items.append({
                "feature": feature, "label": label, "value": value, "unit": unit,
                # additive contributions on the model's internal scale: only bar lengths, never shown as numbers
                "weight": _num(cols[(i, "log_odds")][r]), "prob_change": change,
                "direction": direction, "short": f"{label}: {shown}",
                "text": reason_sentence(label, value, unit, direction, change),
            })
        out.append(items)
    return out


def review_payload(scores: pd.DataFrame, model, *, title: str | None = None) -> dict:
    """Everything the review shows, as JSON-ready objects (no HTML).

    Parameters
    ----------
    scores : DataFrame
        Output of ``rairpredict score``: ``patient_id``, ``probability``,
        ``risk_band``, optional ``reason_{i}_*``, ``missing_inputs``,
        ``implausible_inputs`` and ``input__<field>`` columns.
    model : RiskModel
        The model that produced the scores (for bands and the model panel).
    title : str, optional
        Page title; default from the model name.

    Returns
    -------
    dict
        ``title, generated, model, bands, filters, columns, patients``.
    """
    proba = _check(scores)
    scores = scores.reset_index(drop=True)
    bands = band_table(model)
    summary = model_summary(model)
    survival, curves = survival_payload(scores, model, proba) if is_survival(model) else (None, None)
    if survival is not None:
        c_lo = summary["survival"]["c_index_lo"]
        summary["no_discrimination"] = c_lo is not None and c_lo <= 0.5
    inputs = canonical_inputs(scores)
    input_fields = list(dict.fromkeys([f for f in model.features if f in inputs.columns]
                                      + list(inputs.columns)))
    lacking = {f["name"] for f in ((model.metadata or {}).get("extra_fields") or [])
               if isinstance(f, dict) and f.get("lacking")}
    # a cohort that declares the thyroid fields it requires absent is of another disease: the published
    # (thyroid) scores do not apply to it
    published = [] if lacking else _published(inputs, model.decision_point)
    required = {info["key"]: info.pop("required") for info, _ in published}
    extras = _extras(model)
    reasons = _reasons(scores, _reason_indices(scores.columns), extras)
    raw_inputs = {f: scores[INPUT_PREFIX + f].tolist() for f in input_fields}
    missing = scores["missing_inputs"].tolist() if "missing_inputs" in scores else [None] * len(scores)
    shift = scores["input_warnings"].tolist() if "input_warnings" in scores else [None] * len(scores)
    implausible = scores["implausible_inputs"].tolist() if "implausible_inputs" in scores else [None] * len(scores)
    filters = [f for f in FILTER_FIELDS if f in inputs.columns]

    patients_ = []
    for r in range(len(scores)):
        miss, impl = _split_list(missing[r]), _split_list(implausible[r])
        rows = []
        for f in input_fields:
            value = format_value(raw_inputs[f][r])
            rows.append({"field": f, "label": _label_of(f, extras), "value": value, "unit": _unit_of(f, extras),
                         "missing": f in miss or value == "", "implausible": f in impl})
        pub = []
        for info, points in published:
            item = dict(info)
            if points is not None:
                pts = _num(points.iloc[r])
                item["points"] = pts
                if pts is None:
                    absent = [field_label(f) for f in required[info["key"]]
                              if f in inputs.columns and pd.isna(inputs[f].iloc[r])]
                    item["note"] = "not computable: missing " + (", ".join(absent) or "an input")
            item["note"] = plain(item["note"], field_label) if item.get("note") else item.get("note")
            pub.append(item)
        patients_.append({
            "id": "" if _clean(scores.at[r, "patient_id"]) is None else str(scores.at[r, "patient_id"]),
            "p": float(proba[r]),
            "band": str(_clean(scores.at[r, "risk_band"]) or ""),
            "reasons": reasons[r],
            "missing": [{"field": f, "label": _label_of(f, extras)} for f in miss],
            "implausible": [{"field": f, "label": _label_of(f, extras)} for f in impl],
            "warnings": input_warning_text(_clean(shift[r]), field_label),
            "inputs": rows,
            "filters": {f: format_value(inputs[f].iloc[r]) for f in filters},
            "published": pub,
            **(curves[r] if curves is not None else {}),
        })
    meta = model.metadata or {}
    banner = []
    if summary["cohort"].get("synthetic"):
        banner.append("Synthetic data: this model was developed and validated on simulated patients. It is for "
                      "demonstration and testing, not for clinical decisions.")
    if summary["no_discrimination"]:
        banner.append("No evidence this model ranks patients better than chance: the confidence interval of its "
                      "validated discrimination includes chance level.")
    counts = {"missing": sum(bool(p["missing"]) for p in patients_),
              "implausible": sum(bool(p["implausible"]) for p in patients_),
              "warnings": sum(bool(p["warnings"]) for p in patients_)}
    if counts["missing"]:
        banner.append(f"{patients(counts['missing'])} with missing inputs: the model used its default for them.")
    if counts["implausible"]:
        banner.append(f"{patients(counts['implausible'])} with implausible values: please check the record.")
    if counts["warnings"]:
        banner.append(f"{patients(counts['warnings'])} with inputs unlike the development cohort "
                      "(out of range, unseen category or outside its population): their risk is less certain.")
    return {
        "title": title or f"Risk review — {summary['outcome']}",
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "software": f"rairpredict {__version__}",
        "model": summary,
        "model_name": str(meta.get("name") or ""),
        "bands": bands,
        "filters": [{"field": f, "label": field_label(f), "short": f.replace("_", " ").capitalize()}
                    for f in filters],
        "banner": banner,
        "survival": survival,
        "patients": patients_,
    }
