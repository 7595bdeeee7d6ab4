"""A canonical table's columns as arrays for the per-row checks of scoring: no Series per column.

A one-row request reads ~35 model inputs several times (missing flags,
implausible values, input shift, reasons); each ``table[name].isna()`` or
``pd.to_numeric(table[name])`` builds Series objects that cost far more than
the check of one value. Here every column is read once as its array
(derivation's column reader, on
:func:`rairpredict.cohort._columns.column_arrays`) and the common dtypes of
a validated table take NumPy routes with the same results as the Series
methods; anything else goes through those methods themselves.

Examples
--------
>>> import pandas as pd
>>> cols = Columns(pd.DataFrame({"a": [1.0, None], "b": pd.array([3, None], dtype="Int64")}))
>>> cols.isna("a").tolist(), cols.numbers("b").tolist()
([False, True], [3.0, nan])
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from rairpredict.cohort._columns import ColumnArrays, as_floats

__all__ = ["Columns"]

_MASKED = (pd.arrays.IntegerArray, pd.arrays.FloatingArray, pd.arrays.BooleanArray)


class Columns(ColumnArrays):
    """Name -> column array of a table, read once (derivation's reader), with the scoring checks' answers."""

    def __init__(self, table: pd.DataFrame):
        super().__init__(table)
        self.table = table

    def isna(self, name) -> np.ndarray:
        """``table[name].isna().to_numpy(bool)``."""
        arr = self.arrays[name]
        if type(arr) is np.ndarray:
            if arr.dtype.kind == "f":
                return np.isnan(arr)
            if arr.dtype.kind in "iub":
                return np.zeros(arr.shape, bool)
            return pd.isna(arr)
        return np.asarray(arr.isna(), dtype=bool)

    def numbers(self, name) -> np.ndarray:
        """``pd.to_numeric(table[name], errors="coerce").to_numpy(np.float64, na_value=np.nan)``."""
        arr = self.arrays[name]
        if type(arr) is np.ndarray and arr.dtype.kind in "fiub":
            return arr.astype(np.float64, copy=False)
        if isinstance(arr, _MASKED):
            return as_floats(arr)
        return pd.to_numeric(self.table[name], errors="coerce").to_numpy(np.float64, na_value=np.nan)
