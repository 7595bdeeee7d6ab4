"""Exactness of contributions: additivity, native vs SHAP agreement, linear, Platt."""
import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from scipy.special import expit, logit
from sklearn.linear_model import LogisticRegression

from rairpredict.errors import ContractError
from rairpredict.explain import (
    BIAS,
    check_agreement,
    linear_contributions,
    margin_from_contributions,
    model_margin,
    scale_contributions,
    shap_tree_explainer_contributions,
    tree_contributions,
    tree_contributions_array,
)

# XGBoost predicts in float32: additivity holds to float32 rounding.
TREE_ATOL = 1e-5


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(42)
    n = 1500
    X = pd.DataFrame(
        {
            "age_years": rng.uniform(15, 85, n),
            "tg_stim_ng_ml": rng.lognormal(1.0, 1.5, n),
            "tumor_size_mm": rng.gamma(2.0, 8.0, n),
            "sex_male": rng.integers(0, 2, n).astype(float),
            "noise": rng.normal(size=n),
        }
    )
    logit_p = -1 + 0.04 * (X.age_years - 50) + 0.8 * np.log(X.tg_stim_ng_ml) + 0.5 * X.sex_male
    y = (rng.uniform(size=n) < expit(logit_p)).astype(int)
    X.loc[rng.uniform(size=n) < 0.15, "tg_stim_ng_ml"] = np.nan
    X.loc[rng.uniform(size=n) < 0.10, "tumor_size_mm"] = np.nan
    return X, y


@pytest.fixture(scope="module")
def xgb_model(data):
    X, y = data
    return xgb.XGBClassifier(n_estimators=60, max_depth=4, learning_rate=0.1, n_jobs=1).fit(X, y)


def test_native_contributions_are_additive(data, xgb_model):
    X, _ = data
    phi = tree_contributions(xgb_model, X)
    assert list(phi.columns) == [*X.columns, BIAS]
    assert phi.index.equals(X.index)
    margin = xgb_model.predict(X, output_margin=True)
    np.testing.assert_allclose(margin_from_contributions(phi), margin, atol=TREE_ATOL)
    np.testing.assert_allclose(model_margin(xgb_model, X), margin, atol=1e-6)
    # the bias is the same expected margin for every patient, and 'noise' barely matters
    assert phi[BIAS].nunique() == 1
    assert phi["noise"].abs().mean() < phi["tg_stim_ng_ml"].abs().mean()


def test_array_variant_matches_frame_and_booster(data, xgb_model):
    X, _ = data
    arr = tree_contributions_array(xgb_model.get_booster(), X.to_numpy(), nthread=1)
    assert arr.shape == (len(X), X.shape[1] + 1)
    np.testing.assert_array_equal(arr, tree_contributions(xgb_model, X).to_numpy())


def test_columns_matched_by_name(data, xgb_model):
    X, _ = data
    shuffled = X[X.columns[::-1]]
    pd.testing.assert_frame_equal(tree_contributions(xgb_model, shuffled), tree_contributions(xgb_model, X))
    with pytest.raises(ContractError, match="missing \\['noise'\\]"):
        tree_contributions(xgb_model, X.drop(columns="noise"))


def test_shap_tree_explainer_is_additive_and_agrees(data, xgb_model):
    X, _ = data
    margin = xgb_model.predict(X, output_margin=True)
    for engine in ("shap", "xgboost"):
        phi = shap_tree_explainer_contributions(xgb_model, X, engine=engine)
        np.testing.assert_allclose(margin_from_contributions(phi), margin, atol=TREE_ATOL)
    diff = check_agreement(xgb_model, X, atol=1e-5)
    assert 0 <= diff < 1e-5
    assert check_agreement(xgb_model, X, atol=-1.0, raise_on_error=False) == diff
    with pytest.raises(AssertionError, match="differ by"):
        check_agreement(xgb_model, X, atol=-1.0)


def test_early_stopping_deep_trees_agree(data):
    # depth-6 trees put many splits next to data points: SHAP only agrees when it is
    # given XGBoost's float32-rounded feature values (before the fix: 5e-3 off)
    X, y = data
    m = xgb.XGBClassifier(n_estimators=200, max_depth=6, early_stopping_rounds=3, learning_rate=0.3, n_jobs=1)
    m.fit(X[:1000], y[:1000], eval_set=[(X[1000:], y[1000:])], verbose=False)
    assert m.best_iteration < 199
    phi = tree_contributions(m, X)
    np.testing.assert_allclose(margin_from_contributions(phi), m.predict(X, output_margin=True), atol=TREE_ATOL)
    assert check_agreement(m, X) < 1e-5


def test_linear_contributions_exact(data):
    X, y = data
    Xf = X.fillna(X.median())
    lr = LogisticRegression(max_iter=1000).fit(Xf, y)
    mean = Xf.mean()
    phi = linear_contributions(lr, Xf, mean)
    np.testing.assert_allclose(margin_from_contributions(phi), lr.decision_function(Xf), atol=1e-9)
    np.testing.assert_allclose(model_margin(lr, Xf), lr.decision_function(Xf))
    j = 2
    np.testing.assert_allclose(phi.iloc[:, j], lr.coef_[0, j] * (Xf.iloc[:, j] - mean.iloc[j]))
    # each contribution averages to zero over the background it is centred on
    np.testing.assert_allclose(phi.drop(columns=BIAS).mean(), 0, atol=1e-9)


def test_platt_scaling_keeps_additivity(data, xgb_model):
    X, _ = data
    a, b = 0.8, -0.3
    phi = tree_contributions(xgb_model, X)
    scaled = scale_contributions(phi, a, b)
    p_cal = expit(a * xgb_model.predict(X, output_margin=True).astype(float) + b)
    np.testing.assert_allclose(margin_from_contributions(scaled), logit(p_cal), atol=TREE_ATOL)
    np.testing.assert_allclose(scaled["age_years"], a * phi["age_years"])
    assert scaled[BIAS].iloc[0] == pytest.approx(a * phi[BIAS].iloc[0] + b)
