"""Updating a model for a new site: the closed testing procedure and the recalibrated model.

Four nested candidate models on the local cohort, each a logistic model of
the outcome with the original model's log-odds ``lp``:

0. ``keep``: ``logit P(y) = lp`` (no parameter);
1. ``intercept``: ``logit P(y) = a + lp`` (calibration-in-the-large update);
2. ``recalibration``: ``logit P(y) = a + b lp`` (logistic recalibration);
3. ``revision``: ``logit P(y) = a + sum_j b_j c_j``, where ``c_j`` are the
   model's exactly additive per-input contributions to ``lp`` (so ``b_j = 1``,
   ``a`` = the bias gives back the original): every input's weight re-estimated.
   Inputs whose contribution varies little (SD < ``min_sd`` log-odds) are
   pooled into one column: their separate weights are not estimable (the fit
   separates), and pooling keeps the models nested.

The closed testing procedure (Vergouwe et al., Stat Med 2017;36:4529-39)
picks the least change that fits: revision is compared with the original by
a likelihood-ratio test; if it is not significantly better, keep. Otherwise
revision is compared with the intercept update, then with logistic
recalibration; the first that revision does not beat is chosen, and if it
beats both, the model needs revising (for a tree model: a refit on local data,
if the local sample is large enough). Without contributions the procedure
runs on models 0-2 only (recalibration compared with keep, then with intercept).

Examples
--------
>>> import numpy as np
>>> from rairpredict.evaluation import closed_testing
>>> rng = np.random.default_rng(0)
>>> lp = rng.normal(-2, 1, 2000); y = rng.binomial(1, 1 / (1 + np.exp(-(lp + 0.8))))
>>> closed_testing(y, lp).method
'intercept'
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from rairpredict.reference import statistics as ref

from ._logistic import fit_logistic
from ._utils import EvaluationInputError, check_y_p

__all__ = ["ClosedTestResult", "closed_testing", "METHODS"]

#: Update methods, least change first.
METHODS = ("keep", "intercept", "recalibration", "revision")


@dataclass(frozen=True)
class ClosedTestResult:
    """Chosen method, its coefficients, and every test (``tests``: one row per comparison)."""

    method: str
    intercept: float            # a of the chosen update (0 for keep; revision: of model 2)
    slope: float                # b (1 unless recalibration)
    tests: pd.DataFrame         # comparison, lr_statistic, df, p_value
    loglik: dict                # method -> log-likelihood on the local cohort
    n_parameters: dict          # method -> parameters estimated
    alpha: float
    recalibration: tuple        # (a, b) of logistic recalibration, always fitted

    def to_dict(self) -> dict:
        return {"method": self.method, "intercept": self.intercept, "slope": self.slope, "alpha": self.alpha,
                "recalibration": list(self.recalibration), "loglik": self.loglik,
                "n_parameters": self.n_parameters,
                "tests": self.tests.astype(object).where(self.tests.notna(), None).to_dict(orient="records")}


def _ll(eta, y) -> float:
    return float(np.sum(y * eta - np.logaddexp(0.0, eta)))


def closed_testing(y, lp, contributions=None, alpha: float = ref.CLOSED_TESTING_ALPHA,
                   min_sd: float = 0.05) -> ClosedTestResult:
    """Choose keep / intercept / recalibration / revision by closed testing.

    Parameters
    ----------
    y : 0/1 outcomes of the local cohort.
    lp : the original model's log-odds (calibrated logit) for each patient.
    contributions : array (n, k), optional
        Per-input contributions summing (with a constant bias) to ``lp``;
        enables the revision model.
    alpha : significance level of each likelihood-ratio test.
    min_sd : contributions with a smaller SD (log-odds) are pooled into one column.
    """
    lp = np.asarray(lp, dtype=float)
    y, _ = check_y_p(y, 1 / (1 + np.exp(-lp)), name="lp")
    ones = np.ones_like(lp)
    ll = {"keep": _ll(lp, y)}
    fit1 = fit_logistic(ones, y, offset=lp)
    fit2 = fit_logistic(np.column_stack([ones, lp]), y)
    if not (fit1.converged and fit2.converged):
        raise EvaluationInputError("y: the recalibration models do not converge (separated outcomes?)")
    ll["intercept"], ll["recalibration"] = fit1.loglik, fit2.loglik
    k = {"keep": 0, "intercept": 1, "recalibration": 2}
    if contributions is not None:
        c = np.asarray(contributions, dtype=float)
        if c.shape[0] != len(y):
            raise EvaluationInputError(f"contributions has {c.shape[0]} rows but y has {len(y)}")
        c = np.nan_to_num(c)
        small = np.std(c, axis=0) < min_sd
        pooled = c[:, small].sum(axis=1)
        c = c[:, ~small]
        if np.std(pooled) > 1e-12:
            c = np.column_stack([c, pooled])
        fit3 = fit_logistic(np.column_stack([ones, c]), y) if c.shape[1] > 1 else None
        if fit3 is not None and fit3.converged:
            ll["revision"], k["revision"] = fit3.loglik, 1 + c.shape[1]
    top = "revision" if "revision" in ll else "recalibration"
    order = [m for m in METHODS if m in ll and m != top]
    rows, method = [], top
    for m in order:
        lr = max(0.0, 2 * (ll[top] - ll[m]))
        df = k[top] - k[m]
        pval = float(stats.chi2.sf(lr, df))
        rows.append({"comparison": f"{top} vs {m}", "lr_statistic": lr, "df": df, "p_value": pval})
        if pval >= alpha:
            method = m
            break
    a, b = {"keep": (0.0, 1.0), "intercept": (float(fit1.coef[0]), 1.0)}.get(
        method, (float(fit2.coef[0]), float(fit2.coef[1])))
    return ClosedTestResult(method, a, b, pd.DataFrame(rows), ll, k, alpha,
                            (float(fit2.coef[0]), float(fit2.coef[1])))
