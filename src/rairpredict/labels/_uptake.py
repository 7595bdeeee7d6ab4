"""Unexpected 131I uptake label (Study A, seed 000)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from rairpredict.cohort.derive import col_float, col_str, col_tri, to_boolean, tri_and, tri_cmp, tri_in, tri_not
from rairpredict.reference import clinical

__all__ = ["label_unexpected_uptake"]


def _low_dose_rate(per_gbq: np.ndarray, prep: np.ndarray, thresholds: dict) -> np.ndarray:
    """Three-valued ``per_gbq < threshold[preparation]``; unknown preparation is
    decided only where every preparation's threshold gives the same answer."""
    out = np.full(len(per_gbq), np.nan)
    for name, thr in thresholds.items():
        out = np.where(prep == name, tri_cmp(per_gbq, thr, "<"), out)
    unknown = ~np.isin(prep.astype(str), list(thresholds))
    lo, hi = min(thresholds.values()), max(thresholds.values())
    either = np.where(tri_cmp(per_gbq, lo, "<") == 1, 1.0, np.where(tri_cmp(per_gbq, hi, ">=") == 1, 0.0, np.nan))
    return np.where(unknown, either, out)


def label_unexpected_uptake(
    table: pd.DataFrame,
    *,
    high_uptake_pct: float | None = None,
    low_dose_rate_per_gbq: float | dict | None = None,
    discordant_bed_uptake: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Discordant pre-/post-therapy picture of Study A ("unexpected uptake").

    Study A's three parts read with its post-therapy scan, in three-valued
    logic (one known False part gives False; otherwise a missing part gives NA):

    1. high pre-therapy uptake: ``tc99m_uptake_pct`` >= ``high_uptake_pct``;
    2. ... that the post-therapy whole-body scan does not confirm:
       ``post_scan_bed_uptake`` in ``discordant_bed_uptake`` (absent or faint);
    3. low dosimetry 48 h after the activity: ``dose_rate_48h_usv_h`` /
       ``activity_gbq`` below the threshold of the patient's ``preparation``
       (rhTSH patients clear iodine faster, so their threshold is lower; with
       the preparation unknown, only a value below both or above both decides);
    4. no early radiation reactions (``early_radiation_reactions`` False).

    Defaults and what Study A leaves open are documented in
    :mod:`rairpredict.reference.clinical` (``UNEXPECTED_*``), read at call time.

    Parameters
    ----------
    high_uptake_pct : float, optional
    low_dose_rate_per_gbq : float or dict {preparation: float}, optional
        uSv/h per GBq; a float applies to both preparations.
    discordant_bed_uptake : tuple of str, optional

    Returns
    -------
    DataFrame
        ``unexpected_uptake`` ("boolean") and ``unexpected_uptake_reason`` (str).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"tc99m_uptake_pct": [1.5, 1.5, 0.3], "post_scan_bed_uptake": ["faint", "intense", "faint"],
    ...                   "preparation": ["withdrawal"] * 3, "dose_rate_48h_usv_h": [10.0] * 3,
    ...                   "activity_gbq": [3.7] * 3, "early_radiation_reactions": [False] * 3})
    >>> label_unexpected_uptake(t)["unexpected_uptake"].tolist()
    [True, False, False]
    """
    hi = clinical.UNEXPECTED_HIGH_TC99M_UPTAKE_PCT if high_uptake_pct is None else high_uptake_pct
    lo = clinical.UNEXPECTED_LOW_DOSE_RATE_48H_USV_H_PER_GBQ if low_dose_rate_per_gbq is None else low_dose_rate_per_gbq
    if not isinstance(lo, dict):
        lo = {prep: float(lo) for prep in clinical.RETENTION_48H_MEAN}
    disc = clinical.UNEXPECTED_DISCORDANT_BED_UPTAKE if discordant_bed_uptake is None else discordant_bed_uptake
    activity = col_float(table, "activity_gbq")
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        per_gbq = np.where(activity > 0, col_float(table, "dose_rate_48h_usv_h") / np.where(activity > 0, activity, 1.0),
                           np.nan)
    prep = col_str(table, "preparation")
    high = tri_cmp(col_float(table, "tc99m_uptake_pct"), hi, ">=")
    discordant = tri_in(col_str(table, "post_scan_bed_uptake"), disc)
    low = _low_dose_rate(per_gbq, prep, lo)
    quiet = tri_not(col_tri(table, "early_radiation_reactions"))
    label = tri_and(high, discordant, low, quiet)
    thr_text = ", ".join(f"{k} {v:g}" for k, v in lo.items())
    reason = np.select(
        [label == 1, high == 0, discordant == 0, low == 0, quiet == 0],
        [f"high 99mTc uptake (>= {hi:g} %) not confirmed on the post-therapy scan, low 48 h dose rate "
         f"(< {thr_text} uSv/h per GBq), no early reactions",
         f"99mTc uptake below {hi:g} %",
         "post-therapy scan confirms the thyroid-bed uptake",
         f"48 h dose rate not low for the preparation ({thr_text} uSv/h per GBq)",
         "early radiation reactions"],
        default="unknown: uptake, post-therapy scan, 48 h dose rate per GBq, preparation or early reactions missing",
    ).astype(object)
    out = pd.DataFrame(index=table.index)
    out["unexpected_uptake"] = to_boolean(label)
    out["unexpected_uptake_reason"] = reason
    return out
