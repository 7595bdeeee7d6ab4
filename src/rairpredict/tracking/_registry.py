"""Logged models and the model registry (MLflow 3: ``name=``, aliases), with the models' manifest hashes.

Lifecycle: :func:`rairpredict.scoring.pyfunc.log_risk_model` (optionally
registering a new version; the model is data, never a pickle), then
:func:`record_manifest` stores the sha256 of the artifact's ``manifest.json``
on the run, the logged model and the registered version; :func:`set_alias`
``"candidate"`` after evaluation, :func:`promote` candidate -> ``"champion"``
when accepted; loading ``models:/<name>@champion`` or ``runs:/...`` checks the
downloaded artifact against :func:`recorded_manifest`.
"""
from __future__ import annotations

import re

from rairpredict.errors import ConfigError

__all__ = ["set_alias", "promote", "load_model", "record_manifest", "recorded_manifest", "CANDIDATE", "CHAMPION",
           "MANIFEST_TAG"]

CANDIDATE, CHAMPION = "candidate", "champion"
#: Tag holding the sha256 of a logged model's manifest.json (on the run: ``<tag>.<model name>``).
MANIFEST_TAG = "rairpredict.manifest_sha256"
_REGISTRY = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))/?$")
_RUN = re.compile(r"^runs:/(?P<run>[^/]+)/(?P<path>.+?)/?$")
_HINT = "re-export it with `rairpredict train --config CONFIG --export DIR`"


def record_manifest(info, name: str, digest: str, registered_model_name: str | None = None) -> None:
    """Record ``digest`` (sha256 of manifest.json) for the model logged as ``info`` (a ModelInfo) under ``name``."""
    import mlflow

    client = mlflow.MlflowClient()
    client.set_tag(info.run_id, f"{MANIFEST_TAG}.{name}", digest)
    if getattr(info, "model_id", None):
        mlflow.set_logged_model_tags(info.model_id, {MANIFEST_TAG: digest})
    if registered_model_name and info.registered_model_version is not None:
        client.set_model_version_tag(registered_model_name, str(info.registered_model_version), MANIFEST_TAG, digest)


def recorded_manifest(uri: str) -> tuple[str | None, dict]:
    """(manifest sha256 recorded for ``uri``, registry info) for ``models:/NAME@ALIAS``, ``models:/NAME/V``, ``runs:/``.

    Raises :class:`ConfigError` when the entry cannot be resolved or carries no
    recorded hash (a model not logged by rairpredict). Other URIs: ``(None, {})``.
    """
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    registry, run = _REGISTRY.match(uri), _RUN.match(uri)
    try:
        if registry:
            mv = client.get_model_version(registry["name"], registry["version"]) if registry["version"] \
                else client.get_model_version_by_alias(registry["name"], registry["alias"])
            info = {"name": registry["name"], "version": str(mv.version)}
            tag = (mv.tags or {}).get(MANIFEST_TAG)
        elif run:
            info = {}
            tag = client.get_run(run["run"]).data.tags.get(f"{MANIFEST_TAG}.{run['path']}")
        else:
            return None, {}
    except MlflowException as exc:
        raise ConfigError(f"{uri}: cannot resolve the model ({str(exc).splitlines()[0]})") from None
    if not tag:
        raise ConfigError(f"{uri}: no manifest hash recorded in MLflow for this model (not logged by rairpredict, "
                          f"or an old pickled model); {_HINT}")
    return tag, info


def _store_exists(uri: str) -> bool:
    """True unless ``uri`` names a local store that does not exist yet (a lookup would create and migrate it)."""
    from pathlib import Path
    from urllib.parse import urlparse

    if uri.startswith("sqlite:///"):
        path = Path(uri[len("sqlite:///"):])
        return path.is_file() and path.stat().st_size > 0
    if uri.startswith("file:") or "://" not in uri:
        return Path(urlparse(uri).path if uri.startswith("file:") else uri).is_dir()
    return True


def recorded_for_logged_model(model_id: str | None) -> str | None:
    """Hash recorded for a logged model (MLflow 3 model id); None when the store does not know it.

    Best effort, never a side effect: a store that does not exist is not
    created, and an unreachable or failing store means "not known" (the
    artifact's own manifest is still checked). A store that knows the model
    but has no hash for it is a refusal.
    """
    import mlflow

    if not model_id or not _store_exists(mlflow.get_tracking_uri()):
        return None
    try:
        tags = mlflow.MlflowClient().get_logged_model(model_id).tags
    except Exception:  # noqa: BLE001 - not found, unreachable, concurrent migration: not known here
        return None
    tag = tags.get(MANIFEST_TAG)
    if not tag:
        raise ConfigError(f"logged model {model_id}: no manifest hash recorded in MLflow (not logged by "
                          "rairpredict); refused")
    return tag


def set_alias(model_name: str, version, alias: str = CANDIDATE) -> None:
    """Point registry alias ``alias`` of ``model_name`` at ``version``."""
    import mlflow

    mlflow.MlflowClient().set_registered_model_alias(model_name, alias, str(version))


def promote(model_name: str, version=None, from_alias: str = CANDIDATE, to_alias: str = CHAMPION) -> str:
    """Move ``to_alias`` to ``version`` (default: the version ``from_alias`` points at).

    Returns
    -------
    str
        The promoted version.
    """
    import mlflow

    client = mlflow.MlflowClient()
    if version is None:
        version = client.get_model_version_by_alias(model_name, from_alias).version
    client.set_registered_model_alias(model_name, to_alias, str(version))
    return str(version)


def load_model(uri: str):
    """Load a pyfunc model, e.g. ``"models:/rair-xgb@champion"`` or ``"runs:/<id>/model"`` (verified on load)."""
    import mlflow

    return mlflow.pyfunc.load_model(uri)
