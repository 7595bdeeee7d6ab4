"""Tables and sentences of the model card, from the aggregates training stores with the model.

Every figure is printed with its 95 % CI (``"0.781 (0.702 to 0.860)"``); a
table is a header and rows of text, rendered as Markdown or HTML by
:mod:`rairpredict.report._card`.

Examples
--------
>>> _est({"auroc": 0.78, "auroc_lo": 0.7, "auroc_hi": 0.86}, "auroc")
'0.780 (0.700 to 0.860)'
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from rairpredict.evaluation import format_ci

_NR = "not recorded"


@dataclass
class Section:
    """One card item: a title, paragraphs and optional tables ``(header, rows)``."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[list[str], list[list[str]]]] = field(default_factory=list)
    #: False when the model lacks what the section needs (the checklist then says so)
    answered: bool = True


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


def _est(row: dict, key: str, digits: int = 3) -> str:
    """``"0.781 (0.702 to 0.860)"`` from ``row[key]``, ``row[key_lo]``, ``row[key_hi]``."""
    if row.get(key) is None or (isinstance(row[key], float) and not math.isfinite(row[key])):
        return "not estimable"
    return format_ci(row[key], row.get(f"{key}_lo"), row.get(f"{key}_hi"), digits)


def _table(records, columns: list[tuple[str, str]]) -> list[list[str]]:
    """Rows of ``records`` (dicts) for the (key, header) ``columns``; numbers formatted, CIs joined."""
    out = []
    for r in records:
        row = []
        for key, _ in columns:
            if key.endswith("+ci"):
                row.append(_est(r, key.removesuffix("+ci"), 2 if "slope" in key or "intercept" in key
                                or "oe_" in key else 3))
            else:
                v = r.get(key)
                row.append(_fmt(v, 3) if isinstance(v, float) else "" if v is None else str(v))
        out.append(row)
    return out


def _generic_table(obj) -> tuple[list[str], list[list[str]]] | None:
    """A stored table (records, ``{"columns", "rows"}`` or ``{"columns", "data"}``) as header + rows."""
    if isinstance(obj, dict) and "columns" in obj:
        rows = obj.get("rows") or obj.get("data") or []
        return [str(c) for c in obj["columns"]], [[_fmt(v, 3) if isinstance(v, float) else str(v) for v in r]
                                                  for r in rows]
    if isinstance(obj, list) and obj and isinstance(obj[0], dict):
        header = list(dict.fromkeys(k for r in obj for k in r))
        return header, [[_fmt(r.get(k), 3) if isinstance(r.get(k), float) else str(r.get(k, "")) for k in header]
                        for r in obj]
    return None


def _kv_rows(d) -> list[list[str]]:
    return [[str(k), _fmt(v, 4) if isinstance(v, float) else str(v)] for k, v in (d or {}).items()]


def _participants(cohort: dict, meta: dict):
    flow = [("rows read", cohort.get("rows_in")), ("rejected at import", cohort.get("rejected_at_import")),
            ("outside the population", cohort.get("outside_population")),
            ("outcome unknown", cohort.get("label_unknown")), ("used for development", cohort.get("rows_used")
                                                              or cohort.get("n")),
            ("with the outcome", cohort.get("events"))]
    rows = [[k, _fmt(v)] for k, v in flow if v is not None]
    paragraphs = ["Flow of patients from the source table to the development cohort (counts; no patient is "
                  "dropped silently)."]
    population = meta.get("population")
    if population:
        table = _generic_table(population)
        if table is None:
            paragraphs.append(f"Population: {population}.")
            return paragraphs, [(["step", "patients"], rows)]
        return paragraphs, [(["step", "patients"], rows), table]
    paragraphs.append("Eligibility: every patient of the cohort with a known outcome (no population rule in the "
                      "target configuration).")
    return paragraphs, [(["step", "patients"], rows)] if rows else []


def _table_one(meta: dict):
    table = _generic_table(meta.get("table_one"))
    if table is None:
        return ["Characteristics of the development cohort were not stored with this model."], []
    return ["Characteristics of the development cohort, overall and by outcome, with missing counts."], [table]


def _performance(val: dict, dev: dict, s: dict):
    paragraphs = [f"Final model: AUROC {_ci(val['auroc'], val['auroc_lo'], val['auroc_hi'])}; calibration slope "
                  f"{_ci(val['cal_slope'], val['cal_slope_lo'], val['cal_slope_hi'], 2)}; Brier score "
                  f"{_fmt(val['brier'])}. Figures are the median over repeats of pooled out-of-fold predictions."]
    if s["no_discrimination"]:
        paragraphs.append("No evidence this model ranks patients better than chance: the AUROC confidence "
                          "interval includes 0.5.")
    if val.get("oracle_ratio") is not None:
        paragraphs.append(f"On simulated patients the true risks are known: model AUROC / true-risk AUROC = "
                          f"{_fmt(val['oracle_ratio'], 3)} (ratio of raw AUROCs).")
    tables = []
    if dev.get("models"):
        tables.append((["model", "AUROC (95% CI)", "calibration slope (95% CI)", "calibration intercept (95% CI)",
                        "Brier (95% CI)", "AUPRC (95% CI)"],
                       _table(dev["models"], [("model", ""), ("auroc+ci", ""), ("cal_slope+ci", ""),
                                              ("cal_intercept+ci", ""), ("brier+ci", ""), ("auprc+ci", "")])))
    thr = dev.get("threshold") or {}
    if thr:
        rows = [[name, _fmt(r["numerator"]) + " / " + _fmt(r["denominator"]),
                 format_ci(r["estimate"], r["lo"], r["hi"], 3)]
                for name, r in thr.items() if isinstance(r, dict)]
        tables.append(([f"at threshold {_fmt(thr['threshold'], 2)}", "count", "estimate (95% CI)"], rows))
    return paragraphs, tables


def _calibration(val: dict, dev: dict):
    paragraphs = [f"Calibration slope {_ci(val['cal_slope'], val['cal_slope_lo'], val['cal_slope_hi'], 2)}; "
                  f"Brier score {_fmt(val['brier'])}."]
    if not dev.get("calibration"):
        return paragraphs, []
    paragraphs.append("Observed against predicted risk by tenths of predicted risk (out-of-fold predictions, "
                      "Wilson 95% CI):")
    return paragraphs, [(["tenth", "patients", "events", "mean predicted", "observed (95% CI)"],
                         [[str(r["bin"]), str(r["n"]), str(r["events"]), _fmt(r["mean_predicted"]),
                           format_ci(r["observed"], r["lo"], r["hi"], 3)] for r in dev["calibration"]])]


def _net_benefit(dev: dict, meta: dict):
    if not dev.get("net_benefit"):
        return [f"Decision threshold: {_fmt(meta.get('threshold'))}; net benefit was not stored with this "
                "model."], []
    return (["Net benefit (true positives minus weighted false positives, per patient) of the model against "
             "treating everyone and no one, at risk thresholds including the decision threshold; 95% CI by "
             "bootstrap."],
            [(["threshold", "model (95% CI)", "treat all", "treat none"],
              [[_fmt(r["threshold"], 2), format_ci(r["net_benefit_model"], r["net_benefit_model_lo"],
                                                   r["net_benefit_model_hi"], 4),
                _fmt(r["net_benefit_all"], 4), _fmt(r["net_benefit_none"], 4)] for r in dev["net_benefit"]])])


def _band_observed(dev: dict, name: str) -> str:
    b = next((b for b in dev.get("bands", []) if b.get("name") == name), None)
    if not b or not b.get("n"):
        return _NR if not b else "no patient"
    return format_ci(b["observed"], b["observed_lo"], b["observed_hi"], 3)


def _interpretation(val: dict, dev: dict, s: dict) -> list[str]:
    out = []
    if val.get("auroc") is not None:
        strength = ("does not discriminate" if s["no_discrimination"] else "discriminates weakly"
                    if val["auroc"] < 0.7 else "discriminates moderately" if val["auroc"] < 0.8 else
                    "discriminates well")
        out.append(f"In internal validation the model {strength} (AUROC "
                   f"{_ci(val['auroc'], val['auroc_lo'], val['auroc_hi'])}).")
    others = [m for m in dev.get("models", []) if m["model"] not in ("xgboost", "logistic", "stacked")]
    for m in others:
        out.append(f"The published score {m['model']} reaches AUROC {_est(m, 'auroc')} on the same folds.")
    if s["cohort"].get("synthetic"):
        out.append("All figures describe simulated patients: they show the method works, not that the model "
                   "helps real patients.")
    out.append("Fairness: performance by sex, age and other recorded groups is in Subgroup results; groups with "
               "too few events are marked, not hidden.")
    return out


def _subgroup_parts(stored, logged) -> tuple[list[str], list]:
    if stored:
        return (["Out-of-fold predictions of the first repeat, per subgroup (Wilson/DeLong 95% CI):"],
                [(["variable", "group", "patients", "events", "AUROC (95% CI)", "observed/expected (95% CI)",
                   "calibration intercept (95% CI)", "note"],
                  _table(stored, [("variable", ""), ("level", ""), ("n", ""), ("events", ""), ("auroc+ci", ""),
                                  ("oe_ratio+ci", ""), ("cal_intercept+ci", ""), ("note", "")]))])
    if logged is not None and len(logged):
        header = [str(c) for c in logged.columns]
        rows = [[_fmt(v, 3) if isinstance(v, float) else str(v) for v in r] for r in logged.itertuples(index=False)]
        return ["Subgroup table logged with the MLflow run:"], [(header, rows)]
    return ["Subgroup figures were not stored with this model (models trained before this version)."], []


