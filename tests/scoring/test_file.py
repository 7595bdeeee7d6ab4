"""score_file and `rairpredict score`: formats, rejects, accounting, atomic output, agreement."""
from __future__ import annotations

import hashlib
import os

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rairpredict.cli import main
from rairpredict.cohort.contract import load_contract
from rairpredict.errors import CohortFileError
from rairpredict.scoring import SCORE_COLUMNS, rejects_path, score_file

N = 60


def canonical_only(table: pd.DataFrame) -> pd.DataFrame:
    contract = load_contract()
    return table[[c for c in table.columns if c in contract and not contract[c].derived]]


def write_csv(table: pd.DataFrame, path, sep=","):
    t = table.copy()
    for c in t.columns:
        t[c] = t[c].astype(object).where(t[c].notna(), "")
    t.to_csv(path, sep=sep, index=False)
    return path


@pytest.fixture(scope="module")
def rows(cohort):
    table, _ = cohort
    return canonical_only(table.head(N)).reset_index(drop=True)


def _digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _read(path):
    return pd.read_parquet(path) if str(path).endswith(".parquet") else pd.read_csv(path, keep_default_na=False)


@pytest.mark.parametrize("fmt,out_ext", [("csv_comma", ".parquet"), ("csv_semicolon", ".csv"),
                                         ("parquet", ".parquet"), ("parquet", ".csv")])
def test_formats_agree_with_predict_risk(xgb_model, model_path, rows, cohort, tmp_path, fmt, out_ext, capsys):
    if fmt == "parquet":
        src = tmp_path / "in.parquet"
        rows.to_parquet(src)
    else:
        src = write_csv(rows, tmp_path / "in.csv", sep=";" if fmt == "csv_semicolon" else ",")
    before = _digest(src)
    out = tmp_path / f"scores{out_ext}"
    code = main(["score", "--model", str(model_path), "--input", str(src), "--output", str(out),
                 "--explain", "3", "--chunk-size", "17"])
    assert code == 0
    assert f"rows in = {N}, scored = {N}, rejected = 0" in capsys.readouterr().out
    scored = _read(out)
    assert list(scored.columns[:len(SCORE_COLUMNS)]) == SCORE_COLUMNS and "reason_3_direction" in scored.columns
    expected = xgb_model.predict_risk(cohort[0].head(N))
    np.testing.assert_allclose(scored["probability"].astype(float), expected, rtol=0, atol=1e-6)
    assert scored["patient_id"].astype(str).tolist() == rows["patient_id"].astype(str).tolist()
    assert _digest(src) == before  # input never modified
    rej = pd.read_csv(rejects_path(out))
    assert len(rej) == 0 and list(rej.columns) == ["source_row", "patient_id", "column", "value", "rule", "message"]


def test_explain0_has_no_reasons(model_path, rows, tmp_path):
    src = tmp_path / "in.parquet"
    rows.to_parquet(src)
    s = score_file(model_path, src, tmp_path / "o.parquet", explain=0, report=None)
    out = pd.read_parquet(s.output)
    assert list(out.columns) == SCORE_COLUMNS
    assert (s.rows_in, s.rows_scored, s.rows_rejected) == (N, N, 0)


def test_cohort_config_mapped(xgb_model, model_path, rows, cohort, tmp_path):
    names = {"patient_id": "ID", "age_years": "Age", "sex": "Sex", "histology": "Histo", "t_stage": "T",
             "n_stage": "N", "m_stage": "M", "tumour_size_mm": "Size (cm)", "ete": "ETE",
             "ln_positive": "LN+", "ln_examined": "LN", "braf_v600e": "BRAF", "tg_stim_ng_ml": "sTg",
             "tsh_stim_mu_l": "TSH", "activity_gbq": "Activity"}
    src = rows[list(names)].copy()
    src["sex"] = src["sex"].map({"female": "F", "male": "M"}).astype(object)
    src["tumour_size_mm"] = src["tumour_size_mm"] / 10.0
    src = src.rename(columns=names)
    path = write_csv(src, tmp_path / "clinic.csv", sep=";")
    cfg = {"name": "clinic", "missing_tokens": ["", "NA"],
           "columns": {**{k: v for k, v in names.items() if k not in ("sex", "tumour_size_mm")},
                       "sex": {"column": "Sex", "recode": {"F": "female", "M": "male"}},
                       "tumour_size_mm": {"column": "Size (cm)", "unit": "cm"}},
           "lacks": "all_others"}
    cfg_path = tmp_path / "clinic.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg))
    out = tmp_path / "scores.parquet"
    assert main(["score", "--model", str(model_path), "--input", str(path), "--output", str(out),
                 "--cohort-config", str(cfg_path), "--explain", "2", "--chunk-size", "25"]) == 0
    scored = pd.read_parquet(out)
    # fields the clinic lacks are missing in both; the rest must reproduce in-memory scores
    table = cohort[0].head(N).copy()
    for f in xgb_model.features:
        if f not in names and f != "ln_ratio":
            table[f] = pd.Series([pd.NA] * N, dtype=table[f].dtype)
    np.testing.assert_allclose(scored["probability"], xgb_model.predict_risk(table), atol=1e-6)
    assert len(scored) == N


def test_rejects_with_reasons(model_path, rows, tmp_path, capsys):
    bad = write_csv(rows, tmp_path / "in.csv")
    text = pd.read_csv(bad, dtype=str, keep_default_na=False)
    text.loc[3, "age_years"] = "forty"
    text.loc[10, "t_stage"] = "T9"
    text.loc[11, "age_years"] = "150"
    text.loc[40, "patient_id"] = ""
    text.to_csv(bad, index=False)
    out = tmp_path / "s.csv"
    assert main(["score", "--model", str(model_path), "-i", str(bad), "-o", str(out), "--chunk-size", "16"]) == 0
    assert f"rows in = {N}, scored = {N - 4}, rejected = 4" in capsys.readouterr().out
    rej = pd.read_csv(rejects_path(out), keep_default_na=False)
    got = set(zip(rej["source_row"], rej["column"], rej["rule"]))
    assert got == {(4, "age_years", "not_a_number"), (11, "t_stage", "unseen_category"),
                   (12, "age_years", "out_of_range"), (41, "patient_id", "missing_required")}
    assert "outside range [0, 110] years" in rej.loc[rej["rule"] == "out_of_range", "message"].iloc[0]
    scored = pd.read_csv(out, keep_default_na=False)
    assert len(scored) == N - 4
    assert not set(scored["patient_id"]) & set(rows["patient_id"].iloc[[3, 10, 11]])


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bad=st.sets(st.integers(0, N - 1), max_size=N), chunk=st.integers(9, 40),
       kind=st.sampled_from(["age_years", "sex", "m_stage"]))
def test_row_accounting_property(xgb_model, rows, tmp_path_factory, bad, chunk, kind):
    tmp = tmp_path_factory.mktemp("acc")
    text = rows.astype(object).where(rows.notna(), "").astype(str)
    for i in bad:
        text.loc[i, kind] = "??"
    src = tmp / "in.csv"
    text.to_csv(src, index=False)
    s = score_file(xgb_model, src, tmp / "o.parquet", chunk_size=chunk, report=None)
    assert s.rows_in == N == s.rows_scored + s.rows_rejected
    assert s.rows_rejected == len(bad)
    rej = pd.read_csv(s.rejects)
    assert sorted(set(rej["source_row"])) == sorted(i + 1 for i in bad)
    assert len(pd.read_parquet(s.output)) == N - len(bad)


def test_duplicates_across_chunks(xgb_model, rows, tmp_path):
    dup = pd.concat([rows.head(10), rows.iloc[[2, 7]]], ignore_index=True)
    src = tmp_path / "in.parquet"
    dup.to_parquet(src)
    off = score_file(xgb_model, src, tmp_path / "a.parquet", chunk_size=5, report=None)
    assert off.rows_rejected == 0 and off.rows_scored == 12
    on = score_file(xgb_model, src, tmp_path / "b.parquet", chunk_size=5, report=None, check_duplicates=True)
    assert (on.rows_scored, on.rows_rejected) == (10, 2)
    rej = pd.read_csv(on.rejects)
    assert rej["source_row"].tolist() == [11, 12] and set(rej["rule"]) == {"duplicate_id"}


def _leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_ragged_row_rejected_and_crash_mid_file_leaves_no_output(model_path, rows, tmp_path):
    src = write_csv(rows, tmp_path / "in.csv")
    with open(src, "a") as fh:
        fh.write("x,y,z,too,many,fields" + ",1" * 80 + "\n")  # a ragged line in the 2nd chunk
    out = tmp_path / "out" / "scores.parquet"
    s = score_file(model_path, src, out, chunk_size=40, report=None)
    rej = pd.read_csv(rejects_path(out))
    assert s.rows_in == len(rows) + 1 and s.rows_in == s.rows_scored + s.rows_rejected
    assert rej.loc[rej["rule"] == "wrong_field_count", "source_row"].tolist() == [len(rows) + 1]
    with open(src, "ab") as fh:
        fh.write(b"\xff\xfe broken text\n")  # not UTF-8, and the user said it is
    before = _digest(src)
    out = tmp_path / "out2" / "scores.parquet"
    with pytest.raises(CohortFileError, match="unreadable"):
        score_file(model_path, src, out, chunk_size=40, report=None, encoding="utf-8")
    assert not out.exists() and not rejects_path(out).exists()
    assert _leftovers(out.parent) == []
    assert _digest(src) == before
    assert main(["score", "--model", str(model_path), "-i", str(src), "-o", str(out), "--chunk-size", "40",
                 "--encoding", "utf-8"]) == 1


def test_interrupt_keeps_previous_output(model_path, rows, tmp_path):
    src = tmp_path / "in.parquet"
    rows.to_parquet(src)
    out = tmp_path / "scores.csv"
    out.write_text("previous complete result\n")
    calls = []

    def progress(n):
        calls.append(n)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the user (or a scheduler) stops the job after chunk 2

    with pytest.raises(KeyboardInterrupt):
        score_file(model_path, src, out, chunk_size=20, progress=progress, report=None)
    assert out.read_text() == "previous complete result\n"
    assert _leftovers(tmp_path) == []


def test_user_errors_exit_2(model_path, rows, tmp_path, capsys):
    assert main(["score", "--model", str(model_path), "-i", str(tmp_path / "nope.csv"),
                 "-o", str(tmp_path / "o.csv")]) == 2
    src = tmp_path / "in.parquet"
    rows.assign(extra_col=1).to_parquet(src)
    assert main(["score", "--model", str(model_path), "-i", str(src), "-o", str(tmp_path / "o.csv")]) == 1
    assert main(["score", "--model", str(tmp_path / "missing.zip"), "-i", str(src),
                 "-o", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert "extra_col" in err and "missing.zip" in err
    assert not (tmp_path / "o.csv").exists()


_KILLED_CHILD = """
import pathlib, sys, time
from rairpredict.scoring import score_file

def progress(n):
    pathlib.Path(sys.argv[3]).write_text("one chunk done")
    time.sleep(120)  # a long job, stopped by the scheduler mid-run

score_file(sys.argv[1], sys.argv[2], sys.argv[4], chunk_size=10, progress=progress, report=None)
"""


def test_sigterm_mid_run_leaves_no_temporary_files(model_path, rows, tmp_path):
    import signal
    import subprocess
    import sys
    import time

    src = tmp_path / "in.parquet"
    rows.to_parquet(src)
    before = _digest(src)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    marker = tmp_path / "started"
    child = subprocess.Popen([sys.executable, "-c", _KILLED_CHILD, str(model_path), str(src), str(marker),
                              str(out_dir / "scores.parquet")], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), child.stderr.read().decode()[-2000:] if child.poll() is not None else "no chunk"
        # the temporary files are anonymous (O_TMPFILE): not even a hidden name mid-run
        assert sorted(p.name for p in out_dir.iterdir()) == []
        child.send_signal(signal.SIGTERM)
        code = child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert code == 128 + signal.SIGTERM
    assert sorted(p.name for p in out_dir.iterdir()) == []
    assert _digest(src) == before


def test_sigterm_handler_restored_and_row_groups_streamed(xgb_model, rows, tmp_path):
    import signal

    src = tmp_path / "in.parquet"
    rows.to_parquet(src, row_group_size=25)  # 3 row groups of 25, 25, 10 rows
    seen = []
    s = score_file(xgb_model, src, tmp_path / "s.parquet", chunk_size=20, progress=seen.append, report=None)
    assert seen == [20, 5, 20, 5, 10]  # chunks never span row groups
    assert s.rows_in == s.rows_scored + s.rows_rejected == len(rows)
    whole = score_file(xgb_model, src, tmp_path / "w.parquet", chunk_size=1000, report=None)
    assert whole.rows_scored == s.rows_scored
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "s.parquet"), pd.read_parquet(tmp_path / "w.parquet"))
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
