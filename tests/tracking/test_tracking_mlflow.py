"""Tracking against a real temporary MLflow store (SQLite + file artifacts)."""
import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mlflow  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from rairpredict.scoring.pyfunc import log_risk_model, synthetic_input_example  # noqa: E402
from rairpredict.tracking import (  # noqa: E402
    CHAMPION,
    MANIFEST_TAG,
    configure_tracking,
    dataset_fingerprint,
    get_or_create_experiment,
    load_model,
    log_config,
    log_dataset_fingerprint,
    log_environment,
    log_figure,
    log_metrics_dict,
    promote,
    set_alias,
)

SECRET = "PID-SECRET-7f3a"  # marker that must never reach the store


def _table(n=40):
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "patient_id": [f"{SECRET}-{i:03d}" for i in range(n)],
            "age_years": rng.uniform(20, 80, n).round(1),
            "histology": pd.Categorical(rng.choice(["papillary_classic", "follicular"], n)),
            "rair": (np.arange(n) % 4 == 0).astype(int),
        }
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    root = tmp_path_factory.mktemp("repo")
    mp = pytest.MonkeyPatch()
    mp.delenv("MLFLOW_TRACKING_URI", raising=False)
    uri = configure_tracking(repo_root=root)
    yield root, uri
    mp.undo()


def _tiny_model(table):
    """A small RiskModel fitted on the identifier-carrying table (the identifiers must not reach the store)."""
    from rairpredict.models.risk_model import fit_risk_model

    return fit_risk_model(table, table["rair"], features=["age_years", "histology"], decision_point="pre_therapy",
                          kind="logistic", params={"C": 1.0}, target="rair", label="rair")


@pytest.fixture(scope="module")
def logged_run(store):
    root, _ = store
    get_or_create_experiment("rairpredict-rair")
    table = _table()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    with mlflow.start_run() as run:
        log_config({"model": {"kind": "xgboost", "max_depth": 4}, "paths": {"cohort": Path("data/c.parquet")}, "seed": 7})
        env = log_environment()
        logged = log_metrics_dict({"auc": 0.81, "calibration": {"slope": 0.97, "ece": np.float64(0.02)}, "note": "x", "bad": np.nan}, prefix="test")
        log_figure(fig, "figures/diagonal.png")
        fp = dataset_fingerprint(table, "rair", "synthetic-demo")
        log_dataset_fingerprint(fp)
        info = log_risk_model(_tiny_model(table), name="model", registered_model_name="rair-tiny")
    plt.close(fig)
    return run.info.run_id, info, env, logged, fp


def test_default_store_is_sqlite_under_repo_root(store):
    root, uri = store
    assert uri == f"sqlite:///{root.resolve() / 'mlflow.db'}"
    assert mlflow.get_tracking_uri() == uri


def test_experiment_created_once_with_artifact_root(store, logged_run):
    root, _ = store
    exp_id = get_or_create_experiment("rairpredict-rair")
    assert get_or_create_experiment("rairpredict-rair") == exp_id
    location = mlflow.get_experiment(exp_id).artifact_location
    assert location == (root.resolve() / "mlruns" / "rairpredict-rair").as_uri()


def test_run_contents(store, logged_run):
    root, _ = store
    run_id, info, env, logged, fp = logged_run
    run = mlflow.get_run(run_id)
    assert run.data.params["model.kind"] == "xgboost"
    assert run.data.params["model.max_depth"] == "4"
    assert run.data.params["paths.cohort"] == "data/c.parquet"
    assert run.data.params["dataset.training.sha256"] == fp["sha256"]
    assert run.data.params["dataset.training.n_events"] == "10"
    assert run.data.metrics == {"test.auc": 0.81, "test.calibration.slope": 0.97, "test.calibration.ece": 0.02}
    assert logged == run.data.metrics
    assert run.data.tags["env.python"] == env["python"]
    assert run.data.tags["env.xgboost"] == env["xgboost"] != "None"
    assert run.data.tags["env.git_commit"] == str(env["git_commit"])
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(run_id)}
    assert {"config", "figures", "datasets", "environment.json"} <= artifacts
    assert (root / "mlruns" / "rairpredict-rair" / run_id / "artifacts" / "figures" / "diagonal.png").stat().st_size > 0
    inputs = run.inputs.dataset_inputs
    assert [d.dataset.name for d in inputs] == ["synthetic-demo"]
    assert inputs[0].dataset.digest == fp["sha256"][:32]


def test_no_patient_identifier_stored(store, logged_run):
    root, _ = store
    # every byte MLflow wrote: the SQLite file and all artifact files
    files = [root / "mlflow.db", *(p for p in (root / "mlruns").rglob("*") if p.is_file())]
    assert len(files) > 5
    for path in files:
        assert SECRET.encode() not in path.read_bytes(), path
    assert b"rairpredict-rair" in (root / "mlflow.db").read_bytes()  # the scan can see text


def test_register_alias_promote_load(store, logged_run):
    _, info, *_ = logged_run
    version = info.registered_model_version
    assert version == 1
    set_alias("rair-tiny", version)
    assert promote("rair-tiny") == "1"
    client = mlflow.MlflowClient()
    assert str(client.get_model_version_by_alias("rair-tiny", CHAMPION).version) == "1"
    tags = client.get_model_version("rair-tiny", "1").tags
    run_tags = mlflow.get_run(info.run_id).data.tags
    assert len(tags[MANIFEST_TAG]) == 64 and run_tags[f"{MANIFEST_TAG}.model"] == tags[MANIFEST_TAG]
    model = load_model(f"models:/rair-tiny@{CHAMPION}")
    example = synthetic_input_example(4)
    out = model.predict(example)
    assert out["patient_id"].tolist() == example["patient_id"].tolist()
    assert ((out["probability"] > 0) & (out["probability"] < 1)).all()


def test_fingerprint_deterministic_and_sensitive():
    table = _table()
    fp = dataset_fingerprint(table, "rair", "c")
    assert fp == dataset_fingerprint(table.copy(), "rair", "c")
    assert fp["n"] == 40 and fp["n_events"] == 10 and fp["prevalence"] == 0.25
    assert fp["contract_version"]
    # row and column order do not matter, content does
    shuffled = table.sample(frac=1.0, random_state=0)[table.columns[::-1]]
    assert dataset_fingerprint(shuffled, "rair", "c")["sha256"] == fp["sha256"]
    changed = table.copy()
    changed.loc[5, "age_years"] += 0.1
    assert dataset_fingerprint(changed, "rair", "c")["sha256"] != fp["sha256"]
    relabelled = table.copy()
    relabelled.loc[1, "rair"] = 1
    assert dataset_fingerprint(relabelled, "rair", "c")["sha256"] != fp["sha256"]
    label_array = dataset_fingerprint(table.drop(columns="rair"), table["rair"].to_numpy(), "c")
    assert label_array["n_events"] == 10
    assert SECRET not in repr(fp)


def test_env_tracking_uri_honoured(tmp_path, monkeypatch, store):
    uri = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    try:
        assert configure_tracking(repo_root=tmp_path / "ignored") == uri
        assert mlflow.get_tracking_uri() == uri
        assert configure_tracking("sqlite:///explicit.db") == "sqlite:///explicit.db"
    finally:
        configure_tracking(store[1])
