"""ATA 2015 response-to-therapy label."""
from __future__ import annotations

import numpy as np
import pandas as pd

from rairpredict.cohort.derive import col_float, col_str, to_category, tri_cmp, tri_or
from rairpredict.reference import clinical

__all__ = ["label_ata_response", "ATA_RESPONSES"]

ATA_RESPONSES = ("excellent", "indeterminate", "biochemical_incomplete", "structural_incomplete")


def label_ata_response(
    table: pd.DataFrame,
    *,
    excellent_suppressed_tg=None,
    excellent_stimulated_tg=None,
    biochemical_suppressed_tg=None,
    biochemical_stimulated_tg=None,
    tgab_positive_iu_ml: float | None = None,
    require_imaging: bool = True,
) -> pd.DataFrame:
    """ATA 2015 response to therapy (Haugen 2016, Table 13) per course.

    Categories are assigned in order of severity from the follow-up fields
    ``imaging_fu``, ``tg_suppressed_fu_ng_ml`` (Tg_s), ``tg_stim_fu_ng_ml``
    (Tg_st), ``tgab_fu_iu_ml`` and ``tgab_trend``:

    1. ``structural_incomplete``: ``imaging_fu == "structural"`` (any Tg/TgAb).
    2. ``biochemical_incomplete``: imaging negative or non-specific and
       (Tg_s >= 1 or Tg_st >= 10 or TgAb rising).  A high Tg counts even with
       TgAb, which can only lower measured Tg.
    3. ``excellent``: imaging negative, TgAb known negative (<= the positivity
       threshold) and every measured Tg below its excellent cut-off (Tg_s < 0.2,
       Tg_st < 1; at least one measured).  When both were measured the less
       favourable one classifies (ATA 2015 lists either test because often only
       one is done; suppressed 0.1 with stimulated 5 ng/mL is indeterminate, not
       excellent -- see ``clinical.RESPONSE_BOTH_TG_LESS_FAVOURABLE``).
       TgAb-positive or TgAb-unmeasured patients are never excellent by an
       undetectable Tg.
    4. ``indeterminate``: otherwise, when imaging is known and there is a
       finding for it: non-specific imaging, detectable Tg below the
       biochemical cut-offs, or TgAb positive and stable/declining.
    5. NA otherwise (e.g. TgAb positive with unknown trend, no Tg measured,
       imaging missing while ``require_imaging``).

    An unmeasured Tg (one of the two) neither supports nor excludes a class;
    the other decides.  Where the result is NA and ``ata_response_reported``
    is present, the reported category is used (reason starts "reported"),
    except a reported "excellent" for a TgAb-positive patient (stays NA).

    Parameters
    ----------
    table : DataFrame
    excellent_suppressed_tg, excellent_stimulated_tg, biochemical_suppressed_tg, biochemical_stimulated_tg : (float, str), optional
        (value, inequality) pairs; defaults are the ``RESPONSE_*`` constants of
        :mod:`rairpredict.reference.clinical` (ATA 2015), read at call time.
    tgab_positive_iu_ml : float, optional
        TgAb > this is positive; default ``clinical.TGAB_POSITIVE_IU_ML``.
    require_imaging : bool, default True
        If False, missing ``imaging_fu`` is read as negative imaging.

    Returns
    -------
    DataFrame
        ``ata_response`` (category) and ``ata_response_reason`` (str).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"imaging_fu": ["negative", "negative", "structural"],
    ...                   "tg_stim_fu_ng_ml": [0.5, 10.0, 0.1], "tgab_fu_iu_ml": [1.0, 1.0, 1.0]})
    >>> label_ata_response(t)["ata_response"].tolist()
    ['excellent', 'biochemical_incomplete', 'structural_incomplete']
    """
    ex_s = excellent_suppressed_tg or clinical.RESPONSE_EXCELLENT_SUPPRESSED_TG
    ex_st = excellent_stimulated_tg or clinical.RESPONSE_EXCELLENT_STIMULATED_TG
    bi_s = biochemical_suppressed_tg or clinical.RESPONSE_BIOCHEMICAL_SUPPRESSED_TG
    bi_st = biochemical_stimulated_tg or clinical.RESPONSE_BIOCHEMICAL_STIMULATED_TG
    tgab_thr = clinical.TGAB_POSITIVE_IU_ML if tgab_positive_iu_ml is None else tgab_positive_iu_ml

    img = col_str(table, "imaging_fu")
    if not require_imaging:
        img = np.where(img == None, "negative", img)  # noqa: E711
    tg_s = col_float(table, "tg_suppressed_fu_ng_ml")
    tg_st = col_float(table, "tg_stim_fu_ng_ml")
    tgab = tri_cmp(col_float(table, "tgab_fu_iu_ml"), tgab_thr, ">")
    trend = col_str(table, "tgab_trend")

    structural = img == "structural"
    img_ok = (img == "negative") | (img == "nonspecific")
    bio_s, bio_st = tri_cmp(tg_s, *bi_s) == 1, tri_cmp(tg_st, *bi_st) == 1
    rising = trend == "rising"
    biochemical = img_ok & (bio_s | bio_st | rising)
    ok_s, ok_st = tri_cmp(tg_s, *ex_s), tri_cmp(tg_st, *ex_st)
    # Less favourable Tg classifies: one measured Tg above its excellent cut-off
    # vetoes "excellent" even if the other is undetectable.
    low_tg = ((ok_s == 1) | (ok_st == 1)) & (ok_s != 0) & (ok_st != 0)
    if not clinical.RESPONSE_BOTH_TG_LESS_FAVOURABLE:  # the pre-2015 reading: either low Tg suffices
        low_tg = (ok_s == 1) | (ok_st == 1)
    excellent = (img == "negative") & (tgab == 0) & low_tg & ~biochemical
    detectable = (ok_s == 0) | (ok_st == 0)
    tgab_quiet = (tgab == 1) & ((trend == "stable") | (trend == "declining"))
    # TgAb positive with unknown trend could be rising (biochemical): unknown.
    tgab_open = (tgab == 1) & (trend == None)  # noqa: E711
    nonspecific = img == "nonspecific"
    indeterminate = img_ok & ~biochemical & ~excellent & ~tgab_open & (nonspecific | detectable | tgab_quiet)

    cats = np.select([structural, biochemical, excellent, indeterminate],
                     ["structural_incomplete", "biochemical_incomplete", "excellent", "indeterminate"],
                     default="")
    reason = np.select(
        [structural, biochemical & rising, biochemical & bio_st, biochemical,
         excellent, indeterminate & nonspecific, indeterminate & detectable, indeterminate],
        ["structural or functional evidence of disease on imaging",
         "rising TgAb without structural disease",
         f"stimulated Tg {bi_st[1]} {bi_st[0]:g} ng/mL without structural disease",
         f"suppressed Tg {bi_s[1]} {bi_s[0]:g} ng/mL without structural disease",
         f"negative imaging, TgAb negative, every measured Tg below {ex_s[0]:g} (suppressed) / {ex_st[0]:g} "
         "(stimulated) ng/mL",
         "non-specific imaging findings",
         "detectable Tg below the biochemical-incomplete cut-offs",
         "TgAb positive, stable or declining, without structural disease"],
        default="",
    ).astype(object)

    missing = cats == ""
    why = np.where(img_ok | (img == "structural"),
                   np.where(tgab_open, "unknown: TgAb positive with unknown trend",
                            "unknown: Tg/TgAb insufficient to classify"),
                   "unknown: follow-up imaging missing")
    reason = np.where(missing, why, reason)
    reported = col_str(table, "ata_response_reported")
    # A reported "excellent" cannot stand for a TgAb-positive patient.
    use_rep = missing & (reported != None) & ~((reported == "excellent") & (tgab == 1))  # noqa: E711
    cats = np.where(use_rep, reported, cats)
    reason = np.where(use_rep, "reported: " + reported.astype(str), reason)
    out = pd.DataFrame(index=table.index)
    out["ata_response"] = to_category(np.where(cats == "", None, cats), "ata_response_reported")
    out["ata_response_reason"] = reason.astype(object)
    return out
