"""A tiny unpenalised logistic regression (IRLS) with Wald standard errors.

Written here rather than adding statsmodels: calibration needs only 1-5
parameter fits with an offset, and 60 lines beat a large new dependency.
Checked against scikit-learn's unpenalised ``LogisticRegression`` in the tests.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

__all__ = ["LogisticFit", "fit_logistic"]


@dataclass(frozen=True)
class LogisticFit:
    """Coefficients, their covariance, log-likelihood and convergence flag."""

    coef: np.ndarray
    cov: np.ndarray
    loglik: float
    converged: bool

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))


def _loglik(eta, y, w):
    # logaddexp: log(1 + exp(eta)) without overflow
    return float(np.sum(w * (y * eta - np.logaddexp(0.0, eta))))


def fit_logistic(X, y, offset=None, weights=None, max_iter: int = 50, tol: float = 1e-8) -> LogisticFit:
    """Fit ``logit P(y=1) = offset + X @ beta`` by Newton-Raphson (IRLS).

    ``X`` must contain its own intercept column. ``converged`` is False when the
    data are separated (coefficients diverge); the caller decides what to report.
    ``weights`` are frequency weights.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    y = np.asarray(y, dtype=float)
    off = np.zeros(len(y)) if offset is None else np.asarray(offset, dtype=float)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    beta = np.zeros(X.shape[1])
    eta = off + X @ beta
    ll = _loglik(eta, y, w)
    converged = False
    for _ in range(max_iter):
        mu = expit(eta)
        W = w * mu * (1 - mu)
        grad = X.T @ (w * (y - mu))
        info = X.T @ (X * W[:, None])
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            break
        # converged on the full Newton step: under separation it never shrinks
        full_step = float(np.max(np.abs(step)))
        # step-halving keeps the log-likelihood non-decreasing
        for _half in range(30):
            new_beta = beta + step
            new_eta = off + X @ new_beta
            new_ll = _loglik(new_eta, y, w)
            if new_ll >= ll - 1e-12:
                break
            step = step / 2
        beta, eta, ll = new_beta, new_eta, new_ll
        if full_step < tol:
            converged = True
            break
    mu = expit(eta)
    info = X.T @ (X * (w * mu * (1 - mu))[:, None])
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        cov = np.full_like(info, np.nan)
        converged = False
    # separation: fitted probabilities pile up at 0/1 and coefficients explode
    if converged and np.max(np.abs(beta)) > 30:
        converged = False
    return LogisticFit(coef=beta, cov=cov, loglik=ll, converged=converged)
