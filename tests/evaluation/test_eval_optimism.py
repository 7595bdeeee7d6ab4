import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from rairpredict.evaluation import EvaluationInputError, optimism_corrected


def _logistic(X_train, y_train, X_eval):
    return LogisticRegression().fit(X_train, y_train).predict_proba(X_eval)[:, 1]


def _memoriser(X_train, y_train, X_eval):
    return DecisionTreeClassifier(random_state=0).fit(X_train, y_train).predict_proba(X_eval)[:, 1]


def test_memorised_noise_shows_large_optimism():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 10))
    y = rng.binomial(1, 0.4, 200)  # pure noise
    res = optimism_corrected(_memoriser, X, y, n_boot=15, seed=0)
    assert res.loc["auroc", "apparent"] == 1.0
    assert res.loc["auroc", "optimism"] > 0.15
    assert res.loc["auroc", "corrected"] < 0.86
    # separated training rows: calibration slope undefined in every replicate
    assert res.loc["cal_slope", "n_boot_used"] == 0


def test_correct_model_small_optimism_with_dataframe():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(400, 2)), columns=["a", "b"])
    y = rng.binomial(1, 1 / (1 + np.exp(-(X["a"] - 0.5 * X["b"]).to_numpy())))
    res = optimism_corrected(_logistic, X, y, n_boot=15, seed=0)
    auc = res.loc["auroc"]
    assert abs(auc["optimism"]) < 0.02
    assert auc["optimism_lo"] <= auc["optimism"] <= auc["optimism_hi"]
    assert auc["corrected"] == pytest.approx(auc["apparent"] - auc["optimism"])
    assert res.loc["cal_slope", "corrected"] == pytest.approx(1, abs=0.1)
    assert res.loc["auroc", "n_boot_used"] == 15


def test_row_mismatch_refused():
    with pytest.raises(EvaluationInputError, match="rows"):
        optimism_corrected(_logistic, np.zeros((3, 1)), [0, 1, 0, 1])
