"""Shared fixtures: a small synthetic cohort and models trained on it (session scope)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rairpredict.cohort.contract import load_contract
from rairpredict.cohort.validate import canonical_dtype

FEATURES = ["age_years", "sex", "histology", "tumour_size_mm", "ete", "t_stage", "n_stage", "m_stage",
            "ln_positive", "ln_ratio", "braf_v600e", "tg_stim_ng_ml", "tsh_stim_mu_l", "activity_gbq"]


def _toy_cohort(n: int, seed: int) -> pd.DataFrame:
    """Contract-typed random rows (used only until the simulator lands)."""
    rng = np.random.default_rng(seed)
    c = load_contract()
    cols = {"patient_id": [f"p{seed}-{i:06d}" for i in range(n)]}
    for f in c:
        if f.name == "patient_id" or f.derived or f.stage in ("early_therapy", "post_therapy_scan", "follow_up"):
            continue
        if f.dtype == "category":
            vals = rng.choice(list(f.categories), n).astype(object)
        elif f.dtype == "bool":
            vals = rng.random(n) < 0.3
        elif f.dtype == "int":
            vals = rng.integers(0, 10, n)
        else:
            lo, hi = f.plausible or f.range or (0.0, 100.0)
            vals = rng.uniform(lo, min(hi, lo + 200.0), n)
        s = pd.Series(vals).astype(canonical_dtype(f))
        if not f.required:
            s = s.mask(rng.random(n) < 0.1)
        cols[f.name] = s
    table = pd.DataFrame(cols)
    table["ln_examined"] = (table["ln_positive"].astype("Float64") + 3).astype("Int64")
    from rairpredict.cohort.derive import add_derived

    return add_derived(table)


def make_cohort(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Canonical table and a binary label."""
    try:
        from rairpredict.simulation.simulate import simulate_cohort
        from rairpredict.labels import add_labels
    except ImportError:
        table = _toy_cohort(n, seed)
        rng = np.random.default_rng(seed + 1)
        z = (0.04 * (table["age_years"].astype(float) - 50) + 1.2 * (table["m_stage"] == "M1").astype(float)
             + 0.8 * table["braf_v600e"].astype("Float64").fillna(0).astype(float) - 1.0)
        y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
        return table, np.asarray(y)
    cohort = add_labels(simulate_cohort(n, seed=seed))
    rows = cohort["rair"].notna()
    return cohort[rows].reset_index(drop=True), cohort.loc[rows, "rair"].astype(int).to_numpy()


@pytest.fixture(scope="session")
def cohort():
    return make_cohort(800, 0)


@pytest.fixture(scope="session")
def xgb_model(cohort):
    from rairpredict.models.risk_model import fit_risk_model

    table, y = cohort
    model = fit_risk_model(table, y, features=FEATURES, decision_point="pre_therapy", kind="xgboost",
                           params={"n_estimators": 50, "max_depth": 3}, target="rair", label="rair",
                           calibration_methods=("sigmoid",))
    model.metadata.update(name="rair-test", version="7")
    return model


@pytest.fixture(scope="session")
def isotonic_model(cohort):
    from rairpredict.models.risk_model import fit_risk_model

    table, y = cohort
    return fit_risk_model(table, y, features=FEATURES, decision_point="pre_therapy", kind="xgboost",
                          params={"n_estimators": 20, "max_depth": 2}, target="rair",
                          calibration_methods=("isotonic",))


@pytest.fixture(scope="session")
def logistic_model(cohort):
    from rairpredict.models.risk_model import fit_risk_model

    table, y = cohort
    return fit_risk_model(table, y, features=FEATURES, decision_point="pre_therapy", kind="logistic",
                          params={"C": 1.0}, target="rair")


@pytest.fixture(scope="session")
def model_path(xgb_model, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "rair.zip"
    xgb_model.save(path)
    return path


def log_in_store(model, root: Path, registered_name: str, alias: str | None = None):
    """Log and register ``model`` in a throw-away store under ``root``: (ModelInfo, local model dir, URI).

    The tracking URI is restored right after logging, so other tests see the default store.
    """
    import mlflow

    from rairpredict.scoring.pyfunc import log_risk_model
    from rairpredict.tracking import configure_tracking, set_alias

    previous = mlflow.get_tracking_uri()
    uri = configure_tracking(f"sqlite:///{root / 'mlflow.db'}", repo_root=root)
    try:
        exp = mlflow.create_experiment("scoring-test", artifact_location=(root / "mlruns").as_uri())
        with mlflow.start_run(experiment_id=exp):
            info = log_risk_model(model, "model", registered_model_name=registered_name, explain=2)
        if alias:
            set_alias(registered_name, info.registered_model_version, alias)
        local = Path(mlflow.artifacts.download_artifacts(info.model_uri, dst_path=str(root / "dl")))
    finally:
        mlflow.set_tracking_uri(previous)
        mlflow.set_registry_uri(previous)
    return info, local, uri


@pytest.fixture(scope="session")
def log_model():
    """:func:`log_in_store` for tests that log their own model (conftest is not importable by name)."""
    return log_in_store


@pytest.fixture(scope="session")
def features():
    """The canonical fields the scoring tests' models use."""
    return list(FEATURES)


@pytest.fixture(scope="session")
def logged(xgb_model, tmp_path_factory):
    """The model logged and registered in a throw-away store: (ModelInfo, local model dir, tracking URI)."""
    return log_in_store(xgb_model, tmp_path_factory.mktemp("store"), "rair-scoring", alias="champion")
