"""Feature pipeline: canonical cohort table -> model matrix, with a leakage guard.

* :func:`check_leakage` refuses fields not yet known at a decision point.
* :class:`ClinicalFeatures` selects and encodes canonical fields (scikit-learn
  transformer, pandas output, names traceable to canonical fields).
* :func:`make_preprocessor` builds the preprocessor for tree or linear models.
"""
from rairpredict.features._clinical import DEFAULT_LOG_TRANSFORM, ORDINAL_LEVELS, ClinicalFeatures
from rairpredict.features._leakage import check_leakage
from rairpredict.features._preprocess import PREPROCESSOR_KINDS, make_preprocessor

__all__ = ["check_leakage", "ClinicalFeatures", "make_preprocessor", "ORDINAL_LEVELS",
           "DEFAULT_LOG_TRANSFORM", "PREPROCESSOR_KINDS"]
