"""NamedXGBClassifier / NamedXGBRegressor: fitted on bare values, the same model as XGBoost's own fit."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from xgboost import XGBClassifier, XGBRegressor

from rairpredict.models._xgb import NamedXGBClassifier, NamedXGBRegressor

KW = dict(n_estimators=40, max_depth=3, learning_rate=0.1, subsample=0.8, colsample_bytree=0.8, max_bin=64,
          tree_method="hist", n_jobs=1, random_state=3)


def _frame(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"age": rng.normal(60, 10, n), "size_mm": rng.gamma(2, 8, n),
                      "nodes": rng.integers(0, 9, n).astype(float), "braf": rng.integers(0, 2, n).astype(float)})
    X.loc[::9, "size_mm"] = np.nan  # missing values follow the learned default branch in both fits
    return X


@pytest.mark.parametrize("ours, theirs, target", [
    (NamedXGBClassifier, XGBClassifier, lambda X, r: (X.age / 10 + X.nodes + r.normal(size=len(X)) > 7).astype(int)),
    (NamedXGBRegressor, XGBRegressor, lambda X, r: X.age / 10 + X.nodes + r.normal(size=len(X))),
])
def test_same_booster_bytes_and_predictions_as_xgboost_fit(ours, theirs, target):
    X = _frame()
    y = target(X, np.random.default_rng(1)).to_numpy()
    a, b = theirs(**KW).fit(X, y), ours(**KW).fit(X, y)
    assert b.get_booster().save_raw("ubj") == a.get_booster().save_raw("ubj")
    assert b.get_booster().feature_names == list(X.columns) == b.feature_names_in_.tolist()
    np.testing.assert_array_equal(b.predict(X, output_margin=True), a.predict(X, output_margin=True))
    with pytest.raises(ValueError, match="feature_names mismatch"):  # names still guard scoring
        b.predict(X[["size_mm", "age", "nodes", "braf"]])


def test_clone_and_arrays_fit_as_before():
    X = _frame()
    y = (X.age > 60).astype(int).to_numpy()
    est = clone(NamedXGBClassifier(**KW))
    assert est.get_params()["n_estimators"] == 40
    plain = est.fit(X.to_numpy(), y)  # an array has no names to attach
    assert plain.get_booster().feature_names is None
    assert np.array_equal(plain.predict_proba(X.to_numpy()), XGBClassifier(**KW).fit(X.to_numpy(), y).predict_proba(X.to_numpy()))


@pytest.mark.parametrize("params", [dict(n_estimators=40, max_depth=3, learning_rate=0.1, subsample=0.8),
                                    dict(n_estimators=75, max_depth=2, learning_rate=0.3, subsample=0.6,
                                         colsample_bytree=0.5, min_child_weight=4.0, reg_lambda=3.0,
                                         scale_pos_weight=2.5)])
def test_training_matrix_makes_the_booster_fit_makes(params):
    from rairpredict.models._xgb import TrainingMatrix

    X = _frame()
    y = (X.age / 10 + X.nodes + np.random.default_rng(2).normal(size=len(X)) > 7).astype(int).to_numpy()
    kw = {**KW, **params}
    matrix = TrainingMatrix(X.iloc[:300], y[:300], NamedXGBClassifier(**kw))
    for seed in (3, 4):  # one matrix, several fits: the study's trials
        clf = NamedXGBClassifier(**{**kw, "random_state": seed})
        fitted = XGBClassifier(**{**kw, "random_state": seed}).fit(X.iloc[:300].to_numpy(), y[:300])
        assert matrix.booster(clf).save_raw("ubj") == fitted.get_booster().save_raw("ubj")
        p = matrix.fit_predict(clf, X.iloc[300:])
        assert p.dtype == np.float32
        np.testing.assert_array_equal(p, fitted.predict_proba(X.iloc[300:].to_numpy())[:, 1])
        assert not hasattr(clf, "_Booster")  # the template stays unfitted


def test_training_matrix_refuses_a_classifier_it_was_not_built_for():
    from rairpredict.models._xgb import TrainingMatrix

    X = _frame()
    y = (X.age > 60).astype(int).to_numpy()
    matrix = TrainingMatrix(X, y, NamedXGBClassifier(**KW))
    with pytest.raises(ValueError, match="max_bin"):
        matrix.booster(NamedXGBClassifier(**{**KW, "max_bin": 128}))
    with pytest.raises(ValueError, match="early stopping"):
        matrix.booster(NamedXGBClassifier(**{**KW, "early_stopping_rounds": 5}))
