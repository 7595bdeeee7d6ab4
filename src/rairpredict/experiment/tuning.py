"""Hyper-parameter tuning with Optuna (TPE, seeded, median pruning across inner folds).

The objective is the mean inner-fold log loss of the un-calibrated classifier
(a proper scoring rule). A stacked model tunes each of its bases with its own
study on the same inner folds; its weights are then learned, not tuned. Search spaces keep XGBoost small (depth <= 4, <= 300
trees) because exact TreeSHAP cost grows with trees x leaves and every score is
explained at serving time.

Examples
--------
>>> from rairpredict.experiment.tuning import search_space_names
>>> search_space_names("logistic")
['C']
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import optuna
import pandas as pd

from rairpredict.features import make_preprocessor
from rairpredict.models.risk_model import calibration_method, make_classifier, proba_margin
from rairpredict.models.splits import n_splits_for, stratified_folds
from rairpredict.models.stack import STACK_BASES, STACKED, join_params

__all__ = ["suggest_params", "search_space_names", "tune", "stored_study", "study_result", "TuningResult"]

optuna.logging.set_verbosity(optuna.logging.WARNING)


class _QuietOnCtrlC(logging.Filter):
    """Drop Optuna's two records of a trial stopped by Ctrl-C (its traceback, then "failed with value None").

    The CLI reports the interruption in one line; a trial that fails for any
    other reason is still logged (and its error raised).
    """

    def __init__(self):
        super().__init__()
        self._trial: str | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        message = record.getMessage()
        if isinstance(exc, KeyboardInterrupt) and message.startswith("Trial "):
            self._trial = message.split()[1]
            return False
        if self._trial is not None and message.startswith(f"Trial {self._trial} failed with value"):
            self._trial = None
            return False
        return True


# The logger Optuna's optimisation loop writes to (optuna/study/_optimize.py); a filter on
# the logger itself, since records reach Optuna's handler without passing its parents' filters.
_OPTIMIZE_LOGGER = logging.getLogger("optuna.study._optimize")
if not any(isinstance(f, _QuietOnCtrlC) for f in _OPTIMIZE_LOGGER.filters):
    _OPTIMIZE_LOGGER.addFilter(_QuietOnCtrlC())


def _boosted_trees(trial: optuna.Trial, *, max_depth, learning_rate, colsample: bool) -> dict:
    """The XGBoost search space; the order of the suggestions is the sampler's (seeded) order."""
    params = {
        "n_estimators": trial.suggest_int("n_estimators", 50, 300, step=25),
        "max_depth": trial.suggest_int("max_depth", *max_depth),
        "learning_rate": trial.suggest_float("learning_rate", *learning_rate, log=True),
        "min_child_weight": trial.suggest_float("min_child_weight", 1.0, 20.0, log=True),
        "subsample": trial.suggest_float("subsample", 0.6, 1.0),
    }
    if colsample:
        params["colsample_bytree"] = trial.suggest_float("colsample_bytree", 0.5, 1.0)
    params["reg_lambda"] = trial.suggest_float("reg_lambda", 0.1, 10.0, log=True)
    return params


def suggest_params(trial: optuna.Trial, kind: str) -> dict:
    """Sample one parameter set for ``kind`` from its search space."""
    if kind == "logistic":
        return {"C": trial.suggest_float("C", 1e-3, 10.0, log=True)}
    if kind == "xgboost":
        return _boosted_trees(trial, max_depth=(2, 4), learning_rate=(0.02, 0.3), colsample=True)
    if kind == "cox":  # ridge penalty of the Cox partial likelihood (time-to-event targets)
        return {"alpha": trial.suggest_float("alpha", 1e-2, 1e3, log=True)}
    if kind == "xgboost_cox":  # shallower trees than the binary model: fewer events carry the signal
        return _boosted_trees(trial, max_depth=(1, 3), learning_rate=(0.01, 0.2), colsample=False)
    raise ValueError(f"no search space for model kind {kind!r}")


def search_space_names(kind: str) -> list[str]:
    """Names of the tuned parameters of ``kind``."""
    trial = optuna.trial.FixedTrial({"C": 1.0, "alpha": 1.0, "n_estimators": 100, "max_depth": 3, "learning_rate": 0.1,
                                     "min_child_weight": 1.0, "subsample": 0.8, "colsample_bytree": 0.8,
                                     "reg_lambda": 1.0})
    return list(suggest_params(trial, kind))


@dataclass
class TuningResult:
    best_params: dict
    best_value: float
    n_trials: int
    n_pruned: int
    seconds: float
    study_name: str
    #: The best trial's inner out-of-fold calibration margins, one per row, when this run
    #: computed them (see ``fit_risk_model(inner_margins=...)``); None otherwise.
    inner_margins: np.ndarray | None = None


def tune(table: pd.DataFrame, y, *, features, decision_point: str, kind: str, trials: int,
         inner_folds: int = 3, seed: int = 0, storage: str | None = None,
         study_name: str | None = None, callbacks=None, groups=None) -> TuningResult:
    """Run an Optuna study on ``table`` only (call it on the outer training fold).

    Parameters
    ----------
    storage : str, optional
        Optuna storage URL (e.g. ``sqlite:///optuna.db``); in memory when None.
        With a storage, an existing study of that name is *extended* by
        ``trials`` more trials (the explicit act of ``rairpredict tune``); in
        memory, the same data, search space and seed give the same trials and
        the same best parameters every time (what ``train`` uses).
    groups : array-like, optional
        Patient per row: the inner folds keep each patient's courses together.
    """
    if kind == STACKED:
        return _tune_stack(table, y, features=features, decision_point=decision_point, trials=trials,
                           inner_folds=inner_folds, seed=seed, storage=storage, study_name=study_name,
                           callbacks=callbacks, groups=groups)
    y = np.asarray(y, dtype=int)
    n_splits = max(2, n_splits_for(y, inner_folds, groups))
    folds = stratified_folds(y, n_splits, seed=seed, groups=groups)
    pre_kind = "linear" if kind == "logistic" else "tree"
    # The preprocessor depends on no tuned parameter: fit it once per inner fold.
    prepared = []
    for tr, va in folds:
        pre = make_preprocessor(list(features), decision_point, pre_kind).fit(table.iloc[tr], y[tr])
        prepared.append((pre.transform(table.iloc[tr]), y[tr], pre.transform(table.iloc[va]), y[va]))
    fit_predict = _fold_fitter(kind, prepared, seed)
    margins: dict[int, list] = {}  # trial number -> its folds' calibration margins

    def objective(trial: optuna.Trial) -> float:
        params = suggest_params(trial, kind)
        losses, fold_margins = [], []
        for step, (X_tr, y_tr, X_va, y_va) in enumerate(prepared):
            p, margin = fit_predict(step, make_classifier(kind, params, seed))
            losses.append(log_loss(y_va, p))
            fold_margins.append(margin)
            trial.report(float(np.mean(losses)), step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        margins[trial.number] = fold_margins
        return float(np.mean(losses))

    name = study_name or f"{kind}-{seed}"
    study = optuna.create_study(
        direction="minimize", study_name=name, storage=storage, load_if_exists=storage is not None,
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1),
    )
    start = time.perf_counter()
    # callbacks: e.g. a progress bar advanced after each trial (Optuna's own callback protocol)
    study.optimize(objective, n_trials=int(trials), gc_after_trial=False, callbacks=callbacks)
    result = study_result(study, time.perf_counter() - start)
    best = margins.get(study.best_trial.number)  # absent when the best trial is from an earlier run
    if best is not None:
        result.inner_margins = np.empty(len(y), dtype=best[0].dtype)
        for (_, va), margin in zip(folds, best):
            result.inner_margins[va] = margin
    return result


def _fold_fitter(kind: str, prepared, seed: int):
    """``fit_predict(fold, clf)``: ``clf`` fitted on inner fold ``fold``; on the fold's held-out rows, its
    probabilities of class 1 and its calibration margins (as ``fit_risk_model`` computes them).

    XGBoost fits every trial on one matrix per fold built once
    (:class:`~rairpredict.models._xgb.TrainingMatrix`: the same booster as ``fit``); others fit as usual.
    """
    if kind == "xgboost":
        from rairpredict.models._xgb import TrainingMatrix

        template = make_classifier(kind, {}, seed)
        matrices = [TrainingMatrix(X_tr, y_tr, template) for X_tr, y_tr, _, _ in prepared]

        def boosted(fold, clf):
            p = matrices[fold].fit_predict(clf, prepared[fold][2])
            return p, proba_margin(p)
        return boosted

    method = calibration_method(kind)

    def plain(fold, clf):
        X_tr, y_tr, X_va, _ = prepared[fold]
        clf.fit(X_tr, y_tr)
        p = clf.predict_proba(X_va)[:, 1]
        return p, proba_margin(p) if method == "predict_proba" else getattr(clf, method)(X_va)
    return plain


def log_loss(y, p) -> float:
    """Mean binary log loss of probabilities ``p`` of class 1: scikit-learn's ``log_loss(y, p, labels=[0, 1])``.

    The same operations on the same dtypes, without its per-call validation
    (5 ms a call, 3.7 s of the demo's RAIR tuning under cProfile): equal to the
    last bit (tests/experiment/test_tuning.py). ``y`` must hold 0/1 only.

    Examples
    --------
    >>> round(log_loss([0, 1, 1], [0.2, 0.7, 0.9]), 6)
    0.228393
    """
    p = np.asarray(p)
    if p.dtype not in (np.float32, np.float64, np.float16):  # check_array's float dtypes, else float64
        p = p.astype(np.float64)
    y = np.asarray(y)
    P = np.concatenate([1 - p[:, None], p[:, None]], axis=1)
    eps = np.finfo(P.dtype).eps
    P = np.clip(P, eps, 1 - eps)
    T = np.stack([1 - y, y], axis=1).astype(P.dtype, copy=False)
    with np.errstate(divide="ignore", invalid="ignore"):  # x log y with 0 log 0 = 0, as scikit-learn's _xlogy
        terms = T * np.log(P)
    terms = np.where(T == 0.0, np.asarray(0.0, dtype=terms.dtype), terms)
    return float(np.average(-np.sum(terms, axis=1)))


def _stack_result(results: dict[str, TuningResult], name: str) -> TuningResult:
    """One result for a stack: parameters as ``<base>__<name>``, trials and seconds summed.

    ``best_value`` is the mean of the bases' best inner-CV log losses (each base is
    tuned on its own; the stack's weights are then learned, not tuned).
    """
    return TuningResult(join_params({b: r.best_params for b, r in results.items()}),
                        float(np.mean([r.best_value for r in results.values()])),
                        sum(r.n_trials for r in results.values()), sum(r.n_pruned for r in results.values()),
                        sum(r.seconds for r in results.values()), name)


def _tune_stack(table, y, *, study_name, trials, **kw) -> TuningResult:
    """Tune each base of a stack with its own study (``<study>.<base>``), same inner folds and seed."""
    name = study_name or f"{STACKED}-{kw['seed']}"
    return _stack_result({b: tune(table, y, kind=b, trials=trials, study_name=f"{name}.{b}", **kw)
                          for b in STACK_BASES}, name)


def study_result(study, seconds: float = 0.0) -> TuningResult:
    """The best completed trial of an Optuna study (binary or survival); none completed -> ConfigError."""
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    if not done:
        from rairpredict.errors import ConfigError

        raise ConfigError(f"Optuna study {study.study_name!r} has no completed trial")
    return TuningResult(dict(study.best_params), float(study.best_value), len(study.trials), pruned, seconds,
                        study.study_name)


def stored_study(storage: str, study_name: str, kind: str | None = None) -> TuningResult:
    """Best parameters of a stored study, read without adding trials (``rairpredict tune`` extends it).

    ``kind="stacked"``: the studies of its bases (``<study_name>.<base>``), combined.

    Examples
    --------
    >>> stored_study("sqlite:///optuna.db", "rair-xgboost-a39cbbc087").n_trials  # doctest: +SKIP
    35
    """
    from rairpredict.errors import ConfigError

    if kind == STACKED:
        return _stack_result({b: stored_study(storage, f"{study_name}.{b}") for b in STACK_BASES}, study_name)
    try:
        study = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        raise ConfigError(f"no stored Optuna study {study_name!r} in {storage}; run `rairpredict tune --config "
                          "CONFIG --trials N` first, or train without --use-study") from None
    return study_result(study, 0.0)

