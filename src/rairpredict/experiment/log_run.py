"""Log a :class:`~rairpredict.experiment.train.TargetResult` to MLflow.

One experiment per target (``rairpredict-<target>``); one run per training.
Only aggregates go to MLflow: config, environment, dataset fingerprint (hash,
n, events, prevalence, cohort name), metrics with CIs, plots, the model as a
pyfunc with a synthetic input example, and the model card.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mlflow  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from rairpredict import tracking  # noqa: E402
from rairpredict.resources import home  # noqa: E402

__all__ = ["log_target_result", "experiment_name"]


def experiment_name(target: str) -> str:
    return f"rairpredict-{target}"


def _flat_metrics(result) -> dict[str, float]:
    out = {}
    for model, row in result.metrics.iterrows():
        for k, v in row.items():
            if np.isfinite(v):
                out[f"{model}.{k}"] = float(v)
    for k, v in result.oracle.items():
        if v is not None and np.isfinite(v):
            out[k] = float(v)
    if not result.optimism.empty:
        for metric, row in result.optimism.iterrows():
            for col in ("apparent", "optimism", "corrected"):
                if np.isfinite(row[col]):
                    out[f"final.{metric}_{col}"] = float(row[col])
    for _, row in result.comparisons.iterrows():
        out[f"delong.{row['model_1']}_vs_{row['model_2']}.p_value"] = float(row["p_value"])
        out[f"delong.{row['model_1']}_vs_{row['model_2']}.difference"] = float(row["difference"])
    for k, v in result.protocol.items():
        if k.endswith("_seconds"):
            out[k] = float(v)
    return out


def model_contributions(model, table, *, check_rows: int = 200) -> tuple:
    """Global SHAP input: (contributions, engineered X, max |native - shap.TreeExplainer|).

    XGBoost: native TreeSHAP, checked against ``shap.TreeExplainer`` on the
    first ``check_rows`` rows. Logistic: exact linear SHAP (no check needed).
    Stacked: the bases' exact contributions weighted (its XGBoost base checked).
    Contributions are on the classifier margin (log-odds) scale.
    """
    from rairpredict.explain import BIAS, check_agreement, linear_contributions, stack_contributions, tree_contributions

    X = model.transform(table)
    if model.kind == "stacked":  # weighted exact contributions of the bases; the tree base checked as above
        diff = check_agreement(model.classifier.named_estimators()["xgboost"], X.iloc[:check_rows],
                               raise_on_error=False)
        return pd.DataFrame(stack_contributions(model.classifier, X), index=X.index,
                            columns=[*map(str, X.columns), BIAS]), X, float(diff)
    if model.kind == "xgboost":
        diff = check_agreement(model.classifier, X.iloc[:check_rows], raise_on_error=False)
        return tree_contributions(model.classifier, X), X, float(diff)
    return linear_contributions(model.classifier, X), X, 0.0


def _figures(result, data) -> dict[str, "plt.Figure"]:
    from rairpredict.evaluation import plots
    from rairpredict.explain import global_importance, plot_beeswarm, plot_dependence, plot_importance

    figs = {}
    p_final = result.oof[result.model.kind][0]
    figs["roc.png"] = plots.plot_roc(data.y, {k: v[0] for k, v in result.oof.items()})
    figs["calibration.png"] = plots.plot_calibration(data.y, p_final)
    figs["decision_curve.png"] = plots.plot_decision_curve(data.y, {k: v[0] for k, v in result.oof.items()})
    contrib, X, diff = model_contributions(result.model, data.table)
    mlflow.log_metric("shap_native_vs_treeexplainer_max_abs_diff", diff)
    importance = global_importance(contrib, result.model.feature_source)
    mlflow.log_text(importance.to_csv(index=False), "shap/global_importance.csv")
    figs["shap_importance.png"] = plot_importance(contrib, result.model.feature_source)
    figs["shap_beeswarm.png"] = plot_beeswarm(contrib, X)
    for feature in global_importance(contrib)["feature"].head(3):
        figs[f"shap_dependence_{feature}.png".replace("/", "_").replace("=", "_")] = \
            plot_dependence(contrib, X, feature)
    return figs


def log_target_result(result, cfg, data, *, register: bool = True, root=None) -> None:
    """Log everything of one training run; sets ``result.run_id`` and ``result.registered``.

    ``root`` holds ``mlflow.db`` and ``mlruns/`` (default: the repository);
    ``MLFLOW_TRACKING_URI`` overrides the store as usual.
    """
    root = Path(root) if root is not None else home()
    tracking.configure_tracking(repo_root=root)
    exp_id = tracking.get_or_create_experiment(experiment_name(cfg.name))
    with mlflow.start_run(experiment_id=exp_id, run_name=f"{cfg.name}") as run:
        tracking.log_config(cfg.to_dict())
        tracking.log_environment()
        fp = tracking.dataset_fingerprint(data.table, label=data.y, cohort_name=data.cohort_name)
        mlflow.log_params({f"data.{k}": v for k, v in fp.items()})
        mlflow.log_params({"exported_model": result.model.kind, "calibration": result.model.calibration.method,
                           **{f"final.{k}": v for k, v in result.model.metadata.get("params", {}).items()}})
        tuning_info = result.model.metadata.get("tuning") or {}
        mlflow.log_params({f"final.tuning.{k}": v for k, v in tuning_info.items() if k != "best_inner_cv_logloss"})
        if "best_inner_cv_logloss" in tuning_info:
            mlflow.log_metric("final.tuning.best_inner_cv_logloss", float(tuning_info["best_inner_cv_logloss"]))
        meta = result.model.metadata
        outcome = meta.get("outcome", {})
        mlflow.log_params({f"outcome.{k}": str(outcome.get(k)) for k in ("name", "horizon", "source")})
        mlflow.set_tags({"target": cfg.name, "decision_point": cfg.decision_point,
                         "synthetic": str(data.synthetic).lower(),
                         "protocol": meta["validation"]["protocol"][:5000],
                         "outcome.definition": str(outcome.get("definition", ""))[:5000],
                         "final_model.reason": str(meta.get("final_model_choice", {}).get("reason", ""))[:5000],
                         "grouped_by_patient": str(meta.get("grouping", {}).get("grouped_by_patient", False)).lower()})
        for i, step in enumerate(result.population_flow):
            mlflow.set_tag(f"population.rule_{i + 1}", step["rule"])
            mlflow.log_metric(f"population.rule_{i + 1}.excluded", step["excluded"])
        mlflow.log_dict({"outcome": outcome, "population": meta.get("population", {}),
                         "grouping": meta.get("grouping", {}), "final_model_choice": meta.get("final_model_choice", {})},
                        "outcome_population.json")
        tracking.log_metrics_dict(_flat_metrics(result))
        for name, reason in result.skipped_baselines.items():
            mlflow.set_tag(f"baseline_skipped.{name}", reason)
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            result.metrics.to_csv(tmp / "metrics.csv")
            result.comparisons.to_csv(tmp / "comparisons.csv", index=False)
            result.subgroups.to_csv(tmp / "subgroups.csv")
            if not result.optimism.empty:
                result.optimism.to_csv(tmp / "optimism.csv")
            if "table_one" in result.model.metadata:  # Table 1: aggregates only
                t1 = result.model.metadata["table_one"]
                pd.DataFrame(t1["rows"], columns=t1["columns"]).to_csv(tmp / "table_one.csv", index=False)
            mlflow.log_artifacts(str(tmp), artifact_path="tables")
        mlflow.log_dict(result.sample_size, "sample_size.json")
        if "table_one" in result.model.metadata:
            mlflow.log_dict(result.model.metadata["table_one"], "table_one.json")
        for name, fig in _figures(result, data).items():
            tracking.log_figure(fig, f"plots/{name}")
            plt.close(fig)
        model_name = experiment_name(cfg.name)
        from rairpredict.scoring.pyfunc import log_risk_model

        info = log_risk_model(result.model, name="model",
                              registered_model_name=model_name if register else None)
        result.run_id = run.info.run_id
        version = getattr(info, "registered_model_version", None)
        result.model.metadata["mlflow"] = {"run_id": run.info.run_id, "experiment": experiment_name(cfg.name),
                                           "registered_name": model_name if register else None,
                                           "version": version}
        if register and version is not None:
            tracking.set_alias(model_name, version, "candidate")
            result.model.metadata["version"] = str(version)
            result.registered = (model_name, str(version))
        try:
            from rairpredict.report import log_model_card

            log_model_card(result.model, run.info.run_id)
        except ImportError:
            pass
