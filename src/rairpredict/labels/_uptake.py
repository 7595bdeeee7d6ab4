"""Unexpected 131I uptake label (Study A, seed 000)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from rairpredict.cohort.derive import col_float, col_tri, to_boolean, tri_and, tri_cmp, tri_not
from rairpredict.reference import clinical

__all__ = ["label_unexpected_uptake"]


def label_unexpected_uptake(
    table: pd.DataFrame,
    *,
    high_uptake_pct: float | None = None,
    low_dose_rate_per_gbq: float | None = None,
) -> pd.DataFrame:
    """Discordant pre-/post-therapy picture of Study A ("unexpected uptake").

    ``unexpected_uptake`` = high pre-therapy uptake
    (``tc99m_uptake_pct`` >= ``high_uptake_pct``) AND low 48 h dosimetry
    (``dose_rate_48h_usv_h`` / ``activity_gbq`` < ``low_dose_rate_per_gbq``)
    AND no early radiation reactions (``early_radiation_reactions`` False),
    in three-valued logic (one known False item gives False; otherwise any
    missing item gives NA).  Study A defines the group qualitatively; the
    thresholds are rairpredict's operationalisation
    (``clinical.UNEXPECTED_HIGH_TC99M_UPTAKE_PCT``,
    ``clinical.UNEXPECTED_LOW_DOSE_RATE_48H_USV_H_PER_GBQ``), read at call time
    so that the simulator's tuning applies.

    Returns
    -------
    DataFrame
        ``unexpected_uptake`` ("boolean") and ``unexpected_uptake_reason`` (str).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"tc99m_uptake_pct": [5.0, 0.5], "dose_rate_48h_usv_h": [10.0, 10.0],
    ...                   "activity_gbq": [3.7, 3.7], "early_radiation_reactions": [False, False]})
    >>> label_unexpected_uptake(t)["unexpected_uptake"].tolist()
    [True, False]
    """
    hi = clinical.UNEXPECTED_HIGH_TC99M_UPTAKE_PCT if high_uptake_pct is None else high_uptake_pct
    lo = (clinical.UNEXPECTED_LOW_DOSE_RATE_48H_USV_H_PER_GBQ
          if low_dose_rate_per_gbq is None else low_dose_rate_per_gbq)
    activity = col_float(table, "activity_gbq")
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        per_gbq = np.where(activity > 0, col_float(table, "dose_rate_48h_usv_h") / np.where(activity > 0, activity, 1.0),
                           np.nan)
    high = tri_cmp(col_float(table, "tc99m_uptake_pct"), hi, ">=")
    low = tri_cmp(per_gbq, lo, "<")
    quiet = tri_not(col_tri(table, "early_radiation_reactions"))
    label = tri_and(high, low, quiet)
    reason = np.select(
        [label == 1, high == 0, low == 0, quiet == 0],
        [f"high 99mTc uptake (>= {hi:g} %), low 48 h dose rate (< {lo:g} uSv/h per GBq), no early reactions",
         f"99mTc uptake below {hi:g} %",
         f"48 h dose rate >= {lo:g} uSv/h per GBq",
         "early radiation reactions"],
        default="unknown: uptake, 48 h dose rate per GBq or early reactions missing",
    ).astype(object)
    out = pd.DataFrame(index=table.index)
    out["unexpected_uptake"] = to_boolean(label)
    out["unexpected_uptake_reason"] = reason
    return out
