"""What the development cohort says about the final model, kept with the model.

The review and the model card must work from the model file alone (installed
from a wheel, no MLflow store at hand), so training stores these aggregates in
``model.metadata["development"]`` (counts and rates only, never patient rows):

* ``bands``: per risk band, how many development patients fell in it and how
  many of them had the outcome ("in the development cohort, N of M patients in
  this band had the outcome"), with a Wilson CI;
* ``calibration``: observed against predicted risk by tenths of predicted risk;
* ``threshold``: sensitivity, specificity, PPV, NPV at the decision threshold;
* ``net_benefit``: net benefit of the model, of treating all and of treating
  none at a few thresholds including the decision threshold;
* ``subgroups``: n, events, AUROC, O/E ratio and calibration-in-the-large
  per subgroup;
* ``models``: every validated model and published score with AUROC,
  calibration slope and Brier score (median over repeats, 95 % CIs).

All figures come from the nested cross-validation's *out-of-fold*
predictions of the final model kind: each patient's prediction is the mean of
its out-of-fold predictions over the repeats, so each patient counts once and
no prediction was made by a model that saw that patient.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> p = rng.uniform(0, 0.5, (2, 300)); y = rng.binomial(1, p[0])
>>> d = development_summary(y, p, bands=[0.1, 0.3], band_names=["low", "mid", "high"], threshold=0.2)
>>> [b["name"] for b in d["bands"]], sum(b["n"] for b in d["bands"])
(['low', 'mid', 'high'], 300)
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from rairpredict.evaluation import calibration_deciles, decision_curve, threshold_metrics, wilson_ci

__all__ = ["development_summary", "NET_BENEFIT_THRESHOLDS"]

#: Thresholds at which net benefit is tabulated (the decision threshold is added).
NET_BENEFIT_THRESHOLDS = (0.05, 0.1, 0.2, 0.3, 0.5)


def _records(frame: pd.DataFrame) -> list[dict]:
    """JSON-ready records: NaN -> None, numpy -> Python."""
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({str(k): (None if isinstance(v, float) and not np.isfinite(v) else
                             v.item() if isinstance(v, np.generic) else v) for k, v in row.items()})
    return out


def band_counts(y, p, bands, band_names) -> list[dict]:
    """Patients and events per band ``[lo, hi)`` of predicted risk, with the observed rate's Wilson CI."""
    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)
    edges = [0.0, *[float(c) for c in bands], 1.0]
    idx = np.clip(np.searchsorted(np.asarray(edges[1:-1]), p, side="right"), 0, len(band_names) - 1)
    rows = []
    for i, name in enumerate(band_names):
        mask = idx == i
        n, events = int(mask.sum()), int(y[mask].sum())
        ci = wilson_ci(events, n) if n else None
        rows.append({"name": str(name), "lo": edges[i], "hi": edges[i + 1], "n": n, "events": events,
                     "observed": ci.estimate if ci else None, "observed_lo": ci.lo if ci else None,
                     "observed_hi": ci.hi if ci else None})
    return rows


def development_summary(y, oof, *, bands, band_names, threshold: float, subgroups: pd.DataFrame | None = None,
                        metrics: pd.DataFrame | None = None, seed: int = 0) -> dict:
    """The aggregates described in the module docstring, from the final kind's out-of-fold predictions.

    Parameters
    ----------
    y : array of 0/1
    oof : array (repeats, n) or (n,)
        Out-of-fold predicted probabilities of the final model kind.
    bands, band_names : the model's band cut-offs and names.
    threshold : the decision threshold.
    subgroups : output of :func:`rairpredict.evaluation.subgroup_metrics`, optional.
    metrics : one row per model (AUROC, calibration slope, Brier with CIs), optional.
    """
    y = np.asarray(y, dtype=int)
    p = np.atleast_2d(np.asarray(oof, dtype=float)).mean(axis=0)
    thresholds = sorted({*NET_BENEFIT_THRESHOLDS, round(float(threshold), 4)})
    dc = decision_curve(y, p, thresholds=thresholds, n_boot=200, seed=seed)
    tm = threshold_metrics(y, p, threshold)
    out = {
        "source": ("out-of-fold predictions of the nested cross-validation (each patient's mean over the "
                   "repeats)"),
        "n": int(len(y)), "events": int(y.sum()),
        "bands": band_counts(y, p, bands, band_names),
        "calibration": _records(calibration_deciles(y, p, n_bins=10)),
        "threshold": {"threshold": float(threshold), **{
            name: {k: (int(v) if k in ("numerator", "denominator") else float(v)) for k, v in row.items()}
            for name, row in tm.iterrows()}},
        "net_benefit": _records(dc[["threshold", "net_benefit_model", "net_benefit_model_lo",
                                    "net_benefit_model_hi", "net_benefit_all", "net_benefit_none"]]),
    }
    if subgroups is not None and len(subgroups):
        out["subgroups"] = _records(subgroups.reset_index())
    if metrics is not None and len(metrics):
        keep = [c for c in ("auroc", "auroc_lo", "auroc_hi", "cal_slope", "cal_slope_lo", "cal_slope_hi",
                            "cal_intercept", "cal_intercept_lo", "cal_intercept_hi", "brier", "brier_lo", "brier_hi",
                            "auprc", "auprc_lo", "auprc_hi")
                if c in metrics.columns]
        out["models"] = _records(metrics[keep].rename_axis("model").reset_index())
    return out
