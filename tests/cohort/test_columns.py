"""The block route of rairpredict.cohort._columns gives what pandas' public API gives."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rairpredict.cohort._columns import STACK_ROWS, as_floats, categorical, column_arrays, frame_from_arrays, string_array


def _mixed(n: int) -> pd.DataFrame:
    t = pd.DataFrame({"f": np.arange(n, dtype=float), "g": np.arange(n, dtype=float) * 2,  # one 2-D float block
                      "o": pd.Series(["a"] * n, dtype=object), "i": np.arange(n),
                      "c": pd.Categorical(["x"] * n, categories=["x", "y"]),
                      "b": pd.array([True] * n, dtype="boolean"), "I": pd.array(range(n), dtype="Int64"),
                      "s": pd.array(["s"] * n, dtype="string"), "d": pd.date_range("2020", periods=n),
                      "z": pd.date_range("2020", periods=n, tz="UTC")})
    t["a"] = pd.array(["q"] * n, dtype="string[pyarrow]")
    return t[["c", "f", "a", "o", "g", "i", "b", "I", "s", "d", "z"]]  # blocks out of column order


@pytest.mark.parametrize("n", [0, 1, 5])
def test_column_arrays_are_the_public_arrays(n):
    t = _mixed(n)
    fast, public = column_arrays(t, blocks=True), column_arrays(t, blocks=False)
    assert len(fast) == len(public) == t.shape[1]
    for a, b, name in zip(fast, public, t.columns):
        assert type(a) is type(b), name
        assert pd.Series(a).equals(pd.Series(b)), name


@pytest.mark.parametrize("dates", [False, True])
@pytest.mark.parametrize("n", [0, 1, 5, STACK_ROWS + 1])
def test_frame_from_arrays_is_the_public_frame(n, dates):
    t = _mixed(n) if dates else _mixed(n).drop(columns=["d", "z"])  # dates take the public route
    for one_float in (t.drop(columns="g"), t.drop(columns=["f", "g"])):  # one float column, none
        pd.testing.assert_frame_equal(frame_from_arrays(one_float.columns, column_arrays(one_float), one_float.index),
                                      one_float, check_exact=True)
    arrays = column_arrays(t)
    index = pd.RangeIndex(10, 10 + n)
    fast = frame_from_arrays(t.columns, arrays, index, blocks=True)
    public = frame_from_arrays(t.columns, arrays, index, blocks=False)
    expected = pd.DataFrame(dict(zip(t.columns, arrays)), index=index)
    pd.testing.assert_frame_equal(fast, expected, check_exact=True)
    pd.testing.assert_frame_equal(public, expected, check_exact=True)
    if n:  # the arrays are shared, not copied (float64 columns of short frames: copied into one block)
        assert np.shares_memory(fast["o"].to_numpy(), t["o"].to_numpy())
        assert np.shares_memory(fast["f"].to_numpy(), t["f"].to_numpy()) == (n > STACK_ROWS or dates)
    fast.loc[fast.index[:1], "f"] = -1.0 if n else None  # a frame like any other: pandas writes into it
    assert list(fast.columns) == list(t.columns)


def test_typed_arrays_equal_the_public_constructors():
    dtype = pd.CategoricalDtype(["a", "b", "c"])
    codes = np.array([0, -1, 2, 1])
    cat = categorical(codes, dtype)
    expected = pd.Categorical.from_codes(codes, dtype=dtype)
    assert cat.codes.dtype == expected.codes.dtype and cat.equals(expected) and cat.dtype == dtype
    text = np.array(["x", None, "y"], dtype=object)
    s = string_array(text)
    pd.testing.assert_extension_array_equal(s, pd.array(text, dtype="string"))
    assert text[1] is None  # the input is left as it was


@pytest.mark.parametrize("dtype", ["Int64", "Int8", "Float64", "Float32", "boolean"])
def test_as_floats_is_to_numpy(dtype):
    values = pd.array([1, None, 0] if dtype != "boolean" else [True, None, False], dtype=dtype)
    got, expected = as_floats(values), values.to_numpy(dtype=np.float64, na_value=np.nan)
    assert got.dtype == np.float64 and np.array_equal(got, expected, equal_nan=True)
    got[:] = 7.0  # its own array: the column is left as it was
    assert np.array_equal(values.to_numpy(dtype=np.float64, na_value=np.nan), expected, equal_nan=True)
