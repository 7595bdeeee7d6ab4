"""Experiment tracking with MLflow 3: store, run records, model registry.

Runs record the resolved config, environment, metrics, figures and a data
fingerprint (never patient rows or identifiers); models are logged as data-only
pyfunc models with their manifest hash recorded, and promoted through registry aliases (``candidate`` -> ``champion``).

Examples
--------
>>> from rairpredict.tracking import configure_tracking, get_or_create_experiment
>>> configure_tracking()  # doctest: +SKIP
'sqlite:////path/to/repo/mlflow.db'
>>> get_or_create_experiment("rairpredict-rair")  # doctest: +SKIP
'1'
"""
from . import _logging, _registry, _store
from ._logging import (
    KEY_LIBRARIES,
    dataset_fingerprint,
    environment_info,
    flatten,
    log_config,
    log_dataset_fingerprint,
    log_environment,
    log_figure,
    log_metrics_dict,
)
from ._registry import (CANDIDATE, CHAMPION, MANIFEST_TAG, load_model, promote, record_manifest, recorded_manifest,
                        set_alias)
from ._store import configure_tracking, default_artifact_root, get_or_create_experiment

__all__ = [*_store.__all__, *_logging.__all__, *_registry.__all__]
