"""A stacked model on the scoring paths: reasons in score_frame, pyfunc and models:/ load the verified artifact."""
from __future__ import annotations

import numpy as np
import pytest

from rairpredict.scoring import load_model_ref, score_frame


@pytest.fixture(scope="module")
def stacked_model(cohort, features):
    from rairpredict.models.risk_model import fit_risk_model

    table, y = cohort
    model = fit_risk_model(table, y, features=features, decision_point="pre_therapy", kind="stacked",
                           params={"xgboost__n_estimators": 25, "xgboost__max_depth": 2}, target="rair")
    model.metadata.update(name="rair-stack", version="1")
    return model


def test_score_frame_explains_a_stack(stacked_model, cohort):
    rows = cohort[0].head(8)
    out = score_frame(stacked_model, rows, explain=3)
    # with reasons the margin is the sum of the contributions (XGBoost's are float32)
    np.testing.assert_allclose(out["probability"], stacked_model.predict_risk(rows), rtol=2e-6)
    np.testing.assert_array_equal(score_frame(stacked_model, rows, explain=0)["probability"],
                                  stacked_model.predict_risk(rows))
    assert out["reason_1_feature"].notna().all()


@pytest.mark.slow
def test_pyfunc_and_registry_load_the_verified_stack(stacked_model, cohort, tmp_path, log_model):
    import mlflow

    from rairpredict.scoring.pyfunc import to_pyfunc_input

    rows = cohort[0].head(5).reset_index(drop=True)
    info, local, uri = log_model(stacked_model, tmp_path, "rair-stack")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        from_registry = load_model_ref(f"models:/rair-stack/{info.registered_model_version}")
    finally:
        mlflow.set_tracking_uri(previous)
        mlflow.set_registry_uri(previous)
    np.testing.assert_array_equal(from_registry.predict_risk(rows), stacked_model.predict_risk(rows))
    out = mlflow.pyfunc.load_model(str(local)).predict(to_pyfunc_input(rows), params={"explain": 2})
    np.testing.assert_array_equal(out["probability"], score_frame(stacked_model, rows, explain=2)["probability"])
    booster = next(local.rglob("stack_xgboost.ubj"))
    booster.write_bytes(booster.read_bytes()[:-1] + bytes([booster.read_bytes()[-1] ^ 1]))
    with pytest.raises(Exception, match="sha256 differs"):
        mlflow.pyfunc.load_model(str(local))
