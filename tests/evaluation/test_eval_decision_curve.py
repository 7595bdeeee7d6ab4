import dcurves
import numpy as np
import pandas as pd
import pytest

from rairpredict.evaluation import EvaluationInputError, decision_curve, net_benefit


def test_net_benefit_hand_example():
    # n = 10, 3 events. At t = 0.25 the model flags p >= 0.25: TP = 2, FP = 2.
    # NB = 2/10 - 2/10 * (0.25 / 0.75) = 0.2 - 0.0667 = 0.1333
    # treat all: 3/10 - 7/10 * 1/3 = 0.0667
    y = [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    p = [0.9, 0.3, 0.1, 0.5, 0.25, 0.2, 0.1, 0.1, 0.05, 0.0]
    dc = decision_curve(y, p, [0.25], n_boot=0)
    assert dc.loc[0, "net_benefit_model"] == pytest.approx(0.2 - 0.2 / 3)
    assert dc.loc[0, "net_benefit_all"] == pytest.approx(0.3 - 0.7 / 3)
    assert dc.loc[0, "net_benefit_none"] == 0
    # interventions avoided per 100 = (NB_model - NB_all) / odds(t) * 100 = 0.0667 * 3 * 100
    assert dc.loc[0, "interventions_avoided_per_100"] == pytest.approx(20.0)


def test_matches_dcurves():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=400)
    y = rng.binomial(1, p)
    t = np.round(np.arange(0, 0.95, 0.05), 2)
    ref = dcurves.dca(data=pd.DataFrame({"y": y, "m": p}), outcome="y", modelnames=["m"], thresholds=t)
    ours = decision_curve(y, p, t, n_boot=30, seed=0)
    np.testing.assert_allclose(ours["net_benefit_model"], ref.loc[ref.model == "m", "net_benefit"], atol=1e-12)
    np.testing.assert_allclose(ours["net_benefit_all"], ref.loc[ref.model == "all", "net_benefit"], atol=1e-12)
    np.testing.assert_allclose(ours["net_benefit_none"], ref.loc[ref.model == "none", "net_benefit"], atol=1e-12)
    assert (ours["net_benefit_model_lo"] <= ours["net_benefit_model_hi"]).all()
    assert net_benefit(y, p, [0.3])[0] == pytest.approx(ours.loc[6, "net_benefit_model"])


def test_threshold_one_refused():
    with pytest.raises(EvaluationInputError, match="thresholds"):
        decision_curve([0, 1], [0.2, 0.8], [0.5, 1.0])
