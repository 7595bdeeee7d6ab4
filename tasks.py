#!/usr/bin/env python3
"""One-file bootstrap: create the virtual environment, install, and run a task.

    python3.11 tasks.py demo   # set up, then run the main job on embedded defaults
    python3.11 tasks.py test   # set up, then run the whole test suite

Needs only Python >= 3.11 and the package registries. The environment lives in
``.venv`` inside the repository; installs are pinned by ``constraints.txt`` and
skipped when nothing changed since the last install.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".install-stamp"


def _run(cmd, **kw) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.call([str(c) for c in cmd], cwd=ROOT, **kw)


def _install_fingerprint(extras: str) -> str:
    h = hashlib.sha256(extras.encode())
    for name in ("pyproject.toml", "constraints.txt"):
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()


def setup(extras: str) -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"rairpredict needs Python >= 3.11, this is {sys.version.split()[0]}")
    if not PY.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    fingerprint = _install_fingerprint(extras)
    if STAMP.exists() and STAMP.read_text() == fingerprint:
        return
    cmd = [PY, "-m", "pip", "install", "--disable-pip-version-check", "-q",
           "-c", ROOT / "constraints.txt", "-e", f".[{extras}]" if extras else "."]
    if _run(cmd) != 0:
        sys.exit("pip install failed (see above)")
    STAMP.write_text(fingerprint)


def ensure_chromium() -> None:
    """Install Debian's chromium for the browser tests when missing (root only)."""
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        if _run(["apt-get", "update", "-qq"], env=env) == 0:
            _run(["apt-get", "install", "-y", "-qq", "chromium"], env=env)
    if not shutil.which("chromium"):
        print("note: chromium not installed; browser tests will skip", flush=True)


def use_repo_home() -> None:
    """Keep the package's state (MLflow store, mlruns/, optuna.db, models/) in the repository.

    ``rairpredict`` keeps its state in ``$RAIRPREDICT_HOME``; for a source
    checkout that is the repository root, for this process and for shells that
    ``source .venv/bin/activate``.
    """
    os.environ["RAIRPREDICT_HOME"] = str(ROOT)
    activate = BIN / "activate"
    line = f'export RAIRPREDICT_HOME="{ROOT}"  # rairpredict state in the checkout (tasks.py)\n'
    if activate.is_file() and line not in activate.read_text():
        with activate.open("a") as fh:
            fh.write(line)


def main(argv: list[str]) -> int:
    task = argv[0] if argv else "help"
    rest = argv[1:]
    if task == "demo":
        setup("")
        use_repo_home()
        return _run([BIN / "rairpredict", "demo", *rest])
    if task == "test":
        setup("test")
        ensure_chromium()
        code = _run([PY, "-m", "pytest", "-n", "2", "-q", *rest])
        # pytest exit 5 means no tests ran: that is a failure here.
        return 1 if code == 5 else code
    print(__doc__)
    return 0 if task == "help" else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
