"""StackedClassifier <-> plain data inside a RiskModel's ``model.json`` (no pickle).

The stack is a RiskModel whose classifier is a :class:`~rairpredict.models.stack.StackedClassifier`,
so the RiskModel codec saves everything else; this module describes the
classifier: its weights and Platt map as numbers, each base as the single
models store theirs (logistic: imputer and scaler state, coefficients;
XGBoost: ``stack_xgboost.ubj`` in XGBoost's own format).

Examples
--------
>>> from rairpredict.models._stack_codec import BOOSTER_FILE
>>> BOOSTER_FILE
'stack_xgboost.ubj'
"""
from __future__ import annotations

import math

import numpy as np
from sklearn.pipeline import Pipeline

__all__ = ["stack_state", "stack_from_state", "BOOSTER_FILE"]

#: The XGBoost base's booster inside the artifact.
BOOSTER_FILE = "stack_xgboost.ubj"


def stack_state(clf, files: dict) -> dict:
    """``model.json`` description of a fitted stack; adds the booster to ``files``."""
    from rairpredict.models._codec import _classifier_state, encode, preprocess_state, xgb_bytes

    bases = []
    for kind, est in clf.named_estimators().items():
        if kind == "xgboost":
            files[BOOSTER_FILE] = xgb_bytes(est)
            bases.append({"kind": kind, "classifier": {"class": "XGBClassifier", "booster": BOOSTER_FILE}})
        elif kind == "logistic":
            bases.append({"kind": kind, "preprocess": preprocess_state(Pipeline(est.steps[:-1])),
                          "classifier": _classifier_state(kind, est[-1], files)})
        else:
            raise TypeError(f"stack base {kind!r} cannot be saved")
    return {"class": "StackedClassifier",
            "params": {"inner_folds": int(clf.inner_folds), "seed": int(clf.seed),
                       "pos_weight": float(clf.pos_weight), "base_params": encode(clf.base_params or {})},
            "weights": [float(w) for w in clf.weights_], "calibration_a": float(clf.calibration_a_),
            "calibration_b": float(clf.calibration_b_), "n_features_in": int(clf.n_features_in_),
            "feature_names_in": [str(c) for c in getattr(clf, "feature_names_in_", [])],
            "bases": bases}


def stack_from_state(state: dict, files: dict):
    """Rebuild a fitted stack from its description (already verified bytes); ValueError when inconsistent."""
    from rairpredict.models._codec import _classifier_from_state, decode, preprocess_from_state
    from rairpredict.models.stack import STACK_BASES, StackedClassifier

    kinds = tuple(b.get("kind") for b in state["bases"])
    if kinds != STACK_BASES:
        raise ValueError(f"stack bases {list(kinds)}; this rairpredict reads {list(STACK_BASES)}")
    weights = np.asarray(state["weights"], dtype=np.float64)
    numbers = [*weights.tolist(), state["calibration_a"], state["calibration_b"]]
    if weights.shape != (len(STACK_BASES),) or not all(isinstance(x, (int, float)) and math.isfinite(x)
                                                        for x in numbers) or (weights < 0).any():
        raise ValueError("stack weights and calibration must be finite numbers, one non-negative weight per base")
    params = state["params"]
    clf = StackedClassifier(decode(params["base_params"]), inner_folds=int(params["inner_folds"]),
                            seed=int(params["seed"]), pos_weight=float(params["pos_weight"]))
    estimators = []
    for base in state["bases"]:
        est = _classifier_from_state(base["classifier"], files)
        if base["kind"] == "logistic":
            pre = preprocess_from_state(base["preprocess"])
            steps = pre.steps if isinstance(pre, Pipeline) else [("impute", pre)]
            est = Pipeline([*steps, ("classifier", est)]).set_output(transform="pandas")
        estimators.append(est)
    clf.estimators_, clf.weights_ = estimators, weights
    clf.calibration_a_, clf.calibration_b_ = float(state["calibration_a"]), float(state["calibration_b"])
    clf.classes_, clf.n_features_in_ = np.array([0, 1]), int(state["n_features_in"])
    if state["feature_names_in"]:
        clf.feature_names_in_ = np.asarray(state["feature_names_in"], dtype=object)
    return clf
