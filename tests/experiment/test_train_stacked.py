"""End to end with the stacked kind: nested CV beside the single models, export, MLflow run with its SHAP."""
import warnings

import mlflow
import pytest

from rairpredict.experiment.config import CONFIG_DIR, load_target_config
from rairpredict.experiment.train import train_target
from rairpredict.models.risk_model import RiskModel


@pytest.mark.slow
def test_train_cross_validates_exports_and_logs_a_stack(small_cohort, tmp_path, monkeypatch):
    cfg = load_target_config(CONFIG_DIR / "rair.yaml").with_overrides(
        models=("logistic", "stacked"), final_model="stacked", baselines=(),
        validation={"outer_folds": 2, "repeats": 1, "inner_folds": 2, "seed": 0})
    table = small_cohort[[c for c in small_cohort.columns if c != "rair" and not c.startswith("rair_")]]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # sample size of a small cohort; explicit final model
        result = train_target(cfg, table=table, trials=1, optimism_boot=0, tracking=True, tracking_root=tmp_path,
                              optuna_storage=f"sqlite:///{tmp_path}/optuna.db", export_dir=tmp_path / "models",
                              cohort_name="simulated-test", log=lambda m: None)
    assert set(result.metrics.index) == {"logistic", "stacked"} and result.model.kind == "stacked"
    assert 0.5 < result.metrics.loc["stacked", "auroc"] < 1 and "stacked" in result.protocol["calibration"]
    assert set(result.model.metadata["params"]) >= {"logistic__C", "xgboost__max_depth"}
    assert RiskModel.load(result.exported).fingerprint() == result.fingerprint
    run = mlflow.get_run(result.run_id)
    assert run.data.params["exported_model"] == "stacked"
    assert run.data.metrics["shap_native_vs_treeexplainer_max_abs_diff"] < 1e-4
    artifacts = {a.path for a in mlflow.artifacts.list_artifacts(run_id=result.run_id, artifact_path="shap")}
    assert "shap/global_importance.csv" in artifacts
