"""Log a time-to-event training run (:class:`~rairpredict.experiment.survival_train.SurvivalResult`) to MLflow.

The same store, experiment name (``rairpredict-<target>``) and registry as
binary targets. Only aggregates are logged: the resolved config, the
environment, a dataset fingerprint (hash, n, events), every figure with its
CI, the oracle's figures on simulated cohorts, the row accounting, follow-up,
sample size and optimism, and the model (pickle-free artifact, registered and
aliased ``@candidate``). No patient row leaves the process.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["log_survival_result", "survival_flat_metrics"]


def survival_flat_metrics(result) -> dict[str, float]:
    """``<model>.<figure>`` for every finite figure, plus oracle, optimism, follow-up and timing."""
    out = {}
    for model, row in result.metrics.iterrows():
        for k, v in row.items():
            if v is not None and np.isfinite(v):
                out[f"{model}.{k}"] = float(v)
    for k, v in {**result.oracle, **{f"final.{k}": v for k, v in result.optimism.items()},
                 **{f"followup.{k}": v for k, v in result.followup.items()}}.items():
        if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) and np.isfinite(v):
            out[k] = float(v)
    out["train_seconds"] = float(result.seconds)
    return out


def log_survival_result(result, cfg, data, *, register: bool = True) -> None:
    """Log one run to the configured store; sets ``result.run_id`` and ``result.registered``."""
    import mlflow

    from rairpredict import tracking
    from rairpredict.experiment.log_run import experiment_name
    from rairpredict.experiment.survival_summary import survival_results_table

    name = experiment_name(cfg.name)
    exp_id = tracking.get_or_create_experiment(name)
    with mlflow.start_run(experiment_id=exp_id, run_name=cfg.name) as run:
        tracking.log_config(cfg.to_dict())
        tracking.log_environment()
        fp = tracking.dataset_fingerprint(data.table, label=data.event.astype(int), cohort_name=data.cohort_name)
        mlflow.log_params({f"data.{k}": v for k, v in fp.items()})
        mlflow.log_params({"exported_model": result.model.kind, "outcome_type": "time_to_event",
                           "horizons_years": ",".join(f"{h:g}" for h in result.model.horizons),
                           "band_horizon_years": result.model.band_horizon,
                           **{f"final.{k}": v for k, v in result.model.metadata.get("params", {}).items()}})
        mlflow.set_tags({"target": cfg.name, "decision_point": cfg.decision_point, "outcome_type": "time_to_event",
                         "synthetic": str(data.synthetic).lower(),
                         "final_model_reason": result.choice["reason"][:5000]})
        tracking.log_metrics_dict(survival_flat_metrics(result))
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            result.metrics.to_csv(tmp / "metrics.csv")
            survival_results_table(result.metrics, result.oracle, result.model.horizons).to_csv(
                tmp / "results.csv", index=False)
            for key, doc in (("counts", result.counts), ("sample_size", result.sample_size),
                             ("followup", result.followup), ("optimism", result.optimism),
                             ("protocol", result.protocol)):
                (tmp / f"{key}.json").write_text(json.dumps(doc, indent=2, default=str))
            mlflow.log_artifacts(str(tmp), artifact_path="tables")
        result.run_id = run.info.run_id
        result.model.metadata["mlflow"] = {"run_id": run.info.run_id, "experiment": name,
                                           "registered_name": name if register else None, "version": None}
        _log_model(result, name, register)


def _log_model(result, name: str, register: bool) -> None:
    """The pyfunc model (artifact format) registered as a new version, aliased @candidate."""
    from rairpredict import tracking
    from rairpredict.scoring.pyfunc import log_risk_model

    info = log_risk_model(result.model, name="model", registered_model_name=name if register else None)
    version = getattr(info, "registered_model_version", None)
    result.model.metadata["mlflow"]["version"] = version
    if register and version is not None:
        tracking.set_alias(name, version, "candidate")
        result.model.metadata["version"] = str(version)
        result.registered = (name, str(version))
