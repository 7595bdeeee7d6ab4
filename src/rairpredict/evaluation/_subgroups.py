"""Performance by subgroup (sex, age band, histology, preparation, ...)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from rairpredict.reference.clinical import AJCC8_AGE_CUTOFF_YEARS

from ._calibration import calibration_intercept_slope, observed_expected_ratio
from ._discrimination import auroc_ci
from ._utils import EvaluationInputError, check_y_p

__all__ = ["age_band", "subgroup_metrics"]

MISSING_LEVEL = "(missing)"


def age_band(age, bins=None, labels=None) -> pd.Series:
    """Age bands; by default ``<55`` / ``>=55`` (AJCC 8th edition cut-off).

    Bins are closed on the left (``[lo, hi)``); missing ages stay missing.

    Examples
    --------
    >>> age_band([30, 55, 70, None]).tolist()
    ['<55', '>=55', '>=55', nan]
    """
    age = pd.Series(age, dtype=float)
    if bins is None:
        bins = [-np.inf, AJCC8_AGE_CUTOFF_YEARS, np.inf]
        labels = [f"<{AJCC8_AGE_CUTOFF_YEARS}", f">={AJCC8_AGE_CUTOFF_YEARS}"]
    elif labels is None:
        edges = list(bins)
        labels = [f"[{lo:g}, {hi:g})" for lo, hi in zip(edges[:-1], edges[1:])]
    return pd.cut(age, bins=bins, labels=labels, right=False).rename("age_band")


def subgroup_metrics(y, p, groups, min_events: int = 5, alpha: float = 0.05) -> pd.DataFrame:
    """n, events, AUROC, calibration-in-the-large and O/E ratio per subgroup.

    Parameters
    ----------
    y, p : outcomes (0/1) and predicted probabilities
    groups : DataFrame (one column per grouping variable) or Series, same rows.
        Missing values form their own level, ``(missing)``: no row is dropped.
    min_events : AUROC and calibration are reported only when a subgroup has at
        least this many events and non-events; otherwise NA with ``note``.

    Returns
    -------
    pandas.DataFrame indexed by (``variable``, ``level``) with ``n``,
    ``events``, ``observed_risk``, ``mean_predicted``, ``oe_ratio`` (+ ``_lo``,
    ``_hi``), ``cal_intercept`` (+ CI), ``auroc`` (+ CI) and ``note``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.05, 0.6, 400); y = rng.binomial(1, p)
    >>> g = pd.DataFrame({"sex": rng.choice(["female", "male"], 400)})
    >>> subgroup_metrics(y, p, g).loc["sex"].index.tolist()
    ['female', 'male']
    """
    y, p = check_y_p(y, p, need_both_classes=False)
    frame = groups.to_frame() if isinstance(groups, pd.Series) else pd.DataFrame(groups)
    if len(frame) != len(y):
        raise EvaluationInputError(f"groups has {len(frame)} rows but y has {len(y)}")
    rows = []
    for var in frame.columns:
        col = frame[var].reset_index(drop=True)
        values = col.astype(object).where(col.notna(), MISSING_LEVEL).astype(str).to_numpy()
        levels = [str(c) for c in col.cat.categories] if isinstance(col.dtype, pd.CategoricalDtype) \
            else sorted(set(values) - {MISSING_LEVEL})
        if MISSING_LEVEL in values:
            levels.append(MISSING_LEVEL)
        for level in levels:
            mask = values == level
            rows.append({"variable": var, "level": level, **_one_group(y[mask], p[mask], min_events, alpha)})
    return pd.DataFrame(rows).set_index(["variable", "level"])


def _one_group(y, p, min_events, alpha) -> dict:
    n, events = len(y), int(y.sum())
    row = {"n": n, "events": events,
           "observed_risk": events / n if n else np.nan, "mean_predicted": float(p.mean()) if n else np.nan}
    for k in ("oe_ratio", "cal_intercept", "auroc"):
        row.update({k: np.nan, f"{k}_lo": np.nan, f"{k}_hi": np.nan})
    if n:
        row["oe_ratio"], row["oe_ratio_lo"], row["oe_ratio_hi"] = observed_expected_ratio(y, p, alpha)
    if min(events, n - events) < min_events:
        row["note"] = f"too few events or non-events ({events}/{n - events} < {min_events})"
        return row
    row["auroc"], row["auroc_lo"], row["auroc_hi"] = auroc_ci(y, p, alpha)
    cal = calibration_intercept_slope(y, p, alpha).loc["cal_intercept"]
    row["cal_intercept"], row["cal_intercept_lo"], row["cal_intercept_hi"] = cal["estimate"], cal["lo"], cal["hi"]
    row["note"] = ""
    return row
