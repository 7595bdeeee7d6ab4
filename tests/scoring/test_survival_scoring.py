"""Scoring a time-to-event model: risk by every horizon, band on the band-horizon risk, exact log-hazard SHAP."""
import numpy as np
import pytest

from rairpredict.labels.time_to_event import compute_time_to_event, parse_time_to_event
from rairpredict.models.survival import fit_survival_model
from rairpredict.scoring._frame import field_contributions, reason_fields, score_frame

FEATURES = ["age_years", "histology", "ete", "n_stage", "m_stage", "tg_stim_ng_ml", "structural_disease_pre"]


@pytest.fixture(scope="module")
def cohort(timed_rair_cohort):
    return timed_rair_cohort


@pytest.mark.parametrize("kind", ["cox", "xgboost_cox"])
def test_score_frame_gives_horizon_risks_bands_and_exact_log_hazard_reasons(cohort, kind):
    table, time, event = cohort
    m = fit_survival_model(table, time, event, features=FEATURES, decision_point="pre_therapy", kind=kind,
                           horizons=(1.5, 3, 5), band_horizon=3, seed=0, bands=(0.05, 0.15))
    rows = table.head(40)
    out = score_frame(m, rows, explain=2)
    assert list(out.columns[:5]) == ["patient_id", "probability", "risk_1.5y", "risk_3y", "risk_5y"]
    expected = m.predict_risk_horizons(rows)
    tol = 1e-12 if kind == "cox" else 1e-5  # XGBoost margins are float32
    np.testing.assert_allclose(out[expected.columns].to_numpy(), expected.to_numpy(), atol=tol)
    np.testing.assert_allclose(out["probability"], out["risk_3y"], atol=tol)
    assert (out["risk_1.5y"] <= out["risk_3y"] + 1e-12).all() and (out["risk_3y"] <= out["risk_5y"] + 1e-12).all()
    assert out["risk_band"].tolist() == list(m.risk_band(out["risk_3y"]))
    # exact: contributions (with the bias) add up to the recalibrated log-hazard
    contrib = field_contributions(m, rows)
    np.testing.assert_allclose(contrib.sum(axis=1), m.log_hazard(rows), atol=1e-4 if kind != "cox" else 1e-9)
    # told as a change in the 3-year risk, in words
    assert set(out["reason_1_direction"]) <= {"raises the 3-year risk", "lowers the 3-year risk", "no effect"}
    raises = out["reason_1_direction"] == "raises the 3-year risk"
    assert raises.any() and (out.loc[raises, "reason_1_prob_change"] > 0).all()
    lh = m.log_hazard(rows)
    # the contribution column is named for its scale: log-hazard, never log-odds
    assert "reason_1_log_odds" not in out.columns
    assert [c for c in out.columns if c.startswith("reason_1_")] == [f"reason_1_{x}" for x in reason_fields(m)]
    assert reason_fields(m)[3] == "log_hazard"
    without = m.calibration.from_log_hazard(lh - out["reason_1_log_hazard"].to_numpy())
    np.testing.assert_allclose(out["reason_1_prob_change"], out["probability"] - without, atol=tol)
