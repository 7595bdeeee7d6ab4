"""The package as a user gets it: build the wheel, install it in a fresh venv, run it from an empty directory.

The wheel is built offline (``pip wheel --no-build-isolation``, setuptools from
the test environment) from a copy of the sources, so the checkout is not
touched. The fresh venv gets only the wheel (``--no-deps``); the third-party
dependencies come from the test environment's site-packages through one
``.pth`` line, which adds that directory to ``sys.path`` without running its
``.pth`` files, so the checkout's editable install of rairpredict is *not*
visible: every file the commands need must come from the wheel.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def _run(cmd, cwd, env, timeout=600):
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MLFLOW_TRACKING_URI")}
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
          "-w", tmp / "dist", source], tmp, env)
    wheel = next((tmp / "dist").glob("rairpredict-*.whl"))
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", venv], tmp, env)
    py = venv / "bin" / "python"
    site = Path(_run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp,
                     env).stdout.strip())
    (site / "zz_shared_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([py, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel], tmp, env)
    empty = tmp / "empty"
    empty.mkdir()
    env["RAIRPREDICT_HOME"] = str(tmp / "home")
    return venv, empty, env


def test_the_installed_package_is_the_wheel(installed):
    venv, empty, env = installed
    where = _run([venv / "bin" / "python", "-c", "import rairpredict; print(rairpredict.__file__)"], empty, env)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout


def test_scores_from_an_empty_directory_with_the_default_model_and_a_shipped_config(installed):
    venv, empty, env = installed
    exe = venv / "bin" / "rairpredict"
    _run([exe, "simulate", "--n", "50", "--seed", "4", "-o", "cohort.csv"], empty, env)
    score = _run([exe, "score", "-i", "cohort.csv", "-o", "scores.csv", "--explain", "3", "--report",
                  "review.html", "--json"], empty, env)
    summary = json.loads(score.stdout)
    assert summary["rows_in"] == 50 and summary["rows_scored"] + summary["rows_rejected"] == 50
    assert (empty / "review.html").stat().st_size > 10_000
    card = _run([exe, "model-card", "-o", "card.md"], empty, env)
    assert "TRIPOD+AI checklist" in (empty / "card.md").read_text(encoding="utf-8"), card.stderr
    # rair: enough events in 400 simulated courses for every outer fold (unexpected uptake is ~3 %)
    train = _run([exe, "train", "--config", "rair", "--n", "400", "--seed", "1", "--trials", "0",
                  "--optimism-boot", "0", "--no-tracking", "--json"], empty, env)
    assert json.loads(train.stdout)["target"] == "rair"
    # state stays in the home, never in the working directory
    assert sorted(p.name for p in empty.iterdir()) == ["card.md", "cohort.csv", "review.html",
                                                       "scores.csv", "scores.input_shift.json",
                                                       "scores.rejects.csv"]
