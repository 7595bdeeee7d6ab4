"""A DataFrame as a list of column arrays, and back, without pandas' per-column overhead.

Validation and derivation work on column arrays (NumPy arrays and pandas
extension arrays). Going through ``table[name]`` and ``pd.DataFrame(dict)``
costs pandas' checks per column -- about 15 microseconds each on a slow
machine, a millisecond for the ~70 columns of a one-row REST request, more
than the checks themselves. Here the arrays are read from, and put into,
pandas' blocks directly; the arrays are shared, never copied.

The block route uses pandas internals (``pandas.core.internals``); if they
are not as expected (another pandas), every function falls back to the public
API, with the same result (tests/cohort/test_columns.py compares both routes).

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"a": [1.0, 2.0], "b": pd.Categorical(["x", "y"])})
>>> arrays = column_arrays(t)
>>> type(arrays[0]).__name__, type(arrays[1]).__name__
('ndarray', 'Categorical')
>>> frame_from_arrays(t.columns, arrays, t.index).equals(t)
True
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

try:  # pandas 2.x internals; absent or different elsewhere: the public route below
    from pandas._libs.internals import BlockPlacement
    from pandas.core.internals.blocks import NumpyBlock, get_block_type, new_block_2d
    from pandas.core.internals.managers import BlockManager

    _BLOCKS = pd.__version__.startswith("2.")
except ImportError:  # pragma: no cover - another pandas
    _BLOCKS = False

__all__ = ["ColumnArrays", "column_arrays", "frame_from_arrays", "categorical", "string_array", "as_floats"]


def _public_arrays(frame: pd.DataFrame) -> list:
    return [s.array if isinstance(s.dtype, pd.api.extensions.ExtensionDtype) else s.to_numpy()
            for _, s in frame.items()]


def column_arrays(frame: pd.DataFrame, *, blocks: bool | None = None) -> list:
    """The columns of ``frame`` as 1-D arrays (views: never write into them), in column order.

    NumPy columns come as ``numpy.ndarray``, the others as their extension
    array (Categorical, BooleanArray, StringArray, ArrowExtensionArray, ...),
    as ``Series.to_numpy()`` and ``Series.array`` give them.
    """
    if not (_BLOCKS if blocks is None else blocks):
        return _public_arrays(frame)
    try:
        out = [None] * frame.shape[1]
        for blk in frame._mgr.blocks:
            values, locs = blk.values, blk.mgr_locs.as_array
            if values.ndim == 2 and type(values) is not np.ndarray:
                return _public_arrays(frame)  # dates and times: the public route's arrays
            if values.ndim == 2:
                for j, loc in enumerate(locs.tolist()):
                    out[loc] = values[j]
            else:
                out[int(locs[0])] = values
    except AttributeError:  # pragma: no cover - internals changed
        return _public_arrays(frame)
    if any(type(a) is not np.ndarray and not isinstance(a, ExtensionArray) for a in out):
        return _public_arrays(frame)  # pragma: no cover - e.g. a NumpyExtensionArray block
    return out


#: Up to this many rows, the float64 columns of a new frame are copied into one 2-D block
#: (one block to make instead of one per column; the copy is a few bytes per cell).
STACK_ROWS = 4096


class ColumnArrays:
    """A table's columns as arrays by name, each read once (derivation and scoring's checks read some several times).

    Answers ``name in columns``, ``columns[name]`` (the column's array) and
    ``len(columns)`` as a DataFrame does, so the ``col_*`` readers take either.
    """

    def __init__(self, table: pd.DataFrame):
        self.arrays = dict(zip(table.columns, column_arrays(table)))
        self.n = len(table)

    def __contains__(self, name) -> bool:
        return name in self.arrays

    def __getitem__(self, name):
        return self.arrays[name]

    def __len__(self) -> int:
        return self.n


def frame_from_arrays(columns, arrays: list, index: pd.Index, *, blocks: bool | None = None) -> pd.DataFrame:
    """A DataFrame of ``arrays`` (1-D, each ``len(index)`` long) named ``columns``.

    The same frame as ``pd.DataFrame(dict(zip(columns, arrays)), index=index, copy=False)``:
    each array becomes a block of its own as it is (not copied), except that the
    float64 columns of a frame of at most :data:`STACK_ROWS` rows share one block.
    """
    columns = columns if isinstance(columns, pd.Index) else pd.Index(list(columns))  # as pd.DataFrame(dict)
    if _BLOCKS if blocks is None else blocks:
        try:
            return _from_blocks(columns, arrays, index)
        except _Unusual:  # e.g. dates and times: 2-D blocks of their own kind
            pass
        except (AttributeError, TypeError):  # pragma: no cover - internals changed
            pass
    out = pd.DataFrame(dict(zip(range(len(arrays)), arrays)), index=index, copy=False)
    out.columns = columns
    return out


class _Unusual(Exception):
    """An array the block route does not take (the public route does)."""


def _from_blocks(columns: pd.Index, arrays: list, index: pd.Index) -> pd.DataFrame:
    floats = [i for i, a in enumerate(arrays) if type(a) is np.ndarray and a.dtype == np.float64] \
        if len(index) <= STACK_ROWS else []
    made = []
    if len(floats) > 1:
        made.append(NumpyBlock(np.vstack([arrays[i] for i in floats]),
                               placement=BlockPlacement(np.array(floats, dtype=np.intp)), ndim=2))
    floats = set(floats) if len(floats) > 1 else ()
    for i, a in enumerate(arrays):
        if i in floats:
            continue
        place = BlockPlacement(slice(i, i + 1))
        if type(a) is np.ndarray and a.ndim == 1 and a.dtype.kind not in "mM":
            made.append(new_block_2d(a.reshape(1, -1), place))
        elif isinstance(a, ExtensionArray) and type(a) is not pd.arrays.NumpyExtensionArray and a.dtype.kind not in "mM":
            # an extension array: its block as new_block_2d makes it, without re-checking the values
            made.append(get_block_type(a.dtype)(a, placement=place, ndim=2))
        else:
            raise _Unusual
    mgr = BlockManager(tuple(made), [columns, index], verify_integrity=False)
    return pd.DataFrame._from_mgr(mgr, axes=mgr.axes)


# ---------------------------------------------------------------- typed arrays, built from their parts
_TEMPLATES: dict = {}
_STRING = pd.StringDtype()  # what dtype="string" means


def _template(dtype):
    """An empty array of ``dtype`` whose ``_from_backing_data`` makes another without checks.

    Kept by the dtype object's id (comparing CategoricalDtypes costs more than the array);
    the entry holds the dtype itself, so the id stays its own.
    """
    entry = _TEMPLATES.get(id(dtype))
    if entry is None or entry[0] is not dtype:
        empty = pd.array([], dtype=dtype)
        entry = _TEMPLATES[id(dtype)] = (dtype, empty, getattr(empty, "codes", np.zeros(0)).dtype)
    return entry


def categorical(codes: np.ndarray, dtype: pd.CategoricalDtype) -> pd.Categorical:
    """``pd.Categorical.from_codes(codes, dtype=dtype)`` for codes known to be valid (-1 = missing).

    ``from_codes`` checks the codes and the dtype again each call (~30 microseconds).
    """
    _, template, codes_dtype = _template(dtype)
    try:
        return template._from_backing_data(np.asarray(codes).astype(codes_dtype, copy=False))
    except AttributeError:  # pragma: no cover - internals changed
        return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)


def string_array(values: np.ndarray) -> ExtensionArray:
    """``pd.array(values, dtype="string")`` of an object array of ``str`` and None."""
    template = _template(_STRING)[1]
    if type(template) is pd.arrays.StringArray and hasattr(template, "_from_backing_data"):
        out = np.array(values, dtype=object)  # own copy: None becomes pandas' NA in it
        out[pd.isna(out)] = pd.NA
        return template._from_backing_data(out)
    return pd.array(values, dtype="string")  # pragma: no cover - another string storage


def as_floats(values: pd.api.extensions.ExtensionArray) -> np.ndarray:
    """A masked array (Int64, Float64, boolean) as float64 with NaN where masked.

    ``values.to_numpy(dtype=float, na_value=np.nan)`` without its per-call set-up
    (warning filters; ~10 microseconds, more than the conversion of one row).
    """
    try:
        return np.where(values._mask, np.nan, values._data.astype(np.float64, copy=False))
    except AttributeError:  # pragma: no cover - internals changed
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
