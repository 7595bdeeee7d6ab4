"""XGBoost estimators fitted on bare arrays, their feature names attached afterwards.

XGBoost checks the training matrix's feature names against the booster's at
*every* boosting round (``Booster.update`` -> ``_assign_dmatrix_features``),
converting each name list from C strings four times a round. With the ~50
engineered columns of this package and hundreds of rounds per fit, that was
42 % of the demo's XGBoost cross-validation time (10.1 of 24.1 s under
cProfile, 2 cores). Fitting on the values alone and then giving the booster
the frame's names and types is the same model: the saved booster bytes and
every prediction are identical (tests/models/test_xgb_fit.py).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from rairpredict.models._xgb import NamedXGBClassifier
>>> X = pd.DataFrame(np.random.default_rng(0).normal(size=(60, 2)), columns=["a", "b"])
>>> m = NamedXGBClassifier(n_estimators=5).fit(X, (X.a > 0).astype(int))
>>> m.get_booster().feature_names, m.feature_names_in_.tolist()
(['a', 'b'], ['a', 'b'])
"""
from __future__ import annotations

import numpy as np
from xgboost import DMatrix, XGBClassifier, XGBRegressor

__all__ = ["NamedXGBClassifier", "NamedXGBRegressor"]


def _fit_unnamed(estimator, fit, X, y, **kwargs):
    columns = getattr(X, "columns", None)
    if columns is None:
        return fit(X, y, **kwargs)
    names = [str(c) for c in columns]
    types = DMatrix(X.iloc[:0]).feature_types  # what XGBoost infers from the frame's dtypes
    fit(np.asarray(X.to_numpy(dtype=np.float64, na_value=np.nan)), y, **kwargs)
    booster = estimator.get_booster()
    booster.feature_names, booster.feature_types = names, types
    return estimator


class NamedXGBClassifier(XGBClassifier):
    """:class:`xgboost.XGBClassifier` fitted on the frame's values; saved and loaded as an XGBClassifier."""

    def fit(self, X, y, **kwargs):
        return _fit_unnamed(self, super().fit, X, y, **kwargs)


class NamedXGBRegressor(XGBRegressor):
    """:class:`xgboost.XGBRegressor` fitted on the frame's values (the Cox survival model)."""

    def fit(self, X, y, **kwargs):
        return _fit_unnamed(self, super().fit, X, y, **kwargs)
