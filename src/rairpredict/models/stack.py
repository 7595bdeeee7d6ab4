"""StackedClassifier: base models combined on the log-odds scale, weights learned on inner folds only.

The stack follows scikit-learn's ``StackingClassifier`` recipe (out-of-fold
predictions of the base models train the combiner; the bases are then refitted
on all rows) with two deliberate differences:

* **Margin scale.** The bases are combined on their log-odds (margins), not on
  probabilities: the stack margin is ``sum_k w_k * margin_k`` with weights
  ``w_k >= 0`` summing to 1. A weighted sum of margins keeps every exact
  explanation exact: the SHAP values of each base, weighted by ``w_k``, add up
  to the stack margin (see :mod:`rairpredict.explain`), which a combiner of
  probabilities would lose.
* **Data only.** Every fitted piece is plain numbers or an XGBoost booster, so
  the stack is saved by the pickle-free artifact codec like any other model.

The combiner is a logistic regression of the label on the bases' out-of-fold
margins with non-negative slopes, ``logit p = b + sum_k v_k * margin_k``: the
weights are ``w = v / sum(v)``, and ``a = sum(v)``, ``b`` are the Platt
calibration of the stack margin, learned on the same out-of-fold margins.
``fit`` makes those inner folds from the rows it is given only: called on an
outer training fold, the outer test fold never touches the weights.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from rairpredict.models.stack import StackedClassifier
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
>>> y = (X.a + X.b ** 2 + rng.normal(size=300) > 1).astype(int).to_numpy()
>>> stack = StackedClassifier(base_params={"xgboost": {"n_estimators": 30}}).fit(X, y)
>>> stack.predict_proba(X).shape, stack.classes_.tolist()
((300, 2), [0, 1])
>>> bool(np.isclose(stack.weights_.sum(), 1.0)) and bool((stack.weights_ >= 0).all())
True
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.pipeline import Pipeline
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from rairpredict.features._numeric import MedianImputer, Standardizer
from rairpredict.models.splits import n_splits_for, stratified_folds

__all__ = ["StackedClassifier", "STACKED", "STACK_BASES", "split_params", "join_params"]

#: The model kind name of a stack (target configs: ``models: [logistic, xgboost, stacked]``).
STACKED = "stacked"
#: Base model kinds of a stack, in the order of ``weights_``.
STACK_BASES = ("logistic", "xgboost")
#: ``<base>__<parameter>``: a stack's parameters flattened (MLflow, Optuna, metadata).
_SEP = "__"
#: Ridge penalty of the combiner's slopes (per row): only breaks ties between near-identical margins.
_META_RIDGE = 1e-4


def split_params(params: dict | None) -> dict[str, dict]:
    """``{"logistic__C": 1}`` -> ``{"logistic": {"C": 1}}`` (other keys apply to every base)."""
    out: dict[str, dict] = {}
    common = {}
    for key, value in (params or {}).items():
        base, sep, name = key.partition(_SEP)
        if sep and base in STACK_BASES:
            out.setdefault(base, {})[name] = value
        else:
            common[key] = value
    return {b: {**common, **out.get(b, {})} for b in STACK_BASES}


def join_params(per_base: dict[str, dict]) -> dict:
    """Inverse of :func:`split_params`: ``{"logistic": {"C": 1}}`` -> ``{"logistic__C": 1}``."""
    return {f"{b}{_SEP}{k}": v for b, p in per_base.items() for k, v in p.items()}


def _make_base(kind: str, params: dict, seed: int, pos_weight: float):
    # the import is here because risk_model builds stacks through make_classifier
    from rairpredict.models.risk_model import make_classifier

    clf = make_classifier(kind, params, seed, pos_weight)
    if kind == "logistic":
        # the linear preprocessor's own steps (plain-number state), on the tree matrix
        return Pipeline([("impute", MedianImputer()), ("scale", Standardizer()),
                         ("classifier", clf)]).set_output(transform="pandas")
    return clf


def base_margin(kind: str, estimator, X) -> np.ndarray:
    """Log-odds of one fitted base."""
    if kind == "xgboost":
        return np.asarray(estimator.predict(X, output_margin=True), dtype=np.float64)
    return np.asarray(estimator.decision_function(X), dtype=np.float64)


def _fit_combiner(Z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Slopes ``v >= 0`` and intercept ``b`` of ``logit p = b + Z @ v`` by penalised maximum likelihood."""
    n, k = Z.shape
    lam = _META_RIDGE * n
    s = 2.0 * y - 1.0

    def loss(theta):
        v, b = theta[:k], theta[k]
        eta = b + Z @ v
        # log-loss: -sum log sigmoid(s * eta); gradient uses sigmoid(-s * eta)
        r = -s * expit(-s * eta)
        return -np.sum(log_expit(s * eta)) + 0.5 * lam * v @ v, np.append(Z.T @ r + lam * v, r.sum())

    rate = np.clip(y.mean(), 1e-6, 1 - 1e-6)
    start = np.append(np.full(k, 1.0 / k), np.log(rate / (1 - rate)))
    res = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=[(0.0, None)] * k + [(None, None)])
    return res.x[:k], float(res.x[k])


class StackedClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression and XGBoost combined on the margin scale (see module docstring).

    Parameters
    ----------
    base_params : dict, optional
        Parameters of each base, ``{"logistic": {...}, "xgboost": {...}}``.
    inner_folds : int
        Folds of the inner CV whose out-of-fold margins train the combiner.
    seed : int
        Seed of the inner folds and of the bases.
    pos_weight : float
        Positive-class weight handed to the XGBoost base (as for a single model).

    Attributes
    ----------
    estimators_ : list
        The bases refitted on all rows, in :data:`STACK_BASES` order (logistic:
        imputer, scaler, regression; xgboost: the classifier).
    weights_ : ndarray of shape (n_bases,)
        Non-negative weights summing to 1: the stack margin is ``margins @ weights_``.
    calibration_a_, calibration_b_ : float
        Platt map of the stack margin learned with the weights:
        ``P(y=1) = expit(a * margin + b)``.
    oof_margins_ : ndarray of shape (n_rows, n_bases)
        The inner out-of-fold margins the combiner was fitted on (not saved
        with a model: they are per-row data).
    classes_ : ndarray
        The two classes seen in ``fit`` (``[0, 1]`` for a rairpredict outcome);
        ``predict_proba`` columns in this order.
    """

    bases = STACK_BASES

    def __init__(self, base_params: dict | None = None, inner_folds: int = 3, seed: int = 0,
                 pos_weight: float = 1.0):
        self.base_params = base_params
        self.inner_folds = inner_folds
        self.seed = seed
        self.pos_weight = pos_weight

    def _new_bases(self):
        params = self.base_params or {}
        return [_make_base(kind, dict(params.get(kind) or {}), self.seed, self.pos_weight) for kind in self.bases]

    def fit(self, X, y, groups=None):
        """Fit the combiner on inner out-of-fold margins of ``X`` only, then refit the bases on all of ``X``.

        ``groups`` (patient per row) keeps a patient's rows in one inner fold.
        """
        checked, y = validate_data(self, X, y, ensure_all_finite="allow-nan", reset=True)
        check_classification_targets(y)
        if type_of_target(y) != "binary":  # one margin per base: a binary outcome
            raise ValueError(f"Only binary classification is supported. The type of the target is "
                             f"{type_of_target(y)}.")
        classes, y = np.unique(y, return_inverse=True)
        X = X if hasattr(X, "iloc") else checked  # the bases keep a frame's column names
        n_splits = n_splits_for(y, self.inner_folds, groups)
        if n_splits < 2:
            raise ValueError(f"a stack needs at least 2 inner folds; the rarer class has {n_splits} row(s) "
                             f"(n_samples={len(y)})")
        folds = stratified_folds(y, n_splits, seed=self.seed, groups=groups)
        rows = (lambda idx: X.iloc[idx]) if hasattr(X, "iloc") else (lambda idx: X[idx])
        Z = np.zeros((len(y), len(self.bases)))
        for k, (kind, base) in enumerate(zip(self.bases, self._new_bases())):
            for tr, va in folds:
                Z[va, k] = base_margin(kind, clone(base).fit(rows(tr), y[tr]), rows(va))
        v, b = _fit_combiner(Z, y)
        total = float(v.sum())
        self.weights_ = v / total if total > 0 else np.full(len(v), 1.0 / len(v))
        self.calibration_a_, self.calibration_b_ = total, b
        self.oof_margins_ = Z
        self.estimators_ = [base.fit(X, y) for base in self._new_bases()]
        self.classes_ = classes
        return self

    def base_margins(self, X) -> np.ndarray:
        """(n, n_bases) log-odds of the refitted bases."""
        check_is_fitted(self, "estimators_")
        checked = validate_data(self, X, ensure_all_finite="allow-nan", reset=False)
        X = X if hasattr(X, "iloc") else checked
        return np.column_stack([base_margin(k, e, X) for k, e in zip(self.bases, self.estimators_)])

    def decision_function(self, X) -> np.ndarray:
        """The stack margin: the weighted mean of the bases' log-odds."""
        return self.base_margins(X) @ self.weights_

    def predict_proba(self, X) -> np.ndarray:
        """``(n, 2)``: P(0), P(1) with the Platt map learned beside the weights."""
        check_is_fitted(self, "estimators_")
        p = expit(self.calibration_a_ * self.decision_function(X) + self.calibration_b_)
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        positive = self.predict_proba(X)[:, 1] >= 0.5
        return self.classes_[positive.astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False  # one margin per base: a binary outcome
        return tags

    def named_estimators(self) -> dict:
        """Base kind -> fitted base."""
        check_is_fitted(self, "estimators_")
        return dict(zip(self.bases, self.estimators_))
