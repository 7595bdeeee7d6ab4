"""Validation and derivation give exactly the frozen results on a bad-row-rich sample.

The fixture (``tests/cohort/golden/``, built by ``make_golden.py`` with the
implementation of the time) holds text, typed and decimal-comma inputs with
bad values of every rule. Any rewrite of the internals must reject the same
rows with the same reasons and messages, flag the same values and return the
same typed table and derived values, bit for bit (dtypes and categories included).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from rairpredict.cohort.derive import DERIVED_FIELDS

GOLDEN = Path(__file__).resolve().parent / "golden"
_spec = importlib.util.spec_from_file_location("make_golden", GOLDEN / "make_golden.py")
make_golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_golden)


@pytest.fixture(scope="module")
def inputs():
    return make_golden.read_inputs()


def expected(name: str) -> pd.DataFrame:
    return pd.read_parquet(GOLDEN / f"expected_{name}.parquet")


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing cells of object columns as None (Parquet gives None back for pandas.NA)."""
    frame = frame.reset_index(drop=True).copy()
    for c in frame.columns:
        if frame[c].dtype == object:
            frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
    return frame


def same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(_plain(got), _plain(want), check_exact=True,
                                  check_dtype=True, check_categorical=True, check_index_type=False)


@pytest.mark.parametrize("case", list(make_golden.CASES))
def test_validation_and_derivation_match_the_golden_results(inputs, case):
    result, derived = make_golden.run_case(inputs, case)
    want_rejects, want_warnings = expected(f"{case}_rejects"), expected(f"{case}_warnings")
    # the fixture is bad-row rich: (nearly) every rule occurs, in every case, many times
    problems = pd.concat([want_rejects, want_warnings])
    assert problems["rule"].nunique() >= 8 and len(problems) > 500
    assert result.n_in == len(inputs[make_golden.CASES[case][0]])
    same(result.rejects, want_rejects)
    same(result.flags, expected(f"{case}_flags"))
    same(result.warnings, want_warnings)
    assert result.table.attrs == pd.read_parquet(GOLDEN / f"expected_{case}_table.parquet").attrs
    same(result.table, expected(f"{case}_table"))
    same(derived, expected(f"{case}_derived"))


def test_derivation_alone_matches_the_golden_results(inputs):
    from rairpredict.cohort.derive import add_derived

    got = make_golden.derive_cases(inputs["clean"])
    for name, frame in got.items():
        same(frame, expected(name))
    # the fields add_derived does not compute are the input's, untouched
    clean = inputs["clean"]
    kept = [c for c in clean.columns if c not in DERIVED_FIELDS]
    same(add_derived(clean)[kept], clean[kept])
    assert got["derive_ata"]["strict"].isna().sum() > 50  # unknowns are exercised
