"""Process hygiene of ``rairpredict score --jobs 2``, with real processes and real signals.

A real CLI subprocess scores a simulated cohort; mid-run it is sent SIGKILL,
SIGTERM or Ctrl-C (SIGINT to its process group). Every process the run made
(found by a marker in its environment: the CLI, the worker server, the
workers, the resource tracker) must be gone within seconds, with no output,
no rejects, nothing in the output directory (temporary files included) and
nothing left in the run's TMPDIR. Each signal is sent several times to catch
races at different moments of the run.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from rairpredict.simulation.simulate import simulate_cohort

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc process scan")

REPEATS = 2  # x 3 signals: six real runs; more catch more races but cost ~10 s each


@pytest.fixture(scope="module")
def big_input(tmp_path_factory):
    table = simulate_cohort(6000, 3)
    path = tmp_path_factory.mktemp("signals") / "cohort.parquet"
    table[[c for c in table.columns if not c.startswith("oracle_")]].to_parquet(path, row_group_size=1000)
    return path


def _run_and_signal(_marked, model_path, src, tmp_path, how: str, attempt: int):
    run = tmp_path / f"{how}-{attempt}"
    out_dir = run / "out"
    out_dir.mkdir(parents=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix="rp-signal-", dir="/tmp"))  # short: the worker server's socket is there
    marker = f"RAIRPREDICT_TEST_RUN_{uuid.uuid4().hex}"
    env = {**os.environ, marker: "1", "TMPDIR": str(tmp_dir)}
    cmd = [sys.executable, "-m", "rairpredict", "score", "--model", str(model_path), "-i", str(src),
           # small chunks: the CLI scores the first ones itself while the workers start, and the
           # run must still be going once they have started
           "-o", str(out_dir / "scores.parquet"), "--jobs", "2", "--chunk-size", "20", "--explain", "3"]
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)  # its own process group, as a shell job would be
    try:
        deadline = time.monotonic() + 90
        # mid-run: the CLI, the worker server and both workers exist
        while len(_marked(marker)) < 4 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert child.poll() is None, f"finished before the signal: {child.stderr.read().decode()[-500:]}"
        time.sleep(0.3 * attempt)  # a different moment of the run each attempt
        if how == "SIGKILL":
            child.send_signal(signal.SIGKILL)
        elif how == "SIGTERM":
            child.send_signal(signal.SIGTERM)
        else:  # Ctrl-C: the terminal sends SIGINT to the whole foreground process group
            os.killpg(child.pid, signal.SIGINT)
        start = time.monotonic()
        code = child.wait(timeout=30)
        stopped = time.monotonic() - start
        left = _marked.left_after(marker, 15)
    finally:
        _marked.end(child, marker)
    err = child.stderr.read().decode()
    temps = sorted(os.listdir(tmp_dir))
    shutil.rmtree(tmp_dir, ignore_errors=True)
    return code, stopped, left, sorted(os.listdir(out_dir)), temps, err


@pytest.mark.parametrize("how,expected", [("SIGKILL", -signal.SIGKILL), ("SIGTERM", 128 + signal.SIGTERM),
                                          ("SIGINT", 130)])
def test_signal_leaves_no_process_no_file(marked_processes, model_path, big_input, tmp_path, how, expected):
    before = big_input.read_bytes()
    for attempt in range(REPEATS):
        code, stopped, left, outputs, temps, err = _run_and_signal(marked_processes, model_path, big_input, tmp_path, how, attempt)
        assert code == expected, (attempt, code, err[-1000:])
        assert stopped < 10, (attempt, stopped)  # ends within seconds
        assert left == [], f"attempt {attempt}: {len(left)} orphaned processes"
        assert outputs == [], f"attempt {attempt}: files in the output directory {outputs}"
        assert temps == [], f"attempt {attempt}: temporary files {temps}"
        if how != "SIGKILL":
            assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err[-1000:]
    assert big_input.read_bytes() == before
