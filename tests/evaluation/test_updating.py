"""Closed testing (Vergouwe 2017) picks the least change that fits."""
import numpy as np
import pytest
from scipy import stats

from rairpredict.evaluation import closed_testing
from rairpredict.evaluation._logistic import fit_logistic


def _site(a=0.0, b=1.0, weights=(1.0, 1.0), n=3000, seed=0):
    rng = np.random.default_rng(seed)
    c = np.column_stack([rng.normal(0, 1, n), rng.normal(0, 0.7, n)])
    bias = -2.0
    lp = bias + c.sum(axis=1)
    true = a + b * (bias + c @ np.asarray(weights))
    y = rng.binomial(1, 1 / (1 + np.exp(-true)))
    return y, lp, c


@pytest.mark.parametrize("kw, method", [({}, "keep"), ({"a": 0.7}, "intercept"),
                                        ({"a": -0.5, "b": 0.6}, "recalibration"),
                                        ({"weights": (1.0, -0.5)}, "revision")])
def test_chooses_the_least_change_that_fits(kw, method):
    y, lp, c = _site(**kw)
    res = closed_testing(y, lp, c)
    assert res.method == method
    assert res.tests.iloc[0]["comparison"] == "revision vs keep"


def test_statistics_are_likelihood_ratio_tests():
    y, lp, c = _site(a=0.7, seed=5)
    res = closed_testing(y, lp, c)
    ones = np.ones_like(lp)
    ll0 = float(np.sum(y * lp - np.logaddexp(0, lp)))
    ll3 = fit_logistic(np.column_stack([ones, c]), y).loglik
    first = res.tests.iloc[0]
    assert first["lr_statistic"] == pytest.approx(2 * (ll3 - ll0))
    assert first["df"] == 3 and first["p_value"] == pytest.approx(stats.chi2.sf(2 * (ll3 - ll0), 3))
    recal = fit_logistic(np.column_stack([ones, lp]), y).coef
    assert res.recalibration == pytest.approx(tuple(recal))
    expected = fit_logistic(ones, y, offset=lp).coef[0] if res.method == "intercept" else recal[0]
    assert res.intercept == pytest.approx(expected)


def test_without_contributions_tests_recalibration_only():
    y, lp, _ = _site(a=0.7, seed=6)
    res = closed_testing(y, lp)
    assert res.method == "intercept" and list(res.tests["comparison"]) == ["recalibration vs keep",
                                                                           "recalibration vs intercept"]
