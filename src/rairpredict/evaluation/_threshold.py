"""Classification at a risk threshold: sensitivity, specificity, PPV, NPV.

Wilson score intervals come from scipy (``binomtest(...).proportion_ci``).
A row is test-positive when ``p >= threshold`` (the dcurves convention).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ._utils import Estimate, EvaluationInputError, check_y_p

__all__ = ["wilson_ci", "confusion_counts", "threshold_metrics"]


def wilson_ci(k: int, n: int, alpha: float = 0.05) -> Estimate:
    """Proportion ``k / n`` with its Wilson score interval (NaN when n = 0).

    Examples
    --------
    >>> est = wilson_ci(81, 263)
    >>> round(est.lo, 4), round(est.hi, 4)
    (0.2553, 0.3662)
    """
    k, n = int(k), int(n)
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"))
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=1 - alpha, method="wilson")
    return Estimate(k / n, float(ci.low), float(ci.high))


def confusion_counts(y, p, threshold: float) -> pd.Series:
    """Counts ``tp``, ``fp``, ``tn``, ``fn`` when ``p >= threshold`` is positive."""
    if not 0 <= threshold <= 1:
        raise EvaluationInputError(f"threshold: must lie in [0, 1], got {threshold!r}")
    y, p = check_y_p(y, p, need_both_classes=False)
    pos = p >= threshold
    return pd.Series({"tp": int(np.sum(pos & (y == 1))), "fp": int(np.sum(pos & (y == 0))),
                      "tn": int(np.sum(~pos & (y == 0))), "fn": int(np.sum(~pos & (y == 1)))},
                     name="count")


def threshold_metrics(y, p, threshold: float, alpha: float = 0.05) -> pd.DataFrame:
    """Sensitivity, specificity, PPV and NPV at ``threshold`` with Wilson CIs.

    Returns
    -------
    pandas.DataFrame indexed by metric with ``estimate``, ``lo``, ``hi``,
    ``numerator`` and ``denominator``; ``.attrs["counts"]`` holds tp/fp/tn/fn.

    Examples
    --------
    >>> m = threshold_metrics([1, 1, 0, 0, 0], [0.9, 0.2, 0.6, 0.1, 0.3], 0.5)
    >>> m["numerator"].tolist(), m["denominator"].tolist()
    ([1, 2, 1, 2], [2, 3, 2, 3])
    """
    c = confusion_counts(y, p, threshold)
    tp, fp, tn, fn = c["tp"], c["fp"], c["tn"], c["fn"]
    parts = {"sensitivity": (tp, tp + fn), "specificity": (tn, tn + fp),
             "ppv": (tp, tp + fp), "npv": (tn, tn + fn)}
    rows = {}
    for name, (k, n) in parts.items():
        est = wilson_ci(k, n, alpha)
        rows[name] = {"estimate": est.estimate, "lo": est.lo, "hi": est.hi,
                      "numerator": int(k), "denominator": int(n)}
    out = pd.DataFrame.from_dict(rows, orient="index").astype({"numerator": int, "denominator": int})
    out.attrs["counts"] = c.to_dict()
    out.attrs["threshold"] = float(threshold)
    return out
