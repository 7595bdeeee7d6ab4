"""Where the package finds its own files and where it keeps its state.

Package data (found with :mod:`importlib.resources`, so an installed wheel
works from any working directory; nothing is looked up relative to a source
checkout):

* ``configs/targets/*.yaml`` and ``configs/cohorts/*.yaml``: the shipped
  configs (in a source checkout the top-level ``configs/`` links here);
* ``default_models/``: the model ``rairpredict score`` uses without ``--model``;
* ``datasets/uci_dtc/``: the public UCI cohort (CC BY 4.0).

State (the MLflow store, the Optuna studies) lives in one place, the
*home*: ``$RAIRPREDICT_HOME`` if set, else ``$XDG_DATA_HOME/rairpredict``
(``~/.local/share/rairpredict``). ``tasks.py`` sets the home to the
repository, so a checkout keeps ``mlflow.db``, ``mlruns/`` and ``optuna.db`` at
its root. ``MLFLOW_TRACKING_URI`` or ``--tracking-uri`` overrides the MLflow
store.

Examples
--------
>>> from rairpredict.resources import target_config_path
>>> target_config_path("rair").name
'rair.yaml'
"""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

__all__ = ["package_path", "config_dir", "target_config_path", "cohort_config_path", "default_model_dir",
           "dataset_path", "home", "HOME_ENV"]

#: Environment variable naming the directory that holds the package's state.
HOME_ENV = "RAIRPREDICT_HOME"


def package_path(*parts: str) -> Path:
    """Filesystem path of a file shipped inside the package (installed or editable)."""
    return Path(str(resources.files("rairpredict").joinpath(*parts)))


def config_dir(kind: str = "targets") -> Path:
    """Directory of the shipped ``targets`` or ``cohorts`` configs."""
    return package_path("configs", kind)


def target_config_path(name: str) -> Path:
    """Shipped target config ``name`` (e.g. ``"rair"``)."""
    return config_dir("targets") / f"{name}.yaml"


def cohort_config_path(name: str) -> Path:
    """Shipped cohort config ``name`` (e.g. ``"uci_dtc"``)."""
    return config_dir("cohorts") / f"{name}.yaml"


def default_model_dir() -> Path:
    """Directory of the model shipped as the default for scoring."""
    return package_path("default_models")


def dataset_path(*parts: str) -> Path:
    """A data file shipped with the package (``dataset_path("uci_dtc", "Thyroid_Diff.csv")``)."""
    return package_path("datasets", *parts)


def home() -> Path:
    """The directory that holds the package's state (see the module docstring); created on first use."""
    value = os.environ.get(HOME_ENV)
    if value:
        root = Path(value).expanduser()
    else:
        root = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "rairpredict"
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    return root
