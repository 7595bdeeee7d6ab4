"""What a command prints: its own summary, once; everything else only with ``--verbose``.

* :func:`quiet` hides third-party logs and MLflow's "Downloading artifacts"
  bars unless ``--verbose``;
* :func:`warnings_once` collects Python warnings while the command runs and
  prints each of the package's own once at the end (third-party ones only
  with ``--verbose``);
* :func:`use_store` points MLflow at ``--tracking-uri`` (else
  ``MLFLOW_TRACKING_URI``, else the package home) and says which store, once per
  command, on stderr;
* :func:`progress` is a tqdm bar on a terminal and nothing when stderr is
  piped or ``--json`` is given;
* :func:`emit` prints the human summary, or with ``--json`` one JSON object.

Examples
--------
>>> import argparse
>>> emit(argparse.Namespace(json=True), {"rows_in": 3}, "3 rows")
{"rows_in": 3}
>>> emit(argparse.Namespace(json=False), {"rows_in": 3}, "3 rows")
3 rows
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
import warnings

__all__ = ["quiet", "training_quiet", "warnings_once", "stage_bar", "use_store", "progress", "emit", "say", "json_default"]

#: Loggers of libraries that announce their own work (store creation, migrations, trials, downloads).
_NOISY_LOGGERS = ("mlflow", "alembic", "optuna", "urllib3", "shap", "xgboost", "matplotlib", "numba")

_state: dict = {"store_printed": None, "json": False}


def quiet(verbose: bool = False, *, json_output: bool = False) -> None:
    """Hide third-party chatter unless ``verbose``; remember whether stdout is reserved for JSON."""
    _state["json"] = bool(json_output)
    _state["store_printed"] = None
    _state["verbose"] = bool(verbose)
    if verbose:
        logging.getLogger("mlflow").setLevel(logging.INFO)
        return
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    # read by MLflow at import and on every download: no INFO lines, no "Downloading artifacts" bars
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "ERROR")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    # optuna keeps its own verbosity besides the logger (reset to INFO when it is first imported);
    # set it once optuna is imported, so that commands that never tune do not pay its import (~0.2 s)
    _after_import("optuna", lambda optuna: optuna.logging.set_verbosity(optuna.logging.ERROR))


def _after_import(name: str, action) -> None:
    """Run ``action(module)`` now if ``name`` is imported, else right after its first import."""
    if name in sys.modules:
        action(sys.modules[name])
        return
    import importlib.abc
    import importlib.util

    class _Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path, target=None):
            if fullname != name:
                return None
            sys.meta_path.remove(self)  # find the real spec without us, then wrap its loader
            _WAITING.discard(name)
            spec = importlib.util.find_spec(fullname)
            if spec is None or spec.loader is None:
                return spec
            exec_module = spec.loader.exec_module

            def exec_and_act(module):
                exec_module(module)
                action(module)

            spec.loader.exec_module = exec_and_act
            return spec

    if name not in _WAITING:  # one hook per module, however often quiet() runs
        _WAITING.add(name)
        sys.meta_path.insert(0, _Finder())


_WAITING: set = set()


@contextlib.contextmanager
def warnings_once(verbose: bool = False):
    """Collect warnings during the command; print each distinct one once (stderr) when it ends."""
    import rairpredict

    ours = os.path.dirname(rairpredict.__file__)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            seen = set()
            for w in caught:
                text = str(w.message)
                if text in seen or not (verbose or str(w.filename).startswith(ours)):
                    continue
                seen.add(text)
                print(text if "warning" in text.lower() else f"warning: {text}", file=sys.stderr)


def use_store() -> str:
    """Point MLflow at the store and print its URI on stderr (once per command); return the URI.

    The store is ``MLFLOW_TRACKING_URI`` (which ``--tracking-uri`` sets for the
    whole process, so training, model references and the card all open the
    same one), else ``mlflow.db`` in :func:`rairpredict.resources.home`.
    """
    from rairpredict.resources import home
    from rairpredict.tracking import configure_tracking

    uri = configure_tracking(repo_root=home())
    if not _state.get("verbose"):
        import mlflow.pyfunc  # noqa: F401 - importing it re-enables MLflow's stream: import first, then silence
        from mlflow.utils.logging_utils import disable_logging

        disable_logging()  # MLflow's own prints ("Successfully registered model ...") share its log stream
    if _state["store_printed"] != uri:
        _state["store_printed"] = uri
        print(f"MLflow store: {uri}", file=sys.stderr)
    return uri


def progress(total: int | None = None, desc: str = "", unit: str = "step"):
    """A tqdm bar on stderr when it is a terminal (and not ``--json``); otherwise a bar that draws nothing."""
    from tqdm.auto import tqdm

    disable = _state["json"] or not sys.stderr.isatty()
    return tqdm(total=total, desc=desc, unit=unit, disable=disable, leave=False, file=sys.stderr,
                dynamic_ncols=True)


def say(message: str) -> None:
    """A progress line for the user: on stderr, so stdout stays the result (and ``--json`` stays valid)."""
    print(message, file=sys.stderr)


def json_default(obj):
    """JSON for numpy scalars, paths and other simple objects in summaries."""
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return str(obj)


def emit(args, summary: dict, text: str) -> None:
    """Print ``text`` for a person, or ``summary`` as one JSON object with ``--json``."""
    if getattr(args, "json", False):
        print(json.dumps(summary, default=json_default))
    else:
        print(text)


def training_quiet() -> None:
    """During training, MLflow checks the logged model on its 3-row input example; the input-shift
    warning that check raises is about those synthetic rows, not the user's data: not shown."""
    if not _state.get("verbose"):
        logging.getLogger("rairpredict.scoring").setLevel(logging.ERROR)


@contextlib.contextmanager
def stage_bar(desc: str, total: int | None = None):
    """A progress bar whose ``log(message)`` advances one step and shows the message; yields ``log``."""
    bar = progress(total=total, desc=desc)

    def log(message: str) -> None:
        if bar.disable:
            return
        last = message.strip().splitlines()[-1] if message.strip() else ""
        # "[rair] xgboost: nested CV 20.2 s" -> "xgboost: nested CV 20.2 s"; no dicts on the bar
        last = re.sub(r"^\[[^\]]*\]\s*", "", last).split(" {", 1)[0].split(": {", 1)[0]
        bar.set_postfix_str(last[:60], refresh=False)
        bar.update(1)

    try:
        yield log
    finally:
        bar.close()
