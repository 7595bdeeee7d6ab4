"""Never overwrite an input: rairpredict.cohort.io.check_paths, called by every command before reading."""
from __future__ import annotations

import hashlib
import os

import pandas as pd
import pytest

from rairpredict.cli import main
from rairpredict.cohort.io import check_paths
from rairpredict.errors import UsageError
from rairpredict.simulation.simulate import simulate_cohort


@pytest.fixture(scope="module")
def cohort_csv(tmp_path_factory):
    d = tmp_path_factory.mktemp("paths")
    path = d / "cohort.csv"
    table = simulate_cohort(30, 1)
    table[[c for c in table.columns if not c.startswith("oracle_")]].to_csv(path, index=False)
    return path


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_file_by_symlink_case_relative_and_hard_link(tmp_path, monkeypatch):
    src = tmp_path / "in.csv"
    src.write_text("a\n1\n")
    (tmp_path / "link.csv").symlink_to(src)
    os.link(src, tmp_path / "hard.csv")
    monkeypatch.chdir(tmp_path)
    for out in ["link.csv", "IN.CSV", "./sub/../in.csv", tmp_path / "hard.csv"]:
        with pytest.raises(UsageError, match="would be overwritten") as ei:
            check_paths(inputs={"input": src}, outputs={"scores": out})
        assert str(src) in str(ei.value) and "\n" not in str(ei.value)
    with pytest.raises(UsageError, match="rejects x.csv and scores X.csv are the same file"):
        check_paths(outputs={"scores": "X.csv", "rejects": "x.csv"})
    check_paths(inputs=[src, None, "models:/rair@champion"], outputs=[tmp_path / "other.csv", None])


def test_unwritable_outputs_are_one_line(tmp_path):
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("x")
    for out, needle in [(tmp_path / "adir", "is a directory"), (tmp_path / "afile" / "o.csv", "is not a directory"),
                        ("/proc/o.csv", "cannot write"), ("/sys/o.csv", "cannot write")]:
        with pytest.raises(UsageError, match=needle):
            check_paths(outputs={"scores": out})
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro.csv"
        ro.write_text("x")
        ro.chmod(0o444)
        with pytest.raises(UsageError, match="read-only"):
            check_paths(outputs={"scores": ro})
    check_paths(outputs={"scores": tmp_path / "new" / "deeper" / "o.csv"})  # directories are created


@pytest.mark.parametrize("argv", [
    ["validate", "{src}", "--rejects", "{src}"],
    ["validate", "{src}", "--rejects", "{dir}/./COHORT.csv"],
    ["import", "{src}", "-o", "{src}"],
    ["import", "{src}", "-o", "{dir}/out.csv", "--rejects", "{dir}/out.csv"],
    ["import", "{rej_named}", "-o", "{dir}/cohort.parquet"],
    ["score", "-i", "{rej_named}", "-o", "{dir}/cohort.parquet"],
    ["score", "-i", "{src}", "-o", "{src}"],
    ["score", "-i", "{src}", "-o", "{dir}/s.csv", "--report", "{src}"],
    ["score", "-i", "{src}", "-o", "{dir}/s.csv", "--report", "{dir}/s.rejects.csv"],
    ["report", "--input", "{src}", "--output", "{src}"],
    ["simulate", "--n", "10", "-o", "{dir}"],
    ["model-card", "--output", "{dir}/card.md", "--html", "{dir}/CARD.md"],
])
def test_cli_refuses_to_overwrite_before_reading(cohort_csv, tmp_path, capsys, argv):
    d = cohort_csv.parent
    rej_named = d / "cohort.rejects.csv"
    if not rej_named.exists():
        rej_named.write_bytes(cohort_csv.read_bytes())
    before = {p.name: _digest(p) for p in d.iterdir()}
    args = [a.format(src=cohort_csv, dir=d, rej_named=rej_named) for a in argv]
    assert main(args) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.strip().splitlines() if not line.startswith("note: ")]
    assert len(errors) == 1 and "Traceback" not in err, err
    assert {p.name: _digest(p) for p in d.iterdir()} == before  # nothing written, nothing changed


def test_missing_tokens_read_as_missing_in_canonical_files(tmp_path):
    from rairpredict.cohort import import_cohort
    from rairpredict.cohort.io import MISSING_TOKENS

    table = simulate_cohort(len(MISSING_TOKENS), 2)
    table = table[[c for c in table.columns if not c.startswith("oracle_")]].astype(object)
    table["tg_stim_ng_ml"] = list(MISSING_TOKENS)
    table.to_csv(tmp_path / "c.csv", index=False)
    result = import_cohort(tmp_path / "c.csv", derive=False)
    assert result.n_rejected == 0 and result.table["tg_stim_ng_ml"].isna().all()
    assert {"NA", "NaN", ""} <= set(MISSING_TOKENS)
