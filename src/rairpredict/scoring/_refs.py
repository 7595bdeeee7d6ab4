"""Resolve a model reference (registry, run, path, default export) to a verified RiskModel.

Accepted references:

* a :class:`~rairpredict.models.risk_model.RiskModel` (returned as is);
* ``models:/<name>@<alias>`` or ``models:/<name>/<version>``: a registered
  MLflow model (tracking URI from ``MLFLOW_TRACKING_URI`` or
  :func:`rairpredict.tracking.configure_tracking`); its artifact must match the
  manifest sha256 recorded on the model version at logging time; ``name`` and
  ``version`` are set in ``metadata`` from the registry;
* ``runs:/<run_id>/<path>`` of a logged model (checked against the run's tag),
  or any other MLflow artifact URI (manifest check only);
* a local model ``.zip``, a model directory, or a local MLflow model directory
  (with an ``MLmodel`` file);
* ``None``: the model shipped with the package (:data:`DEFAULT_MODEL`).

Every path ends in :func:`rairpredict.models.artifact.read_artifact`, which
verifies the manifest before anything is parsed. Old pickles (``.joblib``,
MLflow models with ``python_model.pkl``) are refused with how to re-export.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from rairpredict.errors import ConfigError
from rairpredict.models.artifact import REEXPORT_HINT
from rairpredict.resources import default_model_dir

__all__ = ["load_model_ref", "load_mlflow_model_dir", "DEFAULT_MODEL", "LOADER_MODULE"]

#: The model shipped with the package as the default for scoring (package data).
DEFAULT_MODEL = default_model_dir() / "rair.zip"
#: The MLflow pyfunc loader of rairpredict models (``MLmodel``'s ``loader_module``).
LOADER_MODULE = "rairpredict.scoring.pyfunc"
#: Files MLflow writes beside the model data; anything else in an MLflow model directory is refused.
_MLFLOW_FILES = {"MLmodel", "conda.yaml", "python_env.yaml", "requirements.txt", "input_example.json",
                 "serving_input_example.json", "registered_model_meta"}


def load_mlflow_model_dir(path: Path, expected_manifest: str | None = None):
    """A local MLflow model directory written by :func:`~rairpredict.scoring.pyfunc.log_risk_model`."""
    import yaml

    from rairpredict.models import load_model

    try:
        meta = yaml.safe_load((path / "MLmodel").read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: unreadable MLmodel file ({type(exc).__name__})") from None
    conf = (meta.get("flavors") or {}).get("python_function") or {}
    if "python_model" in conf or (path / "python_model.pkl").exists():
        raise ConfigError(f"{path}: an old MLflow model with a pickled python_model; rairpredict no longer loads "
                          f"pickles, which can run code; {REEXPORT_HINT}")
    if conf.get("loader_module") != LOADER_MODULE or not conf.get("data"):
        raise ConfigError(f"{path}: not a rairpredict MLflow model (loader {conf.get('loader_module')!r}, "
                          f"expected {LOADER_MODULE!r})")
    data = Path(str(conf["data"]))
    if data.is_absolute() or ".." in data.parts or len(data.parts) < 1:
        raise ConfigError(f"{path}: MLmodel points its data outside the model directory; refused")
    allowed_top = data.parts[0]
    for item in sorted(path.iterdir()):
        if item.name not in _MLFLOW_FILES and item.name != allowed_top:
            raise ConfigError(f"{path}: unexpected file {item.name!r} in the MLflow model directory; refused")
    return load_model(path / data, expected_manifest=expected_manifest)


def _load_local(path: Path, expected_manifest: str | None = None):
    from rairpredict.models import load_model

    if path.is_dir() and (path / "MLmodel").is_file():
        return load_mlflow_model_dir(path, expected_manifest)
    return load_model(path, expected_manifest=expected_manifest)


def load_model_ref(ref=None):
    """Load and verify the model (RiskModel or SurvivalModel) behind ``ref`` (see the module docstring).

    Examples
    --------
    >>> model = load_model_ref("models:/rairpredict-rair@champion")  # doctest: +SKIP
    >>> model.metadata["name"], model.metadata["version"]  # doctest: +SKIP
    ('rairpredict-rair', '3')
    """
    from rairpredict.models.risk_model import RiskModel
    from rairpredict.models.survival import SurvivalModel

    if isinstance(ref, (RiskModel, SurvivalModel)):
        return ref
    if ref is None:
        if not DEFAULT_MODEL.is_file():
            raise ConfigError(f"no default model at {DEFAULT_MODEL} (run `rairpredict demo` or pass --model)")
        return _load_local(DEFAULT_MODEL)
    text = str(ref)
    if ":/" not in text or re.match(r"^[A-Za-z]:[\\/]", text) or text.startswith("file:"):
        return _load_local(Path(text.removeprefix("file://").removeprefix("file:")))
    import mlflow
    from mlflow.tracking._tracking_service.utils import is_tracking_uri_set

    from rairpredict.tracking import configure_tracking, recorded_manifest

    if not is_tracking_uri_set():
        configure_tracking()  # the project's store (MLFLOW_TRACKING_URI or the home's mlflow.db)
    expected, info = recorded_manifest(text)
    tmp = Path(tempfile.mkdtemp(prefix="rairpredict-model-"))
    try:
        try:
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=text, dst_path=str(tmp)))
        except mlflow.exceptions.MlflowException as exc:
            raise ConfigError(f"{text}: cannot resolve the model ({str(exc).splitlines()[0]})") from None
        model = _load_local(local, expected)
        model.metadata.update(info)
        return model
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
