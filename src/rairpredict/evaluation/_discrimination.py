"""Discrimination: AUROC with DeLong or bootstrap CI, paired comparison, AUPRC.

DeLong's variance is written here (no maintained Python package provides it);
it follows the O(n log n) midrank algorithm of Sun & Xu, IEEE Signal Process
Lett 2014;21:1389-93, for DeLong, DeLong & Clarke-Pearson, Biometrics
1988;44:837-45. Average precision comes from scikit-learn.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import average_precision_score

from ._utils import (Estimate, EvaluationInputError, bootstrap_indices, check_y_p,
                     percentile_interval, z_value)

__all__ = ["auroc", "auroc_ci", "delong_covariance", "delong_test", "bootstrap_auc_difference", "auprc"]


def auroc(y, p) -> float:
    """Area under the ROC curve (Mann-Whitney statistic, ties count one half).

    Examples
    --------
    >>> auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    y, p = check_y_p(y, p)
    return float(_auc_from_ranks(y, p))


def _auc_from_ranks(y, p):
    ranks = stats.rankdata(p)
    m = y.sum()
    n = y.size - m
    return (ranks[y == 1].sum() - m * (m + 1) / 2) / (m * n)


def delong_covariance(y, predictions):
    """AUCs and their DeLong covariance matrix for k predictions on the same rows.

    Parameters
    ----------
    y : array-like of 0/1, shape (n,)
    predictions : array-like, shape (k, n)

    Returns
    -------
    aucs : ndarray, shape (k,)
    cov : ndarray, shape (k, k)
    """
    preds = np.atleast_2d(np.asarray(predictions, dtype=float))
    y = np.asarray(y, dtype=int)
    pos, neg = preds[:, y == 1], preds[:, y == 0]
    m, n = pos.shape[1], neg.shape[1]
    if m < 2 or n < 2:
        raise EvaluationInputError(
            f"y: DeLong variance needs at least 2 events and 2 non-events, got {m} and {n}")
    tx = np.apply_along_axis(stats.rankdata, 1, pos)
    ty = np.apply_along_axis(stats.rankdata, 1, neg)
    tz = np.apply_along_axis(stats.rankdata, 1, np.hstack([pos, neg]))
    aucs = tz[:, :m].sum(axis=1) / (m * n) - (m + 1) / (2 * n)
    # structural components: V10 for each event, V01 for each non-event
    v10 = (tz[:, :m] - tx) / n
    v01 = 1 - (tz[:, m:] - ty) / m
    cov = np.atleast_2d(np.cov(v10)) / m + np.atleast_2d(np.cov(v01)) / n
    return aucs, cov


def auroc_ci(y, p, alpha: float = 0.05, method: str = "delong", n_boot: int = 1000, seed=None) -> Estimate:
    """AUROC with its ``1 - alpha`` confidence interval.

    Parameters
    ----------
    y : array-like of 0/1
    p : array-like of predicted probabilities (any score works)
    alpha : float, default 0.05
    method : {"delong", "bootstrap"}
        DeLong's asymptotic interval (as pROC's default, clipped to [0, 1]) or a
        percentile interval of a bootstrap stratified by outcome.
    n_boot, seed : bootstrap replicates and random seed (bootstrap only).

    Returns
    -------
    Estimate(estimate, lo, hi)

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 200); p = np.clip(0.3 * y + rng.uniform(0, 0.7, 200), 0, 1)
    >>> auc, lo, hi = auroc_ci(y, p)
    >>> lo < auc < hi
    True
    """
    y, p = check_y_p(y, p)
    if method == "delong":
        aucs, cov = delong_covariance(y, p)
        auc, se = float(aucs[0]), float(np.sqrt(max(cov[0, 0], 0.0)))
        z = z_value(alpha)
        return Estimate(auc, max(0.0, auc - z * se), min(1.0, auc + z * se))
    if method == "bootstrap":
        auc = float(_auc_from_ranks(y, p))
        boots = [_auc_from_ranks(y[i], p[i]) for i in bootstrap_indices(y, n_boot, seed)]
        return Estimate(auc, *percentile_interval(boots, alpha))
    raise EvaluationInputError(f"method: must be 'delong' or 'bootstrap', got {method!r}")


def delong_test(y, p1, p2, alpha: float = 0.05) -> pd.Series:
    """DeLong test of two correlated AUROCs (two models scored on the same rows).

    Returns
    -------
    pandas.Series with ``auc_1``, ``auc_2``, ``difference`` (auc_1 - auc_2),
    ``lo``, ``hi``, ``z`` and ``p_value`` (two-sided).

    Examples
    --------
    >>> r = delong_test([0, 0, 1, 1, 0, 1], [.1, .2, .8, .7, .3, .6], [.2, .1, .6, .9, .4, .3])
    >>> round(float(r["difference"]), 3)
    0.111
    """
    y, p1 = check_y_p(y, p1, "p1")
    _, p2 = check_y_p(y, p2, "p2")
    aucs, cov = delong_covariance(y, np.vstack([p1, p2]))
    diff = float(aucs[0] - aucs[1])
    var = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    zq = z_value(alpha)
    if var <= 1e-15:
        # identical rankings: no difference and no evidence of one
        z, pval, se = 0.0, 1.0, 0.0
    else:
        se = np.sqrt(var)
        z = diff / se
        pval = float(2 * stats.norm.sf(abs(z)))
    return pd.Series({"auc_1": float(aucs[0]), "auc_2": float(aucs[1]), "difference": diff,
                      "lo": diff - zq * se, "hi": diff + zq * se, "z": float(z), "p_value": pval},
                     name="delong_test")


def bootstrap_auc_difference(y, p1, p2, n_boot: int = 1000, seed=None, alpha: float = 0.05) -> pd.Series:
    """Paired bootstrap of ``AUROC(p1) - AUROC(p2)`` on the same resampled rows.

    The p-value is the two-sided bootstrap proportion of differences on the
    other side of zero (``2 * min(P(d <= 0), P(d >= 0))``, capped at 1).
    """
    y, p1 = check_y_p(y, p1, "p1")
    _, p2 = check_y_p(y, p2, "p2")
    diff = float(_auc_from_ranks(y, p1) - _auc_from_ranks(y, p2))
    d = np.array([_auc_from_ranks(y[i], p1[i]) - _auc_from_ranks(y[i], p2[i])
                  for i in bootstrap_indices(y, n_boot, seed)])
    lo, hi = percentile_interval(d, alpha)
    pval = min(1.0, 2 * min(np.mean(d <= 0), np.mean(d >= 0)))
    return pd.Series({"difference": diff, "lo": lo, "hi": hi, "p_value": float(pval),
                      "n_boot": n_boot}, name="bootstrap_auc_difference")


def auprc(y, p, alpha: float = 0.05, n_boot: int = 1000, seed=None) -> Estimate:
    """Area under the precision-recall curve (average precision) with bootstrap CI.

    Compare with the outcome prevalence, the AUPRC of an uninformative model.

    Examples
    --------
    >>> est = auprc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], n_boot=50, seed=0)
    >>> round(est.estimate, 3)
    0.833
    """
    y, p = check_y_p(y, p)
    ap = float(average_precision_score(y, p))
    boots = [average_precision(y[i], p[i]) for i in bootstrap_indices(y, n_boot, seed)]
    return Estimate(ap, *percentile_interval(boots, alpha))


def average_precision(y: np.ndarray, p: np.ndarray) -> float:
    """Average precision as :func:`sklearn.metrics.average_precision_score` computes it, without its checks.

    For the bootstrap replicates of :func:`auprc` (already checked arrays):
    scikit-learn's input validation cost 5 ms per call, 1000 times per metric.
    Sum over the distinct thresholds, highest first, of the recall gained times
    the precision there; nan when ``y`` has no positive (as scikit-learn, which warns).

    Examples
    --------
    >>> y, p = np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])
    >>> average_precision(y, p) == average_precision_score(y, p)
    True
    """
    order = np.argsort(p, kind="mergesort")[::-1]
    ys, ps = y[order], p[order]
    last = np.r_[np.flatnonzero(np.diff(ps)), ys.size - 1]  # last row of each distinct threshold
    tps = np.cumsum(ys)[last]
    if tps[-1] == 0:
        return float("nan")
    precision = tps / (last + 1)
    recall_gain = np.diff(np.r_[0, tps]) / tps[-1]
    return float(np.sum(recall_gain * precision))
