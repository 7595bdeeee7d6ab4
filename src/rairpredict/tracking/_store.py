"""Where runs go: tracking URI and per-target experiments.

Default store: a SQLite file ``<repo_root>/mlflow.db`` (runs, params,
metrics, model registry) with artifacts under ``<repo_root>/mlruns/``.
``repo_root`` defaults to :func:`rairpredict.resources.home` (``$RAIRPREDICT_HOME``,
else ``~/.local/share/rairpredict``), whatever the working directory.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from rairpredict.resources import home

__all__ = ["configure_tracking", "get_or_create_experiment", "default_artifact_root"]

_state: dict[str, str | None] = {"artifact_root": None}


def default_artifact_root(repo_root: str | os.PathLike | None = None) -> str:
    """``file://`` URI of ``<repo_root>/mlruns`` (repo_root default: the package home)."""
    root = Path(repo_root) if repo_root is not None else home()
    return (root.resolve() / "mlruns").as_uri()


def configure_tracking(tracking_uri: str | None = None, repo_root: str | os.PathLike | None = None) -> str:
    """Point MLflow at the project's store and return its URI.

    Precedence: ``tracking_uri`` argument, then the ``MLFLOW_TRACKING_URI``
    environment variable, then ``sqlite:///<repo_root>/mlflow.db`` with
    artifacts in ``<repo_root>/mlruns`` (``repo_root`` default: the package home,
    :func:`rairpredict.resources.home`). The model registry uses the same store.

    Examples
    --------
    >>> import tempfile
    >>> uri = configure_tracking(repo_root=tempfile.mkdtemp())  # doctest: +SKIP
    >>> uri.startswith("sqlite:///")  # doctest: +SKIP
    True
    """
    import mlflow

    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    artifact_root = None
    if not uri:
        root = (Path(repo_root) if repo_root is not None else home()).resolve()
        root.mkdir(parents=True, exist_ok=True)
        (root / "mlruns").mkdir(exist_ok=True)
        uri = f"sqlite:///{root / 'mlflow.db'}"
        artifact_root = default_artifact_root(root)
    elif repo_root is not None:
        artifact_root = default_artifact_root(repo_root)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    _state["artifact_root"] = artifact_root
    return uri


def get_or_create_experiment(name: str, artifact_root: str | None = None) -> str:
    """Return the id of experiment ``name``, creating it if needed, and make it active.

    Use one experiment per prediction target (e.g. ``"rairpredict-rair"``).

    Parameters
    ----------
    name : str
    artifact_root : str, optional
        Artifact location for a new experiment; default
        ``file://<repo_root>/mlruns/<name>`` after :func:`configure_tracking`, or the
        server's default for a remote store. Ignored if the experiment exists.
    """
    import mlflow

    client = mlflow.MlflowClient()
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        location = artifact_root
        if location is None and _state["artifact_root"] is not None:
            # one sub-folder per experiment keeps runs of different targets apart
            location = f"{_state['artifact_root']}/{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}"
        experiment_id = client.create_experiment(name, artifact_location=location)
    else:
        experiment_id = experiment.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id
