"""External validation: figures equal the project's own evaluation functions; verdicts read them right."""
import numpy as np
import pandas as pd
import pytest

from rairpredict.evaluation import (auroc_ci, brier_score, calibration_curve_flexible, calibration_intercept_slope,
                                    decision_curve, external_validation, integrated_calibration_index,
                                    observed_expected_ratio, subgroup_metrics)


def _data(n=1500, shift=0.0, slope=1.0, seed=0):
    rng = np.random.default_rng(seed)
    lp = rng.normal(-2.0, 1.0, n)
    y = rng.binomial(1, 1 / (1 + np.exp(-(shift + slope * lp))))
    return y, 1 / (1 + np.exp(-lp)), rng


def test_figures_equal_the_evaluation_functions():
    y, p, rng = _data(shift=0.4)
    groups = pd.DataFrame({"sex": rng.choice(["female", "male"], len(y))})
    ev = external_validation(y, p, groups=groups, thresholds=[0.1, 0.2], n_boot=50, seed=3)
    assert tuple(ev.metrics.loc["auroc"]) == pytest.approx(tuple(auroc_ci(y, p)))
    cal = calibration_intercept_slope(y, p)
    for name in ("cal_intercept", "cal_slope"):
        assert tuple(ev.metrics.loc[name]) == pytest.approx(tuple(cal.loc[name, ["estimate", "lo", "hi"]]))
    assert tuple(ev.metrics.loc["oe_ratio"]) == pytest.approx(tuple(observed_expected_ratio(y, p)))
    assert tuple(ev.metrics.loc["brier"]) == pytest.approx(tuple(brier_score(y, p)))
    ici = integrated_calibration_index(y, p)
    assert [ev.figure(k) for k in ("ici", "e50", "e90")] == pytest.approx(list(ici))
    pd.testing.assert_frame_equal(ev.curve, calibration_curve_flexible(y, p))
    pd.testing.assert_frame_equal(ev.decision, decision_curve(y, p, [0.1, 0.2], n_boot=50, seed=3))
    base = subgroup_metrics(y, p, groups)
    pd.testing.assert_frame_equal(ev.subgroups[base.columns], base)
    male = groups["sex"].to_numpy() == "male"
    slope = calibration_intercept_slope(y[male], p[male]).loc["cal_slope", "estimate"]
    assert ev.subgroups.loc[("sex", "male"), "cal_slope"] == pytest.approx(slope)
    assert set(ev.to_dict()) == {"overview", "metrics", "calibration_curve", "decision_curve", "subgroups",
                                 "verdicts"}


def test_verdicts():
    y, p, _ = _data(seed=1, n=4000)
    ev = external_validation(y, p, n_boot=0)
    assert ev.verdicts["calibration"].startswith("Calibrated")
    assert "discrimination" in ev.verdicts["discrimination"]
    y, p, _ = _data(shift=0.8, seed=2)
    assert "on average too low" in external_validation(y, p, n_boot=0).verdicts["calibration"]
    y, p, _ = _data(slope=0.6, shift=-0.8, seed=3, n=4000)
    assert "too extreme" in external_validation(y, p, n_boot=0).verdicts["calibration"]
    rng = np.random.default_rng(4)
    p = rng.uniform(0.05, 0.5, 300)
    y = rng.binomial(1, 0.25, 300)  # predictions carry no information
    assert "better than chance" in external_validation(y, p, n_boot=0).verdicts["discrimination"]
