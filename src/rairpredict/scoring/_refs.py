"""Resolve a model reference (registry, run, path, default export) to a RiskModel.

Accepted references:

* a :class:`~rairpredict.models.risk_model.RiskModel` (returned as is);
* ``models:/<name>@<alias>`` or ``models:/<name>/<version>``: a registered
  MLflow model (tracking URI from ``MLFLOW_TRACKING_URI`` or
  :func:`rairpredict.tracking.configure_tracking`); its pyfunc artifact is
  downloaded and the RiskModel loaded from it, with ``name``/``version`` set in
  ``metadata`` from the registry;
* ``runs:/<run_id>/<path>`` (or any other MLflow artifact URI) of a logged
  pyfunc model;
* a local ``*.joblib`` RiskModel (a ``<stem>.json`` beside it may give
  ``name``, ``version`` and the ``sha256`` the file must have) or a local
  MLflow model directory (with an ``MLmodel`` file);
* ``None``: the model exported in ``models/`` (:data:`DEFAULT_MODEL`).
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from pathlib import Path

from rairpredict.errors import ConfigError
from rairpredict.resources import default_model_dir

__all__ = ["load_model_ref", "DEFAULT_MODEL", "ARTIFACT_KEY"]

#: The model shipped with the package as the default for scoring (package data).
DEFAULT_MODEL = default_model_dir() / "rair.joblib"
#: Artifact key of the RiskModel file inside the pyfunc model.
ARTIFACT_KEY = "risk_model"
_REGISTRY = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))/?$")


def _load_joblib(path: Path):
    from rairpredict.models.risk_model import RiskModel

    side = path.with_suffix(".json")
    info = {}
    if side.is_file():
        try:
            info = json.loads(side.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{side}: unreadable model description ({exc.msg}, line {exc.lineno})") from None
        expected = info.get("sha256")
        if expected and hashlib.sha256(path.read_bytes()).hexdigest() != expected:
            raise ConfigError(f"{path}: sha256 differs from {side.name}; the model file changed after export")
    try:
        model = RiskModel.load(path)
    except (TypeError, EOFError, ValueError) as exc:
        raise ConfigError(f"{path}: not a RiskModel file ({type(exc).__name__})") from None
    for key in ("name", "version"):
        if info.get(key) is not None and model.metadata.get(key) is None:
            model.metadata[key] = info[key]
    return model


def _load_mlflow_dir(path: Path):
    found = sorted(path.glob(f"artifacts/{ARTIFACT_KEY}*")) or sorted(path.glob("**/*.joblib"))
    if not found:
        raise ConfigError(f"{path}: MLflow model without a RiskModel artifact ({ARTIFACT_KEY!r})")
    return _load_joblib(found[0])


def _load_local(path: Path):
    if path.is_dir():
        if not (path / "MLmodel").is_file():
            raise ConfigError(f"{path}: a directory but not an MLflow model (no MLmodel file)")
        return _load_mlflow_dir(path)
    if not path.is_file():
        raise ConfigError(f"{path}: model file not found (pass --model models:/NAME@ALIAS, runs:/ID/PATH "
                          "or a .joblib path)")
    if path.suffix.lower() != ".joblib":
        raise ConfigError(f"{path}: unknown model file type {path.suffix!r} (expected .joblib or an MLflow model dir)")
    return _load_joblib(path)


def _registry_version(name: str, alias: str | None, version: str | None) -> str:
    from mlflow import MlflowClient

    if version is not None:
        return version
    return str(MlflowClient().get_model_version_by_alias(name, alias).version)


def load_model_ref(ref=None):
    """Load the RiskModel behind ``ref`` (see the module docstring).

    Examples
    --------
    >>> model = load_model_ref("models:/rair@champion")  # doctest: +SKIP
    >>> model.metadata["name"], model.metadata["version"]  # doctest: +SKIP
    ('rair', '3')
    """
    from rairpredict.models.risk_model import RiskModel

    if isinstance(ref, RiskModel):
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

    if not is_tracking_uri_set():
        from rairpredict.tracking import configure_tracking

        configure_tracking()  # the project's store (MLFLOW_TRACKING_URI or ./mlflow.db)
    tmp = Path(tempfile.mkdtemp(prefix="rairpredict-model-"))
    try:
        try:
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=text, dst_path=str(tmp)))
        except mlflow.exceptions.MlflowException as exc:
            raise ConfigError(f"{text}: cannot resolve the model ({str(exc).splitlines()[0]})") from None
        model = _load_local(local)
        registry = _REGISTRY.match(text)
        if registry:
            model.metadata["name"] = registry["name"]
            model.metadata["version"] = _registry_version(registry["name"], registry["alias"], registry["version"])
        return model
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
