"""Error handling of the CLI: exit codes, one line, Ctrl-C, a closed stdout pipe."""
from __future__ import annotations

import subprocess
import sys

import pytest

from rairpredict.cli import build_parser, main
from rairpredict.errors import CohortFileError, ConfigError, UsageError
from rairpredict.simulation.simulate import simulate_cohort


@pytest.fixture(scope="module")
def canonical_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("errors") / "cohort.csv"
    table = simulate_cohort(400, 5)
    table[[c for c in table.columns if not c.startswith("oracle_")]].to_csv(path, index=False)
    return path


def test_exit_codes_of_user_errors():
    assert CohortFileError("f.csv", "empty file").exit_code == 1  # the file's content
    assert CohortFileError("f.csv", "does not exist", usage=True).exit_code == 2
    assert UsageError("x").exit_code == ConfigError("x").exit_code == 2


def test_help_documents_exit_codes():
    text = " ".join(build_parser().format_help().split())  # argparse wraps the epilog
    assert "exit codes" in text and "1 a data problem" in text and "2 a usage mistake" in text


def test_ctrl_c_is_one_line_exit_130(canonical_csv, tmp_path, monkeypatch, capsys):
    import rairpredict.cohort

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(rairpredict.cohort, "import_cohort", interrupted)
    assert main(["import", "--input", str(canonical_csv), "--output", str(tmp_path / "o.parquet")]) == 130
    err = capsys.readouterr().err
    assert err.strip() == "rairpredict import: interrupted"
    assert list(tmp_path.iterdir()) == []


def test_closed_stdout_pipe_is_quiet_and_the_work_finishes(canonical_csv, tmp_path):
    out = tmp_path / "canonical.parquet"
    proc = subprocess.Popen([sys.executable, "-m", "rairpredict", "import", "--input", str(canonical_csv),
                             "--output", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # `| head` that has read enough: every write to stdout now fails
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert out.exists()


def test_every_command_that_writes_a_file_checks_its_paths():
    """The one overwrite check (rairpredict.cohort.io.check_paths) is called by every command with an output."""
    import argparse
    import inspect

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    writes = {"output", "rejects", "report", "html"}
    missing = []
    for name, p in sub.choices.items():
        dests = {a.dest for a in p._actions}
        if dests & writes:
            source = inspect.getsource(p.get_default("func"))
            helpers = inspect.getsource(inspect.getmodule(p.get_default("func")))
            if "check_paths(" not in source and "check_paths(" not in helpers:
                missing.append(name)
    assert missing == [], f"commands writing files without check_paths: {missing}"
