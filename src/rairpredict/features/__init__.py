"""Feature pipeline: canonical cohort table -> model matrix, with a leakage guard.

* :func:`check_leakage` refuses fields not yet known at a decision point.
* :class:`ClinicalFeatures` selects and encodes canonical fields (scikit-learn
  transformer, pandas output, names traceable to canonical fields).
* :func:`make_preprocessor` builds the preprocessor for tree or linear models.
* :mod:`rairpredict.features._kernels`: the fitted math as NumPy kernels, which
  the transformers and the lean scoring plan share.

Names are imported on first use: scoring a saved model reads the kernels
only, never scikit-learn (issue 15, cold start).
"""
import importlib

__all__ = ["check_leakage", "ClinicalFeatures", "make_preprocessor", "ORDINAL_LEVELS",
           "DEFAULT_LOG_TRANSFORM", "PREPROCESSOR_KINDS"]

_HOME = {"check_leakage": "_leakage", "ClinicalFeatures": "_clinical", "make_preprocessor": "_preprocess",
         "PREPROCESSOR_KINDS": "_preprocess", "ORDINAL_LEVELS": "_kernels", "DEFAULT_LOG_TRANSFORM": "_kernels"}


def __getattr__(name):
    if name in _HOME:
        value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *__all__})
