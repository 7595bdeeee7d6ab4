"""Repeated, nested cross-validation: the protocol behind every reported figure.

Outer loop: ``repeats`` x stratified ``outer_folds`` (seed ``seed + repeat``),
grouped by patient (``StratifiedGroupKFold``) when a patient has several
courses, so no patient is ever in both a training and a test fold; the inner
folds (Optuna, calibration) are grouped the same way.
Inside each outer training fold, and only there: Optuna tuning on an inner
stratified CV, the final fit, and the choice and fit of the probability
calibration on inner out-of-fold margins (a stacked model: its bases tuned the
same way, then its weights and their calibration learned on its bases' inner
out-of-fold margins). The outer test fold is predicted once.
Published scores are fitted (points -> probability only) on the same training
folds and predicted on the same test folds, so every model is compared on
identical rows.

Examples
--------
>>> from rairpredict.experiment.validation import outer_splits
>>> import numpy as np
>>> len(outer_splits(np.array([0, 1] * 10), folds=5, repeats=2, seed=0))
10
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from joblib import delayed

from rairpredict._workers import run_in_workers
from rairpredict.experiment.tuning import tune
from rairpredict.models.risk_model import fit_risk_model
from rairpredict.models.stack import STACKED
from rairpredict.models.splits import n_splits_for, stratified_folds

__all__ = ["outer_splits", "CVPredictions", "cross_validate_model", "cross_validate_baseline"]


def outer_splits(y, *, folds: int, repeats: int, seed: int,
                 groups=None) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """(repeat, train_idx, test_idx) for every outer fold of every repeat (grouped if ``groups``)."""
    y = np.asarray(y, dtype=int)
    folds = max(2, n_splits_for(y, folds, groups))
    out = []
    for r in range(repeats):
        out.extend((r, tr, te) for tr, te in stratified_folds(y, folds, seed=seed + r, groups=groups))
    return out


def _sub(groups, idx):
    return None if groups is None else np.asarray(groups)[idx]


@dataclass
class CVPredictions:
    """Out-of-fold probabilities: ``proba[r]`` holds repeat ``r`` for every row."""

    model: str
    proba: np.ndarray
    fold_params: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    tuning_seconds: float = 0.0
    protocol: dict = field(default_factory=dict)


def _one_fold(table, y, tr, te, cfg, kind, trials, seed, groups=None):
    start = time.perf_counter()
    params, tuning_s, margins = {}, 0.0, None
    if trials > 0:
        res = tune(table.iloc[tr], y[tr], features=cfg.features, decision_point=cfg.decision_point,
                   kind=kind, trials=trials, inner_folds=cfg.validation["inner_folds"], seed=seed,
                   groups=_sub(groups, tr))
        params, tuning_s, margins = res.best_params, res.seconds, res.inner_margins
    model = fit_risk_model(table.iloc[tr], y[tr], features=list(cfg.features),
                           decision_point=cfg.decision_point, kind=kind, params=params, seed=seed,
                           inner_folds=cfg.validation["inner_folds"], groups=_sub(groups, tr),
                           inner_margins=margins)
    p = model.predict_risk(table.iloc[te])
    return te, p, {**params, "calibration": model.calibration.method}, tuning_s, time.perf_counter() - start


def cross_validate_model(table: pd.DataFrame, y, cfg, kind: str, *, trials: int | None = None,
                         n_jobs: int = 2, groups=None) -> CVPredictions:
    """Nested, repeated CV of one model kind; returns out-of-fold probabilities.

    ``groups`` (patient per row): every outer and inner split keeps a patient's rows together.
    """
    y = np.asarray(y, dtype=int)
    v = cfg.validation
    trials = int(cfg.tuning.get("trials", 10) if trials is None else trials)
    splits = outer_splits(y, folds=v["outer_folds"], repeats=v["repeats"], seed=v["seed"], groups=groups)
    start = time.perf_counter()
    results = run_in_workers(n_jobs, (
        delayed(_one_fold)(table, y, tr, te, cfg, kind, trials, v["seed"] + i, groups)
        for i, (r, tr, te) in enumerate(splits)
    ))
    proba = np.full((v["repeats"], len(y)), np.nan)
    params, tuning_s = [], 0.0
    for (r, _, _), (te, p, fold_params, t_s, _) in zip(splits, results):
        proba[r, te] = p
        params.append(fold_params)
        tuning_s += t_s
    protocol = {"outer_folds": v["outer_folds"], "repeats": v["repeats"], "inner_folds": v["inner_folds"],
                "seed": v["seed"], "trials_per_fold": trials, "tuning": "optuna TPE + median pruning, inner CV log loss",
                "calibration": "sigmoid or isotonic chosen by CV on inner out-of-fold margins" + (
                    "; stacked: bases tuned as the single models, then non-negative weights and their sigmoid "
                    "learned together on the bases' inner out-of-fold margins" if kind == STACKED else ""),
                "grouped_by_patient": groups is not None,
                "patients": int(len(np.unique(groups))) if groups is not None else int(len(y))}
    return CVPredictions(kind, proba, params, time.perf_counter() - start, tuning_s, protocol)


def cross_validate_baseline(table: pd.DataFrame, y, cfg, score, *, groups=None) -> CVPredictions:
    """Same outer folds for a published score (fixed points, fitted points->probability map)."""
    from sklearn.base import clone

    y = np.asarray(y, dtype=int)
    v = cfg.validation
    splits = outer_splits(y, folds=v["outer_folds"], repeats=v["repeats"], seed=v["seed"], groups=groups)
    proba = np.full((v["repeats"], len(y)), np.nan)
    start = time.perf_counter()
    for r, tr, te in splits:
        est = clone(score).fit(table.iloc[tr], y[tr])
        proba[r, te] = est.predict_proba(table.iloc[te])[:, 1]
    return CVPredictions(getattr(score, "name", type(score).__name__), proba, [], time.perf_counter() - start,
                         0.0, {"outer_folds": v["outer_folds"], "repeats": v["repeats"], "seed": v["seed"]})
