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
from rairpredict.features._leakage import check_leakage
from rairpredict.reference.ajcc import COARSE_CATEGORIES

__all__ = ["ClinicalFeatures", "ORDINAL_LEVELS", "DEFAULT_LOG_TRANSFORM"]

#: Ordered categories, lowest first. Codes not listed (TX, NX, MX) encode as NaN.
ORDINAL_LEVELS: dict[str, tuple[str, ...]] = {
    "t_stage": ("T1a", "T1b", "T2", "T3a", "T3b", "T4a", "T4b"),
    "n_stage": ("N0", "N1a", "N1b"),
    "m_stage": ("M0", "M1"),
    "ete": ("none", "minimal", "gross"),
    "ajcc8_stage": ("I", "II", "III", "IVA", "IVB"),
    "ata_risk_2015": ("low", "intermediate", "high"),
    "fdg_pet": ("negative", "positive"),
    "fdg_pet_pre": ("negative", "positive"),
    "post_scan_bed_uptake": ("absent", "faint", "intense"),
    "tgab_trend": ("declining", "stable", "rising"),
    "imaging_fu": ("negative", "nonspecific", "structural"),
    "ata_response_reported": ("excellent", "indeterminate", "biochemical_incomplete", "structural_incomplete"),
}


def _ordinal_codes(name: str) -> dict[str, float]:
    """Label -> code of an ordered field; a coarse category takes its sub-categories' mean code."""
    codes = {label: float(i) for i, label in enumerate(ORDINAL_LEVELS[name])}
    for coarse, subs in COARSE_CATEGORIES.get(name, {}).items():
        codes[coarse] = float(np.mean([codes[s] for s in subs]))
    return codes


#: Right-skewed laboratory values that get ``log1p`` (values span 0 to 10^4+).
DEFAULT_LOG_TRANSFORM = ("tg_stim_ng_ml", "tgab_iu_ml", "tg_tsh_ratio",
                         "tg_suppressed_fu_ng_ml", "tg_stim_fu_ng_ml", "tgab_fu_iu_ml")

_MISSING_MODES = ("auto", "all", "none")
_MASKED = (pd.arrays.IntegerArray, pd.arrays.FloatingArray, pd.arrays.BooleanArray)


def _as_float(col: pd.Series) -> np.ndarray:
    """Any numeric / nullable / boolean column -> float array with NaN."""
    if isinstance(col.dtype, pd.CategoricalDtype) or col.dtype == object or pd.api.types.is_string_dtype(col):
        return pd.to_numeric(col.astype(object), errors="raise").astype(float).to_numpy()
    # Fast paths, same values as the generic one: NumPy columns keep NaN as NaN and
    # masked (Int64, Float64, boolean) arrays give NaN where masked, without a
    # Float64 copy of the column.
    if isinstance(col.dtype, np.dtype) and col.dtype.kind in "fiub":
        return col.to_numpy(dtype=float)
    if isinstance(col.array, _MASKED):
        return col.array.to_numpy(dtype=float, na_value=np.nan)
    return col.astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def _as_labels(col: pd.Series) -> pd.Series:
    """Category/string column -> object Series of str labels (None where missing)."""
    return col.astype(object).where(col.notna(), None).map(lambda v: None if v is None else str(v))


def _label_codes(col: pd.Series, labels) -> tuple[np.ndarray, np.ndarray]:
    """Position of each cell's ``str`` label in ``labels`` (-1: other or missing), and the missing mask.

    The same result as looking every cell's :func:`_as_labels` up in ``labels``,
    with ``str`` applied once per distinct value: a Categorical brings its codes,
    text columns are factorised. Other columns (mixed objects, where factorising
    would merge ``True``, ``1`` and ``1.0``) take the per-cell path.
    """
    position = {lab: i for i, lab in enumerate(labels)}
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes, uniques = col.cat.codes.to_numpy(np.intp), col.cat.categories
    elif pd.api.types.is_string_dtype(col.dtype) and \
            pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty"):
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
    else:
        text = _as_labels(col)
        which = text.map(position).fillna(-1).to_numpy(np.intp) if len(text) else np.zeros(0, np.intp)
        return which, text.isna().to_numpy()
    per_value = np.array([position.get(str(v), -1) for v in uniques] + [-1], dtype=np.intp)
    return per_value[codes], codes < 0  # code -1 (missing) picks the appended -1


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
        """Encoded block (n, k), its column names, and the row-wise missing mask."""
        kind = self.kinds_[name]
        if kind == "nominal":
            cats = self.categories_[name]
            which, missing = _label_codes(col, cats)
            block = np.zeros((len(col), len(cats)))
            hit = np.flatnonzero(which >= 0)
            block[hit, which[hit]] = 1.0
            return [f"{name}={c}" for c in cats], block, missing
        if kind == "ordinal":
            codes = _ordinal_codes(name)
            which, _ = _label_codes(col, list(codes))
            values = np.append(np.fromiter(codes.values(), float), np.nan)[which]  # -1 picks NaN
        else:
            values = _as_float(col)
            if kind == "log1p":
                with np.errstate(invalid="ignore", divide="ignore"):
                    values = np.log1p(values)
                return [f"log1p({name})"], values[:, None], np.isnan(values)
        return [name], values[:, None], np.isnan(values)

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
                seen = set(_as_labels(X[f]).dropna())
                order = list(contract[f].categories) if f in contract and contract[f].categories else sorted(seen)
                self.categories_[f] = [c for c in order if c in seen] + sorted(seen - set(order))
        for f, kind in self.kinds_.items():
            if kind == "log1p" and (_as_float(X[f]) < 0).any():
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
