"""Tests for cohort config loading, the importer and the validate/import CLI."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from rairpredict.cli import main
from rairpredict.cohort import import_cohort, load_cohort_config
from rairpredict.cohort.config import CohortConfig
from rairpredict.errors import CohortFileError

REPO = Path(__file__).resolve().parents[2]
HEADER = ["MRN", "Age", "Sex", "Type", "T", "N", "M", "Dose", "sTg", "Size", "Smoke", "Ex-smoker", "BRAF"]
ROWS = [
    ["A1", "40", "F", "PTC", "T2", "N0", "M0", "100", "2,5", "1,2", "No", "No", "[Not Available]"],
    ["A2", "51", "M", "FTC", "T3a", "N1a", "M0", "3700", "1", "0,8", "Yes", "No", "mutated"],
    ["A3", "63", "F", "PTC", "T1a", "N0", "M0", "-", "n/a", "", "No", "Yes", "wildtype"],
    ["A1", "70", "W", "PTC", "T2", "N0", "M0", "150", "3", "2", "maybe", "No", "not tested"],
]
CFG = {
    "name": "clinic",
    "invalid": "reject",  # the old all-or-nothing policy; test_optional_fields covers the default
    "read": {"decimal": ","},
    "missing_tokens": ["", "-", "n/a", "[Not Available]"],
    "columns": {
        "patient_id": "MRN", "age_years": "Age",
        "sex": {"column": "Sex", "recode": {"F": "female", "M": "male"}},
        "histology": {"column": "Type", "recode": {"PTC": "papillary_classic", "FTC": "follicular"}},
        "t_stage": "T", "n_stage": "N", "m_stage": "M",
        "activity_gbq": {"column": "Dose", "unit": "mCi"},
        "tg_stim_ng_ml": {"column": "sTg", "unit": "µg/L"},
        "tumour_size_mm": {"column": "Size", "unit": "cm"},
        "smoking": {"any_of": ["Smoke", "Ex-smoker"]},
        "braf_v600e": {"column": "BRAF", "recode": {"mutated": True, "wildtype": False, "not tested": None}},
    },
    "constants": {"course_number": 1},
    "lacks": "all_others",
}


def write_csv(path, rows=ROWS, header=HEADER, sep=";"):
    path.write_text("\n".join(sep.join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


def write_cfg(path, **overrides):
    cfg = {**CFG, **overrides}
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def result(tmp_path):
    return import_cohort(write_csv(tmp_path / "c.csv"), write_cfg(tmp_path / "c.yaml"))


def test_mapping_units_tokens_recode(result):
    t = result.table
    assert (result.n_in, len(t), result.n_rejected) == (4, 2, 2)
    assert t["patient_id"].tolist() == ["A1", "A3"]
    assert t["activity_gbq"].round(3).tolist()[0] == 3.7 and pd.isna(t["activity_gbq"].iloc[1])  # 100 mCi; "-"
    assert t["tg_stim_ng_ml"].tolist()[0] == 2.5 and pd.isna(t["tg_stim_ng_ml"].iloc[1])  # decimal comma; n/a
    assert t["tumour_size_mm"].tolist()[0] == 12.0  # 1,2 cm
    assert t["smoking"].tolist() == [False, True]  # any_of: ex-smoker counts
    assert pd.isna(t["braf_v600e"].iloc[0]) and t["braf_v600e"].tolist()[1] is False
    assert t["course_number"].tolist() == [1, 1]
    assert t["histology"].astype(str).tolist() == ["papillary_classic", "papillary_classic"]
    assert t["ajcc8_stage"].astype(str).tolist() == ["I", "I"]  # derived by add_derived


def test_rejects_reasons_and_unit_hint(result):
    rej = result.rejects
    got = sorted(zip(rej["source_row"], rej["column"], rej["rule"]))
    assert got == [(2, "activity_gbq", "out_of_range"), (4, "patient_id", "duplicate_id"),
                   (4, "sex", "unseen_category"), (4, "smoking", "not_boolean")]
    hint = rej.loc[rej["column"] == "activity_gbq", "message"].iloc[0]
    assert "looks like MBq" in hint  # 3700 given as mCi reads as MBq
    s = result.summary()
    assert "rows in: 4   accepted: 2   rejected: 2" in s and "cohort clinic" in s
    assert "A1" not in s  # no identifiers in the summary


def test_generated_ids_are_row_numbers(tmp_path):
    cfg = {k: v for k, v in CFG.items()}
    cfg["columns"] = {k: v for k, v in CFG["columns"].items() if k != "patient_id"}
    cfg["id"] = {"generate": True, "prefix": "x-", "width": 3}
    r = import_cohort(write_csv(tmp_path / "c.csv"), CohortConfig.from_dict(cfg))
    assert r.table["patient_id"].tolist() == ["x-001", "x-003"]
    assert set(r.rejects["patient_id"]) == {"x-002", "x-004"}  # no duplicate any more: row 4 has other faults


def test_recode_wins_over_missing_token(tmp_path):
    cols = {**CFG["columns"], "recurred": {"column": "Rec", "recode": {"-": False}}}
    rows = [r + [v] for r, v in zip(ROWS[:3], ["-", "yes", ""])]
    r = import_cohort(write_csv(tmp_path / "c.csv", rows, HEADER + ["Rec"]), CohortConfig.from_dict({**CFG, "columns": cols}))
    assert r.table["recurred"].tolist()[0] is False and pd.isna(r.table["recurred"].iloc[-1])


def test_parquet_and_excel_sources(tmp_path):
    df = pd.DataFrame(ROWS[:3], columns=HEADER)
    df.to_parquet(tmp_path / "c.parquet")
    df.to_excel(tmp_path / "c.xlsx", sheet_name="Patients", index=False)
    cfg = CohortConfig.from_dict({**CFG, "read": {"sheet": "Patients", "decimal": ","}})
    for name in ("c.parquet", "c.xlsx"):
        r = import_cohort(tmp_path / name, cfg)
        assert (r.n_in, len(r.table)) == (3, 2), name


@pytest.mark.parametrize("change,column,rule", [
    ({"columns": {**CFG["columns"], "tumor_size": "Size"}}, "tumor_size", "unknown canonical field"),
    ({"columns": {**CFG["columns"], "activity_gbq": {"column": "Dose", "unit": "Ci"}}}, "activity_gbq", "unknown unit 'Ci'"),
    ({"columns": {**CFG["columns"], "sex": {"column": "Sex", "unit": "kg"}}}, "sex", "unknown unit 'kg'"),
    ({"colums": {}}, "colums", "unknown config key"),
    ({"lacks": ["ete"]}, "hx_radiotherapy", "neither mapped, constant nor lacking"),
    ({"lacks": ["sex"]}, "sex", "field given more than once"),
    ({"constants": {"course_number": 0}}, "course_number", "outside range"),
    ({"columns": {**CFG["columns"], "sex": {"column": "Sex", "recode": {"F": "woman"}}}}, "sex", "recode target 'woman'"),
])
def test_config_errors_name_file_key_rule(tmp_path, change, column, rule):
    path = write_cfg(tmp_path / "bad.yaml", **change)
    with pytest.raises(CohortFileError) as ei:
        load_cohort_config(path)
    assert ei.value.column == column and rule in ei.value.rule
    assert str(path) in str(ei.value)


def test_yaml_boolean_recode_key_is_refused(tmp_path):
    p = tmp_path / "b.yaml"
    p.write_text("name: x\ncolumns:\n  recurred: {column: R, recode: {Yes: true}}\n")
    with pytest.raises(CohortFileError, match="YAML boolean; quote"):
        load_cohort_config(p)


def test_missing_source_column(tmp_path):
    header = [h if h != "Dose" else "Activity" for h in HEADER]
    path = write_csv(tmp_path / "c.csv", header=header)
    with pytest.raises(CohortFileError) as ei:
        import_cohort(path, write_cfg(tmp_path / "c.yaml"))
    assert ei.value.column == "Dose" and "missing required source column" in ei.value.rule
    assert "activity_gbq" in ei.value.rule and ei.value.file == path


@pytest.mark.parametrize("name", ["uci_dtc.yaml", "example_custom.yaml"])
def test_shipped_configs_load(name):
    cfg = load_cohort_config(REPO / "configs" / "cohorts" / name)
    assert cfg.name and cfg.columns


# ------------------------------------------------------------------ CLI
def test_cli_validate_writes_rejects_beside_input(tmp_path, capsys):
    data = write_csv(tmp_path / "c.csv", rows=ROWS + [["=cmd|' /C calc'!A0", "44", "F", "PTC", "T2", "N0", "M0",
                                                     "100", "1", "1", "No", "No", "x"]])
    assert main(["validate", str(data), "--cohort-config", str(write_cfg(tmp_path / "c.yaml"))]) == 0
    out = capsys.readouterr().out
    assert "rows in: 5   accepted: 2   rejected: 3" in out and "out_of_range (activity_gbq)" in out
    rejects = pd.read_csv(tmp_path / "c.rejects.csv", dtype=str)
    assert set(rejects["source_row"]) == {"2", "4", "5"}
    assert rejects.loc[rejects["source_row"] == "5", "patient_id"].iloc[0].startswith("'=cmd")  # formula neutralised


def test_cli_import_parquet_and_rejects(tmp_path, capsys):
    out = tmp_path / "out" / "canon.parquet"
    code = main(["import", str(write_csv(tmp_path / "c.csv")), "--cohort-config", str(write_cfg(tmp_path / "c.yaml")),
                 "-o", str(out), "--rejects", str(tmp_path / "r.csv")])
    assert code == 0
    t = pd.read_parquet(out)
    assert t["patient_id"].tolist() == ["A1", "A3"] and str(t["sex"].dtype) == "category"
    assert len(pd.read_csv(tmp_path / "r.csv")) == 4
    # the canonical output re-imports without a config
    again = import_cohort(out)
    assert (again.n_in, len(again.table)) == (2, 2)


def _cases(tmp_path):
    cfg = write_cfg(tmp_path / "c.yaml")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "hdr.csv").write_text(";".join(HEADER) + "\n")
    write_csv(tmp_path / "comma.csv", sep=",")
    write_csv(tmp_path / "nodose.csv", header=[h if h != "Dose" else "D" for h in HEADER])
    write_csv(tmp_path / "ok.csv")
    return [
        (["validate", str(tmp_path / "none.csv"), "--cohort-config", str(cfg)], "does not exist"),
        (["validate", str(tmp_path / "empty.csv"), "--cohort-config", str(cfg)], "empty file"),
        (["validate", str(tmp_path / "hdr.csv"), "--cohort-config", str(cfg)], "empty file"),
        (["validate", str(tmp_path / "nodose.csv"), "--cohort-config", str(cfg)], "column 'Dose': missing required source column"),
        (["validate", str(tmp_path / "ok.csv"), "--cohort-config", str(write_cfg(tmp_path / "u.yaml", columns={**CFG["columns"], "activity_gbq": {"column": "Dose", "unit": "Ci"}}))], "unknown unit"),
        (["validate", str(tmp_path / "ok.csv"), "--cohort-config", str(write_cfg(tmp_path / "f.yaml", columns={**CFG["columns"], "dose": "Dose"}))], "column 'dose': unknown canonical field"),
        (["validate", str(tmp_path / "ok.csv")], "column 'MRN': not a canonical field"),
    ]


def test_cli_file_errors_one_line_exit_1_or_2(tmp_path, capsys):
    for argv, needle in _cases(tmp_path):
        # 2: a usage or config mistake (no such file, a config naming an unknown field, no config); 1: content
        usage = ("does not exist", "unknown canonical field", "not a canonical field", "unknown unit")
        assert main(argv) == (2 if any(u in needle for u in usage) else 1), argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and needle in err and "Traceback" not in err, err


def test_cli_wrong_delimiter_subprocess(tmp_path):
    cfg = write_cfg(tmp_path / "c.yaml", read={"delimiter": ";"})
    data = write_csv(tmp_path / "comma.csv", sep=",")
    proc = subprocess.run([sys.executable, "-m", "rairpredict.cli", "validate", str(data), "--cohort-config", str(cfg)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1  # a data problem
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert str(data) in proc.stderr and "wrong delimiter" in proc.stderr and "column 'MRN,Age" in proc.stderr
