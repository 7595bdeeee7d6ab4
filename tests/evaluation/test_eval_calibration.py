import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss

from rairpredict.evaluation import (brier_score, calibration_curve_flexible, calibration_deciles,
                                    calibration_intercept_slope, integrated_calibration_index,
                                    observed_expected_ratio, scaled_brier_score)
from rairpredict.evaluation._logistic import fit_logistic


def _sim(n=20000, seed=0):
    rng = np.random.default_rng(seed)
    lp = rng.normal(-1, 1.2, n)
    p = 1 / (1 + np.exp(-lp))
    return rng.binomial(1, p), p, lp


def test_perfectly_calibrated():
    y, p, _ = _sim()
    cal = calibration_intercept_slope(y, p)
    assert cal.loc["cal_intercept", "estimate"] == pytest.approx(0, abs=0.06)
    assert cal.loc["cal_slope", "estimate"] == pytest.approx(1, abs=0.06)
    assert cal.loc["cal_slope", "lo"] < 1 < cal.loc["cal_slope", "hi"]


def test_doubled_logit_gives_half_slope():
    y, _, lp = _sim()
    cal = calibration_intercept_slope(y, 1 / (1 + np.exp(-2 * lp)))
    assert cal.loc["cal_slope", "estimate"] == pytest.approx(0.5, abs=0.03)
    assert cal.loc["cal_slope", "p_value"] < 1e-6


def test_irls_matches_sklearn_unpenalised():
    y, p, lp = _sim(3000, 1)
    x = np.column_stack([lp, np.sin(lp)])
    fit = fit_logistic(np.column_stack([np.ones(len(y)), x]), y)
    sk = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(x, y)
    assert fit.converged
    np.testing.assert_allclose(fit.coef, [sk.intercept_[0], *sk.coef_[0]], atol=1e-4)


def test_separation_gives_nan_not_a_number():
    cal = calibration_intercept_slope([0, 0, 1, 1], [0.0, 0.0, 1.0, 1.0])
    assert np.isnan(cal.loc["cal_slope", "estimate"])


def test_brier_equals_sklearn_and_scaled():
    y, p, _ = _sim(2000, 2)
    b = brier_score(y, p)
    assert b.estimate == pytest.approx(brier_score_loss(y, p))
    assert b.lo < b.estimate < b.hi
    s = scaled_brier_score(y, p, n_boot=50, seed=0)
    ybar = y.mean()
    assert s.estimate == pytest.approx(1 - b.estimate / (ybar * (1 - ybar)))
    assert s.lo < s.estimate < s.hi


def test_oe_ratio_hand():
    # O = 2, E = 1.6, n = 4: se = sqrt((1 - 0.5) / 2) = 0.5
    est = observed_expected_ratio([1, 1, 0, 0], [0.4, 0.4, 0.4, 0.4])
    assert est.estimate == pytest.approx(1.25)
    assert est.hi == pytest.approx(1.25 * np.exp(1.959964 * 0.5), rel=1e-5)


def test_flexible_curve_and_deciles():
    y, p, lp = _sim(5000, 3)
    curve = calibration_curve_flexible(y, p)
    assert (curve["observed"] - curve["predicted"]).abs().max() < 0.05
    assert ((curve["lo"] <= curve["observed"]) & (curve["observed"] <= curve["hi"])).all()
    assert integrated_calibration_index(y, p)["ici"] < 0.02
    # miscalibrated: predictions far too high -> curve well below the diagonal
    bad = calibration_curve_flexible(y, 1 / (1 + np.exp(-(lp + 1.5))))
    assert (bad["observed"] < bad["predicted"] - 0.05).mean() > 0.5
    dec = calibration_deciles(y, p)
    assert len(dec) == 10 and dec["n"].sum() == 5000 and dec["events"].sum() == y.sum()
    assert (dec["mean_predicted"].diff().dropna() > 0).all()
