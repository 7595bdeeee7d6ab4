"""SurvivalModel: risk of an event by each horizon, from censored follow-up.

A :class:`SurvivalModel` takes the canonical table, like
:class:`~rairpredict.models.risk_model.RiskModel`, and predicts a
*log-hazard* (the linear predictor, higher = earlier events) and from it the
probability of the event by any horizon:

    risk(t | x) = 1 - exp(-H0(t) * exp(a * lp(x)))

Kinds:

* ``"cox"``: penalised (ridge) Cox proportional-hazards regression on the
  imputed, scaled features (scikit-survival ``CoxPHSurvivalAnalysis``);
* ``"xgboost_cox"``: gradient-boosted trees with XGBoost's ``survival:cox``
  objective (the margin is the log-hazard ratio).

Recalibration, as Platt scaling for binary models: the slope ``a`` and the
Breslow baseline cumulative hazard ``H0`` are fitted on *inner out-of-fold*
linear predictors (a Cox model of the outcome on the out-of-fold lp), so the
baseline is not estimated from the same rows that shaped the lp. Censored
patients contribute their follow-up; nobody is dropped or counted event-free.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from rairpredict.models.survival import fit_survival_model
>>> rng = np.random.default_rng(0)
>>> t = pd.DataFrame({"age_years": rng.uniform(20, 80, 300), "tumour_size_mm": rng.uniform(5, 60, 300)})
>>> hazard = 0.1 * np.exp(0.03 * (t["age_years"] - 50))
>>> event_time = rng.exponential(1 / hazard); censor = rng.uniform(1, 8, 300)
>>> m = fit_survival_model(t, np.minimum(event_time, censor), event_time <= censor,
...     features=["age_years", "tumour_size_mm"], decision_point="pre_therapy", kind="cox",
...     horizons=(1, 3), seed=0)
>>> m.predict_risk_horizons(t.head(2)).shape
(2, 2)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

# scikit-learn is imported where a model is fitted or its pipeline rebuilt, not to name the class

__all__ = ["SurvivalModel", "fit_survival_model", "make_survival_estimator", "SURVIVAL_KINDS",
           "survival_target", "structured_outcome", "HorizonRisk"]

SURVIVAL_KINDS = ("cox", "xgboost_cox")


def survival_target(time, event) -> np.ndarray:
    """XGBoost's ``survival:cox`` label: the time, negative where censored."""
    time = np.asarray(time, dtype=float)
    return np.where(np.asarray(event, dtype=bool), time, -time)


class _XGBCox:
    """XGBoost ``survival:cox`` with the scikit-learn fit/predict shape used here (lp = margin)."""

    def __init__(self, params: dict, seed: int):
        from rairpredict.models._xgb import NamedXGBRegressor as XGBRegressor  # same model, faster fit

        defaults = dict(n_estimators=200, max_depth=2, learning_rate=0.05, subsample=0.8,
                        colsample_bytree=0.8, min_child_weight=1.0, reg_lambda=1.0)
        defaults.update(params)
        # one thread per fit: folds run in parallel processes (see risk_model.make_classifier)
        self.model = XGBRegressor(objective="survival:cox", tree_method="hist", n_jobs=1, random_state=seed,
                                  **defaults)

    def fit(self, X, y_struct):
        self.model.fit(X, survival_target(y_struct["time"], y_struct["event"]))
        return self

    def log_hazard(self, X) -> np.ndarray:
        return np.asarray(self.model.predict(X, output_margin=True), dtype=float)

    def get_booster(self):
        return self.model.get_booster()


class _RidgeCox:
    """Ridge-penalised Cox regression (scikit-survival); lp = X @ coef."""

    intercept_ = 0.0  # a Cox model has no intercept: the baseline hazard takes its place

    def __init__(self, params: dict):
        from sksurv.linear_model import CoxPHSurvivalAnalysis

        self.model = CoxPHSurvivalAnalysis(alpha=float(params.get("alpha", 1.0)), ties="breslow")

    def fit(self, X, y_struct):
        self.model.fit(np.asarray(X, dtype=float), y_struct)
        self.coef_ = np.asarray(self.model.coef_, dtype=float)
        return self

    def log_hazard(self, X) -> np.ndarray:
        return np.asarray(X, dtype=float) @ self.coef_


def make_survival_estimator(kind: str, params: dict | None = None, seed: int = 0):
    """Un-fitted survival estimator of ``kind`` (``fit(X, y_struct)``, ``log_hazard(X)``)."""
    params = dict(params or {})
    if kind == "cox":
        return _RidgeCox(params)
    if kind == "xgboost_cox":
        return _XGBCox(params, seed)
    raise ValueError(f"unknown survival model kind {kind!r}; expected one of {SURVIVAL_KINDS}")


def structured_outcome(time, event):
    """scikit-survival's structured ``(event, time)`` array."""
    from sksurv.util import Surv

    return Surv.from_arrays(event=np.asarray(event, dtype=bool), time=np.asarray(time, dtype=float))


@dataclass
class Recalibration:
    """``H(t | lp) = H0(t) exp(slope * lp)``: Breslow baseline on out-of-fold lps."""

    slope: float
    times: np.ndarray
    cum_hazard: np.ndarray

    def baseline(self, t) -> np.ndarray:
        """Baseline cumulative hazard at ``t`` (right-continuous step; 0 before the first event)."""
        idx = np.searchsorted(self.times, np.asarray(t, dtype=float), side="right") - 1
        return np.where(idx >= 0, self.cum_hazard[np.clip(idx, 0, None)], 0.0)

    @classmethod
    def fit(cls, lp, time, event) -> "Recalibration":
        from sksurv.linear_model import CoxPHSurvivalAnalysis
        from sksurv.linear_model.coxph import BreslowEstimator

        lp = np.asarray(lp, dtype=float)
        slope = 1.0
        if np.std(lp) > 0:
            cox = CoxPHSurvivalAnalysis(alpha=0.0, ties="breslow").fit(lp.reshape(-1, 1), structured_outcome(time, event))
            slope = float(cox.coef_[0])
        br = BreslowEstimator().fit(slope * lp, np.asarray(event, dtype=bool), np.asarray(time, dtype=float))
        return cls(slope, np.asarray(br.cum_baseline_hazard_.x, float), np.asarray(br.cum_baseline_hazard_.y, float))


@dataclass(frozen=True)
class HorizonRisk:
    """Estimator margin -> risk by one horizon: what scoring paths call a model's ``calibration``.

    ``risk = 1 - exp(-H0(h) * exp(a * margin))``. Contributions to the margin
    times ``a`` (and ``b = 0``) are exact on the log-hazard scale, so scoring
    reports them as for a Platt-calibrated binary model.
    """

    a: float
    h0: float
    horizon: float
    b: float = 0.0
    method: str = "cox_breslow"

    def __call__(self, margin) -> np.ndarray:
        return self.from_log_hazard(self.a * np.asarray(margin, dtype=float))

    def from_log_hazard(self, log_hazard) -> np.ndarray:
        return 1.0 - np.exp(-self.h0 * np.exp(np.asarray(log_hazard, dtype=float)))

    def risk_change(self, margin, change) -> np.ndarray:
        """Risk minus the risk without ``change`` (on the log-hazard scale)."""
        lh = self.a * np.asarray(margin, dtype=float)
        return self.from_log_hazard(lh) - self.from_log_hazard(lh - np.asarray(change, dtype=float))


class _LinearView:
    """A ridge Cox model seen as scikit-learn's linear-model shape (``coef_`` (1, p), ``intercept_``)."""

    def __init__(self, est):
        self.coef_ = np.asarray(est.coef_, dtype=float).reshape(1, -1)
        self.intercept_ = np.zeros(1)
        self.decision_function = est.log_hazard


@dataclass
class SurvivalModel:
    """A fitted time-to-event model on the canonical table (see the module docstring).

    Attributes
    ----------
    target, decision_point, kind : str
    features : list of str
    pipeline : sklearn.pipeline.Pipeline
        ``preprocess`` -> estimator (``log_hazard``).
    recalibration : Recalibration
    horizons : list of float
        Horizons (years) reported for every patient.
    band_horizon : float
        The horizon whose risk defines the bands and ``predict_risk``.
    bands, band_names : cut-offs (ascending) and names, as for binary models.
    metadata : dict
        Provenance and validated performance (no patient data).
    """

    target: str
    decision_point: str
    features: list[str]
    kind: str
    pipeline: Pipeline
    recalibration: Recalibration
    horizons: list[float]
    band_horizon: float
    bands: list[float] = field(default_factory=lambda: [0.05, 0.15])
    band_names: list[str] = field(default_factory=lambda: ["low", "intermediate", "high"])
    metadata: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    outcome_type = "time_to_event"

    def transform(self, table: pd.DataFrame) -> pd.DataFrame:
        """Engineered feature matrix, exactly as the estimator sees it."""
        return self.pipeline[:-1].transform(table)

    def log_hazard(self, table: pd.DataFrame) -> np.ndarray:
        """Recalibrated linear predictor ``slope * lp`` (log relative hazard)."""
        return self.recalibration.slope * self.pipeline[-1].log_hazard(self.transform(table))

    def predict_survival(self, table: pd.DataFrame, times) -> np.ndarray:
        """Survival probability of each patient at each time, shape ``(n, len(times))``."""
        h0 = self.recalibration.baseline(np.atleast_1d(times))
        return np.exp(-np.outer(np.exp(self.log_hazard(table)), h0))

    def predict_risk(self, table: pd.DataFrame, horizon: float | None = None) -> np.ndarray:
        """Probability of the event by ``horizon`` (default :attr:`band_horizon`), one per row."""
        h = self.band_horizon if horizon is None else float(horizon)
        return 1.0 - self.predict_survival(table, [h])[:, 0]

    def predict_risk_horizons(self, table: pd.DataFrame) -> pd.DataFrame:
        """Risk by every horizon: columns ``risk_<h>y``."""
        surv = self.predict_survival(table, self.horizons)
        return pd.DataFrame(1.0 - surv, columns=[f"risk_{h:g}y" for h in self.horizons], index=table.index)

    def risk_band(self, risk) -> np.ndarray:
        """Band name of each horizon risk (cut-offs stored with the model)."""
        idx = np.searchsorted(np.asarray(self.bands), np.asarray(risk), side="right")
        return np.asarray(self.band_names, dtype=object)[idx]

    @property
    def estimator(self):
        return self.pipeline[-1]

    @property
    def label(self) -> str | None:
        """The built-in outcome this model predicts the timing of (e.g. ``rair``), if any."""
        return (self.metadata.get("outcome") or {}).get("label") or None

    @property
    def classifier(self):
        """The fitted margin model as scoring explains it: the XGBoost model, or the Cox coefficients."""
        est = self.pipeline[-1]
        return est.model if hasattr(est, "get_booster") else _LinearView(est)

    @property
    def calibration(self) -> HorizonRisk:
        """Margin -> risk by the band horizon (see :class:`HorizonRisk`)."""
        return HorizonRisk(float(self.recalibration.slope), float(self.recalibration.baseline([self.band_horizon])[0]),
                           float(self.band_horizon))

    def risk_from_log_hazard(self, log_hazard) -> pd.DataFrame:
        """Risk by every horizon from recalibrated log-hazards (columns ``risk_<h>y``)."""
        h0 = self.recalibration.baseline(self.horizons)
        lh = np.asarray(log_hazard, dtype=float)
        return pd.DataFrame(1.0 - np.exp(-np.outer(np.exp(lh), h0)), columns=[f"risk_{h:g}y" for h in self.horizons])

    @property
    def feature_names_out(self) -> list[str]:
        return list(self.pipeline[:-1].get_feature_names_out())

    @property
    def feature_source(self) -> dict[str, str]:
        """Engineered column -> canonical field (for explanations)."""
        from rairpredict.models.risk_model import pipeline_feature_source

        return pipeline_feature_source(self.pipeline)

    # ---------------------------------------------------------------- persistence (pickle-free artifact)
    def to_files(self) -> dict:
        """The artifact's files (path -> bytes), without the manifest (:mod:`rairpredict.models._survival_codec`)."""
        from rairpredict.models._codec import model_files

        return model_files(self)

    def save(self, path) -> str:
        """Write the model as data (``.zip`` or a new directory); returns the manifest's sha256."""
        from rairpredict.models.artifact import save_files

        return save_files(self.to_files(), path)

    @staticmethod
    def load(source, *, expected_manifest: str | None = None) -> "SurvivalModel":
        """Verify the manifest and rebuild a saved survival model; nothing is unpickled."""
        from rairpredict.errors import ConfigError
        from rairpredict.models._codec import load_model

        model = load_model(source, expected_manifest=expected_manifest)
        if not isinstance(model, SurvivalModel):
            raise ConfigError(f"{source}: holds a {type(model).__name__}, not a SurvivalModel")
        return model


def _oof_log_hazard(table, time, event, features, decision_point, kind, params, seed, folds) -> np.ndarray:
    from rairpredict.models.splits import stratified_folds

    lp = np.zeros(len(time))
    for tr, te in stratified_folds(event, folds, seed=seed):
        pipe = _pipeline(features, decision_point, kind, params, seed)
        pipe[:-1].fit(table.iloc[tr])
        X_tr = pipe[:-1].transform(table.iloc[tr])
        pipe[-1].fit(X_tr, structured_outcome(time[tr], event[tr]))
        lp[te] = pipe[-1].log_hazard(pipe[:-1].transform(table.iloc[te]))
    return lp


def _pipeline(features, decision_point, kind, params, seed) -> Pipeline:
    from sklearn.pipeline import Pipeline

    from rairpredict.features import make_preprocessor

    pre_kind = "linear" if kind == "cox" else "tree"
    return Pipeline([("preprocess", make_preprocessor(features, decision_point, pre_kind)),
                     ("estimator", make_survival_estimator(kind, params, seed))])


def fit_survival_model(table: pd.DataFrame, time, event, *, features: list[str], decision_point: str,
                       kind: str, horizons=(1.0, 3.0, 5.0), band_horizon: float | None = None,
                       params: dict | None = None, seed: int = 0, inner_folds: int = 3, target: str = "",
                       bands=(0.05, 0.15), band_names=("low", "intermediate", "high")) -> SurvivalModel:
    """Fit preprocessing + survival estimator on ``table``; recalibrate on inner out-of-fold lps.

    Everything is learned from these rows only: call it on a training fold to
    keep validation honest.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    pipeline = _pipeline(features, decision_point, kind, params, seed)
    pipeline[:-1].fit(table)
    pipeline[-1].fit(pipeline[:-1].transform(table), structured_outcome(time, event))
    folds = int(min(inner_folds, event.sum(), (~event).sum()))
    if folds >= 2:
        lp = _oof_log_hazard(table, time, event, features, decision_point, kind, params, seed, folds)
    else:  # too few events for inner folds: the in-sample lp (stated in metadata)
        lp = pipeline[-1].log_hazard(pipeline[:-1].transform(table))
    recal = Recalibration.fit(lp, time, event)
    horizons = [float(h) for h in horizons]
    return SurvivalModel(
        target=target, decision_point=decision_point, features=list(features), kind=kind, pipeline=pipeline,
        recalibration=recal, horizons=horizons,
        band_horizon=float(band_horizon if band_horizon is not None else horizons[len(horizons) // 2]),
        bands=list(bands), band_names=list(band_names),
        metadata={"params": dict(params or {}), "seed": seed,
                  "recalibration": "Cox slope + Breslow baseline on inner out-of-fold log-hazards"
                  if folds >= 2 else "Breslow baseline on in-sample log-hazards (too few events for inner folds)"},
    )
