"""End to end: train one target into a temporary MLflow store, reload, promote."""

import mlflow
import numpy as np
import pandas as pd
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
    # mlflow.set_tracking_uri in earlier tests also sets MLFLOW_TRACKING_URI (for subprocesses), which
    # configure_tracking honours before tracking_root: name this module's store explicitly.
    with pytest.MonkeyPatch.context() as mp, pytest.warns(UserWarning, match="SAMPLE SIZE"):
        mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root}/mlflow.db")
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
    np.testing.assert_allclose(out["probability"].to_numpy(float), result.model.predict_risk(rows), atol=1e-6)
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
    blobs += [p.read_bytes() for p in (root / "mlruns").rglob("*") if p.is_file()]
    text = b"\n".join(blobs).decode("latin-1")
    leaked = [i for i in list(ids)[:200] if i in text]
    # the input example is synthetic (simulator seed 12345), never the training rows
    assert not [i for i in leaked if i not in {"SIM-000001", "SIM-000002", "SIM-000003"}]


def test_export_round_trips(trained):
    result, root, table = trained
    model = RiskModel.load(result.exported)
    np.testing.assert_array_equal(model.predict_risk(table.head(50)), result.model.predict_risk(table.head(50)))
    assert result.exported.endswith("rair.zip") and model.target == "rair"
    assert model.metadata["mlflow"]["registered_name"] == "rairpredict-rair"


# ----------------------------------------------------------------- honest estimates (issue 12)
def test_oracle_share_of_achievable_discrimination(trained):
    """(AUROC - 0.5) / (oracle AUROC - 0.5), not the flattering raw ratio, is the headline."""
    result, _, _ = trained
    auc, oracle = result.metrics.loc["xgboost", "auroc"], result.oracle["oracle_auroc"]
    assert result.oracle["xgboost_oracle_share"] == pytest.approx((auc - 0.5) / (oracle - 0.5))
    assert result.oracle["xgboost_oracle_share"] < result.oracle["xgboost_oracle_ratio"]
    val = result.model.metadata["validation"]
    assert val["oracle_share"] == pytest.approx(result.oracle[f"{result.model.kind}_oracle_share"])


def test_auroc_within_prior_structural_disease_beside_overall(trained):
    result, _, table = trained
    m = result.metrics
    prior = table["structural_disease_pre"].astype(bool)
    assert (m["auroc_prior_structural_n"] == prior.sum()).all()
    from rairpredict.evaluation import auroc_ci
    from rairpredict.labels import label_rair

    y = label_rair(table)["rair"].astype(int).to_numpy()
    mask = prior.to_numpy()
    assert 0 < y[mask].sum() < mask.sum()  # both classes among the prior-structural patients
    expected = auroc_ci(y[mask], result.oof["xgboost"][0][mask]).estimate
    assert m.loc["xgboost", "auroc_prior_structural"] == pytest.approx(expected)
    assert "auroc_prior_structural" in result.model.metadata["validation"]


def test_no_discrimination_flag_in_metrics_and_metadata(trained):
    result, _, _ = trained
    m = result.metrics
    expected = ((m["auroc_lo"] <= 0.5) & (0.5 <= m["auroc_hi"])).astype(float)
    pd.testing.assert_series_equal(m["no_evidence_of_discrimination"], expected, check_names=False)
    flag = result.model.metadata["no_evidence_of_discrimination"]
    assert flag is bool(m.loc[result.model.kind, "no_evidence_of_discrimination"])


def test_table_one_in_metadata_and_mlflow(trained):
    result, root, table = trained
    t1 = result.model.metadata["table_one"]
    assert t1["rows"][0][0] == "n" and t1["rows"][0][2] == str(len(table))
    assert {r[0].split(",")[0] for r in t1["rows"]} >= {"age_years", "histology", "tg_stim_ng_ml"}
    from rairpredict.report import render_model_card

    assert "| age_years, median [Q1,Q3] |" in render_model_card(result.model, mlflow_run=False)
    mlflow.set_tracking_uri(f"sqlite:///{root}/mlflow.db")
    names = {a.path for a in mlflow.MlflowClient().list_artifacts(result.run_id)}
    assert "table_one.json" in names


def test_optimism_repeats_the_whole_model_building_process(trained, monkeypatch):
    """Each bootstrap replicate re-tunes (the old code reused the parameters tuned on all rows)."""
    import rairpredict.experiment.train as train_mod

    result, _, table = trained
    assert "whole model-building process" in result.model.metadata["validation"]["optimism_method"]
    calls = []
    real = train_mod.tune

    def counting(*args, **kwargs):
        calls.append(kwargs["trials"])
        return real(*args, **kwargs)

    monkeypatch.setattr(train_mod, "tune", counting)
    cfg = load_target_config(CONFIG_DIR / "rair.yaml")
    fp = train_mod.whole_process_fit_predict(cfg, "logistic", 2, {"C": 1.0})
    from rairpredict.labels import label_rair

    y = label_rair(table)["rair"].astype(int).to_numpy()
    for _ in range(2):
        p = fp(table, y, table.head(10))
        assert np.asarray(p).shape[0] == 10
    assert calls == [2, 2]
    train_mod.whole_process_fit_predict(cfg, "logistic", 0, {"C": 1.0})(table, y, table.head(5))
    assert calls == [2, 2]  # no tuning asked: the given parameters


def test_optimism_apparent_is_the_final_model(trained):
    """train passes the final model's predictions as the bootstrap's apparent performance: they must be
    exactly what the whole process gives when refitted on all rows (same seed, same study, same fit)."""
    from rairpredict.experiment.data import load_target_data
    from rairpredict.experiment.train import whole_process_fit_predict

    result, _, table = trained
    cfg = load_target_config(CONFIG_DIR / "rair.yaml")
    cfg = cfg.with_overrides(validation={"outer_folds": 3, "repeats": 1, "inner_folds": 3, "seed": 0})
    data = load_target_data(cfg, table=table)
    fp = whole_process_fit_predict(cfg, result.model.kind, 2, result.model.metadata["params"],
                                   grouped=data.groups is not None)
    refit = fp(data.table, data.y, data.table)
    np.testing.assert_array_equal(refit, result.model.predict_risk(data.table))


@pytest.mark.slow
def test_same_config_twice_gives_the_same_model_bytes(small_cohort, tmp_path):
    """Reproducible retrain: whatever the stored study holds, `train` ships the same bytes; `tune` is explicit."""
    import io
    import warnings
    import zipfile

    from rairpredict.experiment.train import run_final_study

    cfg = load_target_config(CONFIG_DIR / "rair.yaml")
    cfg = cfg.with_overrides(models=["xgboost"], baselines=[],
                             validation={"outer_folds": 2, "repeats": 1, "inner_folds": 2, "seed": 0})
    table = small_cohort[[c for c in small_cohort.columns if c not in ("rair",) and not c.startswith("rair_")]]
    storage = f"sqlite:///{tmp_path}/optuna.db"

    def train(export, **kw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the sample-size warning of a small cohort
            return train_target(cfg, table=table, trials=3, optimism_boot=2, tracking=False, optuna_storage=storage,
                                export_dir=tmp_path / export, log=lambda m: None, cohort_name="simulated-test", **kw)

    def files(result):
        zf = zipfile.ZipFile(io.BytesIO(open(result.exported, "rb").read()))
        return {n: zf.read(n) for n in zf.namelist()}

    first = train("a")
    extended = run_final_study(cfg, kind="xgboost", trials=4, table=table, storage=storage)  # `rairpredict tune`
    second = train("b")
    a, b = files(first), files(second)
    assert set(a) == set(b) and "booster.ubj" in a
    assert [n for n in a if a[n] != b[n]] in ([], ["manifest.json", "provenance.json"])  # only the date may differ
    assert first.fingerprint == second.fingerprint == RiskModel.load(second.exported).fingerprint()
    assert first.model.metadata["tuning"]["trials"] == 3 and "fresh" in first.model.metadata["tuning"]["source"]
    stored = train("c", use_stored_study=True)
    tuning = stored.model.metadata["tuning"]
    assert tuning["trials"] == extended.n_trials == 4 and tuning["source"].startswith("stored study")
    assert tuning["best_inner_cv_logloss"] == pytest.approx(extended.best_value)
    assert stored.model.metadata["params"] == extended.best_params
    assert "4 trials" in tuning["summary"]
