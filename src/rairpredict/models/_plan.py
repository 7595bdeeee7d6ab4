"""The lean scoring plan: a fitted model's numbers run through the NumPy kernels, no scikit-learn.

Scoring needs only the fitted state (columns and categories, medians, means,
scales, coefficients), not the scikit-learn objects that learned it. A
:class:`ScoringPlan` holds that state, read either from a model file's
``model.json`` (a loaded model never instantiates scikit-learn classes for
scoring) or from a fitted pipeline in memory (the same attribute names), and
applies the same kernels as the transformers' ``transform``
(:mod:`rairpredict.features._kernels`), so both routes give the same bits.

The plan is compiled once per fitted pipeline and cached beside it
(:func:`plan_of`), never saved into a model file.

Examples
--------
>>> import pandas as pd
>>> from rairpredict.models._plan import ScoringPlan
>>> plan = ScoringPlan([("clinical", {"features_": ["age_years"], "kinds_": {"age_years": "numeric"},
...     "categories_": {}, "missing_indicator_features_": [], "feature_names_out_": ["age_years"],
...     "feature_source_": {"age_years": "age_years"}}), ("scale", {"mean_": [50.0], "scale_": [10.0]})])
>>> plan.transform(pd.DataFrame({"age_years": [60.0]})).tolist()
[[1.0]]
"""
from __future__ import annotations

import operator
import weakref

import numpy as np

from rairpredict.errors import ContractError
from rairpredict.features._kernels import encode_column, impute, standardize

__all__ = ["ScoringPlan", "plan_of", "plan_from_state", "scoring_modules", "linear_margin", "LOADED_PLAN"]

#: Instance attribute under which a model read from a file keeps its file's plan (never saved).
LOADED_PLAN = "_loaded_plan"

#: The preprocessing classes a plan knows, by the name a model file gives them.
_STEP_KIND = {"ClinicalFeatures": "clinical", "MedianImputer": "impute", "Standardizer": "scale"}
#: Fitted attributes the plan reads, per step kind (what the cache checks for a refit).
_STEP_STATE = {"clinical": ("features_", "kinds_", "categories_", "missing_indicator_features_",
                            "feature_names_out_", "feature_source_"),
               "impute": ("statistics_",), "scale": ("mean_", "scale_")}


class ScoringPlan:
    """Preprocessing steps and, for a logistic model, the linear decision, as plain numbers.

    Parameters
    ----------
    steps : list of (kind, dict)
        ``("clinical", ClinicalFeatures' fitted attributes)``, ``("impute",
        {"statistics_": ...})``, ``("scale", {"mean_": ..., "scale_": ...})``, in order.
    coef, intercept : array-like, optional
        A binary logistic regression's ``coef_`` (1, p) and ``intercept_`` (1,).

    Attributes
    ----------
    columns : list of str
        Output column names (as ``get_feature_names_out``).
    feature_source : dict
        Output column -> canonical field.
    """

    def __init__(self, steps, coef=None, intercept=None):
        kind, clinical = steps[0]
        if kind != "clinical":
            raise ValueError("a scoring plan starts with the ClinicalFeatures step")
        self.features = [str(f) for f in clinical["features_"]]
        indicators = set(clinical["missing_indicator_features_"])
        categories = clinical.get("categories_") or {}
        # (field, kind, categories, with a __missing column) per input field, in output order
        self.fields = [(f, clinical["kinds_"][f], categories.get(f), f in indicators) for f in self.features]
        self.columns = [str(c) for c in clinical["feature_names_out_"]]
        self.feature_source = dict(clinical["feature_source_"])
        self.numeric = []
        for kind, state in steps[1:]:
            if kind == "impute":
                self.numeric.append((impute, (np.asarray(state["statistics_"], dtype=np.float64),)))
            elif kind == "scale":
                self.numeric.append((standardize, (np.asarray(state["mean_"], dtype=np.float64),
                                                   np.asarray(state["scale_"], dtype=np.float64))))
            else:
                raise ValueError(f"unknown preprocessing step {kind!r}")
        self.coef = None if coef is None else np.asarray(coef, dtype=np.float64)
        self.intercept = None if intercept is None else np.asarray(intercept, dtype=np.float64)

    def transform(self, table, arrays=None) -> np.ndarray:
        """Engineered matrix (n, p), float64, C order: the values the fitted pipeline gives.

        ``arrays``: name -> column array of ``table``, when the caller has read them already.
        """
        absent = [f for f in self.features if f not in table.columns]
        if absent:
            raise ContractError(f"column {absent[0]!r}: feature used in fit is missing from the input table")
        blocks = []
        for name, kind, cats, indicator in self.fields:
            block, missing = encode_column(kind, name, table[name] if arrays is None else arrays[name], cats)
            blocks.append(block)
            if indicator:
                blocks.append(missing.astype(float)[:, None])
        X = np.hstack(blocks) if blocks else np.zeros((len(table), 0))
        for kernel, state in self.numeric:
            X = kernel(X, *state)
        return X

    @property
    def linear(self) -> bool:
        """True when the plan also holds the classifier (a binary logistic regression)."""
        return self.coef is not None

    def decision(self, X: np.ndarray) -> np.ndarray:
        """``X @ coef.T + intercept`` as ``LogisticRegression.decision_function`` computes it (1-D).

        The same bits as the pipeline for the same batch. BLAS may group a row's
        products differently alone and inside a batch (the last bit of a margin),
        which scoring with reasons avoids: its margin is :func:`linear_margin`.
        """
        return (X @ self.coef.T + self.intercept).reshape(-1)

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Exact linear contributions (n, p + 1), last column the bias, laid out as the frame route's.

        The pipeline ends with the Standardizer, so every column's training mean is
        0 and ``phi_j = coef_j * x_j`` (:func:`rairpredict.explain.linear_contributions`
        with a zero background). Column-major like the frame's ``to_numpy``.
        """
        coef = self.coef[0]
        mean = np.zeros(X.shape[1])
        out = np.empty((X.shape[1] + 1, X.shape[0])).T
        out[:, :-1] = coef * (X - mean)
        out[:, -1] = float(np.ravel(self.intercept)[0] + coef @ mean)
        return out


def linear_margin(contributions: np.ndarray) -> np.ndarray:
    """Row sums of a linear model's contributions (n, p + 1), added column by column, left to right.

    The order NumPy's ``sum(axis=1)`` takes on the column-major matrices of more
    than one row (the bits batches with reasons always had), made independent
    of the batch: on a one-row matrix NumPy sums pairwise, so the last bit of a
    probability moved between a row scored alone and the same row in a file.
    """
    values = np.asarray(contributions, dtype=np.float64)
    if values.shape[1] == 0:
        return np.zeros(values.shape[0])
    margin = values[:, 0].copy()
    for j in range(1, values.shape[1]):
        margin += values[:, j]
    return margin


def _steps_from_file(preprocess: list) -> list | None:
    from rairpredict.models._codec import decode

    steps = []
    for state in preprocess:
        kind = _STEP_KIND.get(state.get("class"))
        if kind is None:
            return None
        if kind == "clinical" and state.get("params", {}).get("decision_point") is None:
            return None  # the generic numeric mode checks its input names through scikit-learn
        steps.append((kind, {a: decode(state["fitted"][a]) for a in _STEP_STATE[kind]}))
    return steps


def plan_from_state(preprocess: list, classifier: dict | None = None) -> ScoringPlan | None:
    """The plan of a model file's ``preprocess`` (and logistic ``classifier``) state; None if not covered."""
    from rairpredict.models._codec import decode

    steps = _steps_from_file(preprocess)
    if not steps:
        return None
    if classifier and classifier.get("class") == "LogisticRegression":
        fitted = classifier["fitted"]
        coef = decode(fitted["coef_"])
        if np.ndim(coef) == 2 and np.shape(coef)[0] == 1:
            return ScoringPlan(steps, coef, decode(fitted["intercept_"]))
    return ScoringPlan(steps)


# ------------------------------------------------------------------ in-memory models
#: fitted preprocessor -> (the fitted objects it was compiled from, plan); weak: dies with the pipeline.
_PLANS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _live_steps(pre) -> list | None:
    steps = pre.steps if hasattr(pre, "steps") else [("clinical", pre)]
    out = []
    for _, step in steps:
        kind = _STEP_KIND.get(type(step).__name__)
        if kind is None or not type(step).__module__.startswith("rairpredict.features."):
            return None
        if kind == "clinical" and getattr(step, "decision_point", None) is None:
            return None
        try:
            out.append((kind, {a: getattr(step, a) for a in _STEP_STATE[kind]}))
        except AttributeError:  # not fitted: the pipeline says so itself
            return None
    return out


def _is_logistic(clf) -> bool:
    return type(clf).__name__ == "LogisticRegression" and type(clf).__module__.startswith("sklearn.") \
        and np.ndim(getattr(clf, "coef_", None)) == 2 and clf.coef_.shape[0] == 1


def _compile(pre, clf) -> tuple[tuple, ScoringPlan | None]:
    steps = _live_steps(pre)
    used = tuple(v for _, state in steps or () for v in state.values())
    if not steps:
        return used, None
    if clf is not None and _is_logistic(clf):
        return used + (clf.coef_, clf.intercept_), ScoringPlan(steps, clf.coef_, clf.intercept_)
    return used, ScoringPlan(steps)


def plan_of(model) -> ScoringPlan | None:
    """The model's :class:`ScoringPlan`, or None where its steps are outside the kernels.

    A model loaded from a file brings the plan of its ``model.json``; a model
    fitted in memory gets one compiled from its fitted pipeline, cached until
    that pipeline is refitted (a refit replaces the fitted attributes the plan
    was read from).
    """
    plan = getattr(model, "__dict__", {}).get(LOADED_PLAN)
    if plan is not None:
        return plan
    pipeline = getattr(model, "pipeline", None)
    if not hasattr(pipeline, "steps"):
        return None
    pre, clf = pipeline[0], (pipeline[-1] if len(pipeline) > 1 else None)
    keys = _compile_keys(pre, clf)
    hit = _PLANS.get(pre)
    if hit is not None and hit[2] is clf and len(hit[0]) == len(keys) and all(map(operator.is_, hit[0], keys)):
        return hit[1]
    used, plan = _compile(pre, clf)
    _PLANS[pre] = (used, plan, clf)
    return plan


def _compile_keys(pre, clf) -> tuple:
    steps = _live_steps(pre) or ()
    keys = tuple(v for _, state in steps for v in state.values())
    if clf is not None and steps and _is_logistic(clf):
        keys += (clf.coef_, clf.intercept_)
    return keys


def scoring_modules(model) -> list[str]:
    """Modules a process needs to score ``model`` (what ``score --jobs`` workers preload).

    A loaded logistic model scores by its plan: its classifier's module (scikit-learn) is not among them.
    """
    plan = getattr(model, "__dict__", {}).get(LOADED_PLAN)
    if plan is not None and plan.linear:
        return [type(model).__module__, __name__]
    return [type(model).__module__, type(model.classifier).__module__]
