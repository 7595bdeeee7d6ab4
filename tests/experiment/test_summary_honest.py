"""Honest headline figures: share of achievable discrimination, case-mix AUROC, no-discrimination flag."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from rairpredict.experiment.demo import results_table
from rairpredict.experiment.summary import (no_evidence_of_discrimination, oracle_share, oracle_summary,
                                            summarise_subset)


def test_oracle_share_not_the_raw_ratio():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    oracle = np.clip(y * 0.5 + rng.random(400) * 0.6, 0, 1)
    out = oracle_summary(y, oracle, {"weak": 0.6})
    assert out["weak_oracle_share"] == pytest.approx(0.1 / (out["oracle_auroc"] - 0.5))
    assert out["weak_oracle_ratio"] == pytest.approx(0.6 / out["oracle_auroc"])  # kept, labelled raw
    assert out["weak_oracle_share"] < 0.3 < out["weak_oracle_ratio"]
    assert oracle_share(0.5, 0.9) == 0.0 and np.isnan(oracle_share(0.7, 0.5))


def test_no_evidence_flag_boundaries():
    assert no_evidence_of_discrimination(0.5, 0.7) and no_evidence_of_discrimination(0.3, 0.5)
    assert not no_evidence_of_discrimination(0.51, 0.7) and not no_evidence_of_discrimination(0.2, 0.49)


def test_subset_auroc_and_undefined_subset():
    y = np.array([0, 1, 0, 1, 0, 1, 1, 1])
    p = np.array([[0.1, 0.9, 0.2, 0.8, 0.3, 0.4, 0.7, 0.6]])
    mask = np.array([1, 1, 1, 1, 0, 0, 0, 0], bool)
    out = summarise_subset(y, p, mask, "sub")
    assert out["sub"] == pytest.approx(1.0) and out["sub_n"] == 4 and out["sub_events"] == 2
    none = summarise_subset(y, p, np.array([0, 1, 0, 1, 0, 1, 1, 1], bool), "sub")  # events only
    assert np.isnan(none["sub"]) and none["sub_events"] == 5


def test_results_table_flags_a_model_that_does_not_discriminate():
    cols = {"auroc": [0.58, 0.81], "auroc_lo": [0.47, 0.75], "auroc_hi": [0.69, 0.87], "cal_slope": [0.8, 1.0],
            "cal_slope_lo": [0.3, 0.8], "cal_slope_hi": [1.3, 1.2], "brier": [0.2, 0.1],
            "auroc_prior_structural": [np.nan, 0.7], "auroc_prior_structural_lo": [np.nan, 0.6],
            "auroc_prior_structural_hi": [np.nan, 0.8], "no_evidence_of_discrimination": [1.0, 0.0]}
    metrics = pd.DataFrame(cols, index=["logistic", "xgboost"])
    r = SimpleNamespace(name="t", counts={"rows_used": 100, "events": 20}, metrics=metrics,
                        oracle={"oracle_auroc": 0.9, "logistic_oracle_share": 0.2, "logistic_oracle_ratio": 0.64,
                                "xgboost_oracle_share": 0.78, "xgboost_oracle_ratio": 0.9})
    tab = results_table([r]).set_index("model")
    assert tab.loc["logistic", "discrimination"].startswith("NO EVIDENCE")
    assert tab.loc["xgboost", "discrimination"] == "yes"
    assert tab.loc["xgboost", "AUROC prior structural disease (95% CI)"] == "0.700 (0.600 to 0.800)"
    assert tab.loc["logistic", "AUROC prior structural disease (95% CI)"] == "-"
    assert tab.loc["xgboost", "share of achievable AUROC"] == "0.78"
