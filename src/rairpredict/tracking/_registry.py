"""Logged models and the model registry (MLflow 3: ``name=``, aliases).

Lifecycle: :func:`log_pyfunc_model` (optionally registering a new version),
:func:`set_alias` ``"candidate"`` after evaluation, :func:`promote`
candidate -> ``"champion"`` when accepted; scoring loads
``models:/<name>@champion`` with :func:`load_model`.
"""
from __future__ import annotations

__all__ = ["log_pyfunc_model", "set_alias", "promote", "load_model", "CANDIDATE", "CHAMPION"]

CANDIDATE, CHAMPION = "candidate", "champion"


def log_pyfunc_model(
    python_model,
    name: str,
    input_example=None,
    signature_from=None,
    artifacts: dict | None = None,
    code_paths: list[str] | None = None,
    pip_requirements: list[str] | None = None,
    registered_model_name: str | None = None,
):
    """Log a custom :class:`mlflow.pyfunc.PythonModel` to the active run.

    Parameters
    ----------
    python_model : mlflow.pyfunc.PythonModel
        Pickled with cloudpickle: its class must be importable at load time
        (package module, or shipped with ``code_paths``).
    name : str
        Model name within the run (MLflow 3 ``name=``, formerly ``artifact_path``).
    input_example : DataFrame, optional
        Stored as a JSON artifact: must be synthetic, never a patient's row.
    signature_from : (input_df, output_df), optional
        Model signature inferred with :func:`mlflow.models.infer_signature`.
    artifacts, code_paths, pip_requirements
        Passed to :func:`mlflow.pyfunc.log_model`. Giving ``pip_requirements``
        avoids MLflow's slow requirement inference.
    registered_model_name : str, optional
        Also register a new version under this registry name.

    Returns
    -------
    mlflow.models.model.ModelInfo
        ``model_uri``, ``registered_model_version`` (if registered), ...
    """
    import mlflow
    from mlflow.models import infer_signature

    signature = infer_signature(*signature_from) if signature_from is not None else None
    return mlflow.pyfunc.log_model(
        name=name,
        python_model=python_model,
        input_example=input_example,
        signature=signature,
        artifacts=artifacts,
        code_paths=code_paths,
        pip_requirements=pip_requirements,
        registered_model_name=registered_model_name,
    )


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
    """Load a pyfunc model, e.g. ``"models:/rair-xgb@champion"`` or ``"runs:/<id>/model"``."""
    import mlflow

    return mlflow.pyfunc.load_model(uri)
