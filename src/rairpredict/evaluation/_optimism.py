"""Harrell's bootstrap optimism correction of apparent performance.

Harrell, Lee & Mark, Stat Med 1996;15:361-87; Steyerberg, Clinical Prediction
Models (2019), ch. 5. Written here: no maintained Python package implements it
for an arbitrary fitting pipeline.

The correction is honest only if ``fit_predict`` repeats the *whole*
model-building process (variable selection, hyper-parameter tuning, the
choice of calibration) inside each replicate: reusing choices made on all rows
hides their optimism.  The training pipeline passes such a function
(:func:`rairpredict.experiment.train.train_target`).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from ._calibration import calibration_intercept_slope
from ._discrimination import _auc_from_ranks
from ._utils import EvaluationInputError, check_y_p, percentile_interval

__all__ = ["optimism_corrected"]


def _metrics(y, p) -> dict:
    if y.min() == y.max():
        return {"auroc": np.nan, "cal_slope": np.nan, "brier": np.nan}
    p = np.asarray(p, dtype=float)
    return {"auroc": float(_auc_from_ranks(y, p)),
            "cal_slope": float(calibration_intercept_slope(y, p).loc["cal_slope", "estimate"]),
            "brier": float(np.mean((p - y) ** 2))}


def _take(X, idx):
    return X.iloc[idx] if hasattr(X, "iloc") else np.asarray(X)[idx]


def _stack(a, b):
    if hasattr(a, "iloc"):
        return pd.concat([a, b], axis=0, ignore_index=True)
    return np.concatenate([np.asarray(a), np.asarray(b)], axis=0)


def _replicate(fit_predict, X, y, idx):
    yb = y[idx]
    Xb = _take(X, idx)
    n = len(idx)  # a patient bootstrap may draw more or fewer rows than the original
    p_all = np.asarray(fit_predict(Xb, yb, _stack(Xb, X)), dtype=float)
    on_boot, on_orig = _metrics(yb, p_all[:n]), _metrics(y, p_all[n:])
    return {k: on_boot[k] - on_orig[k] for k in on_boot}


def optimism_corrected(fit_predict: Callable, X, y, n_boot: int = 200, seed=None,
                       alpha: float = 0.05, n_jobs: int = 1, groups=None, apparent=None) -> pd.DataFrame:
    """Optimism-corrected AUROC, calibration slope and Brier score.

    For each bootstrap sample the whole pipeline is refitted; its performance
    on the bootstrap sample minus its performance on the original rows is that
    replicate's optimism. Corrected = apparent - mean optimism.

    Parameters
    ----------
    fit_predict : callable ``(X_train, y_train, X_eval) -> p_eval``
        Fits the complete pipeline (including any selection or tuning) on the
        training rows and returns predicted probabilities for ``X_eval``. It is
        called once per replicate with ``X_eval`` = bootstrap rows followed by
        the original rows (stacked), plus once on the original data.
    X : DataFrame or array, shape (n, ...)
    y : array-like of 0/1
    n_boot, seed : bootstrap replicates and seed
    alpha : the percentile interval of the optimism's bootstrap distribution.
    n_jobs : replicates run in this many processes (joblib); the bootstrap
        samples are drawn up front, so the result does not depend on it.
    groups : array-like, optional
        Patient per row: the bootstrap then resamples patients (all of a
        patient's rows together), not rows.
    apparent : array-like, optional
        ``fit_predict(X, y, X)`` when the caller already has it (the final
        model fitted by the same process), so the whole process is not run
        once more on all rows.

    Returns
    -------
    pandas.DataFrame indexed by metric (``auroc``, ``cal_slope``, ``brier``) with
    ``apparent``, ``optimism``, ``optimism_lo``, ``optimism_hi``, ``corrected``
    and ``n_boot_used`` (replicates where the metric could be computed; a
    calibration slope is undefined when a model separates its training rows).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2)); y = rng.binomial(1, 1 / (1 + np.exp(-X[:, 0])))
    >>> def fp(Xt, yt, Xe):
    ...     return LogisticRegression().fit(Xt, yt).predict_proba(Xe)[:, 1]
    >>> res = optimism_corrected(fp, X, y, n_boot=20, seed=0)
    >>> bool(res.loc["auroc", "optimism"] < 0.05)
    True
    """
    y, _ = check_y_p(y, np.zeros(len(y)))
    if len(X) != len(y):
        raise EvaluationInputError(f"X has {len(X)} rows but y has {len(y)}")
    n = len(y)
    apparent = _metrics(y, fit_predict(X, y, X) if apparent is None else np.asarray(apparent, dtype=float))
    rng = np.random.default_rng(seed)
    if groups is None:
        draws = (rng.integers(0, n, n) for _ in range(n_boot))
    else:
        codes = pd.factorize(np.asarray(groups))[0]
        rows_of = [np.flatnonzero(codes == g) for g in range(codes.max() + 1)]
        draws = (np.concatenate([rows_of[g] for g in rng.integers(0, len(rows_of), len(rows_of))])
                 for _ in range(n_boot))
    samples = [idx for idx in draws if y[idx].min() != y[idx].max()]
    if n_jobs == 1:
        reps = [_replicate(fit_predict, X, y, idx) for idx in samples]
    else:
        from joblib import delayed

        from rairpredict._workers import run_in_workers

        reps = run_in_workers(n_jobs, (delayed(_replicate)(fit_predict, X, y, idx) for idx in samples))
    opt = {k: [r[k] for r in reps] for k in apparent}
    rows = {}
    for k, vals in opt.items():
        vals = np.asarray(vals, dtype=float)
        ok = vals[np.isfinite(vals)]
        mean_opt = float(ok.mean()) if ok.size else np.nan
        lo, hi = percentile_interval(ok, alpha)
        rows[k] = {"apparent": apparent[k], "optimism": mean_opt, "optimism_lo": lo, "optimism_hi": hi,
                   "corrected": apparent[k] - mean_opt, "n_boot_used": int(ok.size)}
    return pd.DataFrame.from_dict(rows, orient="index")
