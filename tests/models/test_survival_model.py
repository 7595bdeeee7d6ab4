"""SurvivalModel: fits censored data, recovers a known hazard, recalibrates on out-of-fold lps."""
import numpy as np
import pandas as pd
import pytest

from rairpredict.evaluation import harrell_c, horizon_calibration
from rairpredict.models.survival import SURVIVAL_KINDS, fit_survival_model, survival_target


def _cohort(n, seed):
    rng = np.random.default_rng(seed)
    t = pd.DataFrame({"age_years": rng.uniform(20, 80, n), "tumour_size_mm": rng.uniform(5, 60, n)})
    lp = 0.04 * (t["age_years"] - 50) + 0.03 * (t["tumour_size_mm"] - 30)
    event_time = rng.exponential(1 / (0.1 * np.exp(lp)))
    censor = rng.uniform(1, 8, n)
    return t, np.minimum(event_time, censor), event_time <= censor, lp.to_numpy()


def test_xgboost_cox_label_marks_censoring_by_sign():
    np.testing.assert_array_equal(survival_target([1.0, 2.0], [True, False]), [1.0, -2.0])


@pytest.mark.parametrize("kind", SURVIVAL_KINDS)
def test_fits_and_ranks_like_the_truth(kind):
    t, time, event, lp = _cohort(1600, 0)
    tr, te = slice(0, 1200), slice(1200, None)
    m = fit_survival_model(t.iloc[tr], time[tr], event[tr], features=["age_years", "tumour_size_mm"],
                           decision_point="pre_therapy", kind=kind, horizons=(1, 3, 5), seed=0)
    risk = m.predict_risk_horizons(t.iloc[te])
    assert list(risk.columns) == ["risk_1y", "risk_3y", "risk_5y"]
    assert (np.diff(risk.to_numpy(), axis=1) >= 0).all()          # risk never falls with the horizon
    c_model = harrell_c(time[te], event[te], risk["risk_3y"], n_boot=0).estimate
    c_truth = harrell_c(time[te], event[te], lp[te], n_boot=0).estimate
    assert c_model > c_truth - 0.03
    cal = horizon_calibration(time[te], event[te], risk["risk_3y"].to_numpy(), 3)
    assert cal["slope_lo"] < 1 < cal["slope_hi"] or abs(cal["slope"] - 1) < 0.2
    assert m.risk_band(np.array([0.0, 0.1, 0.9])).tolist() == ["low", "intermediate", "high"]


def test_cox_recovers_the_coefficients_on_the_scaled_inputs():
    t, time, event, _ = _cohort(4000, 1)
    m = fit_survival_model(t, time, event, features=["age_years", "tumour_size_mm"],
                           decision_point="pre_therapy", kind="cox", params={"alpha": 1e-6}, seed=0)
    names = m.feature_names_out
    scale = m.pipeline[0].named_steps["scale"].scale_
    beta = dict(zip(names, m.estimator.coef_ / scale))   # back to per-unit effects
    assert beta["age_years"] == pytest.approx(0.04, abs=0.008)
    assert beta["tumour_size_mm"] == pytest.approx(0.03, abs=0.008)


def test_every_censored_patient_is_used():
    # Same data with all follow-up truncated at 2 years: still fits, risk by 1 year close to before.
    t, time, event, _ = _cohort(1500, 2)
    short_event = event & (time <= 2)
    short_time = np.minimum(time, 2.0)
    full = fit_survival_model(t, time, event, features=["age_years"], decision_point="pre_therapy", kind="cox",
                              horizons=(1,), seed=0)
    short = fit_survival_model(t, short_time, short_event, features=["age_years"], decision_point="pre_therapy",
                               kind="cox", horizons=(1,), seed=0)
    assert abs(full.predict_risk(t, 1).mean() - short.predict_risk(t, 1).mean()) < 0.02
