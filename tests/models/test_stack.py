"""The stacked model kind: weights from inner folds only, data-only artifact, exact contributions, sklearn contract."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from rairpredict.errors import ConfigError
from rairpredict.models.artifact import MANIFEST, sha256
from rairpredict.models.risk_model import RiskModel, fit_risk_model
from rairpredict.models.stack import STACK_BASES, StackedClassifier, join_params, split_params
from test_artifact import _remanifest, _unzip, _zip  # the artifact tests' own tampering tools

FEATURES = ["age_years", "sex", "histology", "ete", "t_stage", "n_stage", "ln_positive", "tg_stim_ng_ml",
            "braf_v600e"]
#: Small bases keep the tests fast; the protocol is the same at any size.
PARAMS = {"logistic__C": 0.5, "xgboost__n_estimators": 25, "xgboost__max_depth": 2}


@pytest.fixture(scope="module")
def data():
    from rairpredict.labels import add_labels
    from rairpredict.simulation.simulate import simulate_cohort

    cohort = add_labels(simulate_cohort(500, seed=5))
    rows = cohort["rair"].notna()
    return cohort[rows].reset_index(drop=True), cohort.loc[rows, "rair"].astype(int).to_numpy()


@pytest.fixture(scope="module")
def stack(data):
    table, y = data
    model = fit_risk_model(table, y, features=FEATURES, decision_point="pre_therapy", kind="stacked",
                           params=PARAMS, target="rair", label="rair", threshold=0.12)
    model.metadata.update(name="rair-stack-test", trained_at="2026-01-01T00:00:00+00:00")
    return model


# ---------------------------------------------------------------- honesty of the weights
def test_outer_test_fold_never_reaches_the_stack(data):
    """One outer fold of the nested CV (tuning of both bases, weights, calibration): flipping every
    label of the outer test fold changes nothing; flipping a few training labels does (the check can fail)."""
    from rairpredict.experiment.config import TargetConfig
    from rairpredict.experiment.validation import _one_fold, outer_splits

    table, y = data
    cfg = TargetConfig(name="rair", label="rair", decision_point="pre_therapy", features=tuple(FEATURES),
                       cohort={"simulate": {}}, validation={"outer_folds": 5, "repeats": 1, "inner_folds": 3,
                                                            "seed": 0})
    _, tr, te = outer_splits(y, folds=5, repeats=1, seed=0)[0]
    test_flip, train_flip = y.copy(), y.copy()
    test_flip[te] = 1 - test_flip[te]
    train_flip[tr[:20]] = 1 - train_flip[tr[:20]]
    te0, p0, params0, _, _ = _one_fold(table, y, tr, te, cfg, "stacked", 2, 0)
    te1, p1, params1, _, _ = _one_fold(table, test_flip, tr, te, cfg, "stacked", 2, 0)
    assert params0 == params1 and set(params0) > {"logistic__C", "xgboost__max_depth"}
    np.testing.assert_array_equal(te0, te1)
    np.testing.assert_array_equal(p0, p1)             # bit for bit: the test labels were never read
    _, p2, _, _, _ = _one_fold(table, train_flip, tr, te, cfg, "stacked", 2, 0)
    assert not np.array_equal(p0, p2)


def test_weights_are_a_convex_combination_fitted_on_out_of_fold_margins(stack, data):
    table, y = data
    clf = stack.classifier
    assert clf.weights_.shape == (2,) and (clf.weights_ >= 0).all() and np.isclose(clf.weights_.sum(), 1.0)
    # the stack's calibration is the Platt map learned with the weights
    assert stack.calibration.method == "sigmoid" and stack.calibration.a == clf.calibration_a_
    # the combiner maximises the likelihood of the out-of-fold margins: no other weight does better
    Z, a, b = clf.oof_margins_, clf.calibration_a_, clf.calibration_b_

    def loss(w):
        p = np.clip(1 / (1 + np.exp(-(b + a * Z @ w))), 1e-12, 1 - 1e-12)
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))

    assert all(loss(clf.weights_) <= loss(np.array([w, 1 - w])) + 1e-6 for w in np.linspace(0, 1, 11))


def test_params_split_and_join():
    per_base = split_params({"logistic__C": 0.1, "xgboost__max_depth": 2, "balance": True})
    assert per_base == {"logistic": {"C": 0.1, "balance": True}, "xgboost": {"max_depth": 2, "balance": True}}
    assert join_params({"logistic": {"C": 0.1}}) == {"logistic__C": 0.1}


# ---------------------------------------------------------------- contract
def test_sklearn_contract(stack, data):
    table, _ = data
    proba = stack.predict_proba(table.head(20))
    assert proba.shape == (20, 2) and list(stack.classes_) == [0, 1]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(stack.predict(table.head(20)), (proba[:, 1] >= 0.12).astype(int))
    assert len(stack.get_feature_names_out()) == stack.transform(table.head(2)).shape[1]
    X = stack.transform(table.head(20))
    clf = stack.classifier
    assert clf.predict_proba(X).shape == (20, 2) and list(clf.classes_) == [0, 1]
    assert list(clf.feature_names_in_) == list(stack.get_feature_names_out())


def test_sklearn_estimator_checks():
    from sklearn.utils.estimator_checks import check_estimator

    est = StackedClassifier(base_params={"xgboost": {"n_estimators": 3, "max_depth": 2}})
    results = check_estimator(est, on_fail=None, on_skip=None)
    failed = [(r["check_name"], repr(r["exception"])[:300]) for r in results if r["status"] == "failed"]
    assert not failed, failed
    assert sum(r["status"] == "passed" for r in results) >= 30


# ---------------------------------------------------------------- artifact
def test_round_trip_is_bit_identical(stack, data, tmp_path):
    table, _ = data
    files = stack.to_files()
    assert "stack_xgboost.ubj" in files and not any(d.startswith(b"\x80") for d in files.values())
    state = json.loads(files["model.json"])["classifier"]
    assert [b["kind"] for b in state["bases"]] == list(STACK_BASES)
    for saved in (tmp_path / "m.zip", tmp_path / "dir"):
        stack.save(saved)
        loaded = RiskModel.load(saved)
        np.testing.assert_array_equal(loaded.predict_proba(table), stack.predict_proba(table))
        np.testing.assert_array_equal(loaded.margin(table), stack.margin(table))
        np.testing.assert_array_equal(loaded.classifier.weights_, stack.classifier.weights_)
        assert loaded.kind == "stacked" and loaded.to_bytes() == stack.to_bytes()


def test_tampered_stack_refused(stack):
    good = _unzip(stack.to_bytes())
    flip = bytearray(good["stack_xgboost.ubj"])
    flip[len(flip) // 2] ^= 0x01
    state = json.loads(good["model.json"])
    state["classifier"]["weights"] = [0.0, 1.0]
    negative = json.loads(good["model.json"])
    negative["classifier"]["weights"] = [-1.0, 2.0]
    variants = {
        "booster byte flip": ({**good, "stack_xgboost.ubj": bytes(flip)}, "sha256 differs"),
        "weights edited": ({**good, "model.json": json.dumps(state).encode()}, "sha256 differs"),
        "booster removed, manifest rewritten": (_remanifest({k: v for k, v in good.items()
                                                            if k != "stack_xgboost.ubj"}), "not a valid"),
        "negative weight, manifest rewritten": (_remanifest({**good, "model.json": json.dumps(negative).encode()}),
                                                "non-negative"),
    }
    for name, (files, message) in variants.items():
        with pytest.raises(ConfigError, match=message):
            RiskModel.load(_zip(files))
    # and a manifest rewritten beside an edit is refused where the manifest's hash was recorded (MLflow)
    expected = sha256(good[MANIFEST])
    with pytest.raises(ConfigError, match="differs from the one recorded"):
        RiskModel.load(_zip(_remanifest({**good, "model.json": json.dumps(state).encode()})),
                       expected_manifest=expected)


# ---------------------------------------------------------------- explanations
def test_contributions_add_up_to_the_calibrated_logit(stack, data):
    from rairpredict.explain import base_contributions, stack_contributions
    from rairpredict.scoring._frame import field_contributions

    table, _ = data
    X = stack.transform(table)
    clf = stack.classifier
    phi = stack_contributions(clf, X)
    np.testing.assert_allclose(phi.sum(axis=1), stack.margin(table), atol=1e-5)
    # exactly the weighted sum of each base's exact contributions, each adding up to its own margin
    parts = {k: base_contributions(k, e, X) for k, e in clf.named_estimators().items()}
    margins = clf.base_margins(X)
    for i, (kind, part) in enumerate(parts.items()):
        np.testing.assert_allclose(part.sum(axis=1), margins[:, i], atol=1e-5)
    np.testing.assert_allclose(phi, sum(w * parts[k] for w, k in zip(clf.weights_, STACK_BASES)), atol=1e-12)
    # XGBoost part = XGBoost's own TreeSHAP; logistic part = coef * standardised input
    import xgboost as xgb

    native = clf.named_estimators()["xgboost"].get_booster().predict(
        xgb.DMatrix(X.astype(np.float32)), pred_contribs=True)
    np.testing.assert_array_equal(parts["xgboost"], native.astype(np.float64))
    # the scoring path: per field, on the Platt-calibrated logit
    contrib = field_contributions(stack, table)
    cal = stack.calibration
    np.testing.assert_allclose(contrib.sum(axis=1), cal.a * stack.margin(table) + cal.b, atol=1e-5)
    assert set(contrib.columns) - {"bias"} <= set(FEATURES)


# ---------------------------------------------------------------- configuration and tuning
def test_stacked_is_a_model_kind_of_a_target_config(tmp_path):
    from rairpredict.experiment.config import CONFIG_DIR, DEFAULT_MODELS, load_target_config

    assert "stacked" in load_target_config(CONFIG_DIR / "uci_recurred_pre.yaml").models
    # a config that names no models gets the single ones: a stack is asked for by name
    config = tmp_path / "t.yaml"
    config.write_text("name: t\nlabel: rair\ndecision_point: pre_therapy\nfeatures: [age_years]\n"
                      "cohort: {simulate: {n: 100}}\n")
    assert load_target_config(config).models == DEFAULT_MODELS and "stacked" not in DEFAULT_MODELS
    config.write_text(config.read_text() + "models: [stacked]\nfinal_model: stacked\n")
    assert load_target_config(config).models == ("stacked",)


def test_tuning_a_stack_tunes_each_base_on_its_own_study(data, tmp_path):
    from rairpredict.experiment.tuning import stored_study, tune

    table, y = data
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    res = tune(table, y, features=FEATURES, decision_point="pre_therapy", kind="stacked", trials=2,
               storage=storage, study_name="s")
    assert set(res.best_params) == {"logistic__C", *(f"xgboost__{k}" for k in
                                                      ("n_estimators", "max_depth", "learning_rate",
                                                       "min_child_weight", "subsample", "colsample_bytree",
                                                       "reg_lambda"))}
    assert res.n_trials == 4
    again = stored_study(storage, "s", "stacked")
    assert again.best_params == res.best_params and again.n_trials == 4
    with pytest.raises(ConfigError, match="no stored Optuna study"):
        stored_study(storage, "missing", "stacked")
    split = split_params(res.best_params)
    assert split["logistic"] == {"C": res.best_params["logistic__C"]}
    model = fit_risk_model(table, y, features=FEATURES, decision_point="pre_therapy", kind="stacked",
                           params=res.best_params, seed=0)
    assert model.classifier.named_estimators()["xgboost"].get_params()["max_depth"] == \
        res.best_params["xgboost__max_depth"]
    assert isinstance(model.transform(table.head(2)), pd.DataFrame)
