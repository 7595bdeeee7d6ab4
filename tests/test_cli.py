"""The CLI end to end for train, tune and demo (small cohorts, temporary stores)."""
import pytest

from rairpredict.cli import main
from rairpredict.experiment.config import CONFIG_DIR
from rairpredict.experiment.demo import run_demo


def test_train_without_tracking(capsys):
    code = main(["train", "--config", str(CONFIG_DIR / "unexpected_uptake.yaml"), "--n", "500", "--seed", "3",
                 "--trials", "0", "--optimism-boot", "0", "--no-tracking"])
    out = capsys.readouterr().out
    assert code == 0
    assert "unexpected_uptake" in out and "AUROC" in out and "protocol: nested CV" in out
    assert "final model parameters from library defaults (no tuning)" in out


def test_tune_extends_the_stored_study(tmp_path, capsys):
    storage = f"sqlite:///{tmp_path}/optuna.db"
    args = ["tune", "--config", str(CONFIG_DIR / "rair.yaml"), "--trials", "2", "--n", "300", "--seed", "1",
            "--model", "logistic", "--storage", storage]
    assert main(args) == 0
    assert main(args) == 0
    out = capsys.readouterr().out
    assert ": 2 trials" in out and ": 4 trials" in out and "best parameters: {'C'" in out
    assert "rairpredict train --config" in out and "--use-study" in out  # how to use what tune found


def test_train_use_study_without_a_study_is_one_line(tmp_path, capsys):
    code = main(["train", "--config", str(CONFIG_DIR / "unexpected_uptake.yaml"), "--n", "300", "--seed", "3",
                 "--trials", "0", "--optimism-boot", "0", "--no-tracking", "--use-study",
                 "--storage", f"sqlite:///{tmp_path}/optuna.db"])
    err = capsys.readouterr().err
    assert code == 2 and "no stored Optuna study" in err and "rairpredict tune" in err
    assert len([line for line in err.splitlines() if "error:" in line]) == 1


def test_bad_config_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nlabel: rair\ndecision_point: pre_therapy\ncohort: {simulate: {}}\n"
                   "features: [age_years, dose_rate_48h_usv_h]\n")
    assert main(["train", "--config", str(bad), "--no-tracking"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "dose_rate_48h_usv_h" in err and "Traceback" not in err


@pytest.mark.slow
def test_demo_runs_all_three_targets(tmp_path):
    results = run_demo(n=700, seed=2, tracking=True, tracking_root=tmp_path, export_dir=tmp_path / "models",
                       optuna_storage=f"sqlite:///{tmp_path}/optuna.db", log=lambda m: None,
                       settings={"repeats": 1, "outer_folds": 3, "trials": 2, "optimism_boot": 2})
    assert [r.name for r in results] == ["unexpected_uptake", "rair", "second_course_benefit"]
    assert all(r.registered for r in results)
    assert (tmp_path / "models" / "rair.zip").is_file()
    assert all("oracle_auroc" in r.oracle for r in results)
    # logged in a thread while the next target trained: every run logged, the export is the trained model
    assert all(r.run_id for r in results)
    from rairpredict.models import load_model
    assert load_model(tmp_path / "models" / "rair.zip").fingerprint() == results[1].fingerprint


def test_promote_unknown_target_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    assert main(["promote", "--target", "nonexistent"]) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("rairpredict promote: error:")]
    assert len(errors) == 1 and "rairpredict-nonexistent" in errors[0] and "Traceback" not in err
