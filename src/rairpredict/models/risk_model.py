"""RiskModel: a fitted feature pipeline, a classifier and its probability calibration.

A :class:`RiskModel` is what training produces and what scoring, serving and
the report consume. It takes the *canonical* cohort table, so the scoring path
applies exactly the feature pipeline fitted in training.

The classifier's output is a margin (log-odds). Calibration maps the margin to
a probability: ``"sigmoid"`` (Platt: ``p = expit(a * margin + b)``, which keeps
SHAP contributions exactly additive on the calibrated log-odds scale) or
``"isotonic"`` (monotone step function of the margin; contributions are then
reported on the margin scale).

Examples
--------
>>> from rairpredict.simulation.simulate import simulate_cohort
>>> from rairpredict.labels import add_labels
>>> from rairpredict.models.risk_model import fit_risk_model
>>> cohort = add_labels(simulate_cohort(600, seed=0))
>>> rows = cohort["rair"].notna()
>>> model = fit_risk_model(cohort[rows], cohort.loc[rows, "rair"].astype(int),
...     features=["age_years", "histology", "ete", "ln_positive"],
...     decision_point="pre_therapy", kind="logistic", params={"C": 1.0}, seed=0)
>>> model.predict_proba(cohort[rows].head(3)).shape   # scikit-learn shape: P(class 0), P(class 1)
(3, 2)
>>> model.predict_risk(cohort[rows].head(3)).shape    # the calibrated risk, one per row
(3,)
>>> risk = model.predict_risk(cohort[rows].head(3))
>>> bool((model.predict(cohort[rows].head(3)) == (risk >= model.threshold)).all())  # class at the threshold
True
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rairpredict.features._kernels import expit
from rairpredict.models._deferred import DeferredPipeline
from rairpredict.models._plan import plan_of

# scikit-learn, SciPy and the fitting helpers are imported where a model is fitted: a saved
# model scores through its lean plan without them (issue 15, cold start)

__all__ = ["RiskModel", "make_classifier", "fit_risk_model", "fit_calibration", "MODEL_KINDS", "pipeline_feature_source"]

#: Binary model kinds; ``stacked`` combines the other two (:mod:`rairpredict.models.stack`).
MODEL_KINDS = ("logistic", "xgboost", "stacked")


def pipeline_feature_source(pipeline: Pipeline) -> dict[str, str]:
    """Engineered column -> canonical field, from the ClinicalFeatures step that starts ``pipeline``."""
    pre = pipeline[0]
    first = pre[0] if hasattr(pre, "steps") else pre
    return dict(getattr(first, "feature_source_", {}))

def make_classifier(kind: str, params: dict | None = None, seed: int = 0, pos_weight: float = 1.0):
    """Un-fitted classifier of ``kind`` with ``params``.

    Class imbalance is handled by weights (XGBoost ``scale_pos_weight``,
    logistic ``class_weight``) only when asked: weights distort calibration, which
    the calibration step then repairs on out-of-fold margins.
    """
    params = dict(params or {})
    if kind == "logistic":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(
            C=float(params.get("C", 1.0)), l1_ratio=float(params.get("l1_ratio", 0.0)),
            solver="saga" if params.get("l1_ratio", 0.0) else "lbfgs",
            max_iter=5000, class_weight=params.get("class_weight"), random_state=seed,
        )
    if kind == "xgboost":
        from rairpredict.models._xgb import NamedXGBClassifier as XGBClassifier  # same model, faster fit

        # max_bin 64 (XGBoost's default 256): a histogram bin per ~30 rows at the cohort sizes of this
        # field; fits took 40 % less CPU and the demo's nested-CV AUROC moved by -0.005 to +0.006 (all
        # within CI: RAIR 0.952 -> 0.953, unexpected uptake 0.917 -> 0.923, second course 0.705 -> 0.699).
        defaults = dict(n_estimators=200, max_depth=3, learning_rate=0.05, subsample=0.8,
                        colsample_bytree=0.8, min_child_weight=1.0, reg_lambda=1.0, max_bin=64)
        defaults.update(params)
        defaults.setdefault("scale_pos_weight", pos_weight)
        # One thread per fit: folds run in parallel processes instead, and OpenMP
        # threads contending for 2 busy cores made fits ~50x slower (measured).
        return XGBClassifier(**defaults, tree_method="hist", n_jobs=1, random_state=seed,
                             eval_metric="logloss")
    if kind == "stacked":  # parameters as <base>__<name> (rairpredict.models.stack.split_params)
        from rairpredict.models.stack import StackedClassifier, split_params

        return StackedClassifier(split_params(params), seed=seed, pos_weight=pos_weight)
    raise ValueError(f"unknown model kind {kind!r}; expected one of {MODEL_KINDS}")


def _margin(pipeline: Pipeline, table: pd.DataFrame) -> np.ndarray:
    X = pipeline[:-1].transform(table)
    clf = pipeline[-1]
    if hasattr(clf, "get_booster"):
        return np.asarray(clf.predict(X, output_margin=True), dtype=float)
    return np.asarray(clf.decision_function(X), dtype=float)


@dataclass
class Calibration:
    """Margin -> probability map (``method`` 'sigmoid', 'isotonic' or 'none').

    Sigmoid: ``expit(a * margin + b)``. Isotonic: the fitted step function kept
    as its knots ``x`` (margins, ascending) and ``y`` (probabilities), linearly
    interpolated and constant beyond the ends, so the state is plain numbers.
    """

    method: str
    a: float = 1.0
    b: float = 0.0
    x: np.ndarray = field(default_factory=lambda: np.zeros(0))
    y: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __call__(self, margin: np.ndarray) -> np.ndarray:
        margin = np.asarray(margin, dtype=float)
        if self.method == "isotonic":
            return np.clip(np.interp(margin, self.x, self.y), 1e-6, 1 - 1e-6)
        return expit(self.a * margin + self.b)


def _fit_one_calibration(method: str, margin: np.ndarray, y: np.ndarray) -> Calibration:
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression

    if method == "sigmoid":
        lr = LogisticRegression(C=1e6, max_iter=1000).fit(margin.reshape(-1, 1), y)
        return Calibration("sigmoid", a=float(lr.coef_[0, 0]), b=float(lr.intercept_[0]))
    if method == "isotonic":
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(margin, y)
        return Calibration("isotonic", x=np.asarray(iso.X_thresholds_, float), y=np.asarray(iso.y_thresholds_, float))
    if method == "none":
        return Calibration("none")
    raise ValueError(f"unknown calibration method {method!r}")


def fit_calibration(margin: np.ndarray, y: np.ndarray, methods=("sigmoid", "isotonic"),
                    seed: int = 0, groups=None) -> tuple[Calibration, dict[str, float]]:
    """Choose and fit the calibration on out-of-fold margins.

    The method is chosen by 5-fold CV log-loss on the (1-D) out-of-fold margins,
    so the choice never sees the rows it is judged on. Returns the calibration
    fitted on all margins and the CV log-loss of each candidate.
    """
    from rairpredict.models.splits import n_splits_for, stratified_folds

    y = np.asarray(y, dtype=int)
    n_splits = n_splits_for(y, 5, groups)
    losses: dict[str, float] = {}
    if n_splits < 2 or len(methods) == 1:
        return _fit_one_calibration(methods[0], margin, y), losses
    folds = stratified_folds(y, n_splits, seed=seed, groups=groups)
    for method in methods:
        total = 0.0
        for tr, te in folds:
            p = np.clip(_fit_one_calibration(method, margin[tr], y[tr])(margin[te]), 1e-6, 1 - 1e-6)
            total += -np.sum(y[te] * np.log(p) + (1 - y[te]) * np.log(1 - p))
        losses[method] = total / len(y)
    best = min(losses, key=losses.get)
    return _fit_one_calibration(best, margin, y), losses


@dataclass
class RiskModel:
    """A fitted risk model on the canonical table (scikit-learn classifier contract).

    Attributes
    ----------
    target, label, decision_point : str
        What is predicted, from which label column, at which care stage.
    features : list of str
        Canonical input fields (checked against the decision point at fit).
    kind : str
        'logistic', 'xgboost' or 'stacked' (both, combined on the log-odds scale).
    pipeline : sklearn.pipeline.Pipeline
        Fitted ``preprocess`` -> ``classifier``. A logistic model loaded from its
        file scores by its lean plan (:mod:`rairpredict.models._plan`, no
        scikit-learn) and rebuilds this from the file's data on first access.
    calibration : Calibration
        Margin -> probability map fitted on out-of-fold margins.
    bands : list of float
        Probability cut-offs between risk bands (ascending).
    band_names : list of str
        ``len(bands) + 1`` names, lowest risk first.
    threshold : float
        Decision threshold: :meth:`predict` is 1 where the risk is at least this.
    metadata : dict
        Provenance and validated performance (no patient data).
    extras : dict
        Named JSON documents saved with the model (e.g. ``extras["input_profile"]``);
        covered by the artifact's manifest like every other file.
    classes_ : ndarray
        ``[0, 1]``: column order of :meth:`predict_proba`.
    """

    target: str
    label: str
    decision_point: str
    features: list[str]
    kind: str
    pipeline: Pipeline = DeferredPipeline()  # a loaded model builds it on first use (models._deferred)
    calibration: Calibration
    bands: list[float] = field(default_factory=lambda: [0.05, 0.15])
    band_names: list[str] = field(default_factory=lambda: ["low", "intermediate", "high"])
    metadata: dict[str, Any] = field(default_factory=dict)
    threshold: float = 0.5
    extras: dict[str, Any] = field(default_factory=dict)

    classes_ = np.array([0, 1])

    # ---------------------------------------------------------------- prediction
    def transform(self, table: pd.DataFrame) -> pd.DataFrame:
        """Engineered feature matrix, exactly as the classifier sees it."""
        plan = plan_of(self) if isinstance(table, pd.DataFrame) else None
        if plan is not None:  # the fitted numbers through the shared kernels: the pipeline's values
            return pd.DataFrame(plan.transform(table), columns=plan.columns, index=table.index)
        return self.pipeline[:-1].transform(table)

    def margin(self, table: pd.DataFrame) -> np.ndarray:
        """Uncalibrated log-odds of the classifier (a logistic model's through its lean plan, same bits)."""
        plan = plan_of(self) if isinstance(table, pd.DataFrame) else None
        if plan is not None and plan.linear:
            return plan.decision(plan.transform(table))
        return _margin(self.pipeline, table)

    def predict_risk(self, table: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of the outcome, one per row (1-D)."""
        return self.calibration(self.margin(table))

    def predict_proba(self, table: pd.DataFrame) -> np.ndarray:
        """scikit-learn shape ``(n, 2)``: columns P(no outcome), P(outcome) in :attr:`classes_` order."""
        risk = self.predict_risk(table)
        return np.column_stack([1.0 - risk, risk])

    def predict(self, table: pd.DataFrame) -> np.ndarray:
        """Class at the stored decision threshold (1 where the risk >= :attr:`threshold`)."""
        return (self.predict_risk(table) >= self.threshold).astype(int)

    def risk_band(self, proba: np.ndarray) -> np.ndarray:
        """Band name of each probability (cut-offs stored with the model)."""
        idx = np.searchsorted(np.asarray(self.bands), np.asarray(proba), side="right")
        return np.asarray(self.band_names, dtype=object)[idx]

    @property
    def classifier(self):
        return self.pipeline[-1]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Engineered column names the classifier sees (scikit-learn contract)."""
        return np.asarray(self.pipeline[:-1].get_feature_names_out(), dtype=object)

    @property
    def feature_names_out(self) -> list[str]:
        return list(self.get_feature_names_out())

    @property
    def feature_source(self) -> dict[str, str]:
        """Engineered column -> canonical field (for explanations)."""
        return pipeline_feature_source(self.pipeline)

    # ---------------------------------------------------------------- persistence
    def to_files(self) -> dict:
        """The artifact's files (path -> bytes), without the manifest (see :mod:`rairpredict.models._codec`)."""
        from rairpredict.models._codec import model_files

        return model_files(self)

    def fingerprint(self) -> str:
        """sha256 of the saved model's files except provenance: equal for the same fitted model, any export."""
        from rairpredict.models.artifact import fingerprint

        return fingerprint(self.to_files())

    def to_bytes(self) -> bytes:
        """The single-file (zip) form: JSON documents, the booster in UBJSON, a sha256 manifest."""
        from rairpredict.models.artifact import artifact_bytes

        return artifact_bytes(self.to_files())

    def save(self, path) -> str:
        """Write the model as data (no pickle): a ``.zip`` file, or else a new directory.

        Returns the sha256 of the artifact's ``manifest.json`` (see
        :func:`~rairpredict.models.artifact.save_files`).
        """
        from rairpredict.models.artifact import save_files

        return save_files(self.to_files(), path)

    @staticmethod
    def load(source, *, expected_manifest: str | None = None) -> "RiskModel":
        """Verify (:func:`~rairpredict.models.artifact.read_artifact`) and rebuild a saved model.

        ``source``: a model ``.zip``, a model directory, or the zip's bytes.
        Nothing is unpickled; an old ``.joblib`` is refused with how to re-export.
        """
        from rairpredict.errors import ConfigError
        from rairpredict.models._codec import load_model

        model = load_model(source, expected_manifest=expected_manifest)
        if not isinstance(model, RiskModel):
            raise ConfigError(f"{source}: holds a {type(model).__name__}, not a RiskModel")
        return model


def proba_margin(p) -> np.ndarray:
    """Calibration margin of a classifier without a decision function: logit of P(class 1), clipped at 1e-7."""
    from scipy.special import logit

    return logit(np.clip(p, 1e-7, 1 - 1e-7))


def calibration_method(kind: str) -> str:
    """The classifier method whose inner out-of-fold output is calibrated (``proba_margin`` of it if a probability)."""
    return "decision_function" if kind == "logistic" else "predict_proba"


def fit_risk_model(table: pd.DataFrame, y, *, features: list[str], decision_point: str,
                   kind: str, params: dict | None = None, seed: int = 0,
                   calibration_methods=("sigmoid", "isotonic"), inner_folds: int = 3,
                   target: str = "", label: str = "", bands=(0.05, 0.15),
                   band_names=("low", "intermediate", "high"), threshold: float = 0.5,
                   groups=None, inner_margins=None) -> RiskModel:
    """Fit preprocessing + classifier on ``table`` and calibrate on inner out-of-fold margins.

    Everything is learned from ``table`` only: call it on a training fold to
    keep validation honest. ``groups`` (patient per row) keeps each patient's
    courses in one calibration fold. ``inner_margins``: those out-of-fold
    margins already computed with these very ``params`` on the same inner folds
    (what :func:`rairpredict.experiment.tuning.tune` returns with its best
    parameters, same ``seed``, ``inner_folds`` and ``groups``): the calibration
    then skips refitting the folds, with the same numbers (tests/models/test_inner_margins.py).
    """
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_predict
    from sklearn.pipeline import Pipeline

    from rairpredict.features import make_preprocessor
    from rairpredict.models.splits import n_splits_for, stratified_folds

    y = np.asarray(y, dtype=int)
    pos_weight = 1.0
    if params and params.get("balance"):
        pos_weight = float((y == 0).sum() / max((y == 1).sum(), 1))
    params = {k: v for k, v in (params or {}).items() if k != "balance"}
    pre_kind = "linear" if kind == "logistic" else "tree"
    pipeline = Pipeline([
        ("preprocess", make_preprocessor(features, decision_point, pre_kind)),
        ("classifier", make_classifier(kind, params, seed, pos_weight)),
    ])
    n_splits = n_splits_for(y, inner_folds, groups)
    if kind == "stacked":
        # The stack learns its weights and their Platt map together on its own inner
        # out-of-fold margins (of these rows only): that IS its calibration.
        pipeline.set_params(classifier__inner_folds=inner_folds)
        pipeline.fit(table, y, classifier__groups=groups)
        clf = pipeline[-1]
        calibration = (Calibration("sigmoid", a=float(clf.calibration_a_), b=float(clf.calibration_b_))
                       if calibration_methods else Calibration("none"))
        losses = {}
    elif n_splits >= 2 and calibration_methods:
        if inner_margins is not None and pos_weight == 1.0:  # (tuning never weights the classes)
            oof_margin = np.asarray(inner_margins)
            if oof_margin.shape != y.shape:
                raise ValueError(f"inner_margins has shape {oof_margin.shape}, expected {y.shape}")
        else:
            cv = stratified_folds(y, n_splits, seed=seed, groups=groups)
            oof = cross_val_predict(clone(pipeline), table, y, cv=cv, method=calibration_method(kind))
            oof_margin = oof if oof.ndim == 1 else proba_margin(oof[:, 1])
        pipeline.fit(table, y)
        calibration, losses = fit_calibration(oof_margin, y, tuple(calibration_methods), seed, groups)
    else:
        pipeline.fit(table, y)
        calibration, losses = Calibration("none"), {}
    return RiskModel(
        target=target, label=label, decision_point=decision_point, features=list(features),
        kind=kind, pipeline=pipeline, calibration=calibration, bands=list(bands),
        band_names=list(band_names), threshold=float(threshold),
        metadata={"params": params, "calibration_cv_logloss": losses, "seed": seed},
    )
