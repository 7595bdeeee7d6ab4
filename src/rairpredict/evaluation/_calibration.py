"""Calibration: Brier score, calibration-in-the-large and slope, O/E ratio,
a flexible calibration curve and binned deciles.

Follows Van Calster et al., J Clin Epidemiol 2016;74:167-76 (calibration
hierarchy) and Austin & Steyerberg, Stat Med 2019;38:4051-65 (ICI). Logistic
fits use the small IRLS in ``_logistic`` (see there for why not statsmodels).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import brier_score_loss

from ._logistic import fit_logistic
from ._utils import (Estimate, bootstrap_indices, check_y_p, logit, percentile_interval, z_value)

__all__ = ["brier_score", "scaled_brier_score", "calibration_intercept_slope", "observed_expected_ratio",
           "calibration_curve_flexible", "calibration_deciles", "integrated_calibration_index",
           "restricted_cubic_spline"]


def brier_score(y, p, alpha: float = 0.05) -> Estimate:
    """Brier score (mean squared error of the probability) with a CLT interval.

    The Brier score is a mean of independent squared errors, so its standard
    error is their SD over sqrt(n).

    Examples
    --------
    >>> round(brier_score([0, 1, 1, 0], [0.1, 0.9, 0.6, 0.2]).estimate, 4)
    0.055
    """
    y, p = check_y_p(y, p, need_both_classes=False)
    sq = (p - y) ** 2
    b = float(brier_score_loss(y, p)) if len(np.unique(y)) > 1 else float(sq.mean())
    se = float(sq.std(ddof=1) / np.sqrt(len(y))) if len(y) > 1 else float("nan")
    z = z_value(alpha)
    return Estimate(b, max(0.0, b - z * se), b + z * se)


def scaled_brier_score(y, p, alpha: float = 0.05, n_boot: int = 1000, seed=None) -> Estimate:
    """Scaled Brier score ``1 - Brier / (ybar (1 - ybar))`` with a bootstrap CI.

    1 is perfect, 0 is no better than predicting the prevalence for everyone.
    """
    y, p = check_y_p(y, p)

    def scaled(yy, pp):
        ybar = yy.mean()
        return 1 - np.mean((pp - yy) ** 2) / (ybar * (1 - ybar))

    boots = [scaled(y[i], p[i]) for i in bootstrap_indices(y, n_boot, seed)]
    return Estimate(float(scaled(y, p)), *percentile_interval(boots, alpha))


def calibration_intercept_slope(y, p, alpha: float = 0.05) -> pd.DataFrame:
    """Calibration-in-the-large (intercept, slope fixed at 1) and calibration slope.

    The intercept is from ``logit P(y) = a + logit(p)`` (offset logistic
    regression), the slope from ``logit P(y) = a + b logit(p)``; ``p`` is
    clipped to [1e-6, 1 - 1e-6]. Ideal values are 0 and 1. Wald intervals; the
    p-values test the ideal value. Estimates are NaN when the fit does not
    converge (separated data, e.g. a model's own training rows).

    Returns
    -------
    pandas.DataFrame indexed by ``cal_intercept`` and ``cal_slope`` with columns
    ``estimate``, ``lo``, ``hi``, ``ideal``, ``p_value``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.05, 0.95, 2000); y = rng.binomial(1, p)
    >>> cal = calibration_intercept_slope(y, p)
    >>> bool(cal.loc["cal_slope", "lo"] < 1 < cal.loc["cal_slope", "hi"])
    True
    """
    y, p = check_y_p(y, p)
    lp = logit(p)
    ones = np.ones_like(lp)
    itl = fit_logistic(ones, y, offset=lp)
    slope = fit_logistic(np.column_stack([ones, lp]), y)
    z = z_value(alpha)
    rows = {}
    for name, fit, k, ideal in (("cal_intercept", itl, 0, 0.0), ("cal_slope", slope, 1, 1.0)):
        est, se = (fit.coef[k], fit.se[k]) if fit.converged else (np.nan, np.nan)
        pval = float(2 * stats.norm.sf(abs((est - ideal) / se))) if np.isfinite(se) and se > 0 else np.nan
        rows[name] = {"estimate": float(est), "lo": float(est - z * se), "hi": float(est + z * se),
                      "ideal": ideal, "p_value": pval}
    return pd.DataFrame.from_dict(rows, orient="index")


def observed_expected_ratio(y, p, alpha: float = 0.05) -> Estimate:
    """Ratio of observed to expected events, ``sum(y) / sum(p)``, with CI.

    Uses ``SE(ln O/E) = sqrt((1 - O/n) / O)`` (Debray et al., BMJ 2017;356:i6460).
    """
    y, p = check_y_p(y, p, need_both_classes=False)
    o, e, n = float(y.sum()), float(p.sum()), len(y)
    if e == 0 or o == 0:
        return Estimate(o / e if e else float("nan"), float("nan"), float("nan"))
    ratio = o / e
    se = np.sqrt(max(1 - o / n, 0.0) / o)
    z = z_value(alpha)
    return Estimate(ratio, float(ratio * np.exp(-z * se)), float(ratio * np.exp(z * se)))


_KNOT_QUANTILES = {3: (0.10, 0.5, 0.90), 4: (0.05, 0.35, 0.65, 0.95), 5: (0.05, 0.275, 0.5, 0.725, 0.95)}


def restricted_cubic_spline(x, knots) -> np.ndarray:
    """Harrell's restricted cubic spline basis (linear term first), shape (n, k-1)."""
    x = np.asarray(x, dtype=float)
    t = np.asarray(knots, dtype=float)
    k = len(t)
    norm = (t[-1] - t[0]) ** 2

    def cube(u):
        return np.clip(u, 0, None) ** 3

    cols = [x]
    for j in range(k - 2):
        cols.append((cube(x - t[j])
                     - cube(x - t[-2]) * (t[-1] - t[j]) / (t[-1] - t[-2])
                     + cube(x - t[-1]) * (t[-2] - t[j]) / (t[-1] - t[-2])) / norm)
    return np.column_stack(cols)


def _flexible_fit(y, p, n_knots):
    """Logistic fit of y on an RCS of logit(p); fewer knots if it does not converge."""
    lp = logit(p)
    for k in range(n_knots, 2, -1):
        knots = np.unique(np.quantile(lp, _KNOT_QUANTILES[k]))
        if len(knots) < k:
            continue
        basis = lambda v, kn=knots: np.column_stack([np.ones(len(v)), restricted_cubic_spline(v, kn)])  # noqa: E731
        fit = fit_logistic(basis(lp), y)
        if fit.converged:
            return fit, basis
    basis = lambda v: np.column_stack([np.ones(len(v)), v])  # noqa: E731
    return fit_logistic(basis(lp), y), basis


def calibration_curve_flexible(y, p, n_knots: int = 4, grid=None, n_grid: int = 100,
                               alpha: float = 0.05) -> pd.DataFrame:
    """Smoothed observed risk against predicted risk with pointwise CI.

    Logistic regression of ``y`` on a restricted cubic spline of ``logit(p)``
    (knots at Harrell's quantiles; 3-5 knots), evaluated on a grid of predicted
    probabilities between the 1st and 99th percentile of ``p``. The interval
    is the delta-method Wald interval on the logit scale, back-transformed.

    Returns
    -------
    pandas.DataFrame with columns ``predicted``, ``observed``, ``lo``, ``hi``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> p = rng.uniform(0.05, 0.95, 3000); y = rng.binomial(1, p)
    >>> curve = calibration_curve_flexible(y, p)
    >>> bool((curve["observed"] - curve["predicted"]).abs().max() < 0.1)
    True
    """
    y, p = check_y_p(y, p)
    if n_knots not in _KNOT_QUANTILES:
        raise ValueError(f"n_knots: must be 3, 4 or 5, got {n_knots!r}")
    fit, basis = _flexible_fit(y, p, n_knots)
    if grid is None:
        lo_q, hi_q = np.quantile(p, [0.01, 0.99])
        grid = np.linspace(lo_q, hi_q, n_grid)
    grid = np.asarray(grid, dtype=float)
    B = basis(logit(grid))
    eta = B @ fit.coef
    se = np.sqrt(np.einsum("ij,jk,ik->i", B, fit.cov, B))
    z = z_value(alpha)

    def expit(v):
        return 1 / (1 + np.exp(-v))

    return pd.DataFrame({"predicted": grid, "observed": expit(eta),
                         "lo": expit(eta - z * se), "hi": expit(eta + z * se)})


def integrated_calibration_index(y, p, n_knots: int = 4) -> pd.Series:
    """ICI, E50 and E90: mean, median and 90th percentile of ``|observed - p|``
    where ``observed`` is the flexible calibration curve at each row's ``p``
    (Austin & Steyerberg 2019)."""
    y, p = check_y_p(y, p)
    fit, basis = _flexible_fit(y, p, n_knots)
    obs = 1 / (1 + np.exp(-(basis(logit(p)) @ fit.coef)))
    err = np.abs(obs - p)
    return pd.Series({"ici": float(err.mean()), "e50": float(np.median(err)),
                      "e90": float(np.quantile(err, 0.9))}, name="calibration_error")


def calibration_deciles(y, p, n_bins: int = 10, alpha: float = 0.05) -> pd.DataFrame:
    """Observed risk in groups of equal size by predicted risk, with Wilson CIs.

    Returns
    -------
    pandas.DataFrame with one row per bin: ``bin``, ``n``, ``events``,
    ``mean_predicted``, ``observed``, ``lo``, ``hi``.
    """
    from ._threshold import wilson_ci

    y, p = check_y_p(y, p, need_both_classes=False)
    order = np.argsort(p, kind="stable")
    rows = []
    for b, idx in enumerate(np.array_split(order, min(n_bins, len(p)))):
        events, n = int(y[idx].sum()), len(idx)
        ci = wilson_ci(events, n, alpha)
        rows.append({"bin": b + 1, "n": n, "events": events, "mean_predicted": float(p[idx].mean()),
                     "observed": ci.estimate, "lo": ci.lo, "hi": ci.hi})
    return pd.DataFrame(rows)
