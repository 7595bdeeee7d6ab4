"""Tests for rairpredict.cohort.io: reading formats, file-level errors, safe writing."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from rairpredict.cohort.io import escape_formulas, read_table, write_table
from rairpredict.errors import CohortFileError

ROWS = [["Age", "Sex", "Note"], ["40", "F", "a b"], ["51", "M", ""]]


def _write(path, delimiter, *, bom=False, newline="\n", encoding="utf-8"):
    text = newline.join(delimiter.join(r) for r in ROWS) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
@pytest.mark.parametrize("bom,newline", [(False, "\n"), (True, "\r\n")])
def test_csv_delimiter_sniffed_bom_and_crlf_removed(tmp_path, delimiter, bom, newline):
    t = read_table(_write(tmp_path / "c.csv", delimiter, bom=bom, newline=newline))
    assert list(t.columns) == ["Age", "Sex", "Note"]
    assert t.to_dict("list") == {"Age": ["40", "51"], "Sex": ["F", "M"], "Note": ["a b", ""]}


def test_explicit_encoding(tmp_path):
    p = tmp_path / "c.csv"
    p.write_bytes("Name;Ort\nMüller;Köln\n".encode("cp1252"))
    assert read_table(p, encoding="cp1252").loc[0, "Ort"] == "Köln"
    guessed = read_table(p)  # not UTF-8: read as cp1252, and said so
    assert guessed.loc[0, "Ort"] == "Köln" and "read as cp1252" in guessed.attrs["notes"][0]


def test_parquet_keeps_dtypes(tmp_path):
    df = pd.DataFrame({"a": [1.5, np.nan], "b": pd.array([True, None], dtype="boolean")})
    t = read_table(write_table(df, tmp_path / "t.parquet"))
    assert t["a"].dtype == "float64" and t["b"].dtype == "boolean"
    assert t["b"].isna().tolist() == [False, True]


def test_excel_sheet_by_name_and_index(tmp_path):
    p = tmp_path / "x.xlsx"
    with pd.ExcelWriter(p, engine="openpyxl") as xw:
        pd.DataFrame({"z": [0]}).to_excel(xw, sheet_name="Intro", index=False)
        pd.DataFrame({"Age": [40, 51], "Sex": ["F", None]}).to_excel(xw, sheet_name="Patients", index=False)
    t = read_table(p, sheet="Patients")
    assert t.to_dict("list") == {"Age": ["40", "51"], "Sex": ["F", ""]}
    assert list(read_table(p).columns) == ["z"]
    assert list(read_table(p, sheet=1).columns) == ["Age", "Sex"]


@pytest.mark.parametrize("content,rule", [
    (None, "unreadable file: does not exist"),
    (b"", "empty file"),
    (b"  \n", "empty file"),
    (b"Age;Sex\n", "empty file (header but no data rows)"),
])
def test_file_level_errors(tmp_path, content, rule):
    p = tmp_path / "c.csv"
    if content is not None:
        p.write_bytes(content)
    with pytest.raises(CohortFileError, match=rf"^{p}: .*{rule}".replace("(", r"\(").replace(")", r"\)")) as ei:
        read_table(p)
    assert ei.value.file == p


def test_wrong_delimiter_names_the_header(tmp_path):
    p = _write(tmp_path / "c.csv", ",")
    with pytest.raises(CohortFileError) as ei:
        read_table(p, delimiter=";")
    assert "wrong delimiter" in ei.value.rule and ei.value.column == "Age,Sex,Note"
    assert str(p) in str(ei.value)


def test_unknown_format_and_corrupt_excel(tmp_path):
    (tmp_path / "a.json").write_text("{}")
    with pytest.raises(CohortFileError, match="unknown format '.json'"):
        read_table(tmp_path / "a.json")
    (tmp_path / "b.xlsx").write_bytes(b"not a zip")
    with pytest.raises(CohortFileError, match="not an Excel .xlsx file"):
        read_table(tmp_path / "b.xlsx")


def test_escape_formulas_only_text_cells():
    df = pd.DataFrame({"txt": ["=HYPERLINK(1)", "+1", "-2+3", "@SUM", "ok", None, "a=b"],
                       "num": [-5.0, 1, 2, 3, 4, 5, 6],
                       "cat": pd.Categorical(["-x", "y", "y", "y", "y", "y", "y"])})
    out = escape_formulas(df)
    assert out["txt"].tolist()[:5] == ["'=HYPERLINK(1)", "'+1", "'-2+3", "'@SUM", "ok"]
    assert pd.isna(out["txt"].iloc[5]) and out["txt"].iloc[6] == "a=b"
    assert out["num"].tolist()[0] == -5.0 and out["cat"].iloc[0] == "'-x"
    assert df["txt"].iloc[0] == "=HYPERLINK(1)"  # input untouched


def test_write_csv_escapes_and_parquet_keeps(tmp_path):
    df = pd.DataFrame({"v": ["=1+1", "x"]})
    assert (tmp_path / "o.csv").exists() is False
    write_table(df, tmp_path / "o.csv")
    assert (tmp_path / "o.csv").read_text().splitlines() == ["v", "'=1+1", "x"]
    write_table(df, tmp_path / "o.parquet")
    assert pd.read_parquet(tmp_path / "o.parquet")["v"].tolist() == ["=1+1", "x"]


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "o.parquet"
    write_table(pd.DataFrame({"a": [1]}), target)
    before = target.read_bytes()
    bad = pd.DataFrame({"a": [object(), 1]})  # pyarrow cannot convert -> fails mid-write
    with pytest.raises(Exception):
        write_table(bad, target)
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["o.parquet"]  # no temp file left behind


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "sub" / "o.csv"
    write_table(pd.DataFrame({"a": [1]}), target)
    write_table(pd.DataFrame({"a": [2]}), target)
    assert target.read_text() == "a\n2\n"
    assert os.listdir(target.parent) == ["o.csv"]
