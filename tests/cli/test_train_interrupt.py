"""Ctrl-C during `rairpredict train`, with a real CLI process, real worker processes and a real SIGINT.

The terminal sends SIGINT to the whole foreground process group: the CLI and
its joblib workers (outer folds, optimism replicates). The run must end with
exit status 130 and the CLI's one-line message, without a traceback from a
worker or from Optuna, and leave no worker process behind.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc process scan")


@pytest.mark.parametrize("after", [4.0, 9.0])  # seconds after the workers started: fitting, in Optuna's trials
def test_ctrl_c_during_training_prints_one_line_and_leaves_no_worker(marked_processes, tmp_path, after):
    _marked = marked_processes
    marker = f"RAIRPREDICT_TEST_RUN_{uuid.uuid4().hex}"
    env = {**os.environ, marker: "1", "RAIRPREDICT_HOME": str(tmp_path / "home")}
    cmd = [sys.executable, "-m", "rairpredict", "train", "--config", "rair", "--n", "1500", "--trials", "6",
           "--no-tracking"]
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(_marked(marker)) < 3 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)  # the CLI and two outer-fold workers
        assert child.poll() is None, child.stderr.read()[-800:]
        time.sleep(after)
        os.killpg(child.pid, signal.SIGINT)
        _, err = child.communicate(timeout=60)
        left = _marked.left_after(marker, 15)
    finally:
        _marked.end(child, marker)
    assert child.returncode == 130, err[-1500:]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err and "failed" not in err, err[-1500:]
    assert err.strip().splitlines()[-1] == "rairpredict train: interrupted", err[-800:]
    assert left == [], f"{len(left)} worker processes left"
