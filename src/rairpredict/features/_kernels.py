"""The fitted feature math as plain NumPy kernels: one rule, shared by training and scoring.

The scikit-learn transformers (:class:`~rairpredict.features.ClinicalFeatures`,
:class:`~rairpredict.features._numeric.MedianImputer`,
:class:`~rairpredict.features._numeric.Standardizer`) call these kernels in
``transform``, and the lean scoring plan (:mod:`rairpredict.models._plan`)
calls them on the fitted state read from a model file, so a model scores
without importing scikit-learn and both routes give the same bits.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from rairpredict.features._kernels import encode_column, impute, standardize
>>> encode_column("ordinal", "ete", pd.Series(pd.Categorical(["minimal", None])), None)[0].ravel().tolist()
[1.0, nan]
>>> impute(np.array([[np.nan, 2.0]]), np.array([5.0, 0.0])).tolist()
[[5.0, 2.0]]
>>> standardize(np.array([[3.0]]), np.array([1.0]), np.array([2.0])).tolist()
[[1.0]]
"""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from rairpredict.cohort._columns import as_floats
from rairpredict.reference.ajcc import COARSE_CATEGORIES

__all__ = ["ORDINAL_LEVELS", "DEFAULT_LOG_TRANSFORM", "ordinal_codes", "as_float", "as_labels", "label_codes",
           "encode_column", "encoded_names", "impute", "standardize", "expit"]

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

#: Right-skewed laboratory values that get ``log1p`` (values span 0 to 10^4+).
DEFAULT_LOG_TRANSFORM = ("tg_stim_ng_ml", "tgab_iu_ml", "tg_tsh_ratio",
                         "tg_suppressed_fu_ng_ml", "tg_stim_fu_ng_ml", "tgab_fu_iu_ml")

_MASKED = (pd.arrays.IntegerArray, pd.arrays.FloatingArray, pd.arrays.BooleanArray)


@functools.lru_cache(maxsize=None)
def _ordinal_table(name: str) -> tuple[tuple[str, ...], np.ndarray]:
    codes = {label: float(i) for i, label in enumerate(ORDINAL_LEVELS[name])}
    for coarse, subs in COARSE_CATEGORIES.get(name, {}).items():
        codes[coarse] = float(np.mean([codes[s] for s in subs]))
    values = np.append(np.fromiter(codes.values(), float), np.nan)  # code -1 picks NaN
    values.flags.writeable = False
    return tuple(codes), values


def ordinal_codes(name: str) -> dict[str, float]:
    """Label -> code of an ordered field; a coarse category takes its sub-categories' mean code."""
    labels, values = _ordinal_table(name)
    return dict(zip(labels, values[:-1].tolist()))


def as_float(col) -> np.ndarray:
    """Any numeric / nullable / boolean column (Series or column array) -> float array with NaN."""
    if type(col) is np.ndarray and col.dtype.kind in "fiub":
        return col.astype(float, copy=False)  # what Series.to_numpy(dtype=float) gives
    if isinstance(col, _MASKED):
        return as_floats(col)
    if not isinstance(col, pd.Series):
        col = pd.Series(col, copy=False)
    if isinstance(col.dtype, pd.CategoricalDtype) or col.dtype == object or pd.api.types.is_string_dtype(col):
        return pd.to_numeric(col.astype(object), errors="raise").astype(float).to_numpy()
    # Fast paths, same values as the generic one: NumPy columns keep NaN as NaN and
    # masked (Int64, Float64, boolean) arrays give NaN where masked, without a
    # Float64 copy of the column.
    if isinstance(col.dtype, np.dtype) and col.dtype.kind in "fiub":
        return col.to_numpy(dtype=float)
    if isinstance(col.array, _MASKED):
        return as_floats(col.array)
    return col.astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def as_labels(col: pd.Series) -> pd.Series:
    """Category/string column -> object Series of str labels (None where missing)."""
    return col.astype(object).where(col.notna(), None).map(lambda v: None if v is None else str(v))


#: (categories object, labels) -> label position per category: the contract's categorical dtypes are
#: the same objects batch after batch, so each field's lookup is built once (kept while they live).
_POSITIONS: dict = {}


def _positions_of(uniques, labels) -> np.ndarray:
    key = (id(uniques), labels if isinstance(labels, tuple) else tuple(labels))
    hit = _POSITIONS.get(key)
    if hit is not None and hit[0] is uniques:
        return hit[1]
    position = {lab: i for i, lab in enumerate(labels)}
    per_value = np.array([position.get(str(v), -1) for v in uniques] + [-1], dtype=np.intp)
    if len(_POSITIONS) > 4096:
        _POSITIONS.clear()
    _POSITIONS[key] = (uniques, per_value)
    return per_value


def label_codes(col, labels) -> tuple[np.ndarray, np.ndarray]:
    """Position of each cell's ``str`` label in ``labels`` (-1: other or missing), and the missing mask.

    The same result as looking every cell's :func:`as_labels` up in ``labels``,
    with ``str`` applied once per distinct value: a Categorical brings its codes,
    text columns are factorised. Other columns (mixed objects, where factorising
    would merge ``True``, ``1`` and ``1.0``) take the per-cell path. ``col``: a Series or a column array.
    """
    if isinstance(col, pd.Categorical) or isinstance(col.dtype, pd.CategoricalDtype):
        cat = col if isinstance(col, pd.Categorical) else col.array
        codes = np.asarray(cat.codes, dtype=np.intp)
        per_value = _positions_of(cat.categories, labels)
        return per_value[codes], codes < 0  # code -1 (missing) picks the appended -1
    position = {lab: i for i, lab in enumerate(labels)}
    if not isinstance(col, pd.Series):
        col = pd.Series(col, copy=False)
    if pd.api.types.is_string_dtype(col.dtype) and \
            pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty"):
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
    else:
        text = as_labels(col)
        which = text.map(position).fillna(-1).to_numpy(np.intp) if len(text) else np.zeros(0, np.intp)
        return which, text.isna().to_numpy()
    per_value = np.array([position.get(str(v), -1) for v in uniques] + [-1], dtype=np.intp)
    return per_value[codes], codes < 0


def encoded_names(kind: str, name: str, categories=None) -> list[str]:
    """Output column names of one field's encoded block."""
    if kind == "nominal":
        return [f"{name}={c}" for c in categories]
    return [f"log1p({name})"] if kind == "log1p" else [name]


def encode_column(kind: str, name: str, col, categories) -> tuple[np.ndarray, np.ndarray]:
    """Encoded block (n, k) of one field and its row-wise missing mask.

    ``kind``: ``"numeric"``, ``"log1p"``, ``"bool"``, ``"ordinal"`` or ``"nominal"``
    (``categories``: the nominal field's training categories, in column order);
    ``col``: the field's Series or column array.
    """
    if kind == "nominal":
        which, missing = label_codes(col, categories)
        block = np.zeros((len(col), len(categories)))
        hit = np.flatnonzero(which >= 0)
        block[hit, which[hit]] = 1.0
        return block, missing
    if kind == "ordinal":
        labels, table = _ordinal_table(name)
        which, _ = label_codes(col, labels)
        values = table[which]
    else:
        values = as_float(col)
        if kind == "log1p":
            with np.errstate(invalid="ignore", divide="ignore"):
                values = np.log1p(values)
    return values[:, None], np.isnan(values)


def impute(X: np.ndarray, statistics: np.ndarray) -> np.ndarray:
    """NaN -> the fitted column medians."""
    return np.where(np.isnan(X), statistics, X)


def standardize(X: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Centre on the fitted means, divide by the fitted SDs."""
    return (X - mean) / scale


def expit(x: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-x))`` (as ``scipy.special.expit`` computes it), without SciPy.

    >>> expit(np.array([0.0, -1000.0])).tolist()
    [0.5, 0.0]
    """
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))
