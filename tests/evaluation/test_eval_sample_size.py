import math

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score

from rairpredict.evaluation import (EvaluationInputError, max_r2_cs, r2_cs_from_c_statistic,
                                    riley_sample_size, sample_size_warning)
from rairpredict.reference.statistics import PMSAMPSIZE_BINARY_EXAMPLES, RILEY_DEFAULT_R2_FRACTION_OF_MAX


@pytest.mark.parametrize("ex", PMSAMPSIZE_BINARY_EXAMPLES)
def test_matches_pmsampsize_package_tests(ex):
    res = riley_sample_size(n=1000, events=int(1000 * ex["prevalence"]), n_parameters=ex["parameters"],
                            r2_cs=ex["r2_cs"], prevalence=ex["prevalence"])
    assert tuple(res.table["required_n"]) == ex["n"]
    assert tuple(res.table["epp"]) == pytest.approx(ex["epp"])


def test_closed_forms_by_hand_without_rounding():
    # phi = 0.174: ln L_null/n = 0.174 ln 0.174 + 0.826 ln 0.826 = -0.462170
    # max R2 = 1 - exp(-0.924340) = 0.603209
    assert max_r2_cs(0.174) == pytest.approx(0.603209, abs=1e-6)
    # (i) 24 / ((0.9 - 1) ln(1 - 0.288 / 0.9)) = 24 / (0.1 * 0.385662) = 622.31 -> 623
    # (ii) S = 0.288 / (0.288 + 0.05 * 0.603209) = 0.905204 -> n = 661.10 -> 662
    # (iii) (1.96 / 0.05)^2 * 0.174 * 0.826 = 220.85 -> 221
    res = riley_sample_size(n=600, events=104, n_parameters=24, r2_cs=0.288, prevalence=0.174,
                            pmsampsize_rounding=False)
    assert list(res.table["required_n"]) == [623, 662, 221, 662]
    assert res.table.loc["criterion_2_r2_difference", "shrinkage"] == pytest.approx(0.905204, abs=1e-6)
    assert not res.adequate and res.required_events == math.ceil(662 * 0.174)
    # expected shrinkage at n = 600 is below the 0.9 target
    assert res.expected_shrinkage < 0.9
    msg = sample_size_warning(res)
    assert msg.startswith("WARNING: SAMPLE SIZE INADEQUATE") and "n >= 662" in msg
    assert "criterion_2_r2_difference" in msg


def test_adequate_cohort_has_no_warning():
    res = riley_sample_size(n=2000, events=348, n_parameters=24, r2_cs=0.288)
    assert res.adequate and sample_size_warning(res) is None
    assert res.expected_shrinkage > 0.9
    assert res.epp == pytest.approx(348 / 24)


def test_default_r2_is_15_percent_of_max():
    res = riley_sample_size(n=229, events=22, n_parameters=10)
    assert res.r2_cs == pytest.approx(RILEY_DEFAULT_R2_FRACTION_OF_MAX * max_r2_cs(22 / 229))
    assert not res.adequate


def test_r2_from_c_statistic_agrees_with_simulation():
    # pmsampsize's cstat2rsq simulates; our quadrature must agree with a large simulation
    rng = np.random.default_rng(0)
    n, prev = 200_000, 0.2
    mu = math.sqrt(2) * 0.6744897501960817  # Phi^-1(0.75)
    y = rng.binomial(1, prev, n)
    lp = (rng.normal(size=n) + mu * y)[:, None]
    ll = -log_loss(y, LogisticRegression(C=np.inf).fit(lp, y).predict_proba(lp)[:, 1])
    ybar = y.mean()
    r2_sim = 1 - math.exp(-2 * (ll - (ybar * math.log(ybar) + (1 - ybar) * math.log(1 - ybar))))
    assert roc_auc_score(y, lp[:, 0]) == pytest.approx(0.75, abs=0.005)
    assert r2_cs_from_c_statistic(0.75, prev) == pytest.approx(r2_sim, abs=0.004)
    assert r2_cs_from_c_statistic(0.5, prev) == pytest.approx(0, abs=1e-6)
    assert r2_cs_from_c_statistic(0.7, prev) < r2_cs_from_c_statistic(0.8, prev)


def test_user_mistakes():
    with pytest.raises(EvaluationInputError, match="r2_cs"):
        riley_sample_size(n=100, events=10, n_parameters=5, r2_cs=0.9)
    with pytest.raises(EvaluationInputError, match="events"):
        riley_sample_size(n=100, events=0, n_parameters=5)
