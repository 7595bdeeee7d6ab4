"""A battery of malformed files and mistaken commands, run through the CLI in-process.

Every case must end with exit code 0 (ran; row problems in the rejects file),
1 (a data problem) or 2 (a usage mistake); an error is one line on stderr
(argparse's usage errors: its usage and one error line), never a traceback;
when scoring ran, rows in == scored + rejected and rows that could not be read
as rows (ragged, NUL byte) are rejects with their rule; the input file's bytes
never change.
"""
from __future__ import annotations

import codecs
import hashlib
import re

import numpy as np
import pandas as pd
import pytest

from rairpredict.cli import main
from rairpredict.cohort.contract import load_contract

N = 12


@pytest.fixture(scope="module")
def base(cohort):
    """A canonical CSV text of N rows (comma, LF) with one non-ASCII-free patient id column."""
    table, _ = cohort
    contract = load_contract()
    t = table.head(N)[[c for c in table.columns if c in contract and not contract[c].derived]].copy()
    for c in t.columns:
        t[c] = t[c].astype(object).where(t[c].notna(), "")
    return t.to_csv(index=False, lineterminator="\n")


def _lines(text):
    return text.splitlines()


def _set_cell(text, row, column, value):
    """The CSV text with one cell replaced (row 1 = first data row)."""
    lines = _lines(text)
    header = lines[0].split(",")
    fields = lines[row].split(",")
    fields[header.index(column)] = value
    lines[row] = ",".join(fields)
    return "\n".join(lines) + "\n"


def _add_column(text, name, value):
    lines = _lines(text)
    return "\n".join([lines[0] + "," + name] + [x + "," + value for x in lines[1:]]) + "\n"


def _parquet_bytes(text, tmp_path):
    import io

    p = tmp_path / "_tmp.parquet"
    pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False).to_parquet(p)
    data = p.read_bytes()
    p.unlink()
    return data


def _xlsx_bytes(text, tmp_path):
    import io

    p = tmp_path / "_tmp.xlsx"
    pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False).to_excel(p, index=False)
    data = p.read_bytes()
    p.unlink()
    return data


# name -> (file name, content builder(base text, tmp_path) -> bytes, extra argv, expected codes, expected rejects)
# expected rejects: {rule: count} checked when the run succeeds (None: not checked)
CASES = {
    "utf8": ("c.csv", lambda t, d: t.encode(), [], {0}, {}),
    "utf8_bom": ("c.csv", lambda t, d: codecs.BOM_UTF8 + t.encode(), [], {0}, {}),
    "utf16_bom_le": ("c.csv", lambda t, d: t.encode("utf-16"), [], {0}, {}),
    "utf16_bom_be": ("c.csv", lambda t, d: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), [], {0}, {}),
    "utf16_no_bom": ("c.csv", lambda t, d: t.encode("utf-16-le"), [], {0}, {}),
    "utf32_bom": ("c.csv", lambda t, d: t.encode("utf-32"), [], {0}, {}),
    "latin1_guessed": ("c.csv", lambda t, d: _set_cell(t, 1, "patient_id", "pé-1").encode("latin-1"), [], {0}, {}),
    "cp1252_guessed": ("c.csv", lambda t, d: _set_cell(t, 2, "patient_id", "p€-2").encode("cp1252"), [], {0}, {}),
    "latin1_named": ("c.csv", lambda t, d: _set_cell(t, 1, "patient_id", "pé-1").encode("latin-1"),
                     ["--encoding", "latin-1"], {0}, {}),
    "wrong_encoding_named": ("c.csv", lambda t, d: _set_cell(t, 1, "patient_id", "pé-1").encode("latin-1"),
                             ["--encoding", "utf-8"], {1}, None),
    "unknown_encoding": ("c.csv", lambda t, d: t.encode(), ["--encoding", "klingon-8"], {2}, None),
    "nul_in_value": ("c.csv", lambda t, d: _set_cell(t, 3, "patient_id", "p\x00x").encode(), [], {0},
                     {"nul_byte": 1}),
    "nul_in_header": ("c.csv", lambda t, d: ("patient\x00_id" + t[len("patient_id"):]).encode(), [], {1}, None),
    "ragged_short": ("c.csv", lambda t, d: (t + "only,three,fields\n").encode(), [], {0}, {"wrong_field_count": 1}),
    "ragged_long": ("c.csv", lambda t, d: (t + _lines(t)[1] + ",extra,more\n").encode(), [], {0},
                    {"wrong_field_count": 1}),
    "ragged_middle": ("c.csv", lambda t, d: "\n".join(_lines(t)[:3] + ["a,b"] + _lines(t)[3:] + [""]).encode(),
                      [], {0}, {"wrong_field_count": 1}),
    "all_ragged": ("c.csv", lambda t, d: (_lines(t)[0] + "\n" + "1,2\n" * 5).encode(), [], {0, 1},
                   {"wrong_field_count": 5}),
    "unterminated_quote": ("c.csv", lambda t, d: (t + '"never closed,1,2\n').encode(), [], {0, 1}, None),
    "quoted_delimiter_newline": ("c.csv", lambda t, d: _set_cell(t, 1, "patient_id", '"p,1\nx"').encode(), [],
                                 {0}, {}),
    "blank_lines": ("c.csv", lambda t, d: t.replace("\n", "\n\n", 3).encode(), [], {0}, {}),
    "crlf": ("c.csv", lambda t, d: t.replace("\n", "\r\n").encode(), [], {0}, {}),
    "cr_only": ("c.csv", lambda t, d: t.replace("\n", "\r").encode(), [], {0}, {}),
    "semicolon_bom_crlf": ("c.csv", lambda t, d: codecs.BOM_UTF8 + t.replace(",", ";").replace("\n", "\r\n")
                           .encode(), [], {0}, {}),
    "tsv": ("c.tsv", lambda t, d: t.replace(",", "\t").encode(), [], {0}, {}),
    "binary_garbage": ("c.csv", lambda t, d: np.random.default_rng(0).bytes(5000), [], {1}, None),
    "parquet_named_csv": ("c.csv", _parquet_bytes, [], {1}, None),
    "xlsx_named_csv": ("c.csv", _xlsx_bytes, [], {1}, None),
    "csv_named_parquet": ("c.parquet", lambda t, d: t.encode(), [], {1}, None),
    "csv_named_xlsx": ("c.xlsx", lambda t, d: t.encode(), [], {1}, None),
    "gzip_named_csv": ("c.csv", lambda t, d: __import__("gzip").compress(t.encode()), [], {1}, None),
    "empty": ("c.csv", lambda t, d: b"", [], {1}, None),
    "whitespace_only": ("c.csv", lambda t, d: b"  \n\n ", [], {1}, None),
    "header_only": ("c.csv", lambda t, d: (_lines(t)[0] + "\n").encode(), [], {0, 1}, {}),
    "duplicate_header": ("c.csv", lambda t, d: _add_column(t, "age_years", "40").encode(), [], {1}, None),
    "trailing_delimiter": ("c.csv", lambda t, d: t.replace("\n", ",\n").encode(), [], {1, 2}, None),
    "huge_field": ("c.csv", lambda t, d: _set_cell(t, 2, "patient_id", "x" * 2_000_000).encode(), [], {0}, {}),
    "field_over_block": ("c.csv", lambda t, d: _set_cell(t, 2, "patient_id", "x" * (17 << 20)).encode(), [],
                         {0, 1}, None),
    "invalid_numbers": ("c.csv", lambda t, d: _set_cell(_set_cell(t, 1, "age_years", "abc"), 2, "age_years",
                                                        "1e999").encode(), [], {0}, None),
    "decimal_comma_quoted": ("c.csv", lambda t, d: _set_cell(t, 1, "age_years", '"45,5"').encode(), [], {0},
                             {"not_a_number": 1}),
    "missing_tokens": ("c.csv", lambda t, d: _set_cell(_set_cell(t, 1, "tg_stim_ng_ml", "NA"), 2,
                                                       "tg_stim_ng_ml", "NaN").encode(), [], {0}, {}),
    "formula_injection": ("c.csv", lambda t, d: _set_cell(t, 1, "patient_id", "=HYPERLINK(\"x\")").encode(), [],
                          {0}, {}),
    "missing_required_column": ("c.csv", lambda t, d: "\n".join(",".join(x.split(",")[1:]) for x in _lines(t))
                                .encode() + b"\n", [], {1}, None),
    "unknown_column": ("c.csv", lambda t, d: _add_column(t, "MRN", "123").encode(), [], {1, 2}, None),
    "unknown_extension": ("c.json", lambda t, d: t.encode(), [], {2}, None),
}

# Mistakes in the command itself (all on a good file): argv after "score --model M".
COMMANDS = {
    "explain_negative": (["--explain", "-1"], {2}),
    "explain_text": (["--explain", "many"], {2}),
    "chunk_size_zero": (["--chunk-size", "0"], {2}),
    "chunk_size_float": (["--chunk-size", "1.5"], {2}),
    "jobs_zero": (["--jobs", "0"], {2}),
    "jobs_text": (["--jobs", "two"], {2}),
    "output_is_directory": (["-o", "{dir}"], {2}),
    "output_read_only_location": (["-o", "/proc/scores.parquet"], {2}),
    "output_parent_is_a_file": (["-o", "{src}/scores.parquet"], {2}),
    "output_is_input": (["-o", "{src}"], {2}),
    "output_is_input_other_case": (["-o", "{dir}/C.CSV"], {2}),
    "report_is_output": (["--report", "{dir}/scores.csv", "-o", "{dir}/scores.csv"], {2}),
    "input_missing": (["-i", "{dir}/none.csv"], {2}),
    "input_is_directory": (["-i", "{dir}"], {2}),
}

_SUMMARY = re.compile(r"rows in = (\d+), scored = (\d+), rejected = (\d+)")


def _check(code, out, err, expected, argparse_error=False):
    assert code in {0, 1, 2}, code
    assert code in expected, (code, err)
    assert "Traceback" not in err and "Traceback" not in out
    if code != 0:
        errors = [line for line in err.splitlines() if line and not line.startswith("note: ")]
        if argparse_error:
            assert errors[-1].startswith("rairpredict score: error:"), err
        else:
            assert len(errors) == 1, err


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("command", ["score", "validate"])
def test_malformed_file(model_path, base, tmp_path, capsys, name, command):
    file_name, build, extra, expected, rules = CASES[name]
    src = tmp_path / file_name
    src.write_bytes(build(base, tmp_path))
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    out = tmp_path / "out" / "scores.csv"
    if command == "score":
        argv = ["score", "--model", str(model_path), "-i", str(src), "-o", str(out), *extra]
    else:
        argv = ["validate", str(src), "--rejects", str(tmp_path / "out" / "v.rejects.csv"), *extra]
        if name == "header_only":
            expected = {1}  # nothing to validate
    code = main(argv)
    captured = capsys.readouterr()
    _check(code, captured.out, captured.err, expected)
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before
    if code != 0:
        assert not out.exists()
        if rules and code == 1 and command == "validate":  # nothing accepted: the rejects still say why
            rejects = pd.read_csv(tmp_path / "out" / "v.rejects.csv", keep_default_na=False)
            assert rejects.drop_duplicates("source_row")["rule"].value_counts().to_dict() == rules
        return
    if command == "score":
        n_in, n_scored, n_rejected = map(int, _SUMMARY.search(captured.out).groups())
        scores = pd.read_csv(out, keep_default_na=False)
        rejects = pd.read_csv(out.with_name("scores.rejects.csv"), keep_default_na=False)
    else:
        rejects = pd.read_csv(tmp_path / "out" / "v.rejects.csv", keep_default_na=False)
        n_in = int(re.search(r"(\d+) rows? in", captured.out).group(1)) if re.search(r"(\d+) rows? in",
                                                                                      captured.out) else None
        n_rejected, scores, n_scored = rejects["source_row"].nunique(), None, None
    if scores is not None:
        assert n_in == n_scored + n_rejected == len(scores) + rejects["source_row"].nunique()
        assert not set(scores["patient_id"].astype(str)) & set(rejects["patient_id"].astype(str)) - {""}
    if rules is not None:
        counts = rejects.drop_duplicates("source_row")["rule"].value_counts().to_dict()
        assert {r: counts.get(r, 0) for r in rules} == rules, counts
        if not rules:
            assert len(rejects) == 0, rejects.to_dict("records")


@pytest.mark.parametrize("name", list(COMMANDS))
def test_mistaken_command(model_path, base, tmp_path, capsys, name):
    extra, expected = COMMANDS[name]
    src = tmp_path / "c.csv"
    src.write_text(base)
    before = src.read_bytes()
    argv = ["score", "--model", str(model_path), "-i", str(src), "-o", str(tmp_path / "s.parquet")]
    argv += [a.format(dir=tmp_path, src=src) for a in extra]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = exc.code
    captured = capsys.readouterr()
    _check(code, captured.out, captured.err, expected, argparse_error=name.split("_")[0] in ("explain", "chunk",
                                                                                            "jobs"))
    assert src.read_bytes() == before
    assert not (tmp_path / "s.parquet").exists()
