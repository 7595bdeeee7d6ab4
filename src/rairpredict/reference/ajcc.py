"""AJCC/UICC TNM categories of differentiated thyroid cancer across editions (5th-8th).

The canonical table holds the **8th edition** (Amin MB et al., eds. AJCC Cancer
Staging Manual, 8th ed. Springer 2017; Tuttle RM et al., "Updated American
Joint Committee on Cancer/Tumor-Node-Metastasis Staging System for
Differentiated and Anaplastic Thyroid Cancer (Eighth Edition): What Changed and
Why?", Thyroid 2017;27:751-756). The 8th edition's T rules used to restage:

- T1a <= 1 cm, T1b > 1-2 cm, T2 > 2-4 cm, T3a > 4 cm, all limited to the thyroid;
- T3b gross extrathyroidal extension (ETE) into strap muscles, any size;
- T4a gross ETE into subcutaneous soft tissue, larynx, trachea, oesophagus or
  recurrent laryngeal nerve; T4b prevertebral fascia or encasing the carotid
  artery or mediastinal vessels;
- minimal (microscopic) ETE no longer changes T (in the 7th edition it made T3);
- N1a = level VI **or VII** (upper mediastinal); N1b = lateral (I-V) or
  retropharyngeal. In the 6th/7th editions level VII was N1b.

Earlier editions (AJCC Cancer Staging Manual 5th ed. 1997, 6th ed. 2002, 7th ed.
2010): the 7th and 6th share T1 <= 2 cm (the 7th splits T1a/T1b at 1 cm),
T2 > 2-4 cm, T3 > 4 cm *or any size with minimal ETE* (strap muscles
included), T4a/T4b as in the 8th; the 5th has T1 <= 1 cm, T2 > 1-4 cm,
T3 > 4 cm, T4 any size beyond the capsule (minimal ETE included), and its
N1a/N1b mean ipsilateral vs bilateral/contralateral/mediastinal nodes.

Examples
--------
>>> from rairpredict.reference.ajcc import t_by_size_mm
>>> [t_by_size_mm(s) for s in (10.0, 10.5, 40.0, 41.0)]
['T1a', 'T1b', 'T2', 'T3a']
"""
from __future__ import annotations

__all__ = ["AJCC8_T_SIZE_LIMITS_MM", "COARSE_CATEGORIES", "T_GROSS_ETE", "N1_CATEGORIES", "t_by_size_mm",
           "TNM_EDITION_DEFAULT"]

#: Edition a cohort config is assumed to use when it declares none.
TNM_EDITION_DEFAULT = 8

#: 8th-edition T by largest diameter for a tumour limited to the thyroid:
#: (upper limit in mm, inclusive, category). Above the last limit: T3a.
AJCC8_T_SIZE_LIMITS_MM = ((10.0, "T1a"), (20.0, "T1b"), (40.0, "T2"))

#: Coarse categories (no sub-letter) and the 8th-edition categories they stand for.
COARSE_CATEGORIES = {
    "t_stage": {"T1": ("T1a", "T1b"), "T3": ("T3a", "T3b"), "T4": ("T4a", "T4b")},
    "n_stage": {"N1": ("N1a", "N1b")},
}

#: T categories that mean gross extrathyroidal extension (8th edition).
T_GROSS_ETE = ("T3b", "T4a", "T4b", "T4")

#: N categories that mean regional nodal metastasis, coarse N1 included.
N1_CATEGORIES = ("N1a", "N1b", "N1")


def t_by_size_mm(size_mm: float) -> str | None:
    """8th-edition T of a tumour limited to the thyroid (no gross ETE), from its largest diameter."""
    if size_mm != size_mm or size_mm is None:  # NaN
        return None
    for limit, category in AJCC8_T_SIZE_LIMITS_MM:
        if size_mm <= limit:
            return category
    return "T3a"
