"""Tests for rairpredict.cohort.validate: row rules, flags, dtypes, accounting."""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rairpredict.cohort.contract import load_contract
from rairpredict.cohort.validate import REJECT_COLUMNS, canonical_dtype, validate_canonical
from rairpredict.errors import CohortFileError

CONTRACT = load_contract()


def table(n=3, **cols):
    base = {"patient_id": [f"p{i}" for i in range(1, n + 1)], "age_years": ["40"] * n,
            "sex": ["female"] * n, "histology": ["follicular"] * n, "t_stage": ["T2"] * n,
            "n_stage": ["N0"] * n, "m_stage": ["M0"] * n}
    base.update(cols)
    return pd.DataFrame(base)


def rules(result):
    return sorted(zip(result.rejects["source_row"], result.rejects["column"], result.rejects["rule"]))


def test_valid_table_all_accepted_with_contract_dtypes():
    r = validate_canonical(table(recurred=["yes", "No", ""], ln_examined=["4", "", "10"]))
    assert (r.n_in, len(r.table), r.n_rejected) == (3, 3, 0)
    assert list(r.table.columns) == CONTRACT.names
    for f in CONTRACT:
        assert r.table[f.name].dtype == canonical_dtype(f), f.name
    assert r.table["recurred"].tolist()[:2] == [True, False] and pd.isna(r.table["recurred"].iloc[2])
    assert r.table["ln_examined"].tolist()[0] == 4


@pytest.mark.parametrize("col,values,rule", [
    ("age_years", ["40", "forty", "41"], "not_a_number"),
    ("ln_examined", ["3", "2.5", "1"], "not_an_integer"),
    ("recurred", ["yes", "maybe", "no"], "not_boolean"),
    ("histology", ["follicular", "medullary", "follicular"], "unseen_category"),
    ("age_years", ["40", "-1", "41"], "out_of_range"),
    ("sex", ["female", "", "male"], "missing_required"),
    ("patient_id", ["p1", " ", "p3"], "missing_required"),
])
def test_each_row_rule_rejects_only_that_row(col, values, rule):
    r = validate_canonical(table(**{col: values}))
    assert rules(r) == [(2, col, rule)]
    assert r.table["patient_id"].tolist() == ["p1", "p3"]
    assert list(r.rejects.columns) == REJECT_COLUMNS
    assert r.rejects["value"].iloc[0] == values[1]


def test_duplicate_ids_reject_later_occurrences_only():
    r = validate_canonical(table(4, patient_id=["a", "b", "a", "a"]))
    assert rules(r) == [(3, "patient_id", "duplicate_id"), (4, "patient_id", "duplicate_id")]
    assert r.table["patient_id"].tolist() == ["a", "b"]
    # per-chunk use: duplicates switched off, rows numbered after the offset
    r2 = validate_canonical(table(4, patient_id=["a", "b", "a", "a"], age_years=["x", "1", "1", "1"]),
                            check_duplicates=False, row_offset=100)
    assert rules(r2) == [(101, "age_years", "not_a_number")]


def test_cross_field_rules():
    r = validate_canonical(table(ln_positive=["5", "2", ""], ln_examined=["4", "2", "3"],
                                 lesions_without_uptake=["1", "3", "0"], known_lesions=["1", "2", ""]))
    assert rules(r) == [(1, "ln_positive", "ln_positive_gt_examined"),
                        (2, "lesions_without_uptake", "lesions_gt_known")]


def test_several_problems_one_row_counts_once():
    r = validate_canonical(table(age_years=["x", "40", "40"], sex=["alien", "male", "male"]))
    assert len(r.rejects) == 2 and r.n_rejected == 1 and len(r.table) == 2


def test_implausible_is_flagged_not_rejected_and_unit_hints():
    r = validate_canonical(table(age_years=["5", "40", "40"], activity_gbq=["15", "150", "3.7"]))
    assert rules(r) == [(2, "activity_gbq", "out_of_range")]
    assert "looks like mCi" in r.rejects["message"].iloc[0]
    flagged = sorted(zip(r.flags["source_row"], r.flags["column"], r.flags["rule"]))
    assert flagged == [(1, "activity_gbq", "implausible"), (1, "age_years", "implausible")]
    assert r.table["age_years"].tolist()[0] == 5.0  # kept as given
    assert "flags (kept)" in r.summary() and "implausible (age_years)" in r.summary()


def test_units_and_decimal_comma():
    r = validate_canonical(table(activity_gbq=["100", "3700", ""], tg_stim_ng_ml=["1,5", "2", "3"]),
                           units={"activity_gbq": "mCi", "tg_stim_ng_ml": "µg/L"}, decimal=",")
    assert r.n_rejected == 1  # 3700 mCi = 136.9 GBq is outside [0, 20]
    assert "looks like MBq" in r.rejects["message"].iloc[0]
    assert r.table["activity_gbq"].round(3).tolist() == [3.7, 3.7] or r.table["activity_gbq"].round(3).tolist()[0] == 3.7
    assert r.table["tg_stim_ng_ml"].tolist() == [1.5, 3.0]


def test_file_level_errors_name_file_and_column():
    with pytest.raises(CohortFileError, match=r"^f\.csv, column 'Age': not a canonical field"):
        validate_canonical(table(Age=["1", "2", "3"]), file="f.csv")
    with pytest.raises(CohortFileError, match=r"column 'sex': missing required column"):
        validate_canonical(table().drop(columns="sex"), file="f.csv")
    with pytest.raises(CohortFileError, match="unknown unit 'furlong'"):
        validate_canonical(table(activity_gbq=["1"] * 3), units={"activity_gbq": "furlong"})


def test_typed_input_and_oracle_columns_pass_through():
    t = table(recurred=[True, False, True])
    t["age_years"] = [40.0, 50.0, 60.0]
    t["oracle_p_rair"] = [0.1, 0.2, 0.3]
    r = validate_canonical(t)
    assert len(r.table) == 3 and r.table["oracle_p_rair"].tolist() == [0.1, 0.2, 0.3]


# ------------------------------------------------------------- row accounting
GARBAGE = st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["", "NA", "1", "-3", "1e400", "nan", "T2",
                                                                     "female", "yes", "0.5", "N1b", "M0"]),
                    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6), st.booleans())
COLUMNS = st.lists(st.sampled_from([f.name for f in CONTRACT if not f.required]), unique=True, max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), n=st.integers(1, 12), extra=COLUMNS, dup=st.booleans())
def test_rows_in_equals_accepted_plus_rejected(data, n, extra, dup):
    cols = CONTRACT.required + extra
    raw = {c: data.draw(st.lists(GARBAGE, min_size=n, max_size=n), label=c) for c in cols}
    if dup:
        raw["patient_id"] = data.draw(st.lists(st.sampled_from(["a", "b", None, "c"]), min_size=n, max_size=n))
    r = validate_canonical(pd.DataFrame(raw, dtype=object))
    assert r.n_in == n == len(r.table) + r.n_rejected
    assert set(r.rejects["source_row"]) <= set(range(1, n + 1))
    assert list(r.table.columns) == CONTRACT.names


def test_mixed_types_are_coerced_per_value_not_merged():
    """True, 1 and 1.0 compare equal; coercion must still read each one on its own."""
    r = validate_canonical(table(3, age_years=pd.Series([True, 1, 1.0], dtype=object)))
    assert rules(r) == [(1, "age_years", "not_a_number")]
    r = validate_canonical(table(3, ln_examined=pd.Series([1, True, " 2 "], dtype=object),
                                 recurred=pd.Series([1, True, "N"], dtype=object)))
    assert rules(r) == [(2, "ln_examined", "not_a_number")]
    assert r.table["recurred"].tolist() == [True, False]


def test_categorical_input_equals_text_input():
    cols = dict(sex=[" Female", "male", "female"], histology=["follicular", "Papillary-Classic", "medullary"],
                recurred=["yes", " NO", "maybe"], ln_examined=["3", "x", " 4"])
    as_text = validate_canonical(table(**cols))
    as_cat = validate_canonical(table(**{c: pd.Categorical(v) for c, v in cols.items()}))
    assert rules(as_cat) == rules(as_text) == [(2, "ln_examined", "not_a_number"),
                                               (3, "histology", "unseen_category"),
                                               (3, "recurred", "not_boolean")]
    pd.testing.assert_frame_equal(as_cat.table, as_text.table)
    assert as_text.table["sex"].tolist() == ["female"]


# ------------------------------------------------------------------ issue 10: policy, messages, property tests
_TEXT = st.one_of(st.text(max_size=6), st.sampled_from(["T1", "T1b", "t2", "N1", "yes", "NO", "3,5", "<0.2", "1e400",
                                                        "nan", "-1", "250", " 40 ", "", "T4a", "M1"]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_TEXT, _TEXT, _TEXT, _TEXT, _TEXT, _TEXT), min_size=1, max_size=12),
       st.sampled_from(["reject", "missing"]))
def test_random_codes_never_crash_and_rows_are_accounted(cells, invalid):
    t_stage, size, smoking, ln_pos, ete, age = map(list, zip(*cells))
    r = validate_canonical(table(len(cells), t_stage=t_stage, tumour_size_mm=size, smoking=smoking,
                                 ln_positive=ln_pos, ete=ete, age_years=age), invalid=invalid)
    assert r.n_in == len(cells) == len(r.table) + r.n_rejected
    assert set(r.rejects["source_row"]).isdisjoint(r.warnings["source_row"])
    if invalid == "missing":  # optional fields never cost a patient
        assert set(r.rejects["column"]) <= {"t_stage", "age_years", "patient_id"}
    for frame in (r.rejects, r.warnings):
        assert list(frame.columns) == REJECT_COLUMNS and frame["message"].str.len().min() > 0 if len(frame) else True
    issues = pd.concat([r.rejects, r.warnings])
    for col, msg in issues.loc[issues["rule"] == "unseen_category", ["column", "message"]].values:
        assert f"allowed: {', '.join(CONTRACT[col].categories)}" in msg


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=8))
def test_extra_boolean_codes_read_only_the_declared_codes(values):
    from rairpredict.cohort.contract import Field

    flag = Field("flag", "bool", "follow_up", extra=True, true_codes=("2",), false_codes=("1",))
    schema = CONTRACT.extend([flag])
    r = validate_canonical(table(len(values), flag=values), schema=schema, invalid="missing")
    assert r.n_in == len(r.table) + r.n_rejected and r.n_rejected == 0
    expect = [True if v.strip() == "2" else False if v.strip() == "1" else None for v in values]
    assert [None if pd.isna(v) else bool(v) for v in r.table["flag"]] == expect
    assert len(r.warnings) == sum(e is None and v.strip() != "" for v, e in zip(values, expect))


def test_ln_order_rule_sets_both_missing_when_both_are_optional():
    r = validate_canonical(table(2, ln_positive=["5", "1"], ln_examined=["3", "4"]), invalid="missing")
    assert (len(r.table), r.n_rejected) == (2, 0)
    assert pd.isna(r.table["ln_positive"].iloc[0]) and pd.isna(r.table["ln_examined"].iloc[0])
    assert r.warnings["rule"].tolist() == ["ln_positive_gt_examined"]
    assert validate_canonical(table(2, ln_positive=["5", "1"], ln_examined=["3", "4"])).n_rejected == 1


@pytest.mark.parametrize("col,value,needles", [
    ("tumour_size_mm", "3,5", ["'3,5' is not a number (mm)", "decimal: ','"]),
    ("tg_stim_ng_ml", "<0.2", ["censored value", "missing_tokens"]),
    ("smoking", "yess", ["allowed: yes, no, true, false, 1, 0", "did you mean 'yes'?"]),
    ("ete", "Minimal ETE", ["allowed: none, minimal, gross", "did you mean 'minimal'?"]),
    ("ln_examined", "2.5", ["'2.5' is not a whole number"]),
])
def test_messages_say_how_to_fix(col, value, needles):
    r = validate_canonical(table(1, **{col: [value]}))
    msg = r.rejects["message"].iloc[0]
    assert msg.startswith(f"column '{col}': ") and all(n in msg for n in needles), msg


def test_a_patient_may_repeat_with_another_course_number():
    from rairpredict.cohort.validate import validate_canonical as vc

    t = pd.DataFrame({"patient_id": ["a", "a", "b", "a"], "course_number": ["1", "2", "1", "2"],
                      "age_years": ["40"] * 4, "sex": ["female"] * 4, "histology": ["follicular"] * 4,
                      "t_stage": ["T2"] * 4, "n_stage": ["N0"] * 4, "m_stage": ["M0"] * 4})
    r = vc(t)
    assert (len(r.table), r.n_rejected) == (3, 1)
    assert r.rejects["rule"].tolist() == ["duplicate_id"] and r.rejects["source_row"].tolist() == [4]
