"""A time-to-event run in MLflow: figures and tables (no patient rows), registered @candidate, pyfunc horizons."""
import json

import mlflow
import pytest

from rairpredict.experiment.config import CONFIG_DIR, load_target_config
from rairpredict.experiment.survival_train import run_survival_target
from rairpredict.labels.time_to_event import parse_time_to_event
from rairpredict.models import load_model
from rairpredict.scoring.pyfunc import synthetic_input_example

SMALL = ("age_years", "histology", "ete", "n_stage", "m_stage", "tg_stim_ng_ml", "structural_disease_pre")


@pytest.mark.slow
def test_run_is_logged_registered_exported_and_served_by_horizon(tmp_path):
    from rairpredict import tracking
    from rairpredict.simulation import simulate_cohort

    tracking.configure_tracking(f"sqlite:///{tmp_path}/mlflow.db", repo_root=tmp_path)
    cfg = load_target_config(CONFIG_DIR / "rair.yaml").with_overrides(
        name="rair_time_t", features=SMALL, models=("cox", "xgboost_cox"), population={},
        validation={"outer_folds": 2, "repeats": 1, "inner_folds": 2, "seed": 0})
    spec = parse_time_to_event({"type": "time_to_event", "label": "rair", "horizons": [1.5, 3, 5]})
    table = simulate_cohort(400, seed=6)
    res = run_survival_target(cfg, spec, table=table, trials=0, optimism_boot=0, export_dir=tmp_path / "models",
                              log=lambda *_: None)
    assert res.registered == ("rairpredict-rair_time_t", "1")
    exported = load_model(res.exported)
    assert exported.metadata["version"] == "1" and exported.kind == res.model.kind
    run = mlflow.get_run(res.run_id).data
    assert run.params["outcome_type"] == "time_to_event" and run.params["horizons_years"] == "1.5,3,5"
    assert 0.5 < run.metrics[f"{res.model.kind}.c_harrell"] <= 1 and "oracle_c_harrell" in run.metrics
    tables = mlflow.artifacts.download_artifacts(run_id=res.run_id, artifact_path="tables",
                                                 dst_path=str(tmp_path / "dl"))
    counts = json.loads(open(f"{tables}/counts.json").read())
    assert counts["rows_in"] == 400 and counts["events"] + counts["censored"] == counts["rows_used"]
    for name in ("results.csv", "metrics.csv", "counts.json"):
        assert "patient_id" not in open(f"{tables}/{name}").read()
    pyfunc = mlflow.pyfunc.load_model("models:/rairpredict-rair_time_t@candidate")
    scored = pyfunc.predict(synthetic_input_example(4))
    assert {"probability", "risk_1.5y", "risk_3y", "risk_5y", "risk_band"} <= set(scored.columns)
    assert (scored["probability"] - scored["risk_3y"]).abs().max() < 1e-6
