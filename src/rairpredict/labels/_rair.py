"""RAI-refractory (RAIR) label: Study B's five criteria in three-valued logic."""
from __future__ import annotations

import numpy as np
import pandas as pd

from rairpredict.cohort.derive import (col_float, col_str, col_tri, to_boolean, tri_and,
                                       tri_cmp, tri_in, tri_not, tri_or)
from rairpredict.reference import clinical

__all__ = ["label_rair"]

_SCAN_FIELDS = ("post_scan_any_uptake", "post_scan_uptake_loss", "known_lesions", "lesions_without_uptake")
_FOLLOW_UP_FIELDS = ("structural_progression_12_16m", "persistent_disease", "fdg_pet")


def label_rair(table: pd.DataFrame, *, cumulative_threshold_gbq: float | None = None) -> pd.DataFrame:
    """Label each course RAI-refractory or not by Study B's five criteria.

    Criteria (``clinical.RAIR_CRITERIA``; Rakhmankulova 2024, seed 001), each
    three-valued (True / False / NA = not evaluable):

    1. **No uptake or loss of uptake in known disease**: known disease
       (``known_lesions`` > 0, ``lesions_without_uptake`` > 0 or
       ``persistent_disease``) AND (``post_scan_any_uptake`` False OR
       ``post_scan_uptake_loss`` True; missing loss is False on course 1,
       which has no earlier scan to compare with).  Reading chosen: criterion 1 as written
       ("no uptake on the post-therapy scan") would call every patient whose
       remnant was ablated earlier refractory, so it applies only where there is
       disease that should take up iodine; known absence of disease makes it
       False.  Loss of uptake is gated the same way (a remnant also loses uptake
       as it is ablated).
    2. **A lesion without uptake**: ``lesions_without_uptake`` > 0 (ATA "RAI in
       some lesions but not others" included).  Known to be False when
       ``known_lesions`` == 0.
    3. **Progression despite uptake**: ``structural_progression_12_16m`` True
       AND uptake *in a lesion* on the post-therapy scan (``known_lesions`` >
       ``lesions_without_uptake``).  Uptake anywhere on the scan (e.g. only in
       the thyroid bed) is not enough: the criterion is about iodine-avid
       disease that progresses (``clinical.RAIR_CRITERIA[3]``).  A scan without
       any uptake has no avid lesion.  Progression is read as False when
       ``persistent_disease`` is False (no tumour cannot progress).
    4. **Persistent disease after >= threshold cumulative activity**:
       ``persistent_disease`` True AND ``cumulative_activity_gbq`` >=
       ``cumulative_threshold_gbq`` (default 22.2 GBq = 600 mCi, inclusive).
       Persistence is read as True when progression is True.
    5. **Flip-flop**: ``fdg_pet`` positive AND an 131I-negative lesion
       (``post_scan_any_uptake`` False OR ``lesions_without_uptake`` > 0).
       Difference from 1/2: here the FDG-avid lesion itself is the evidence
       of disease, so no *known* disease is needed (criterion 1 needs it) and
       the lesion need not be individually identified as iodine-negative on
       the scan (criterion 2 needs that); where both hold the criteria overlap
       (Study B assigned each patient one criterion; we report all).  FDG PET
       not done (missing) counts as "not positive" only when disease is known
       to be absent (PET is done when disease is suspected); otherwise NA.

    The inferences assume consistent data (``lesions_without_uptake`` <=
    ``known_lesions``; progression only with persistent disease; a positive
    FDG PET only with persistent disease or known lesions); under that
    assumption removing an input never turns a known label into its
    opposite, only into NA.

    Combination: any criterion True -> ``rair`` True; all five False -> False;
    otherwise NA ("unknown: criteria ... not evaluable").  ATA 2025 Rec 59A:
    without a post-therapy scan and without follow-up (all of
    post-scan fields and of progression/persistence/FDG missing) ``rair`` is
    NA even if a criterion could be decided otherwise.

    Parameters
    ----------
    table : DataFrame
        Canonical table (one row per course); absent columns are all-missing.
    cumulative_threshold_gbq : float, optional
        Criterion 4 threshold; default ``clinical.RAIR_CUMULATIVE_ACTIVITY_GBQ``
        read at call time.

    Returns
    -------
    DataFrame
        Same index; ``rair``, ``rair_criterion_1`` .. ``rair_criterion_5``
        ("boolean") and ``rair_reason`` (str).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"post_scan_any_uptake": [True, True],
    ...                   "known_lesions": [2, 0], "lesions_without_uptake": [0, 0],
    ...                   "structural_progression_12_16m": [True, False],
    ...                   "persistent_disease": [True, False], "fdg_pet": [None, None],
    ...                   "cumulative_activity_gbq": [7.4, 3.7]})
    >>> label_rair(t)["rair"].tolist()
    [True, False]
    """
    thr = clinical.RAIR_CUMULATIVE_ACTIVITY_GBQ if cumulative_threshold_gbq is None else cumulative_threshold_gbq
    uptake = col_tri(table, "post_scan_any_uptake")
    loss = col_tri(table, "post_scan_uptake_loss")
    known = col_float(table, "known_lesions")
    without = col_float(table, "lesions_without_uptake")
    prog = col_tri(table, "structural_progression_12_16m")
    persist = col_tri(table, "persistent_disease")
    fdg = col_str(table, "fdg_pet")
    cum = col_float(table, "cumulative_activity_gbq")

    # Inferences from the raw fields (consistent data assumed): no known lesion
    # -> none without uptake; no persistent disease -> no progression;
    # progression -> persistent disease; a first course has no earlier scan,
    # so no loss of uptake.
    loss = np.where(np.isnan(loss) & (col_float(table, "course_number") == 1), 0.0, loss)
    without_pos = np.where(np.isnan(without) & (known == 0), 0.0, tri_cmp(without, 0, ">"))
    prog = np.where(np.isnan(prog) & (persist == 0), 0.0, prog)
    persist = np.where(np.isnan(persist) & (prog == 1), 1.0, persist)
    disease = tri_or(tri_cmp(known, 0, ">"), without_pos, persist)

    c1 = tri_and(disease, tri_or(tri_not(uptake), loss))
    c2 = without_pos
    # Lesion uptake: at least one known lesion took up 131I; none if the scan
    # shows no uptake at all or there is no known lesion.
    with np.errstate(invalid="ignore"):
        lesion_uptake = tri_cmp(known - np.where(np.isnan(without) & (known == 0), 0.0, without), 0, ">")
    lesion_uptake = np.where(uptake == 0, 0.0, lesion_uptake)
    c3 = tri_and(prog, lesion_uptake)
    c4 = tri_and(persist, tri_cmp(cum, thr, ">="))
    fdg_pos = tri_in(fdg, ("positive",))
    fdg_pos = np.where(np.isnan(fdg_pos) & (disease == 0), 0.0, fdg_pos)
    c5 = tri_and(fdg_pos, tri_or(tri_not(uptake), without_pos))
    crit = np.column_stack([c1, c2, c3, c4, c5])

    rair = tri_or(*crit.T)
    informed = np.zeros(len(table), dtype=bool)
    for name in _SCAN_FIELDS + _FOLLOW_UP_FIELDS:
        if name in table:
            informed |= table[name].notna().to_numpy()
    rair = np.where(informed, rair, np.nan)

    out = pd.DataFrame(index=table.index)
    out["rair"] = to_boolean(rair)
    for i in range(5):
        out[f"rair_criterion_{i + 1}"] = to_boolean(crit[:, i])
    out["rair_reason"] = _reasons(crit, informed)
    return out


def _reasons(crit: np.ndarray, informed: np.ndarray) -> np.ndarray:
    """One readable reason per row, built once per distinct criteria pattern."""
    bits = 1 << np.arange(5)
    true_code = ((crit == 1) * bits).sum(1)
    na_code = (np.isnan(crit) * bits).sum(1)
    key = np.where(informed, true_code * 32 + na_code, -1)
    uniq, inverse = np.unique(key, return_inverse=True)
    texts = []
    for k in uniq:
        if k < 0:
            texts.append("unknown: no post-therapy scan or follow-up after an activity (ATA 2025 Rec 59A)")
            continue
        t, u = divmod(int(k), 32)
        fired = [i + 1 for i in range(5) if t >> i & 1]
        open_ = [i + 1 for i in range(5) if u >> i & 1]
        if fired:
            texts.append("; ".join(f"criterion {i}: {clinical.RAIR_CRITERIA[i]}" for i in fired))
        elif open_:
            texts.append("unknown: criteria " + ", ".join(map(str, open_)) + " not evaluable, none met")
        else:
            texts.append("no criterion met")
    return np.asarray(texts, dtype=object)[inverse.ravel()]
