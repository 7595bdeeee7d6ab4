"""Nested cross-validation and tuning of time-to-event models: the same protocol as binary targets.

Outer loop: ``repeats`` x ``outer_folds`` stratified by event status (grouped by
patient when a patient has several courses). Inside each outer training fold
only: Optuna (TPE, seeded, median pruning) maximising the inner-fold
cross-validated Cox partial likelihood, the fit, and the recalibration (Cox
slope + Breslow baseline on inner out-of-fold log-hazards). The outer test fold
is predicted once: a log-hazard and the risk by every horizon.

Examples
--------
>>> import numpy as np
>>> from rairpredict.experiment.survival_validation import survival_splits
>>> len(survival_splits(np.array([0, 1] * 10), folds=5, repeats=2, seed=0))
10
"""
from __future__ import annotations

import time as _time
from dataclasses import dataclass, field

import numpy as np
import optuna
import pandas as pd
from joblib import delayed

from rairpredict._workers import run_in_workers

from rairpredict.evaluation import cox_partial_loglik
from rairpredict.features import make_preprocessor
from rairpredict.experiment.tuning import TuningResult, study_result, suggest_params
from rairpredict.models.splits import n_splits_for, stratified_folds
from rairpredict.models.survival import fit_survival_model, make_survival_estimator, structured_outcome


__all__ = ["survival_splits", "tune_survival", "cross_validate_survival", "SurvivalCV"]


def survival_splits(event, *, folds: int, repeats: int, seed: int, groups=None):
    """(repeat, train_idx, test_idx) for every fold of every repeat: stratified by event, grouped by patient."""
    n_splits = max(2, n_splits_for(event, folds, groups))
    return [(r, tr, te) for r in range(repeats)
            for tr, te in stratified_folds(event, n_splits, seed=seed + r, groups=groups)]


def tune_survival(table: pd.DataFrame, time, event, *, features, decision_point: str, kind: str, trials: int,
                  inner_folds: int = 3, seed: int = 0, groups=None, storage: str | None = None,
                  study_name: str | None = None, callbacks=None) -> TuningResult:
    """Optuna study on ``table`` only (an outer training fold): maximises the inner-CV Cox partial likelihood.

    In memory (``storage=None``) the same data, space and seed give the same
    trials (what ``train`` uses). With a ``storage`` URL an existing study of
    ``study_name`` is *extended* by ``trials`` more (``rairpredict tune``).
    """
    time, event = np.asarray(time, float), np.asarray(event, bool)
    splits = [(tr, va) for _, tr, va in survival_splits(event, folds=inner_folds, repeats=1, seed=seed,
                                                         groups=groups)]
    pre_kind = "linear" if kind == "cox" else "tree"
    prepared = []
    for tr, va in splits:  # the preprocessor has no tuned parameter: fit once per inner fold
        pre = make_preprocessor(list(features), decision_point, pre_kind).fit(table.iloc[tr])
        prepared.append((pre.transform(table.iloc[tr]), tr, pre.transform(table.iloc[va]), va))

    def objective(trial: optuna.Trial) -> float:
        params = suggest_params(trial, kind)
        scores = []
        for step, (X_tr, tr, X_va, va) in enumerate(prepared):
            est = make_survival_estimator(kind, params, seed).fit(X_tr, structured_outcome(time[tr], event[tr]))
            scores.append(cox_partial_loglik(time[va], event[va], est.log_hazard(X_va)))
            trial.report(float(np.mean(scores)), step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return float(np.mean(scores))

    study = optuna.create_study(direction="maximize", study_name=study_name or f"{kind}-{seed}", storage=storage,
                                load_if_exists=storage is not None, sampler=optuna.samplers.TPESampler(seed=seed),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1))
    start = _time.perf_counter()
    study.optimize(objective, n_trials=int(trials), gc_after_trial=False, callbacks=callbacks)
    return study_result(study, _time.perf_counter() - start)


@dataclass
class SurvivalCV:
    """Out-of-fold predictions: ``lp[r]`` log-hazards and ``risk[r]`` (n, horizons) risks of repeat ``r``."""

    model: str
    lp: np.ndarray
    risk: np.ndarray
    fold_params: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    protocol: dict = field(default_factory=dict)


def _one_fold(table, time, event, tr, te, cfg, kind, trials, seed, horizons, groups):
    params = {}
    if trials > 0:
        params = tune_survival(table.iloc[tr], time[tr], event[tr], features=cfg.features,
                               decision_point=cfg.decision_point, kind=kind, trials=trials,
                               inner_folds=cfg.validation["inner_folds"], seed=seed,
                               groups=None if groups is None else groups[tr]).best_params
    model = fit_survival_model(table.iloc[tr], time[tr], event[tr], features=list(cfg.features),
                               decision_point=cfg.decision_point, kind=kind, horizons=horizons, params=params,
                               seed=seed, inner_folds=cfg.validation["inner_folds"])
    test = table.iloc[te]
    return te, model.log_hazard(test), model.predict_survival(test, horizons), params


def cross_validate_survival(table: pd.DataFrame, time, event, cfg, kind: str, *, horizons, trials: int | None = None,
                            groups=None, n_jobs: int = 2) -> SurvivalCV:
    """Nested, repeated CV of one survival model kind (see the module docstring)."""
    time, event = np.asarray(time, float), np.asarray(event, bool)
    v = cfg.validation
    trials = int(cfg.tuning.get("trials", 10) if trials is None else trials)
    splits = survival_splits(event, folds=v["outer_folds"], repeats=v["repeats"], seed=v["seed"], groups=groups)
    start = _time.perf_counter()
    results = run_in_workers(n_jobs, (
        delayed(_one_fold)(table, time, event, tr, te, cfg, kind, trials, v["seed"] + i, horizons, groups)
        for i, (_, tr, te) in enumerate(splits)))
    lp = np.full((v["repeats"], len(time)), np.nan)
    risk = np.full((v["repeats"], len(time), len(horizons)), np.nan)
    params = []
    for (r, _, _), (te, lp_te, surv_te, p) in zip(splits, results):
        lp[r, te] = lp_te
        risk[r, te] = 1.0 - surv_te
        params.append(p)
    protocol = {"outer_folds": v["outer_folds"], "repeats": v["repeats"], "inner_folds": v["inner_folds"],
                "seed": v["seed"], "trials_per_fold": trials, "grouped_by_patient": groups is not None,
                "tuning": "optuna TPE + median pruning, inner-CV Cox partial likelihood",
                "calibration": "Cox slope + Breslow baseline on inner out-of-fold log-hazards"}
    return SurvivalCV(kind, lp, risk, params, _time.perf_counter() - start, protocol)
