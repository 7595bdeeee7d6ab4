"""What a run records: data fingerprint, resolved config, environment, metrics, figures.

Patient data is sensitive: nothing here logs rows, identifiers or any single
patient's value. The training data is recorded by a fingerprint only (a
sha256 of its content plus counts), logged as params, a JSON artifact and an
``mlflow.data`` MetaDataset (name, digest, source tags: no rows, no profile).
``mlflow.data.from_pandas`` is deliberately not used: it stores the column
schema and a digest computed from the rows, and would tempt logging the frame.
"""
from __future__ import annotations

import hashlib
import json
import math
import platform
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "dataset_fingerprint",
    "log_dataset_fingerprint",
    "log_config",
    "flatten",
    "environment_info",
    "log_environment",
    "log_metrics_dict",
    "log_figure",
    "KEY_LIBRARIES",
]

KEY_LIBRARIES = ("numpy", "pandas", "scikit-learn", "xgboost", "shap", "mlflow", "optuna", "scipy")
_BATCH = 100  # MLflow's limit of params/tags per request


def dataset_fingerprint(table: pd.DataFrame, label, cohort_name: str) -> dict:
    """Content fingerprint and aggregates of a training table; never rows or ids.

    The sha256 covers column names and dtypes (in sorted column order) and
    every value (identifiers and the label included) through per-row
    :func:`pandas.util.hash_pandas_object` hashes, sorted so that row order
    does not matter. Nothing is written anywhere.

    Parameters
    ----------
    table : DataFrame
        Canonical table (contract columns).
    label : str or array-like
        Label column name in ``table``, or the 0/1 label values (same rows).
    cohort_name : str

    Returns
    -------
    dict
        ``sha256, n, n_events, prevalence, n_columns, cohort, contract_version``.

    Examples
    --------
    >>> t = pd.DataFrame({"patient_id": ["a", "b"], "y": [0, 1]})
    >>> fp = dataset_fingerprint(t, "y", "demo")
    >>> (fp["n"], fp["n_events"], fp["prevalence"], len(fp["sha256"]))
    (2, 1, 0.5, 64)
    """
    from rairpredict.cohort.contract import load_contract

    if isinstance(label, str):
        y = table[label]
        frame = table
    else:
        y = pd.Series(np.asarray(label), index=table.index, name="__label__")
        if len(y) != len(table):
            raise ValueError(f"label has {len(y)} values, table {len(table)} rows")
        frame = table.assign(__label__=y)
    columns = sorted(map(str, frame.columns))
    frame = frame.set_axis(list(map(str, frame.columns)), axis=1)[columns]
    digest = hashlib.sha256()
    digest.update(json.dumps([[c, str(frame[c].dtype)] for c in columns]).encode())
    row_hashes = np.sort(pd.util.hash_pandas_object(frame, index=False, categorize=True).to_numpy())
    digest.update(row_hashes.astype("<u8").tobytes())
    y_num = pd.to_numeric(y, errors="coerce")
    labelled = int(y_num.notna().sum())
    n_events = int((y_num == 1).sum())
    return {
        "sha256": digest.hexdigest(),
        "n": int(len(frame)),
        "n_labelled": labelled,
        "n_events": n_events,
        "prevalence": n_events / labelled if labelled else float("nan"),
        "n_columns": int(len(columns)),
        "cohort": str(cohort_name),
        "contract_version": load_contract().version,
    }


def log_dataset_fingerprint(fingerprint: Mapping, context: str = "training") -> None:
    """Log a :func:`dataset_fingerprint` to the active run.

    As params ``dataset.<context>.<key>``, as ``datasets/<context>.json`` and
    as an MLflow dataset input (MetaDataset: name = cohort, digest = first 32
    hex digits of the sha256, since MLflow's digest column holds 36 chars).
    """
    import mlflow
    from mlflow.data.code_dataset_source import CodeDatasetSource
    from mlflow.data.meta_dataset import MetaDataset

    fp = dict(fingerprint)
    mlflow.log_params({f"dataset.{context}.{k}": v for k, v in fp.items()})
    mlflow.log_dict(fp, f"datasets/{context}.json")
    source = CodeDatasetSource({"cohort": fp["cohort"], "contract_version": fp["contract_version"]})
    dataset = MetaDataset(source, name=fp["cohort"], digest=fp["sha256"][:32])
    mlflow.log_input(dataset, context=context)


def flatten(d: Mapping, prefix: str = "", sep: str = ".") -> dict:
    """Flatten nested mappings to ``{"a.b.c": value}``.

    Examples
    --------
    >>> flatten({"model": {"kind": "xgboost", "depth": 4}, "seed": 1})
    {'model.kind': 'xgboost', 'model.depth': 4, 'seed': 1}
    """
    out: dict = {}
    for key, value in d.items():
        name = f"{prefix}{sep}{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, name, sep))
        else:
            out[name] = value
    return out


def _log_params(params: Mapping) -> None:
    import mlflow

    items = [(k, _param_value(v)) for k, v in params.items()]
    for start in range(0, len(items), _BATCH):
        mlflow.log_params(dict(items[start : start + _BATCH]))


def _param_value(v) -> str:
    text = json.dumps(v, default=str) if isinstance(v, (list, tuple, dict)) else str(v)
    return text if len(text) <= 6000 else text[:5997] + "..."  # MLflow's value limit


def log_config(resolved_config: Mapping, artifact_file: str = "config/resolved_config.yaml") -> None:
    """Log the resolved configuration: YAML artifact plus flattened params."""
    import mlflow

    mlflow.log_dict(_plain(resolved_config), artifact_file)
    _log_params(flatten(resolved_config))


def _plain(obj):
    """YAML-safe copy (paths, numpy scalars and tuples become plain types)."""
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _git_commit(cwd: str | None = None) -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def environment_info(cwd: str | None = None) -> dict:
    """Package version, git commit (or None), Python and key library versions."""
    from rairpredict import __version__

    info = {"rairpredict": __version__, "git_commit": _git_commit(cwd), "python": platform.python_version()}
    for lib in KEY_LIBRARIES:
        try:
            info[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            info[lib] = None
    return info


def log_environment(cwd: str | None = None) -> dict:
    """Tag the active run with :func:`environment_info` (``env.<name>``) and log it as JSON."""
    import mlflow

    info = environment_info(cwd)
    mlflow.set_tags({f"env.{k}": str(v) for k, v in info.items()})
    mlflow.log_dict(info, "environment.json")
    return info


def log_metrics_dict(d: Mapping, prefix: str = "", step: int | None = None) -> dict:
    """Log the finite numeric entries of a (nested) dict as metrics.

    Keys are flattened with "."; non-numeric, NaN and infinite values are
    skipped (returned so callers can see what was logged).
    """
    import mlflow

    metrics = {}
    for key, value in flatten(d, prefix.rstrip(".")).items():
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
            continue
        if math.isfinite(float(value)):
            metrics[key] = float(value)
    if metrics:
        mlflow.log_metrics(metrics, step=step)
    return metrics


def log_figure(fig, path: str) -> None:
    """Log a matplotlib Figure as an artifact at ``path`` (e.g. ``"figures/calibration.png"``)."""
    import mlflow

    mlflow.log_figure(fig, path)
