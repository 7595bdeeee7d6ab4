"""validate_canonical and add_derived give what the implementation of commit 8b361fa gave, bit for bit.

The reference is a frozen copy of that implementation (tests/cohort/reference/).
Each case runs both on the same input and compares everything a caller sees:
the accepted table (values, dtypes, column order, attrs), the rejects, flags and
warnings tables (rows, columns, rules, raw values, messages), the row count and
the derived fields; file-level errors must carry the same message.

The inputs are rich in bad rows: a simulated cohort in every form a table reaches
validation (text as from CSV, the REST/pyfunc types, typed canonical columns,
pandas nullable and Arrow-backed dtypes), with every rule broken somewhere.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rairpredict.cohort.contract import Field, load_contract, schema_of
from rairpredict.cohort.derive import DERIVED_FIELDS, add_derived
from rairpredict.cohort.validate import validate_canonical
from rairpredict.errors import CohortFileError

CONTRACT = load_contract()
REFERENCE = Path(__file__).parent / "reference"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"reference_{name}", REFERENCE / f"{name}_8b361fa.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


REF_VALIDATE = _load("validate")
REF_DERIVE = _load("derive")


# ---------------------------------------------------------------- comparison
def _same_floats(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Float columns equal bit for bit (assert_frame_equal takes -0.0 == 0.0); NaN where NaN."""
    for c in a.columns:
        if a[c].dtype == np.float64:
            x, y = a[c].to_numpy(), b[c].to_numpy()
            assert np.array_equal(np.isnan(x), np.isnan(y)), c
            keep = ~np.isnan(x)
            assert np.array_equal(x[keep].view(np.uint64), y[keep].view(np.uint64)), c


def _same_frames(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    _same_floats(a, b)
    assert a.attrs == b.attrs


def same_as_reference(raw: pd.DataFrame, *, derive=True, **kwargs):
    """Validate (and derive) ``raw`` with the package and the reference; assert every output equal.

    Returns the package's ImportResult, or the CohortFileError both raised.
    """
    before = raw.copy(deep=True)
    try:
        ours = validate_canonical(raw, **kwargs)
    except CohortFileError as exc:
        with pytest.raises(CohortFileError) as theirs:
            REF_VALIDATE.validate_canonical(before.copy(deep=True), **kwargs)
        assert str(exc) == str(theirs.value)
        return exc
    pd.testing.assert_frame_equal(raw, before)  # the input is never written into
    ref = REF_VALIDATE.validate_canonical(before.copy(deep=True), **kwargs)
    assert ours.n_in == ref.n_in and ours.n_rejected == ref.n_rejected
    for name in ("table", "rejects", "flags", "warnings"):
        _same_frames(getattr(ours, name), getattr(ref, name))
    if derive:
        for only in (None, ["ajcc8_stage", "ata_risk_2015", "ln_ratio", "tg_tsh_ratio", "tgab_positive"]):
            table = ours.table.copy(deep=True)
            _same_frames(add_derived(ours.table, only=only), REF_DERIVE.add_derived(ref.table, only=only))
            pd.testing.assert_frame_equal(ours.table, table)  # add_derived leaves its input alone
    return ours


# ---------------------------------------------------------------- bad-row-rich samples
#: (column, bad or awkward value) -- every rule broken, every spelling a reader meets.
BREAKS = [
    # unseen categories, and the case/space/hyphen variants that must still be read
    ("sex", " Female "), ("sex", "FEMALE"), ("sex", "alien"), ("sex", "f"), ("histology", "papillary-classic"),
    ("histology", "Papillary Classic"), ("histology", "medullary"), ("t_stage", "pT1b"), ("t_stage", "t4A"),
    ("n_stage", "N2"), ("m_stage", "m1"), ("ete", "Minimal ETE"), ("ete", "GROSS"),
    # booleans in many spellings, and unreadable ones
    ("smoking", "maybe"), ("smoking", " YES "), ("smoking", "Y"), ("smoking", "t"), ("smoking", "FALSE"),
    ("smoking", "0.0"), ("smoking", "1.0"), ("smoking", "2"), ("braf_v600e", "n"), ("braf_v600e", "oui"),
    ("multifocal", "No"), ("vascular_invasion", "1"), ("resection_complete", "0"),
    # unparseable numbers, decimal commas, censored values, infinities, exponents
    ("age_years", "abc"), ("age_years", "4,5"), ("age_years", " 41 "), ("tg_stim_ng_ml", "<0.2"),
    ("tg_stim_ng_ml", "1e400"), ("tg_stim_ng_ml", "-inf"), ("tg_stim_ng_ml", "nan"), ("tsh_stim_mu_l", "1e2"),
    ("tumour_size_mm", "3,5"), ("tumour_size_mm", "12.5cm"), ("tgab_iu_ml", "≥ 4000"),
    # out of range (after unit conversion), implausible but kept, unit mix-ups
    ("age_years", "-3"), ("age_years", "130"), ("age_years", "5"), ("activity_gbq", "300"), ("activity_gbq", "15"),
    ("activity_gbq", "0.2"), ("tsh_stim_mu_l", "900"), ("tg_stim_ng_ml", "1e9"), ("largest_node_mm", "130"),
    ("dose_rate_24h_usv_h", "-1"), ("course_number", "0"), ("course_number", "21"),
    # fractions and huge values in integer fields
    ("ln_positive", "2.5"), ("ln_positive", "99999"), ("ln_examined", "1e20"), ("vascular_invasion_foci", "3.0"),
    ("known_lesions", "-0"), ("ln_examined", "007"),
    # missing required cells (empty, blank, a missing token)
    ("sex", ""), ("patient_id", ""), ("patient_id", "  "), ("histology", "NA"), ("age_years", ""),
    ("patient_id", " SIM-000001"), ("patient_id", "SIM-000002 "),
    # source values of derived fields
    ("ajcc8_stage", "II"), ("ajcc8_stage", "V"), ("ata_risk_2015", "high"), ("ln_ratio", "0.5"), ("ln_ratio", "2"),
]


def simulated(n: int, seed: int) -> pd.DataFrame:
    from rairpredict.simulation.simulate import simulate_cohort

    return simulate_cohort(n, seed=seed).reset_index(drop=True)


def as_text(table: pd.DataFrame) -> pd.DataFrame:
    """Every cell as a CSV reader brings it: text, "" for missing."""
    out = {}
    for c in table.columns:
        values = table[c].astype(object)
        out[c] = [("" if pd.isna(v) else ("true" if v is True else "false" if v is False else str(v)))
                  for v in values]
    return pd.DataFrame(out, dtype=object)


def broken(table: pd.DataFrame, seed: int, share: float = 0.8) -> pd.DataFrame:
    """``table`` (object cells) with a bad value in most rows, order violations and duplicate ids."""
    t = table.astype(object).copy()
    rng = np.random.default_rng(seed)
    for i in range(len(t)):
        for _ in range(int(rng.integers(1, 3))):
            if rng.random() < share:
                col, value = BREAKS[rng.integers(len(BREAKS))]
                if col in t.columns:
                    t.at[i, col] = value
    if {"ln_positive", "ln_examined"} <= set(t.columns):
        t.loc[::7, "ln_positive"], t.loc[::7, "ln_examined"] = "5", "2"
    if {"lesions_without_uptake", "known_lesions"} <= set(t.columns):
        t.loc[3::11, "lesions_without_uptake"], t.loc[3::11, "known_lesions"] = "4", "1"
    if len(t) > 20:
        t.loc[10:12, "patient_id"] = t.loc[0, "patient_id"]  # duplicates (the first is kept)
        t.loc[15, "course_number"] = t.loc[0, "course_number"] if "course_number" in t else None
    return t


def pyfunc_types(table: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The REST/pyfunc request types (numbers as float, the rest text or None) with bad cells of any type."""
    from rairpredict.scoring.pyfunc import to_pyfunc_input

    t = to_pyfunc_input(table).reset_index(drop=True).astype(object)
    t = t.where(pd.notna(t), None)
    rng = np.random.default_rng(seed)
    odd = [("sex", np.nan), ("sex", None), ("histology", 3.0), ("smoking", True), ("smoking", 1),
           ("smoking", 0.0), ("age_years", "40"), ("age_years", True), ("ln_positive", 2.5), ("patient_id", 17),
           ("t_stage", ""), ("tg_stim_ng_ml", float("inf")), ("activity_gbq", -1.0), ("m_stage", pd.NA)]
    for i in range(len(t)):
        if rng.random() < 0.7:
            col, value = (BREAKS + odd)[rng.integers(len(BREAKS) + len(odd))]
            if col in t.columns:
                t.at[i, col] = value
    return t


@pytest.fixture(scope="module")
def cohort():
    return simulated(400, seed=11)


# ---------------------------------------------------------------- the cases
@pytest.mark.parametrize("seed", [0, 1])
def test_text_input_with_every_rule_broken(cohort, seed):
    raw = broken(as_text(cohort), seed)
    r = same_as_reference(raw)
    assert r.n_rejected > 100 and len(r.flags) and set(r.rejects["rule"]) >= {
        "not_a_number", "not_an_integer", "not_boolean", "unseen_category", "out_of_range", "missing_required",
        "duplicate_id", "ln_positive_gt_examined", "lesions_gt_known"}


@pytest.mark.parametrize("kwargs", [
    dict(units={"activity_gbq": "mCi", "tg_stim_ng_ml": "pmol/L", "tumour_size_mm": "cm",
                "dose_rate_24h_usv_h": "mSv/h"}),
    dict(decimal=","),
    dict(missing_tokens=("", "NA", "n/a", "<0.2")),
    dict(invalid="missing"),
    dict(invalid={"smoking": "missing", "ln_positive": "missing", "ln_examined": "missing", "ete": "missing",
                  "tg_stim_ng_ml": "missing", "sex": "missing"}),
    dict(sources={"age_years": "Age", "sex": "Gender", "activity_gbq": "Dose (mCi)"}, units={"activity_gbq": "mCi"}),
    dict(check_duplicates=False, row_offset=1000),
    dict(source_rows=np.arange(5, 5 + 3 * 400, 3)),
])
def test_options_change_nothing_but_what_they_say(cohort, kwargs):
    same_as_reference(broken(as_text(cohort), 2), **kwargs)


@pytest.mark.parametrize("seed", [3, 4])
def test_request_types_with_bad_cells_of_any_type(cohort, seed):
    same_as_reference(pyfunc_types(cohort, seed), check_duplicates=False)


def test_typed_canonical_input(cohort):
    """The simulator's own dtypes: Categorical, boolean, Int64, string, float64 (and oracle columns)."""
    r = same_as_reference(cohort)
    assert r.n_rejected == 0


@pytest.mark.parametrize("form", ["string", "category", "arrow", "nullable", "arrow_text", "object_typed"])
def test_nullable_and_arrow_input(cohort, form):
    text = broken(as_text(cohort.head(120)), 5)
    if form == "string":
        raw = text.astype("string")
    elif form == "category":
        raw = text.astype("category")
    elif form == "arrow_text":
        raw = text.astype("string[pyarrow]")
    elif form == "arrow":
        raw = cohort.head(120).convert_dtypes(dtype_backend="pyarrow")
    elif form == "nullable":
        raw = cohort.head(120).convert_dtypes()  # Float64, Int64, boolean, string
    else:
        raw = cohort.head(120).astype(object)
    result = same_as_reference(raw)
    assert len(result.table) + result.n_rejected == result.n_in == len(raw)  # every row accounted for


@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_tiny_tables(cohort, n):
    for raw in (as_text(cohort.head(n)), broken(as_text(cohort.head(n)), n), pyfunc_types(cohort.head(n), n),
                cohort.head(n)):
        same_as_reference(raw.reset_index(drop=True), check_duplicates=n != 2)


def test_chunks_of_a_bad_sample_one_row_at_a_time(cohort):
    """What REST requests meet: one row, then a few, of the request types (the few-row routes)."""
    raw = pyfunc_types(cohort.head(40), 9)
    for size in (1, 3, 17):
        for start in range(0, len(raw), size * 2):
            same_as_reference(raw.iloc[start:start + size].reset_index(drop=True), check_duplicates=False,
                              row_offset=start)


def test_all_missing_columns(cohort):
    n = 6
    raw = as_text(cohort.head(n))
    raw["smoking"] = [None] * n
    raw["ete"] = [np.nan] * n
    raw["ln_positive"] = pd.Series([pd.NA] * n, dtype=object)
    raw["tgab_iu_ml"] = np.full(n, np.nan)
    raw["braf_v600e"] = pd.array([None] * n, dtype="boolean")
    raw["multifocal"] = [""] * n
    raw["known_lesions"] = pd.array([None] * n, dtype="Int64")
    raw["tumour_size_mm"] = pd.Series([None] * n, dtype="string")
    raw["distant_met_site"] = pd.Categorical([None] * n, categories=["lung"])
    result = same_as_reference(raw)
    assert len(result.table) + result.n_rejected == result.n_in == len(raw)  # every row accounted for


def test_mixed_python_types_in_object_columns(cohort):
    n = 9
    raw = as_text(cohort.head(n))
    raw["age_years"] = pd.Series([True, 1, 1.0, "40", None, np.nan, pd.NA, 55, "4,5"], dtype=object)
    raw["ln_examined"] = pd.Series([1, True, " 2 ", 2.0, 2.5, "x", None, np.int64(4), np.float32(3)], dtype=object)
    raw["smoking"] = pd.Series([1, True, "N", 0, False, 1.0, "yes", None, 2], dtype=object)
    raw["sex"] = pd.Series(["female", "male", 1, None, np.nan, True, "Female ", "", "x"], dtype=object)
    raw["patient_id"] = pd.Series(["a", 1, 1.0, "1", " a", None, True, "b", 2], dtype=object)
    raw["t_stage"] = pd.Series(["T2", 2, None, "T1b", "", " t3a", pd.NA, np.nan, "T4"], dtype=object)
    result = same_as_reference(raw)
    assert len(result.table) + result.n_rejected == result.n_in == len(raw)  # every row accounted for


def test_typed_columns_in_other_fields(cohort):
    """Numbers in category and bool fields, booleans in number fields, Int64/boolean in text fields."""
    n = 8
    raw = as_text(cohort.head(n))
    raw["histology"] = np.arange(n, dtype=np.float64)
    raw["smoking"] = np.array([1, 0, 1, 0, 2, 1, 0, 1], dtype=np.int64)
    raw["braf_v600e"] = np.array([1.0, 0.0, np.nan, 1.0, 0.5, 0.0, 1.0, 0.0])
    raw["age_years"] = np.array([True, False] * 4)
    raw["ln_examined"] = pd.array([1, None, 3, 4, 5, 6, 7, 8], dtype="Int64")
    raw["ln_positive"] = np.array([0, 1, 2, 3, 4, 5, 6, 70], dtype=np.int32)
    raw["tsh_stim_mu_l"] = np.array([1, 2, 3, 4, 5, 6, 7, 2000], dtype=np.float32)
    raw["recurred"] = pd.array([True, None, False, True, None, False, True, False], dtype="boolean")
    raw["patient_id"] = pd.array(list(range(n)), dtype="Int64")
    raw["ete"] = pd.Categorical([0, 1, 2, None, 1, 1, 0, 0])
    result = same_as_reference(raw)
    assert len(result.table) + result.n_rejected == result.n_in == len(raw)  # every row accounted for


def test_extra_fields_and_lacking_fields(cohort):
    extras = [Field("ki67_pct", "float", "pathology", unit="%", range=(0.0, 100.0), plausible=(0.0, 60.0),
                    aliases={"fraction": 100.0}, extra=True),
              Field("flag", "bool", "follow_up", extra=True, true_codes=("2", "ja"), false_codes=("1", "nein")),
              Field("site_code", "category", "diagnosis", categories=("north", "south"), extra=True),
              Field("visits", "int", "follow_up", range=(0.0, 50.0), extra=True),
              Field("note_code", "string", "diagnosis", extra=True)]
    schema = schema_of(extras=[*[f.to_dict() for f in extras], {"name": "histology", "lacking": True}])
    raw = broken(as_text(cohort.head(150)), 6).drop(columns="histology")
    rng = np.random.default_rng(6)
    raw["ki67_pct"] = rng.choice(["3", "80", "120", "x", "", "0,4"], len(raw))
    raw["flag"] = rng.choice(["2", "1", "JA", " nein ", "yes", "", "3"], len(raw))
    raw["site_code"] = rng.choice(["North", "south", "east", ""], len(raw))
    raw["visits"] = rng.choice(["1", "2.5", "60", "", "x"], len(raw))
    raw["note_code"] = rng.choice(["a", " b", "", "c "], len(raw))
    for kwargs in ({}, dict(units={"ki67_pct": "fraction"}), dict(invalid="missing")):
        r = same_as_reference(raw, schema=schema, **kwargs)
    assert r.table.attrs


def test_file_level_errors_are_the_same(cohort):
    raw = as_text(cohort.head(3))
    outcomes = [same_as_reference(raw.assign(Age="1"), file="f.csv"),
                same_as_reference(raw.drop(columns="sex"), file="f.csv"),
                same_as_reference(raw, units={"activity_gbq": "furlong"})]
    errors = [o for o in outcomes if isinstance(o, CohortFileError)]
    assert errors and all("\n" not in str(e) for e in errors)  # file-level problems are one-line errors
    assert "sex" in str(outcomes[1])


def test_derivation_of_raw_tables(cohort):
    """add_derived also reads tables that did not pass validation (object, text and float columns)."""
    subsets = [list(cohort.columns), ["age_years", "t_stage", "n_stage", "m_stage"],
               ["histology", "ete", "n_stage", "m_stage", "ln_positive", "largest_node_mm"], ["tgab_iu_ml"], []]
    for cols in subsets:
        for raw in (cohort[cols], cohort[cols].astype(object), as_text(cohort[cols]) if cols else cohort[cols]):
            for only in (None, ["ata_risk_2015"], ["t_eff_h", "ln_ratio"]):
                try:
                    expected = REF_DERIVE.add_derived(raw, only=only)
                except TypeError:  # e.g. text booleans: derivation reads typed booleans only
                    with pytest.raises(TypeError):
                        add_derived(raw, only=only)
                    continue
                _same_frames(add_derived(raw, only=only), expected)


# ---------------------------------------------------------------- property test
_CELL = st.one_of(
    st.none(), st.just(np.nan), st.just(pd.NA), st.booleans(), st.integers(-10**4, 10**4),
    st.floats(allow_nan=True, allow_infinity=True, width=64), st.text(max_size=5),
    st.sampled_from(["", " ", "NA", "1", "0", "-3", "2.5", "1e400", "nan", "4,5", "yes", " No ", "t", "T2", "t1B",
                     "N1b", "NX", "M0", "female", " Male", "papillary_micro", "Follicular", "gross", "minimal",
                     "lung", "II", "high", "150", "1000", "0.3", "<0.2"]))
_FIELDS = [f.name for f in CONTRACT if not f.required]
_FORMS = st.sampled_from(["object", "string", "category"])
DERIVED_RATES = ("dose_rate_24h_usv_h", "dose_rate_48h_usv_h", "dose_rate_72h_usv_h")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), n=st.integers(0, 9), extra=st.lists(st.sampled_from(_FIELDS), unique=True, max_size=10),
       invalid=st.sampled_from(["reject", "missing"]), decimal=st.sampled_from([".", ","]),
       dup=st.booleans())
def test_any_cells_give_what_the_reference_gives(data, n, extra, invalid, decimal, dup):
    raw = {}
    for c in CONTRACT.required + extra:
        cells = data.draw(st.lists(_CELL, min_size=n, max_size=n), label=c)
        form = data.draw(_FORMS, label=f"{c} form")
        column = pd.Series(cells, dtype=object)
        if form != "object" and all(isinstance(v, str) or v is None for v in cells):
            column = column.astype(form)
        raw[c] = column
    if dup and n:
        raw["patient_id"] = pd.Series(data.draw(st.lists(st.sampled_from(["a", "b", None, " a"]), min_size=n,
                                                         max_size=n)), dtype=object)
    same_as_reference(pd.DataFrame(raw), invalid=invalid, decimal=decimal, check_duplicates=dup)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), n=st.integers(0, 7))
def test_any_typed_values_derive_as_the_reference(data, n):
    """Derived fields of typed canonical tables with arbitrary (valid) values and gaps."""
    cols = {}
    for name in ("age_years", "ln_positive", "ln_examined", "largest_node_mm", "tumour_size_mm",
                 "vascular_invasion_foci", "tg_stim_ng_ml", "tsh_stim_mu_l", "tgab_iu_ml", *DERIVED_RATES):
        cols[name] = data.draw(st.lists(st.one_of(st.none(), st.floats(-5, 200, allow_nan=False)),
                                        min_size=n, max_size=n), label=name)
    for name in ("histology", "ete", "t_stage", "n_stage", "m_stage", "distant_met_site", "ajcc8_stage",
                 "ata_risk_2015"):
        cats = list(CONTRACT[name].categories)
        cols[name] = pd.Categorical(data.draw(st.lists(st.one_of(st.none(), st.sampled_from(cats)), min_size=n,
                                                       max_size=n), label=name), categories=cats)
    for name in ("vascular_invasion", "resection_complete", "braf_v600e", "multifocal"):
        cols[name] = pd.array(data.draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=n, max_size=n),
                                        label=name), dtype="boolean")
    table = pd.DataFrame({k: (np.array(v, dtype=float) if isinstance(v, list) else v) for k, v in cols.items()})
    for only in (None, ["ata_risk_2015", "ajcc8_stage"]):
        derived = add_derived(table, only=only)
        _same_frames(derived, REF_DERIVE.add_derived(table, only=only))
        assert len(derived) == n and set(only or ["ata_risk_2015", "ajcc8_stage"]) <= set(derived.columns)



def test_without_pandas_internals_too(cohort, monkeypatch):
    """The public-API route of cohort._columns (another pandas) gives the same results."""
    from rairpredict.cohort import _columns

    monkeypatch.setattr(_columns, "_BLOCKS", False)
    same_as_reference(broken(as_text(cohort.head(80)), 8))
    for start in range(0, 6):
        same_as_reference(pyfunc_types(cohort.iloc[start:start + 1], start).reset_index(drop=True),
                          check_duplicates=False)
