"""Shared helpers: input checks, the ``Estimate`` tuple, bootstrap indices."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import stats

from rairpredict.errors import RairpredictError

__all__ = ["Estimate", "EvaluationInputError", "check_y_p", "z_value", "bootstrap_indices",
           "percentile_interval", "clip_probability", "logit", "PROBABILITY_CLIP"]

#: Probabilities are clipped to [eps, 1 - eps] before taking logits.
PROBABILITY_CLIP = 1e-6


class EvaluationInputError(RairpredictError, ValueError):
    """Outcomes or predicted probabilities are not usable for validation."""


class Estimate(NamedTuple):
    """A point estimate with its ``1 - alpha`` confidence interval."""

    estimate: float
    lo: float
    hi: float


def format_ci(estimate, lo=None, hi=None, digits: int = 3) -> str:
    """``"0.731 (0.612 to 0.850)"``: "to" between the bounds, so a negative bound reads unambiguously.

    Examples
    --------
    >>> format_ci(0.7, -0.56, 1.96, digits=2)
    '0.70 (-0.56 to 1.96)'
    >>> format_ci(0.7, digits=2)
    '0.70'
    """
    text = f"{float(estimate):.{digits}f}"
    if lo is not None and hi is not None and np.isfinite(lo) and np.isfinite(hi):
        text += f" ({float(lo):.{digits}f} to {float(hi):.{digits}f})"
    return text


def z_value(alpha: float) -> float:
    """Two-sided standard-normal quantile for a ``1 - alpha`` interval."""
    if not 0 < alpha < 1:
        raise EvaluationInputError(f"alpha: must lie in (0, 1), got {alpha!r}")
    return float(stats.norm.ppf(1 - alpha / 2))


def check_y_p(y, p, name: str = "p", need_both_classes: bool = True):
    """Return ``y`` (int 0/1) and ``p`` (float in [0, 1]) as 1-d arrays, or raise.

    Never drops rows: a missing value is an error naming its row.
    """
    y = np.asarray(y)
    p = np.asarray(p, dtype=float)
    if y.ndim != 1 or p.ndim != 1:
        raise EvaluationInputError("y and p must be one-dimensional")
    if len(y) != len(p):
        raise EvaluationInputError(f"y has {len(y)} rows but {name} has {len(p)}")
    if len(y) == 0:
        raise EvaluationInputError("y is empty")
    yf = y.astype(float)
    bad = np.flatnonzero(~np.isin(yf, (0.0, 1.0)))
    if bad.size:
        raise EvaluationInputError(f"y, row {bad[0]}: outcome must be 0 or 1, got {y[bad[0]]!r}")
    bad = np.flatnonzero(~np.isfinite(p) | (p < 0) | (p > 1))
    if bad.size:
        raise EvaluationInputError(
            f"{name}, row {bad[0]}: predicted probability must lie in [0, 1], got {p[bad[0]]!r}")
    y = yf.astype(int)
    if need_both_classes and y.min() == y.max():
        raise EvaluationInputError(f"y: needs both outcomes, all {len(y)} rows are {y[0]}")
    return y, p


def clip_probability(p):
    return np.clip(np.asarray(p, dtype=float), PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)


def logit(p):
    p = clip_probability(p)
    return np.log(p / (1 - p))


def bootstrap_indices(y, n_boot: int, seed, stratified: bool = True):
    """Yield ``n_boot`` bootstrap row-index arrays.

    Stratified by outcome (as pROC does) so every replicate keeps both classes
    and the same prevalence.
    """
    rng = np.random.default_rng(seed)
    y = np.asarray(y)
    if not stratified:
        for _ in range(n_boot):
            yield rng.integers(0, len(y), len(y))
        return
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    for _ in range(n_boot):
        yield np.concatenate([rng.choice(pos, pos.size), rng.choice(neg, neg.size)])


def percentile_interval(values, alpha: float) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    lo, hi = np.quantile(values, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)
