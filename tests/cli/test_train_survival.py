"""`rairpredict train` with a time-to-event target: config checks, results table, export, MLflow, registry."""
import json
import os
import subprocess
import sys

import pytest
import yaml

from rairpredict.errors import ConfigError, LeakageError
from rairpredict.experiment.config import CONFIG_DIR, load_target_config

SMALL = ["age_years", "histology", "ete", "n_stage", "m_stage", "tg_stim_ng_ml", "structural_disease_pre"]


def _config(tmp_path, **changes) -> str:
    raw = yaml.safe_load((CONFIG_DIR / "rair_time.yaml").read_text())
    raw.update({"features": SMALL, "validation": {"outer_folds": 2, "repeats": 1, "inner_folds": 2, "seed": 0},
                "cohort": {"simulate": {"n": 400, "seed": 2}}}, **changes)
    raw = {k: v for k, v in raw.items() if v is not None}
    path = tmp_path / "rair_time_small.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


def test_shipped_rair_time_config_loads():
    cfg = load_target_config(CONFIG_DIR / "rair_time.yaml")
    assert cfg.outcome.type == "time_to_event" and cfg.outcome.horizons == (1.5, 3.0, 5.0)
    assert cfg.outcome.band_horizon == 3.0 and set(cfg.models) == {"cox", "xgboost_cox"}
    assert cfg.label == "time_to_event:rair" and cfg.to_dict()["outcome"]["horizon"].startswith("within 3 years")


def test_leakage_guard_refuses_the_outcomes_source_columns(tmp_path):
    with pytest.raises(LeakageError, match="followup_years"):
        load_target_config(_config(tmp_path, features=SMALL + ["followup_years"]))


def test_binary_model_kinds_are_refused_for_a_time_to_event_outcome(tmp_path):
    with pytest.raises(ConfigError, match="logistic"):
        load_target_config(_config(tmp_path, models=["logistic", "cox"]))
    with pytest.raises(ConfigError, match="cox"):
        load_target_config(_config(tmp_path, outcome=None, final_model=None, label="rair", models=["cox"]))


@pytest.mark.slow
def test_train_from_another_directory_exports_logs_and_registers(tmp_path):
    config = _config(tmp_path)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "RAIRPREDICT_HOME": str(tmp_path / "home")}
    run = subprocess.run([sys.executable, "-m", "rairpredict", "train", "--config", config, "--trials", "1",
                          "--optimism-boot", "2", "--export", "models", "--tracking-uri",
                          f"sqlite:///{tmp_path}/mlflow.db"], cwd=work, env=env, capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    out = run.stdout
    for text in ("Harrell C (95% CI)", "Uno C (95% CI)", "AUC 3y", "O/E 3y", "slope 3y", "share of achievable C",
                 "oracle (true risk)", "exported model:", "median follow-up", "censored", "@candidate"):
        assert text in out, text
    from rairpredict.models import load_model

    model = load_model(work / "models" / "rair_time")
    assert model.kind in ("cox", "xgboost_cox") and model.metadata["version"] == "1"
    assert "net risks" in model.metadata["censoring"]

    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
    mlflow.set_registry_uri(f"sqlite:///{tmp_path}/mlflow.db")  # an in-process CLI test may have set another
    version = mlflow.MlflowClient().get_model_version_by_alias("rairpredict-rair_time", "candidate")
    run_data = mlflow.get_run(version.run_id).data
    assert any(k.endswith(".c_harrell") for k in run_data.metrics) and run_data.params["outcome_type"] == \
        "time_to_event"
    # the registered pyfunc returns the risk by every horizon
    from rairpredict.scoring.pyfunc import synthetic_input_example

    pyfunc = mlflow.pyfunc.load_model(f"models:/rairpredict-rair_time@candidate")
    scored = pyfunc.predict(synthetic_input_example(3))
    assert {"risk_1.5y", "risk_3y", "risk_5y", "probability", "risk_band"} <= set(scored.columns)
    # nothing patient-level in the run's tables
    tables = mlflow.artifacts.download_artifacts(run_id=version.run_id, artifact_path="tables",
                                                 dst_path=str(tmp_path / "dl"))
    counts = json.loads(open(os.path.join(tables, "counts.json")).read())
    assert counts["rows_in"] == 400 and "patient_id" not in open(os.path.join(tables, "results.csv")).read()


def test_tune_extends_a_stored_survival_study_and_train_uses_it(tmp_path, capsys):
    """`tune` runs a real, stored Optuna study (Cox partial likelihood); `train --use-study` fits with its best."""
    from rairpredict.cli import main

    config = _config(tmp_path, models=["cox"], final_model="cox")
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    assert main(["tune", "--config", config, "--trials", "3", "--storage", storage, "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["kind"] == "cox" and first["trials"] == 3 and set(first["best_params"]) == {"alpha"}
    assert first["best_partial_loglik_per_event"] < 0
    assert main(["tune", "--config", config, "--trials", "2", "--storage", storage, "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["study"] == first["study"] and second["trials"] == 5  # extended, not restarted
    assert second["best_partial_loglik_per_event"] >= first["best_partial_loglik_per_event"]
    assert main(["train", "--config", config, "--use-study", "--storage", storage, "--trials", "0",
                 "--optimism-boot", "0", "--no-tracking", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tuning"]["source"].startswith("stored study") and out["tuning"]["study_name"] == first["study"]
    assert out["tuning"]["final_trials"] == 5


def test_tune_and_use_study_refusals_are_one_line(tmp_path, capsys):
    from rairpredict.cli import main

    config = _config(tmp_path, models=["cox"], final_model="cox")
    storage = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main(["train", "--config", config, "--use-study", "--storage", storage, "--no-tracking"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "rairpredict tune" in err
    assert main(["tune", "--config", config, "--trials", "1", "--kind", "logistic", "--storage", storage]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "'logistic'" in err and "cox, xgboost_cox" in err
    assert main(["tune", "--config", "rair", "--trials", "1", "--kind", "cox", "--storage", storage]) == 2
    assert "time-to-event model" in capsys.readouterr().err


def test_train_json_summary_has_figures_and_no_rows(tmp_path, capsys):
    from rairpredict.cli import main

    code = main(["train", "--config", _config(tmp_path, models=["cox"]), "--trials", "0", "--optimism-boot", "0",
                 "--no-tracking", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["outcome_type"] == "time_to_event" and out["horizons_years"] == [1.5, 3.0, 5.0]
    assert 0.5 < out["metrics"]["cox"]["c_harrell"] <= 1 and out["counts"]["rows_in"] == 400
    assert out["oracle"]["cox_c_share_of_achievable"] > 0 and "patient_id" not in json.dumps(out)
