"""ClinicalFeatures: canonical cohort table -> numeric model matrix.

Encoding decisions (why, not what):

* Ordered categories (TNM, ETE, AJCC stage, ATA risk, ...) become one integer
  column (0, 1, 2, ...) so that trees and linear models can use the order.
  Unknown codes (``TX``, ``NX``, ``MX``) become NaN: they mean "not assessed",
  not "lowest". A coarse category (``T1``, ``T3``, ``T4``, ``N1``: an older
  record whose sub-category is unknown) takes the mean code of its
  sub-categories (T1 = 0.5 between T1a 0 and T1b 1; N1 = 1.5), so the order is
  kept and the value is neither sub-category; NaN would throw away the known
  part ("T3, not T1").
* Extra columns of a cohort config (``table.attrs``, see
  :func:`rairpredict.cohort.contract.schema_of`) are encoded by their declared
  type and checked against their declared stage like contract fields.
* Nominal categories become one 0/1 column per category *seen in the training
  rows*. A category first seen at transform gives an all-zero row (no error:
  a new site must still be scorable); a missing value also gives all zeros.
* Booleans become 0/1 floats; NaN is kept (XGBoost routes it natively; the
  linear preprocessor imputes it).
* Skewed laboratory values (Tg, TgAb, Tg/TSH) get ``log1p``.
* Missingness is informative in these records (Tg is not measured when TgAb is
  positive, BRAF is tested in selected patients), so ``missing_indicators="auto"``
  adds ``<field>__missing`` for every feature that had missing values in the
  training rows.

Examples
--------
>>> import pandas as pd
>>> from rairpredict.features import ClinicalFeatures
>>> table = pd.DataFrame({
...     "t_stage": pd.Categorical(["T1a", "T3a", "TX"]),
...     "histology": pd.Categorical(["follicular", "papillary_classic", "follicular"]),
...     "tg_stim_ng_ml": [0.0, 9.0, None],
... })
>>> cf = ClinicalFeatures(["t_stage", "histology", "tg_stim_ng_ml"]).fit(table)
>>> list(cf.get_feature_names_out())  # doctest: +NORMALIZE_WHITESPACE
['t_stage', 't_stage__missing', 'histology=papillary_classic', 'histology=follicular',
 'log1p(tg_stim_ng_ml)', 'tg_stim_ng_ml__missing']
>>> cf.transform(table)["t_stage"].tolist()
[0.0, 3.0, nan]
>>> cf.feature_source_["histology=follicular"]
'histology'
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from rairpredict.cohort.contract import schema_of
from rairpredict.errors import ConfigError, ContractError
from rairpredict.features._kernels import (DEFAULT_LOG_TRANSFORM, ORDINAL_LEVELS, as_float, as_labels,
                                           encode_column, encoded_names)
from rairpredict.features._leakage import check_leakage

__all__ = ["ClinicalFeatures", "ORDINAL_LEVELS", "DEFAULT_LOG_TRANSFORM"]

_MISSING_MODES = ("auto", "all", "none")


class ClinicalFeatures(TransformerMixin, BaseEstimator):
    """Select canonical fields known at a decision point and encode them numerically.

    Parameters
    ----------
    features : list of str or None, default=None
        Canonical column names to use. ``None`` uses every contract field of
        the input table known at ``decision_point`` (identifier, oracle
        columns excluded).
    decision_point : str or None, default="pre_therapy"
        Contract stage of the model; :func:`check_leakage` runs in ``fit``.
        ``None`` is the generic numeric mode: no contract guard, columns not in
        the contract are encoded from their pandas dtype (used by the
        scikit-learn estimator checks and for non-canonical tables).
    missing_indicators : {"auto", "all", "none"}, default="auto"
        ``"auto"`` adds ``<name>__missing`` for features with missing values
        in the training rows; ``"all"`` for every feature; ``"none"`` never.
    log_transform : tuple of str, default=DEFAULT_LOG_TRANSFORM
        Numeric fields that get ``log1p`` (output name ``log1p(<name>)``).

    Attributes
    ----------
    features_ : list of str
        Canonical fields used, in input order.
    kinds_ : dict
        Field -> ``"numeric"``, ``"log1p"``, ``"bool"``, ``"ordinal"`` or ``"nominal"``.
    categories_ : dict
        Nominal field -> categories learned from the training rows.
    missing_indicator_features_ : list of str
        Fields that got a ``__missing`` column.
    feature_source_ : dict
        Output column -> canonical field (for explanations in canonical names).
    extra_fields_ : list of dict
        The cohort config's extra columns among the features (type, stage,
        values; :meth:`rairpredict.cohort.contract.Field.to_dict`).
    n_features_in_, feature_names_in_
        As in scikit-learn.
    """

    def __init__(self, features=None, decision_point="pre_therapy", missing_indicators="auto",
                 log_transform=DEFAULT_LOG_TRANSFORM):
        self.features = features
        self.decision_point = decision_point
        self.missing_indicators = missing_indicators
        self.log_transform = log_transform

    # ------------------------------------------------------------------ helpers
    def _frame(self, X, reset: bool) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            if self.decision_point is None:
                validate_data(self, X, reset=reset, skip_check_array=True)
            elif reset:
                self.n_features_in_ = X.shape[1]
                self.feature_names_in_ = np.asarray(X.columns, dtype=object)
            return X
        if self.decision_point is not None:
            raise TypeError("ClinicalFeatures needs the canonical cohort table as a pandas DataFrame "
                            "(column names select and encode the fields); got "
                            f"{type(X).__name__}. Use decision_point=None for plain numeric arrays.")
        arr = validate_data(self, X, reset=reset, ensure_all_finite="allow-nan", dtype="numeric")
        arr = check_array(arr, ensure_all_finite="allow-nan")
        return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])

    def _kind(self, name: str, col: pd.Series, contract) -> str:
        if name in contract:
            dtype = contract[name].dtype
            if dtype == "string":
                raise ConfigError(f"feature {name!r} is a free-text field and cannot be a model input")
            if dtype == "bool":
                return "bool"
            if dtype == "category":
                return "ordinal" if name in ORDINAL_LEVELS else "nominal"
        elif pd.api.types.is_bool_dtype(col):
            return "bool"
        elif not pd.api.types.is_numeric_dtype(col):
            return "nominal"
        return "log1p" if name in tuple(self.log_transform) else "numeric"

    def _encode(self, name: str, col: pd.Series) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Encoded block (n, k), its column names, and the row-wise missing mask (the shared kernel)."""
        kind, cats = self.kinds_[name], self.categories_.get(name)
        block, missing = encode_column(kind, name, col, cats)
        return encoded_names(kind, name, cats), block, missing

    # ------------------------------------------------------------------ API
    def fit(self, X, y=None):
        """Learn the columns, categories and missing indicators from the training rows only."""
        if self.missing_indicators not in _MISSING_MODES:
            raise ConfigError(f"missing_indicators={self.missing_indicators!r}; expected one of {_MISSING_MODES}")
        X = self._frame(X, reset=True)
        contract = schema_of(X)
        if self.features is not None:
            features = [str(f) for f in self.features]
        elif self.decision_point is not None:
            features = [c for c in X.columns if c in contract.available_at(self.decision_point)]
        else:
            features = [str(c) for c in X.columns
                        if c != "patient_id" and not contract.is_oracle(str(c))]
        if self.decision_point is not None:
            check_leakage(features, self.decision_point, contract)
        absent = [f for f in features if f not in X.columns]
        if absent:
            raise ContractError(f"column {absent[0]!r}: selected feature missing from the input table "
                                f"({len(absent)} missing in all)")
        if not features:
            raise ConfigError("ClinicalFeatures: no features selected")
        self.features_ = features
        # a trained model remembers its extra columns' types and stages (scoring, input-shift check)
        self.extra_fields_ = [contract[f].to_dict() for f in features if f in contract and contract[f].extra]
        self.kinds_ = {f: self._kind(f, X[f], contract) for f in features}
        self.categories_ = {}
        for f, kind in self.kinds_.items():
            if kind == "nominal":
                seen = set(as_labels(X[f]).dropna())
                order = list(contract[f].categories) if f in contract and contract[f].categories else sorted(seen)
                self.categories_[f] = [c for c in order if c in seen] + sorted(seen - set(order))
        for f, kind in self.kinds_.items():
            if kind == "log1p" and (as_float(X[f]) < 0).any():
                raise ContractError(f"column {f!r}: negative values cannot be log1p-transformed")
        names, source, indicators = [], {}, []
        for f in features:
            out, _, missing = self._encode(f, X[f])
            names += out
            source.update(dict.fromkeys(out, f))
            if self.missing_indicators == "all" or (self.missing_indicators == "auto" and missing.any()):
                indicators.append(f)
                ind = f"{f}__missing"
                names.append(ind)
                source[ind] = f
        self.missing_indicator_features_ = indicators
        self.feature_names_out_ = np.asarray(names, dtype=object)
        self.feature_source_ = source
        return self

    def transform(self, X):
        """Encode rows with the fitted state (never changes it)."""
        check_is_fitted(self, "feature_names_out_")
        X = self._frame(X, reset=False)
        absent = [f for f in self.features_ if f not in X.columns]
        if absent:
            raise ContractError(f"column {absent[0]!r}: feature used in fit is missing from the input table")
        blocks = []
        for f in self.features_:
            _, block, missing = self._encode(f, X[f])
            blocks.append(block)
            if f in self.missing_indicator_features_:
                blocks.append(missing.astype(float)[:, None])
        data = np.hstack(blocks) if blocks else np.zeros((len(X), 0))
        return pd.DataFrame(data, columns=list(self.feature_names_out_), index=X.index)

    def get_feature_names_out(self, input_features=None):
        """Output column names, e.g. ``t_stage``, ``histology=follicular``, ``log1p(tg_stim_ng_ml)``."""
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags
