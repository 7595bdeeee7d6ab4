"""Benefit of a repeat RAI course (Study C, seed 002)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from rairpredict.cohort.derive import col_float, col_str, to_boolean, tri_and, tri_cmp, tri_in, tri_or
from rairpredict.reference import clinical

__all__ = ["label_second_course_benefit"]


def label_second_course_benefit(table: pd.DataFrame, *, tg_fall_fraction: float | None = None) -> pd.DataFrame:
    """Did a repeat RAI course (``course_number`` >= 2) help?

    Study C compared stimulated Tg before the course (``tg_stim_ng_ml`` of
    that course) and 1-2 years after (``tg_stim_fu_ng_ml``) and the structural
    status (``structural_change_fu``).  Definition, three-valued:

    ``benefit = no structural progression AND (structural disease resolved or
    shrank OR stimulated Tg fell by >= tg_fall_fraction)``

    where the Tg fall is (before - after) / before, inclusive at the
    threshold, and undefined when Tg before is 0 or missing.  TgAb makes Tg
    unreliable (falsely low), so the Tg item is used only when TgAb is known
    negative (every measured ``tgab_iu_ml`` / ``tgab_fu_iu_ml`` at or below
    ``clinical.TGAB_POSITIVE_IU_ML`` and at least one measured); for
    TgAb-positive rows the label rests on structure alone: progressed ->
    False, resolved/shrank -> True, stable -> False, none (biochemical-only
    disease) -> NA.  Rows with ``course_number`` < 2 are NA ("not a repeat
    course").

    Parameters
    ----------
    tg_fall_fraction : float, optional
        Default ``clinical.SECOND_COURSE_TG_FALL_FRACTION`` read at call time.

    Returns
    -------
    DataFrame
        ``second_course_benefit`` ("boolean") and ``second_course_benefit_reason``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"course_number": [1, 2, 2], "structural_change_fu": ["none", "none", "progressed"],
    ...                   "tg_stim_ng_ml": [40.0, 40.0, 40.0], "tg_stim_fu_ng_ml": [5.0, 5.0, 5.0],
    ...                   "tgab_iu_ml": [1.0, 1.0, 1.0]})
    >>> label_second_course_benefit(t)["second_course_benefit"].tolist()
    [<NA>, True, False]
    """
    frac = clinical.SECOND_COURSE_TG_FALL_FRACTION if tg_fall_fraction is None else tg_fall_fraction
    course = col_float(table, "course_number")
    change = col_str(table, "structural_change_fu")
    before, after = col_float(table, "tg_stim_ng_ml"), col_float(table, "tg_stim_fu_ng_ml")
    thr = clinical.TGAB_POSITIVE_IU_ML
    measured = np.column_stack([tri_cmp(col_float(table, c), thr, ">") for c in ("tgab_iu_ml", "tgab_fu_iu_ml")])
    # Positive if any measurement is positive; negative if all measured ones are.
    tgab = np.where((measured == 1).any(1), 1.0,
                    np.where((measured == 0).any(1), 0.0, np.nan))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        fall = np.where(before > 0, (before - after) / np.where(before > 0, before, 1.0), np.nan)
    # Tiny tolerance so that e.g. 40 -> 20 is a fall of exactly 0.5.
    tg_fell = tri_cmp(fall, frac - 1e-12, ">=")
    tg_fell = np.where(tgab == 0, tg_fell, np.where(tgab == 1, 0.0, np.nan))
    no_prog = 1.0 - tri_in(change, ("progressed",))
    shrank = tri_in(change, ("resolved", "shrank"))
    benefit = tri_and(no_prog, tri_or(shrank, tg_fell))
    benefit = np.where((tgab == 1) & (change == "none"), np.nan, benefit)
    repeat = course >= 2
    benefit = np.where(repeat, benefit, np.nan)

    reason = np.select(
        [~repeat & np.isnan(course), ~repeat, no_prog == 0, shrank == 1,
         (tgab == 1) & (change == "none"), tg_fell == 1, (benefit == 0) & (tgab == 1),
         benefit == 0, np.isnan(tgab) & (shrank == 0)],
        ["unknown: course number missing", "not a repeat course", "structural progression",
         "structural disease resolved or shrank",
         "unknown: TgAb positive (Tg unreliable) and no structural disease to follow",
         f"stimulated Tg fell by >= {frac:.0%} without progression",
         "TgAb positive (Tg unreliable): structural disease not smaller",
         f"stimulated Tg fell by < {frac:.0%} and structural disease not smaller",
         "unknown: TgAb not measured, so the Tg fall cannot be trusted"],
        default="unknown: structural change or stimulated Tg before/after missing",
    ).astype(object)
    out = pd.DataFrame(index=table.index)
    out["second_course_benefit"] = to_boolean(benefit)
    out["second_course_benefit_reason"] = reason
    return out
