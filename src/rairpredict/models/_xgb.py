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

__all__ = ["NamedXGBClassifier", "NamedXGBRegressor", "TrainingMatrix"]


def _values(X) -> np.ndarray:
    """The float64 matrix XGBoost is given (a frame's missing values as NaN)."""
    if hasattr(X, "to_numpy"):
        return np.asarray(X.to_numpy(dtype=np.float64, na_value=np.nan))
    return np.asarray(X, dtype=np.float64)


def _fit_unnamed(estimator, fit, X, y, **kwargs):
    columns = getattr(X, "columns", None)
    if columns is None:
        return fit(X, y, **kwargs)
    names = [str(c) for c in columns]
    types = DMatrix(X.iloc[:0]).feature_types  # what XGBoost infers from the frame's dtypes
    fit(_values(X), y, **kwargs)
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


class TrainingMatrix:
    """One training matrix for many XGBoost classifier fits (the trials of a tuning study).

    ``XGBClassifier.fit`` builds its ``QuantileDMatrix`` (the histogram cuts)
    anew on every call, and its training loop evaluates an empty list of
    matrices after every round. A study fits the same inner fold once per
    trial, so this builds the matrix once and boosts with the classifier's own
    parameters, round by round: the booster is the one ``fit`` makes, byte for
    byte, and so are its predictions (tests/models/test_xgb_fit.py). In the
    demo's RAIR tuning it saved ~4.5 s of 22 s of XGBoost fitting (cProfile).

    Parameters
    ----------
    X, y : training rows (frame or array) and 0/1 labels.
    template : XGBClassifier
        An unfitted classifier: the matrix takes its ``missing``, ``max_bin``
        and ``n_jobs``; :meth:`fit_predict` refuses a classifier that differs in them.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(80, 3)); y = (X[:, 0] > 0).astype(int)
    >>> clf = NamedXGBClassifier(n_estimators=5, max_bin=32)
    >>> p = TrainingMatrix(X, y, clf).fit_predict(clf, X)
    >>> bool(np.array_equal(p, clf.fit(X, y).predict_proba(X)[:, 1]))
    True
    """

    def __init__(self, X, y, template):
        from xgboost import QuantileDMatrix

        self._key = self._matrix_params(template)
        missing, max_bin, n_jobs = self._key
        self.matrix = QuantileDMatrix(_values(X), label=np.asarray(y), missing=missing, nthread=n_jobs,
                                      max_bin=max_bin)

    @staticmethod
    def _matrix_params(clf) -> tuple:
        if clf.tree_method not in (None, "hist") or clf.booster not in (None, "gbtree"):
            raise ValueError("TrainingMatrix serves hist gbtree classifiers only")
        return clf.missing, clf.max_bin, clf.n_jobs

    def booster(self, clf):
        """The booster ``clf.fit`` would make on these rows (``clf`` is left unfitted)."""
        from xgboost import Booster

        if self._matrix_params(clf) != self._key:
            raise ValueError("the classifier's missing / max_bin / n_jobs differ from the matrix's")
        if clf.early_stopping_rounds or clf.callbacks or callable(clf.objective):
            raise ValueError("TrainingMatrix fits plain boosting only (no early stopping, callbacks, custom objective)")
        booster = Booster(clf.get_xgb_params(), [self.matrix])
        for i in range(clf.get_num_boosting_rounds()):
            booster.update(self.matrix, iteration=i)
        return booster

    def fit_predict(self, clf, X) -> np.ndarray:
        """Probability of class 1 for ``X`` (float32, as ``clf.fit(...).predict_proba(X)[:, 1]``)."""
        return self.booster(clf).inplace_predict(_values(X), predict_type="value", missing=clf.missing)
