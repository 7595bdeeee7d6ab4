"""Nested CV keeps every fitted thing inside the training fold."""
import numpy as np
import pandas as pd
import pytest

from rairpredict.experiment.config import CONFIG_DIR, load_target_config
from rairpredict.experiment.validation import _one_fold, cross_validate_model, outer_splits
from rairpredict.models.risk_model import fit_calibration, fit_risk_model

FEATURES = ["age_years", "sex", "histology", "ete", "ln_positive", "tsh_stim_mu_l", "tg_stim_ng_ml",
            "preparation", "m_stage"]


@pytest.fixture(scope="module")
def rair_rows(small_cohort):
    rows = small_cohort[small_cohort["rair"].notna()].reset_index(drop=True)
    return rows, rows["rair"].astype(int).to_numpy()


@pytest.fixture(scope="module")
def cfg():
    base = load_target_config(CONFIG_DIR / "rair.yaml")
    return base.with_overrides(features=tuple(FEATURES),
                               validation={"outer_folds": 3, "repeats": 1, "inner_folds": 3, "seed": 0})


def test_outer_splits_are_stratified_partitions():
    y = np.array([0] * 90 + [1] * 10)
    splits = outer_splits(y, folds=5, repeats=2, seed=0)
    for r in (0, 1):
        tests = np.concatenate([te for rep, _, te in splits if rep == r])
        assert sorted(tests) == list(range(100))
    assert all(y[te].sum() == 2 for _, _, te in splits)


def test_scaler_is_fitted_on_training_rows_only(rair_rows):
    table, y = rair_rows
    train = np.arange(len(y)) % 3 != 0
    model = fit_risk_model(table[train], y[train], features=FEATURES, decision_point="pre_therapy",
                           kind="logistic", params={"C": 1.0})
    pre = model.pipeline.named_steps["preprocess"]
    scaler = pre[-1]
    engineered_train = pre[:-1].transform(table[train])
    engineered_all = pre[:-1].transform(table)
    col = list(engineered_train.columns).index("age_years")
    assert scaler.mean_[col] == pytest.approx(engineered_train["age_years"].mean())
    # A scaler fitted on all rows would have learned this mean instead:
    assert abs(engineered_all["age_years"].mean() - engineered_train["age_years"].mean()) > 1e-6
    assert scaler.mean_[col] != pytest.approx(engineered_all["age_years"].mean(), abs=1e-9)


def test_test_fold_labels_never_reach_the_model(rair_rows, cfg):
    """Tuning, fit and calibration of one outer fold ignore that fold's test labels.

    (Stratified splitting itself reads labels, so the folds are fixed here.)
    """
    table, y = rair_rows
    _, train_idx, test_idx = outer_splits(y, folds=3, repeats=1, seed=0)[0]
    flipped = y.copy()
    flipped[test_idx] = 1 - flipped[test_idx]
    te1, p1, params1, _, _ = _one_fold(table, y, train_idx, test_idx, cfg, "xgboost", 3, 0)
    te2, p2, params2, _, _ = _one_fold(table, flipped, train_idx, test_idx, cfg, "xgboost", 3, 0)
    assert params1 == params2
    np.testing.assert_array_equal(p1, p2)


def test_cross_validation_predicts_every_row_once_per_repeat(rair_rows, cfg):
    table, y = rair_rows
    cv = cross_validate_model(table, y, cfg, "logistic", trials=2, n_jobs=1)
    assert cv.proba.shape == (1, len(y)) and not np.isnan(cv.proba).any()
    assert len(cv.fold_params) == 3 and all("C" in p for p in cv.fold_params)
    assert ((cv.proba > 0) & (cv.proba < 1)).all()


def test_test_fold_values_never_change_the_fitted_model(rair_rows):
    table, y = rair_rows
    train = np.arange(len(y)) % 4 != 0
    kwargs = dict(features=FEATURES, decision_point="pre_therapy", kind="xgboost",
                  params={"n_estimators": 30}, seed=0)
    m1 = fit_risk_model(table[train], y[train], **kwargs)
    altered = table.copy()
    altered.loc[~train, "tsh_stim_mu_l"] = 999.0  # only test rows change
    m2 = fit_risk_model(altered[train], y[train], **kwargs)
    np.testing.assert_array_equal(m1.predict_risk(table), m2.predict_risk(table))


def test_calibration_choice_prefers_sigmoid_for_logistic_margins():
    rng = np.random.default_rng(0)
    margin = rng.normal(size=4000)
    y = rng.random(4000) < 1 / (1 + np.exp(-(0.5 * margin - 1)))
    cal, losses = fit_calibration(margin, y.astype(int))
    assert set(losses) == {"sigmoid", "isotonic"}
    assert cal.method == "sigmoid"
    assert cal.a == pytest.approx(0.5, abs=0.1) and cal.b == pytest.approx(-1, abs=0.1)


def test_calibrated_probabilities_follow_the_sigmoid_of_the_margin(rair_rows):
    table, y = rair_rows
    model = fit_risk_model(table, y, features=FEATURES, decision_point="pre_therapy", kind="xgboost",
                           params={"n_estimators": 40}, calibration_methods=("sigmoid",))
    margin = model.margin(table)
    expected = 1 / (1 + np.exp(-(model.calibration.a * margin + model.calibration.b)))
    np.testing.assert_allclose(model.predict_risk(table), expected, rtol=1e-12)
    bands = model.risk_band(np.array([0.0, 0.049, 0.05, 0.2]))
    assert list(bands) == ["low", "low", "intermediate", "high"]
    assert isinstance(model.transform(table), pd.DataFrame)
