"""End to end: train one target into a temporary MLflow store, reload, promote."""
import json

import mlflow
import numpy as np
import pytest

from rairpredict.cli import main
from rairpredict.experiment.config import CONFIG_DIR, load_target_config
from rairpredict.experiment.train import train_target
from rairpredict.models.risk_model import RiskModel


@pytest.fixture(scope="module")
def trained(small_cohort, tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    cfg = load_target_config(CONFIG_DIR / "rair.yaml")
    cfg = cfg.with_overrides(validation={"outer_folds": 3, "repeats": 1, "inner_folds": 3, "seed": 0})
    table = small_cohort[[c for c in small_cohort.columns if c not in ("rair",) and not c.startswith("rair_")]]
    with pytest.warns(UserWarning, match="SAMPLE SIZE"):
        result = train_target(cfg, table=table, trials=2, optimism_boot=3, tracking=True, tracking_root=root,
                              optuna_storage=f"sqlite:///{root}/optuna.db", export_dir=root / "models",
                              cohort_name="simulated-test", log=lambda m: None)
    return result, root, table


def test_metrics_have_confidence_intervals(trained):
    result, _, _ = trained
    m = result.metrics
    assert {"logistic", "xgboost", "li2018", "liu2022"} <= set(m.index)  # Liu 2022 reads the pre-therapy FDG PET
    for name in ("auroc", "brier", "cal_slope", "sensitivity"):
        assert (m[f"{name}_lo"] <= m[name]).all() and (m[name] <= m[f"{name}_hi"]).all()
    assert 0.5 < m.loc["xgboost", "auroc"] <= 1


def test_oracle_ratio_and_comparisons(trained):
    result, _, _ = trained
    ratio = result.oracle["xgboost_oracle_ratio"]
    assert ratio == pytest.approx(result.metrics.loc["xgboost", "auroc"] / result.oracle["oracle_auroc"])
    assert 0.5 < ratio < 1.1
    pair = result.comparisons.set_index(["model_1", "model_2"]).loc[("logistic", "xgboost")]
    assert 0 <= pair["p_value"] <= 1


def test_optimism_and_sample_size_reported(trained):
    result, _, _ = trained
    assert {"auroc", "cal_slope"} <= set(result.optimism.index)
    assert result.sample_size["adequate"] is False and result.sample_size["required_n"] > result.counts["rows_used"]
    assert "SYNTHETIC" in " ".join(result.model.metadata["limitations"])


def test_model_registered_as_candidate_and_loads_as_pyfunc(trained, monkeypatch):
    result, root, table = trained
    name, version = result.registered
    mlflow.set_tracking_uri(f"sqlite:///{root}/mlflow.db")
    client = mlflow.MlflowClient()
    assert str(client.get_model_version_by_alias(name, "candidate").version) == version
    pyfunc = mlflow.pyfunc.load_model(f"models:/{name}@candidate")
    from rairpredict.scoring.pyfunc import to_pyfunc_input

    rows = table.head(20)
    out = pyfunc.predict(to_pyfunc_input(rows))
    np.testing.assert_allclose(out["probability"].to_numpy(float), result.model.predict_proba(rows), atol=1e-6)
    # promotion is an explicit command
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root}/mlflow.db")
    assert main(["promote", "--target", "rair"]) == 0
    assert str(client.get_model_version_by_alias(name, "champion").version) == version


def test_run_logs_aggregates_plots_and_no_patient_rows(trained):
    result, root, table = trained
    mlflow.set_tracking_uri(f"sqlite:///{root}/mlflow.db")
    run = mlflow.get_run(result.run_id)
    assert run.data.metrics["xgboost.auroc"] == pytest.approx(result.metrics.loc["xgboost", "auroc"])
    assert run.data.params["data.n"] == str(result.counts["rows_used"])
    assert run.data.tags["target"] == "rair"
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(result.run_id, "plots")}
    assert {"plots/roc.png", "plots/calibration.png", "plots/decision_curve.png",
            "plots/shap_beeswarm.png"} <= artifacts
    assert run.data.metrics["shap_native_vs_treeexplainer_max_abs_diff"] < 1e-4
    ids = set(table["patient_id"].astype(str))
    blobs = [(root / "mlflow.db").read_bytes()]
    blobs += [p.read_bytes() for p in (root / "mlruns").rglob("*") if p.is_file() and p.suffix != ".joblib"]
    text = b"\n".join(blobs).decode("latin-1")
    leaked = [i for i in list(ids)[:200] if i in text]
    # the input example is synthetic (simulator seed 12345), never the training rows
    assert not [i for i in leaked if i not in {"SIM-000001", "SIM-000002", "SIM-000003"}]


def test_export_round_trips(trained):
    result, root, table = trained
    model = RiskModel.load(result.exported)
    np.testing.assert_array_equal(model.predict_proba(table.head(50)), result.model.predict_proba(table.head(50)))
    meta = json.loads((root / "models" / "rair.json").read_text())
    assert meta["target"] == "rair" and len(meta["sha256"]) == 64
    assert meta["mlflow"]["registered_name"] == "rairpredict-rair"
