"""Median imputation and standard scaling whose fitted state is plain numbers.

They replace scikit-learn's ``SimpleImputer`` and ``StandardScaler`` in the
linear preprocessor so that a saved model is data (a list of medians, means and
scales in JSON), never a pickled object. Both follow the scikit-learn
transformer contract (``fit``/``transform``, ``n_features_in_``,
``feature_names_in_``, ``get_feature_names_out``, ``set_output``).

Examples
--------
>>> import numpy as np
>>> from rairpredict.features._numeric import MedianImputer, Standardizer
>>> X = np.array([[1.0, np.nan], [3.0, np.nan], [np.nan, np.nan]])
>>> MedianImputer().fit(X).statistics_.tolist()   # an all-missing column imputes 0
[2.0, 0.0]
>>> Standardizer().fit([[1.0], [3.0]]).transform([[2.0]]).tolist()
[[0.0]]
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from rairpredict.features._kernels import impute, standardize

__all__ = ["MedianImputer", "Standardizer"]


class MedianImputer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Replace NaN by the training median of each column (0 for an all-missing column).

    An all-missing column is kept (imputed 0), so output names never depend on
    which rows a small training fold happened to get.

    Attributes
    ----------
    statistics_ : ndarray of shape (n_features,)
        Median of each column over its non-missing training values.
    """

    def fit(self, X, y=None):
        """Learn the column medians from the training rows."""
        X = validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan", reset=True)
        present = ~np.isnan(X)
        stats = np.zeros(X.shape[1])
        for j in range(X.shape[1]):
            if present[:, j].any():
                stats[j] = np.median(X[present[:, j], j])
        self.statistics_ = stats
        return self

    def transform(self, X):
        """Fill NaN with the fitted medians."""
        check_is_fitted(self, "statistics_")
        X = validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan", reset=False, copy=True,
                          ensure_min_samples=0)  # an empty batch scores to an empty output
        return impute(X, self.statistics_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


class Standardizer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Centre each column on its training mean and divide by its training SD (1 where the SD is 0).

    Attributes
    ----------
    mean_, scale_ : ndarray of shape (n_features,)
        Training mean and population standard deviation (``ddof=0``).
    """

    def fit(self, X, y=None):
        """Learn the column means and standard deviations from the training rows."""
        X = validate_data(self, X, dtype=np.float64, reset=True)
        self.mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        # a constant column (SD 0, or below rounding noise) is centred, not blown up
        self.scale_ = np.where(scale <= 10 * np.finfo(np.float64).eps * np.maximum(np.abs(self.mean_), 1.0),
                               1.0, scale)
        return self

    def transform(self, X):
        """Centre and scale with the fitted mean and SD."""
        check_is_fitted(self, "scale_")
        X = validate_data(self, X, dtype=np.float64, reset=False, copy=True, ensure_min_samples=0)
        return standardize(X, self.mean_, self.scale_)
