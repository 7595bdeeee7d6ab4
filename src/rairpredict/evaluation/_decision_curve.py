"""Decision curve analysis: net benefit of a model against treat-all and treat-none.

Net benefit is computed here, vectorised, so the model's curve can carry a
bootstrap CI; dcurves (loop per threshold, no intervals) gives identical
values and is the reference in the tests. Vickers & Elkin, Med Decis Making
2006;26:565-74. A row is test-positive when ``p >= threshold`` (as dcurves).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ._utils import EvaluationInputError, bootstrap_indices, check_y_p

__all__ = ["net_benefit", "decision_curve"]


def net_benefit(y, p, thresholds) -> np.ndarray:
    """Net benefit ``TP/n - FP/n * t / (1 - t)`` at each threshold ``t``.

    Examples
    --------
    >>> net_benefit([1, 1, 0, 0], [0.9, 0.4, 0.6, 0.1], [0.5]).round(4).tolist()
    [0.0]
    """
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    t = np.asarray(thresholds, dtype=float)
    pos = p[None, :] >= t[:, None]
    tp = (pos & (y[None, :] == 1)).sum(axis=1)
    fp = (pos & (y[None, :] == 0)).sum(axis=1)
    n = len(y)
    return tp / n - fp / n * t / (1 - t)


def decision_curve(y, p, thresholds=None, alpha: float = 0.05, n_boot: int = 200, seed=None) -> pd.DataFrame:
    """Net benefit of the model, of treating all and of treating none.

    Parameters
    ----------
    y : array-like of 0/1
    p : array-like of predicted probabilities
    thresholds : array-like in [0, 1), default 0.01 ... 0.99 by 0.01
    alpha, n_boot, seed : percentile bootstrap CI of the model's net benefit
        (``n_boot=0`` skips it).

    Returns
    -------
    pandas.DataFrame with columns ``threshold``, ``net_benefit_model``,
    ``net_benefit_model_lo``, ``net_benefit_model_hi``, ``net_benefit_all``,
    ``net_benefit_none`` and ``interventions_avoided_per_100`` (relative to
    treat-all).

    Examples
    --------
    >>> dc = decision_curve([1, 1, 0, 0], [0.9, 0.4, 0.6, 0.1], [0.2, 0.5], n_boot=0)
    >>> dc["net_benefit_all"].round(3).tolist()
    [0.375, 0.0]
    """
    y, p = check_y_p(y, p, need_both_classes=False)
    t = np.arange(1, 100) / 100 if thresholds is None else np.asarray(thresholds, dtype=float)
    if t.size == 0 or np.any((t < 0) | (t >= 1)):
        raise EvaluationInputError("thresholds: every threshold must lie in [0, 1)")
    nb_model = net_benefit(y, p, t)
    nb_all = net_benefit(y, np.ones_like(p), t)
    out = pd.DataFrame({"threshold": t, "net_benefit_model": nb_model,
                        "net_benefit_model_lo": np.nan, "net_benefit_model_hi": np.nan,
                        "net_benefit_all": nb_all, "net_benefit_none": 0.0})
    if n_boot > 0:
        boots = np.array([net_benefit(y[i], p[i], t)
                          for i in bootstrap_indices(y, n_boot, seed, stratified=False)])
        out["net_benefit_model_lo"] = np.quantile(boots, alpha / 2, axis=0)
        out["net_benefit_model_hi"] = np.quantile(boots, 1 - alpha / 2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["interventions_avoided_per_100"] = np.where(
            t > 0, (nb_model - nb_all) / (t / (1 - t)) * 100, np.nan)
    return out
