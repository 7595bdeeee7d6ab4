"""Cohort config: YAML mistakes named by file, line and suggestion; several sources; extras; policy; paths."""
from __future__ import annotations

import os

import pandas as pd
import pytest
import yaml

from rairpredict.cli import main
from rairpredict.cohort import import_cohort, load_cohort_config
from rairpredict.cohort.config import CohortConfig
from rairpredict.cohort.contract import schema_of
from rairpredict.errors import CohortFileError

BASE = {
    "name": "t", "id": {"generate": True, "prefix": "p-", "width": 1},
    "columns": {"age_years": "Age", "sex": {"column": "Sex", "recode": {"F": "female", "M": "male"}},
                "histology": {"column": "Hist", "recode": {"PTC": "papillary_classic"}},
                "t_stage": "T", "n_stage": "N", "m_stage": "M"},
    "lacks": "all_others",
}
HEADER = "Age,Sex,Hist,T,N,M"


def _csv(path, rows, header=HEADER):
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _yaml(path, cfg):
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


# ------------------------------------------------------------------ point 7: file, line, suggestion
@pytest.mark.parametrize("text,line,key,needle", [
    ("name: x\ncolums:\n  age_years: Age\n", 2, "colums", "did you mean 'columns'?"),
    ("name: x\ncolumns:\n  age_yers: Age\n", 3, "age_yers", "did you mean 'age_years'?"),
    ("name: x\ncolumns:\n  activity_gbq: {column: D, unit: mci}\n", 3, "activity_gbq", "did you mean 'mCi'?"),
    ("name: x\ncolumns:\n  sex: {column: S, recode: {F: femal}}\n", 3, "sex", "did you mean 'female'?"),
    ("name: x\ncolumns:\n  sex: {colum: S}\n", 3, "colum", "did you mean 'column'?"),
    ("name: x\ntnm_edition: 9\ncolumns:\n  sex: S\n", 2, "tnm_edition", "not one of [5, 6, 7, 8]"),
    ("name: x\ncolumns:\n  sex: S\nextra:\n  pfi: {column: P, type: bool, stage: follow_up}\n", 5, "pfi",
     "did you mean 'boolean'?"),
    ("name: x\ncolumns:\n  sex: S\nextra:\n  pfi:\n    column: P\n    type: boolean\n    stage: folow_up\n", 8,
     "pfi", "did you mean 'follow_up'?"),
])
def test_config_mistakes_name_file_line_and_suggestion(tmp_path, text, line, key, needle):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    with pytest.raises(CohortFileError) as ei:
        load_cohort_config(p)
    msg = str(ei.value)
    assert msg.startswith(f"{p}, line {line}"), msg
    assert ei.value.column == key and needle in msg, msg


def test_yaml_syntax_error_names_line(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("name: x\ncolumns:\n  sex: S\n   age_years: A\n")
    with pytest.raises(CohortFileError, match=rf"^{p}, line 4: invalid YAML: .*indentation"):
        load_cohort_config(p)


def test_missing_config_file_is_one_line(tmp_path, capsys):
    _csv(tmp_path / "d.csv", ["40,F,PTC,T2,N0,M0"])
    assert main(["validate", str(tmp_path / "d.csv"), "--cohort-config", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "config file does not exist" in err


# ------------------------------------------------------------------ point 4: several sources
@pytest.mark.parametrize("spec", [{"column": ["Size path", "Size US"], "unit": "cm"},
                                  {"first_of": ["Size path", "Size US"], "unit": "cm"}])
def test_first_non_missing_of_ordered_sources(tmp_path, spec):
    data = _csv(tmp_path / "d.csv", ["40,F,PTC,T2,N0,M0,1.5,2.5", "41,F,PTC,T2,N0,M0,,2.5", "42,F,PTC,T2,N0,M0,-,"],
                header=HEADER + ",Size path,Size US")
    cfg = CohortConfig.from_dict({**BASE, "columns": {**BASE["columns"], "tumour_size_mm": spec}})
    r = import_cohort(data, cfg, derive=False)
    assert r.table["tumour_size_mm"].tolist()[:2] == [15.0, 25.0] and pd.isna(r.table["tumour_size_mm"].iloc[2])
    assert cfg.columns["tumour_size_mm"].sources == ("Size path", "Size US")


def test_several_sources_refusals(tmp_path):
    with pytest.raises(CohortFileError, match="exactly one of 'column', 'first_of' or 'any_of'"):
        CohortConfig.from_dict({**BASE, "columns": {**BASE["columns"], "smoking": {"column": "A", "any_of": ["B"]}}})
    with pytest.raises(CohortFileError, match="any_of is only for boolean"):
        CohortConfig.from_dict({**BASE, "columns": {**BASE["columns"], "tumour_size_mm": {"any_of": ["A", "B"]}}})
    data = _csv(tmp_path / "d.csv", ["40,F,PTC,T2,N0,M0,1"], header=HEADER + ",Size path")
    cfg = CohortConfig.from_dict({**BASE, "columns": {**BASE["columns"], "tumour_size_mm": ["Size path", "Size US"]}})
    with pytest.raises(CohortFileError, match="missing required source column"):
        import_cohort(data, cfg)


# ------------------------------------------------------------------ point 6: optional fields
def test_unreadable_optional_value_is_missing_with_a_warning(tmp_path):
    data = _csv(tmp_path / "d.csv", ["40,F,PTC,T2,N0,M0,big,maybe", "50,M,PTC,T9,N0,M0,3,yes",
                                     "60,F,PTC,T2,N0,M0,300,no"], header=HEADER + ",Size,Smoke")
    cols = {**BASE["columns"], "tumour_size_mm": "Size", "smoking": "Smoke"}
    r = import_cohort(data, CohortConfig.from_dict({**BASE, "columns": cols}), derive=False)
    assert (r.n_in, len(r.table), r.n_rejected) == (3, 2, 1)  # only the required t_stage rejects
    assert r.n_in == len(r.table) + r.n_rejected
    assert r.table["patient_id"].tolist() == ["p-1", "p-3"]
    assert pd.isna(r.table["tumour_size_mm"]).all() and pd.isna(r.table["smoking"].iloc[0])
    w = r.warnings
    assert sorted(zip(w["source_row"], w["column"], w["rule"])) == [
        (1, "smoking", "not_boolean"), (1, "tumour_size_mm", "not_a_number"), (3, "tumour_size_mm", "out_of_range")]
    assert "warnings (patients kept): 3 in 2 rows" in r.summary()


def test_policy_reject_per_column_and_refusals(tmp_path):
    data = _csv(tmp_path / "d.csv", ["40,F,PTC,T2,N0,M0,big", "41,F,PTC,T2,N0,M0,3"], header=HEADER + ",Size")
    cols = {**BASE["columns"], "tumour_size_mm": {"column": "Size", "invalid": "reject"}}
    r = import_cohort(data, CohortConfig.from_dict({**BASE, "columns": cols}), derive=False)
    assert (len(r.table), r.n_rejected, len(r.warnings)) == (1, 1, 0)
    r = import_cohort(data, CohortConfig.from_dict({**BASE, "invalid": "reject",
                                                    "columns": {**BASE["columns"], "tumour_size_mm": "Size"}}))
    assert (len(r.table), r.n_rejected) == (1, 1)
    with pytest.raises(CohortFileError, match="required field always rejects"):
        CohortConfig.from_dict({**BASE, "columns": {**BASE["columns"], "t_stage": {"column": "T", "invalid": "missing"}}})
    with pytest.raises(CohortFileError, match=r"invalid: 'drop' is not one of \['missing', 'reject'\]"):
        CohortConfig.from_dict({**BASE, "invalid": "drop"})


# ------------------------------------------------------------------ point 7: value messages
def test_rejected_value_names_source_column_allowed_values_and_nearest(tmp_path):
    data = _csv(tmp_path / "d.csv", ["40,F,PTC,pT1b,N0,M0", "41,F,PTC,T2,N0,M0"])
    r = import_cohort(data, CohortConfig.from_dict(BASE), derive=False)
    msg = r.rejects["message"].iloc[0]
    assert "column 'T'" in msg and "'pT1b'" in msg and "allowed: T1a, T1b" in msg and "did you mean 'T1b'?" in msg


# ------------------------------------------------------------------ point 9: paths relative to the config
def test_data_path_relative_to_config_from_any_directory(tmp_path, monkeypatch, capsys):
    (tmp_path / "data").mkdir()
    (tmp_path / "cfg").mkdir()
    _csv(tmp_path / "data" / "d.csv", ["40,F,PTC,T2,N0,M0"])
    cfg = _yaml(tmp_path / "cfg" / "c.yaml", {**BASE, "path": "../data/d.csv"})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert load_cohort_config(os.path.relpath(cfg)).path == str(tmp_path / "data" / "d.csv")
    assert len(import_cohort(None, cfg).table) == 1
    assert main(["validate", "--cohort-config", str(cfg)]) == 0
    assert "accepted: 1" in capsys.readouterr().out


# ------------------------------------------------------------------ exits and the no-config hint
def test_validate_and_import_exit_1_when_no_row_accepted(tmp_path, capsys):
    data = _csv(tmp_path / "d.csv", ["40,F,PTC,T9,N0,M0", "x,F,PTC,T2,N0,M0"])
    cfg = _yaml(tmp_path / "c.yaml", BASE)
    assert main(["validate", str(data), "--cohort-config", str(cfg)]) == 1
    assert main(["import", str(data), "--cohort-config", str(cfg), "-o", str(tmp_path / "o.parquet")]) == 1
    assert "no row accepted (2 rows in)" in capsys.readouterr().err
    assert not (tmp_path / "o.parquet").exists()


def test_validate_without_config_on_a_foreign_file_says_what_to_run(tmp_path, capsys):
    data = _csv(tmp_path / "d.csv", ["40,F,PTC,T2,N0,M0"])
    assert main(["validate", str(data)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "column 'Age': not a canonical field" in err
    assert f"rairpredict validate --input {data} --cohort-config" in err


def test_warnings_file_written_beside_rejects(tmp_path, capsys):
    data = _csv(tmp_path / "d.csv", ["40,F,PTC,T2,N0,M0,big"], header=HEADER + ",Size")
    cfg = _yaml(tmp_path / "c.yaml", {**BASE, "columns": {**BASE["columns"], "tumour_size_mm": "Size"}})
    assert main(["import", str(data), "--cohort-config", str(cfg), "-o", str(tmp_path / "o.csv")]) == 0
    w = pd.read_csv(tmp_path / "o.warnings.csv")
    assert w[["source_row", "column", "rule"]].values.tolist() == [
        [1, "ata_risk_2015", "not_derived"], [1, "tumour_size_mm", "not_a_number"]]
    assert w["message"].iloc[0] == "missing ete (minimal extrathyroidal extension makes intermediate risk)"
    assert pd.read_csv(tmp_path / "o.rejects.csv").empty


# ------------------------------------------------------------------ property: random source files
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_CELL = st.one_of(st.sampled_from(["", "-", "T1", "T3", "T4", "N1", "N1b", "40", "x", "1,5", "F", "PTC", "none",
                                   "gross", "yes", "0"]), st.text(alphabet="abcT1234,.- ", max_size=4))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(_CELL, min_size=10, max_size=10), min_size=1, max_size=8), st.sampled_from([5, 6, 7, 8]))
def test_random_source_files_never_crash_and_every_row_is_accounted(tmp_path, rows, edition):
    path = tmp_path / "r.csv"
    pd.DataFrame(rows, columns=["Age", "Sex", "Hist", "T", "N", "M", "S1", "S2", "ETE", "Flag"]).to_csv(path, index=False)
    cfg = CohortConfig.from_dict({**BASE, "tnm_edition": edition, "columns": {
        **BASE["columns"], "tumour_size_mm": {"column": ["S1", "S2"], "unit": "cm"}, "ete": "ETE"},
        "extra": {"flag": {"column": "Flag", "type": "boolean", "true": ["yes"], "false": ["0"], "stage": "pathology"}}})
    r = import_cohort(path, cfg)
    assert r.n_in == len(rows) == len(r.table) + r.n_rejected
    assert set(r.rejects["column"]) <= {"age_years", "sex", "histology", "t_stage", "n_stage", "m_stage"}
    assert set(r.warnings["source_row"]) <= set(range(1, len(rows) + 1)) - set(r.rejects["source_row"])
    assert r.table["t_stage"].isin(load_contract_categories("t_stage")).all()


def load_contract_categories(name):
    from rairpredict.cohort.contract import load_contract

    return list(load_contract()[name].categories)


def test_number_message_names_the_source_unit(tmp_path):
    data = _csv(tmp_path / "d.csv", ["40,F,PTC,T2,N0,M0,abc"], header=HEADER + ",Dose")
    cols = {**BASE["columns"], "activity_gbq": {"column": "Dose", "unit": "mCi"}}
    r = import_cohort(data, CohortConfig.from_dict({**BASE, "columns": cols}), derive=False)
    assert r.warnings["message"].iloc[0].startswith("column 'Dose': 'abc' is not a number (mCi)")


def test_a_cohort_of_another_disease_names_the_required_fields_it_lacks(tmp_path):
    """all_others never drops a required field; naming it does, and the schema (and the table) stop requiring it."""
    other = {"name": "breast", "id": {"generate": True}, "columns": {"age_years": "Age"},
             "extra": {"grade": {"column": "Grade", "type": "category", "values": ["I", "II"], "stage": "pathology"}},
             "lacks": "all_others"}
    _csv(tmp_path / "b.csv", ["50,I", "61,II"], header="Age,Grade")
    with pytest.raises(CohortFileError, match=r"name them: lacks: \[sex, histology, t_stage, n_stage, m_stage"):
        load_cohort_config(_yaml(tmp_path / "b.yaml", {**other, "path": "b.csv"}))
    named = {**other, "path": "b.csv", "lacks": ["sex", "histology", "t_stage", "n_stage", "m_stage", "all_others"]}
    cfg = load_cohort_config(_yaml(tmp_path / "b.yaml", named))
    assert not set(cfg.schema.required) & {"sex", "histology", "t_stage", "n_stage", "m_stage"}
    assert {"patient_id", "age_years"} <= set(cfg.schema.required)
    result = import_cohort(tmp_path / "b.csv", cfg)
    assert len(result.table) == 2 and result.table["grade"].tolist() == ["I", "II"]
    # the table carries the declaration: a later reader (a model's scoring paths) does not require them either
    assert "histology" not in schema_of(result.table).required
    with pytest.raises(CohortFileError, match="age_years.*can not be declared lacking"):
        load_cohort_config(_yaml(tmp_path / "c.yaml", {**named, "columns": {"sex": "Age"},
                                                        "lacks": ["age_years", "histology", "t_stage", "n_stage",
                                                                  "m_stage", "all_others"]}))
