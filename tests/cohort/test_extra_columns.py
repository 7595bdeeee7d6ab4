"""Extra columns (issue 10 point 2): typed, staged, carried with the table, guarded against leakage."""
from __future__ import annotations

import pandas as pd
import pytest

from rairpredict.cohort import import_cohort, write_table
from rairpredict.cohort.config import CohortConfig
from rairpredict.cohort.contract import EXTRA_FIELDS_ATTR, schema_of
from rairpredict.errors import CohortFileError, LeakageError
from rairpredict.features import ClinicalFeatures, check_leakage

EXTRA = {
    "pfi": {"column": "PFI", "type": "boolean", "true": ["1", "progressed"], "false": ["0"], "stage": "follow_up",
            "description": "progression-free interval event"},
    "centre": {"column": ["Centre", "Site"], "type": "category", "values": ["north", "south"],
               "recode": {"N": "north"}, "stage": "diagnosis"},
    "ki67_pct": {"column": "Ki67", "type": "number", "unit": "%", "range": [0, 100], "stage": "pathology"},
}
CFG = {"name": "x", "id": {"generate": True, "width": 1},
       "columns": {"age_years": "Age", "sex": "Sex", "histology": "Hist", "t_stage": "T", "n_stage": "N", "m_stage": "M"},
       "extra": EXTRA, "lacks": "all_others"}
ROWS = ["Age,Sex,Hist,T,N,M,PFI,Centre,Site,Ki67",
        "40,female,follicular,T2,N0,M0,1,N,,3",
        "50,male,follicular,T2,N0,M0,0,,south,150",   # Ki67 out of range -> missing + warning
        "60,male,follicular,T2,N0,M0,yes,west,,5",    # 'yes' is not a declared PFI code; 'west' not a centre
        "61,male,follicular,T2,N0,M0,progressed,south,north,"]


@pytest.fixture
def result(tmp_path):
    (tmp_path / "d.csv").write_text("\n".join(ROWS) + "\n")
    return import_cohort(tmp_path / "d.csv", CohortConfig.from_dict(CFG))


def test_extra_columns_are_typed_and_carry_their_schema(result):
    t = result.table
    assert (result.n_in, len(t), result.n_rejected) == (4, 4, 0)
    assert t["pfi"].tolist()[:2] == [True, False] and pd.isna(t["pfi"].iloc[2]) and t["pfi"].iloc[3]
    assert t["centre"].astype(object).tolist()[:2] == ["north", "south"] and t["centre"].iloc[3] == "south"
    assert t["ki67_pct"].tolist()[0] == 3.0 and pd.isna(t["ki67_pct"].iloc[1])
    w = result.warnings
    assert {("pfi", "not_boolean"), ("centre", "unseen_category"), ("ki67_pct", "out_of_range")} <= set(
        zip(w["column"], w["rule"]))
    msg = w.loc[w["column"] == "pfi", "message"].iloc[0]
    assert "column 'PFI'" in msg and "allowed: 1, progressed, 0" in msg
    schema = schema_of(t)
    assert schema["pfi"].stage == "follow_up" and schema["centre"].categories == ("north", "south")
    assert schema["ki67_pct"].unit == "%" and [f.name for f in schema.extras] == ["pfi", "centre", "ki67_pct"]


def test_schema_survives_parquet_and_reimport_without_config(result, tmp_path):
    out = write_table(result.table, tmp_path / "canon.parquet")
    again = import_cohort(out)
    assert (again.n_in, len(again.table)) == (4, 4)
    assert again.table.attrs[EXTRA_FIELDS_ATTR] == result.table.attrs[EXTRA_FIELDS_ATTR]
    assert str(again.table["centre"].dtype) == "category"


def test_leakage_guard_refuses_a_post_decision_extra_feature(result):
    schema = schema_of(result.table)
    assert check_leakage(["ki67_pct", "centre"], "pre_therapy", schema) == ["ki67_pct", "centre"]
    with pytest.raises(LeakageError, match="'pfi' \\(stage follow_up\\) is not available at decision point pre_therapy"):
        check_leakage(["age_years", "pfi"], "pre_therapy", schema)
    with pytest.raises(LeakageError, match="pfi"):
        ClinicalFeatures(["age_years", "pfi"], decision_point="pre_therapy").fit(result.table)


def test_clinical_features_encode_extras_and_remember_them(result):
    cf = ClinicalFeatures(["age_years", "centre", "ki67_pct"], missing_indicators="none").fit(result.table)
    assert list(cf.get_feature_names_out()) == ["age_years", "centre=north", "centre=south", "ki67_pct"]
    assert [f["name"] for f in cf.extra_fields_] == ["centre", "ki67_pct"]
    assert cf.extra_fields_[0]["categories"] == ["north", "south"] and cf.extra_fields_[0]["stage"] == "diagnosis"
    auto = ClinicalFeatures(decision_point="pre_therapy").fit(result.table)
    assert "pfi" not in auto.features_ and "ki67_pct" in auto.features_


@pytest.mark.parametrize("change,key,needle", [
    ({"age_years": {"column": "A", "type": "number", "stage": "diagnosis"}}, "age_years", "is a canonical field"),
    ({"x": {"column": "A", "type": "number"}}, "x", "stage None is required"),
    ({"x": {"column": "A", "type": "category", "stage": "diagnosis"}}, "x", "needs 'values'"),
    ({"x": {"column": "A", "type": "boolean", "true": ["1"], "stage": "diagnosis"}}, "x", "both 'true' and 'false'"),
    ({"x": {"column": "A", "type": "boolean", "true": ["1"], "false": ["1"], "stage": "diagnosis"}}, "x",
     "both true and false"),
    ({"x": {"column": "A", "type": "number", "values": ["a"], "stage": "diagnosis"}}, "x", "does not apply"),
    ({"x": {"column": "A", "type": "number", "range": [5, 1], "stage": "diagnosis"}}, "x", "low <= high"),
    ({"x": {"column": "A", "type": "category", "values": ["a"], "recode": {"b": "c"}, "stage": "diagnosis"}}, "x",
     "recode target 'c'"),
    ({"oracle_p": {"column": "A", "type": "number", "stage": "diagnosis"}}, "oracle_p", "no 'oracle_' prefix"),
    ({"x": {"column": "A", "type": "number", "stage": "diagnosis", "unti": "%"}}, "unti", "did you mean 'unit'?"),
])
def test_extra_column_refusals(change, key, needle):
    with pytest.raises(CohortFileError) as ei:
        CohortConfig.from_dict({**CFG, "extra": change})
    assert ei.value.column == key and needle in str(ei.value), str(ei.value)


def test_yaml_true_false_keys_and_boolean_codes(tmp_path):
    from rairpredict.cohort import load_cohort_config

    head = ("name: x\nid: {generate: true}\nlacks: all_others\ncolumns:\n  age_years: Age\n  sex: Sex\n"
            "  histology: Hist\n  t_stage: T\n  n_stage: N\n  m_stage: M\nextra:\n  pfi:\n    column: PFI\n"
            "    type: boolean\n    stage: follow_up\n")
    p = tmp_path / "c.yaml"
    p.write_text(head + "    true: ['1', progressed]\n    false: ['0']\n")  # YAML reads these keys as booleans
    assert load_cohort_config(p).schema["pfi"].true_codes == ("1", "progressed")
    p.write_text(head + "    true: [yes]\n    false: [no]\n")
    with pytest.raises(CohortFileError, match=r"line 16.*code True under 'true' is a YAML boolean; quote"):
        load_cohort_config(p)
