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
