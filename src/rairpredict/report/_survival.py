"""The time-to-event parts of the clinician review: risk by every horizon, a survival curve, validation in words.

A survival model's risk by any time ``t`` is ``1 - exp(-H0(t) exp(lh))``, so
a patient's whole curve follows from the band-horizon risk ``p`` already in
the scores table and the model's baseline ``H0``:
``S(t) = (1 - p) ** (H0(t) / H0(band horizon))``. The review therefore needs
no extra (internal-scale) column: the curve is risks only, and the risks at
the horizons equal the ``risk_<h>y`` columns of the scores.

Validation figures come from what training stored (nested-CV, out-of-fold):
the C-index and, at each horizon, the mean predicted risk beside the
Kaplan-Meier observed risk and the calibration slope, in sentences.

Examples
--------
>>> import numpy as np
>>> from rairpredict.report._survival import curve_from_band_risk
>>> curve_from_band_risk(np.array([0.2]), np.array([0.0, 0.5, 1.0]), 1.0).round(3).tolist()
[[0.0, 0.106, 0.2]]
>>> years_text(1.5), years_text(1)
('1.5 years', '1 year')
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rairpredict.report._words import pct

__all__ = ["is_survival", "curve_from_band_risk", "survival_payload", "survival_validation", "years_text",
           "horizon_column"]

#: Points of each patient's curve (from 0 to the last horizon): smooth enough for a 300-pixel plot.
CURVE_POINTS = 61


def is_survival(model) -> bool:
    """True for a time-to-event model (risk by a horizon, baseline hazard)."""
    return getattr(model, "outcome_type", "") == "time_to_event" and hasattr(model, "recalibration")


def years_text(h: float) -> str:
    """``3.0`` -> ``"3 years"``."""
    return f"{float(h):g} year" + ("" if float(h) == 1 else "s")


def horizon_column(h: float) -> str:
    """Scores column of the risk by ``h`` years (as :meth:`SurvivalModel.predict_risk_horizons` names it)."""
    return f"risk_{float(h):g}y"


def curve_from_band_risk(band_risk, times, band_horizon: float, baseline=None) -> np.ndarray:
    """Risk by each of ``times`` for each patient, from the band-horizon risk (shape ``(n, len(times))``).

    ``baseline``: a callable ``H0(t)``; default the identity of ``t`` (for the
    example: constant hazard). Risk 1 stays 1 wherever ``H0 > 0``.
    """
    times = np.asarray(times, dtype=float)
    h0 = (lambda t: np.asarray(t, float)) if baseline is None else baseline
    ref = float(np.asarray(h0([band_horizon]), float).ravel()[0])
    p = np.clip(np.asarray(band_risk, dtype=float), 0.0, 1.0)
    if ref <= 0:  # no event before the band horizon in development: no hazard to scale
        return np.zeros((len(p), len(times)))
    ratio = np.asarray(h0(times), float).ravel() / ref
    with np.errstate(divide="ignore", invalid="ignore"):  # risk 1 at time 0: -inf * 0
        log_s = np.log1p(-p)[:, None] * ratio[None, :]
    return 1.0 - np.exp(np.where(np.isnan(log_s), 0.0, log_s))


def _grid(model) -> np.ndarray:
    last = max(float(h) for h in model.horizons)
    return np.unique(np.concatenate([np.linspace(0.0, last, CURVE_POINTS), [float(h) for h in model.horizons]]))


def survival_payload(scores: pd.DataFrame, model, proba: np.ndarray) -> tuple[dict, list[dict]]:
    """(cohort-level facts, per-patient ``{"horizon_risks", "curve"}``) for the review.

    Horizon risks are read from the scores' ``risk_<h>y`` columns when
    present, else computed from the band-horizon risk (the same numbers).
    """
    times = _grid(model)
    curves = curve_from_band_risk(proba, times, model.band_horizon, model.recalibration.baseline)
    horizons = [float(h) for h in model.horizons]
    at = np.searchsorted(times, horizons)
    risks = np.column_stack([
        pd.to_numeric(scores[horizon_column(h)], errors="coerce").to_numpy(float)
        if horizon_column(h) in scores.columns else curves[:, at[j]] for j, h in enumerate(horizons)]) \
        if horizons else np.zeros((len(proba), 0))
    risks = np.where(np.isfinite(risks), risks, curves[:, at])
    per_patient = [{"horizon_risks": [round(float(v), 6) for v in risks[i]],
                    "curve": [round(float(v), 5) for v in curves[i]]} for i in range(len(proba))]
    facts = {"times": [round(float(t), 4) for t in times],
             "horizons": [{"years": h, "label": years_text(h), "band": h == float(model.band_horizon)}
                          for h in horizons],
             "band_horizon": float(model.band_horizon), "band_horizon_label": years_text(model.band_horizon),
             "cuts": [float(c) for c in model.bands]}
    return facts, per_patient


def _fig(figures: dict, key: str):
    v = figures.get(key)
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _ci(figures, key, digits=2) -> str:
    v, lo, hi = _fig(figures, key), _fig(figures, f"{key}_lo"), _fig(figures, f"{key}_hi")
    if v is None:
        return ""
    text = f"{v:.{digits}f}"
    return text + (f" (95% CI {lo:.{digits}f} to {hi:.{digits}f})" if lo is not None and hi is not None else "")


def protocol_text(protocol) -> str:
    """The survival validation protocol (a dict in the metadata) in one sentence, without seeds."""
    if not isinstance(protocol, dict) or not protocol:
        return str(protocol or "")
    text = (f"nested cross-validation: {protocol.get('repeats')} x {protocol.get('outer_folds')}-fold outer, "
            f"{protocol.get('inner_folds')}-fold inner (tuning and recalibration inside each training fold only); "
            "every figure is from patients the model had not seen")
    return text + ("; a patient's courses are kept in the same fold" if protocol.get("grouped_by_patient") else "")


def survival_validation(model) -> dict:
    """The validated performance of a survival model in words (from ``metadata["validation"]``)."""
    val = dict((model.metadata or {}).get("validation") or {})
    figures = dict(val.get("figures") or {})
    c = _ci(figures, "c_harrell")
    out = {"c_index": _fig(figures, "c_harrell"), "c_index_lo": _fig(figures, "c_harrell_lo"),
           "c_index_hi": _fig(figures, "c_harrell_hi"),
           "c_index_text": (f"{c}: the chance that, of two patients, the one who had the event first was given "
                            "the higher risk; 0.5 is chance, 1 is perfect") if c else "",
           "protocol": protocol_text(val.get("protocol")), "horizons": []}
    for h in model.horizons:
        s = f"{float(h):g}y"
        predicted, observed = _fig(figures, f"expected_risk_{s}"), _fig(figures, f"observed_risk_{s}")
        row = {"years": float(h), "label": years_text(h), "predicted": predicted, "observed": observed,
               "oe": _fig(figures, f"oe_{s}"), "slope": _fig(figures, f"cal_slope_{s}"),
               "auc": _fig(figures, f"auc_{s}")}
        if predicted is None or observed is None:
            text = "too few events in the development cohort to check the risks at this time"
        else:
            text = (f"the model predicted {pct(predicted, 1)} on average and "
                    f"{pct(observed, 1)} had the event (Kaplan-Meier estimate, which counts patients followed for "
                    "a shorter time without treating them as event-free)")
            oe = _ci(figures, f"oe_{s}")
            if oe:
                text += f"; observed/expected {oe}, 1 is perfect"
            slope = _ci(figures, f"cal_slope_{s}")
            if slope:
                text += f"; calibration slope {slope}, 1 means risks neither too extreme nor too timid"
            auc = _ci(figures, f"auc_{s}")
            if auc:
                text += f"; separates who had the event by then from who did not with an AUC of {auc}"
        row["detail"] = text[0].upper() + text[1:] + "."
        row["text"] = f"By {years_text(h)}: {text}."
        out["horizons"].append(row)
    return out
