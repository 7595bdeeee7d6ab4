"""Preprocessors by model family: trees keep NaN, linear models get imputed, scaled inputs.

Examples
--------
>>> import pandas as pd
>>> from rairpredict.features import make_preprocessor
>>> table = pd.DataFrame({"age_years": [30.0, 50.0, None], "smoking": pd.array([True, None, False])})
>>> pre = make_preprocessor(["age_years", "smoking"], "pre_therapy", "linear").fit(table)
>>> list(pre.get_feature_names_out())
['age_years', 'age_years__missing', 'smoking', 'smoking__missing']
>>> bool(pre.transform(table).notna().all().all())
True
"""
from __future__ import annotations

from sklearn.pipeline import Pipeline

from rairpredict.errors import ConfigError
from rairpredict.features._clinical import DEFAULT_LOG_TRANSFORM, ClinicalFeatures
from rairpredict.features._numeric import MedianImputer, Standardizer

__all__ = ["make_preprocessor", "PREPROCESSOR_KINDS"]

PREPROCESSOR_KINDS = ("tree", "linear")


def make_preprocessor(features, decision_point: str = "pre_therapy", kind: str = "tree", *,
                      missing_indicators: str = "auto", log_transform=DEFAULT_LOG_TRANSFORM):
    """Unfitted preprocessor for one model family (pandas output, readable names).

    Parameters
    ----------
    features : list of str or None
        Canonical fields (see :class:`ClinicalFeatures`).
    decision_point : str
        Contract stage; the leakage guard runs when the preprocessor is fitted.
    kind : {"tree", "linear"}
        ``"tree"``: :class:`ClinicalFeatures` only, NaN kept (XGBoost handles it).
        ``"linear"``: ClinicalFeatures, median imputation and standard scaling,
        for penalised logistic regression. Every step is fitted on the rows
        passed to ``fit`` only, so use it inside the cross-validation loop.

    Returns
    -------
    ClinicalFeatures or sklearn.pipeline.Pipeline
        The first step is always the :class:`ClinicalFeatures` (its
        ``feature_source_`` maps output columns to canonical fields).
    """
    clinical = ClinicalFeatures(features, decision_point=decision_point,
                                missing_indicators=missing_indicators, log_transform=log_transform)
    if kind == "tree":
        return clinical.set_output(transform="pandas")
    if kind == "linear":
        # Our own imputer and scaler: their fitted state is plain numbers, so a saved
        # model stays data (see rairpredict.models.artifact). An all-NaN column in a
        # small training fold is kept (imputed 0), so output names match the fit.
        pipe = Pipeline([
            ("clinical", clinical),
            ("impute", MedianImputer()),
            ("scale", Standardizer()),
        ])
        return pipe.set_output(transform="pandas")
    raise ConfigError(f"preprocessor kind {kind!r}; expected one of {PREPROCESSOR_KINDS}")
