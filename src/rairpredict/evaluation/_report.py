"""The standard validation set in one call, as a flat dict for MLflow."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ._calibration import (brier_score, calibration_intercept_slope, integrated_calibration_index,
                           observed_expected_ratio, scaled_brier_score)
from ._discrimination import auprc, auroc_ci
from ._subgroups import subgroup_metrics
from ._threshold import threshold_metrics
from ._utils import check_y_p

__all__ = ["evaluate_predictions", "metrics_frame"]


def _metric_name(text: str) -> str:
    """MLflow-safe key: '<55' -> 'lt55', '>=55' -> 'ge55', others -> '_'."""
    for a, b in (("<=", "le"), (">=", "ge"), ("<", "lt"), (">", "gt")):
        text = text.replace(a, b)
    return re.sub(r"[^0-9A-Za-z_.-]+", "_", text).strip("_").lower()


def evaluate_predictions(y, p, threshold: float, groups=None, alpha: float = 0.05, n_boot: int = 200,
                         seed=0, min_events: int = 5) -> dict[str, float]:
    """Standard validation metrics with ``1 - alpha`` CIs as a flat dict of floats.

    Keys: ``n``, ``events``, ``prevalence``, ``auroc`` (DeLong CI), ``auprc``,
    ``brier``, ``scaled_brier`` (bootstrap CIs), ``cal_intercept``,
    ``cal_slope``, ``oe_ratio``, ``ici``, ``e90``, and at ``threshold``
    ``sensitivity``, ``specificity``, ``ppv``, ``npv`` (Wilson CIs), ``tp``,
    ``fp``, ``tn``, ``fn``; each interval as ``<name>_lo`` / ``<name>_hi``.
    With ``groups``, per subgroup ``sub.<variable>.<level>.{n,events,auroc,oe_ratio}``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.05, 0.9, 300); y = rng.binomial(1, p)
    >>> m = evaluate_predictions(y, p, threshold=0.5, n_boot=20)
    >>> m["auroc_lo"] < m["auroc"] < m["auroc_hi"]
    True
    """
    y, p = check_y_p(y, p)
    out: dict[str, float] = {"n": float(len(y)), "events": float(y.sum()), "prevalence": float(y.mean()),
                             "threshold": float(threshold)}

    def put(name, est):
        out[name], out[f"{name}_lo"], out[f"{name}_hi"] = (float(v) for v in est)

    put("auroc", auroc_ci(y, p, alpha))
    put("auprc", auprc(y, p, alpha, n_boot=n_boot, seed=seed))
    put("brier", brier_score(y, p, alpha))
    put("scaled_brier", scaled_brier_score(y, p, alpha, n_boot=n_boot, seed=seed))
    cal = calibration_intercept_slope(y, p, alpha)
    for name in cal.index:
        put(name, cal.loc[name, ["estimate", "lo", "hi"]])
    put("oe_ratio", observed_expected_ratio(y, p, alpha))
    ici = integrated_calibration_index(y, p)
    out["ici"], out["e90"] = float(ici["ici"]), float(ici["e90"])
    thr = threshold_metrics(y, p, threshold, alpha)
    for name in thr.index:
        put(name, thr.loc[name, ["estimate", "lo", "hi"]])
    out.update({k: float(v) for k, v in thr.attrs["counts"].items()})
    if groups is not None:
        sub = subgroup_metrics(y, p, groups, min_events=min_events, alpha=alpha)
        for (var, level), row in sub.iterrows():
            key = f"sub.{_metric_name(str(var))}.{_metric_name(str(level))}"
            for k in ("n", "events", "auroc", "auroc_lo", "auroc_hi", "oe_ratio"):
                out[f"{key}.{k}"] = float(row[k])
    return out


def metrics_frame(metrics: dict[str, float]) -> pd.DataFrame:
    """Reshape :func:`evaluate_predictions` output to rows with estimate, lo, hi.

    Examples
    --------
    >>> float(metrics_frame({"auroc": 0.8, "auroc_lo": 0.7, "auroc_hi": 0.9}).loc["auroc", "hi"])
    0.9
    """
    rows = {}
    for key, value in metrics.items():
        if key.endswith(("_lo", "_hi")) and key[:-3] in metrics:
            continue
        rows[key] = {"estimate": value, "lo": metrics.get(f"{key}_lo", np.nan),
                     "hi": metrics.get(f"{key}_hi", np.nan)}
    return pd.DataFrame.from_dict(rows, orient="index")
