"""Validation statistics for time-to-event predictions, each with its CI.

Inputs, as everywhere in :mod:`rairpredict.evaluation`, are plain arrays:
``time`` (follow-up in years, > 0), ``event`` (True = the event was observed at
``time``; False = censored then), ``risk`` (any score where higher means
earlier events: a log-hazard or a risk by a horizon) and, for calibration and
Brier scores, the predicted *probability of the event by a horizon*.

Censoring is handled by the methods' own designs, never by dropping or
relabelling patients: Harrell's C compares only usable pairs; Uno's C, the
time-dependent AUC and the Brier score weight by the inverse probability of
remaining uncensored (IPCW, Kaplan-Meier of the censoring times); observed risks
by a horizon are Kaplan-Meier estimates. The estimators are scikit-survival's
(Pölsterl 2020, JMLR 21:1-6); confidence intervals are percentile bootstraps
over patients unless stated.

Examples
--------
>>> import numpy as np
>>> from rairpredict.evaluation import harrell_c, kaplan_meier
>>> time = np.array([1.0, 2.0, 3.0, 4.0]); event = np.array([True, True, False, True])
>>> float(kaplan_meier(time, event, [2.5])["survival"].iloc[0])
0.5
>>> harrell_c(time, event, [4.0, 3.0, 2.0, 1.0], n_boot=0).estimate
1.0
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ._utils import Estimate, EvaluationInputError, percentile_interval

__all__ = ["check_survival", "cox_partial_loglik", "kaplan_meier", "reverse_km_followup", "harrell_c", "uno_c",
           "time_dependent_auc", "ipcw_brier", "integrated_brier", "survival_structured"]


def check_survival(time, event, name: str = "time"):
    """``time`` (float > 0) and ``event`` (bool) as 1-d arrays, or a one-line error naming the row."""
    time = np.asarray(time, dtype=float)
    event = np.asarray(event)
    if time.ndim != 1 or event.ndim != 1:
        raise EvaluationInputError("time and event must be one-dimensional")
    if len(time) != len(event):
        raise EvaluationInputError(f"{name} has {len(time)} rows but event has {len(event)}")
    if len(time) == 0:
        raise EvaluationInputError(f"{name} is empty")
    bad = np.flatnonzero(~np.isfinite(time) | (time <= 0))
    if bad.size:
        raise EvaluationInputError(f"{name}, row {bad[0]}: follow-up time must be a positive number, "
                                   f"got {time[bad[0]]!r}")
    ev = event.astype(float)
    bad = np.flatnonzero(~np.isin(ev, (0.0, 1.0)))
    if bad.size:
        raise EvaluationInputError(f"event, row {bad[0]}: must be 0/1 or True/False, got {event[bad[0]]!r}")
    return time, ev.astype(bool)


def survival_structured(time, event):
    """scikit-survival's structured array ``(event, time)``."""
    from sksurv.util import Surv

    time, event = check_survival(time, event)
    return Surv.from_arrays(event=event, time=time)


def _check_risk(risk, n: int, name: str = "risk") -> np.ndarray:
    risk = np.asarray(risk, dtype=float)
    if risk.shape[0] != n:
        raise EvaluationInputError(f"{name} has {risk.shape[0]} rows but time has {n}")
    bad = np.flatnonzero(~np.isfinite(risk.reshape(n, -1)).all(axis=1))
    if bad.size:
        raise EvaluationInputError(f"{name}, row {bad[0]}: must be a finite number")
    return risk


def cox_partial_loglik(time, event, lp) -> float:
    """Cox partial log-likelihood of a linear predictor, Breslow ties, per event.

    On a validation fold this is the cross-validated partial likelihood
    (Verweij & van Houwelingen 1993): higher is better; used to tune survival
    models. Risk sets contain every patient still followed at each event time.

    Examples
    --------
    >>> round(cox_partial_loglik([1.0, 2.0], [True, False], [0.0, 0.0]), 4)  # 1 event, 2 at risk: log(1/2)
    -0.6931
    """
    time, event = check_survival(time, event)
    lp = _check_risk(lp, len(time), "lp")
    if not event.any():
        raise EvaluationInputError("event: the partial likelihood needs at least one observed event")
    order = np.argsort(-time, kind="stable")           # longest follow-up first
    t, e, x = time[order], event[order], lp[order] - lp.max()
    log_risk_set = np.logaddexp.accumulate(x)          # log sum exp over everyone with time >= t_i
    # Breslow ties: every tied event shares the risk set of its whole tie group
    last_of_tie = np.r_[np.flatnonzero(np.diff(t) != 0), len(t) - 1]
    group_end = np.repeat(last_of_tie, np.diff(np.r_[-1, last_of_tie]))
    return float(np.sum(x[e] - log_risk_set[group_end][e]) / e.sum())


def kaplan_meier(time, event, at=None, alpha: float = 0.05) -> pd.DataFrame:
    """Kaplan-Meier survival (log-log CI) at the times ``at`` (default: every event time).

    Returns a frame indexed by time with ``survival``, ``lo``, ``hi`` and
    ``at_risk`` (patients still followed just before that time).
    """
    from sksurv.nonparametric import kaplan_meier_estimator

    time, event = check_survival(time, event)
    t, s, ci = kaplan_meier_estimator(event, time, conf_type="log-log", conf_level=1 - alpha)
    grid = np.asarray(t if at is None else at, dtype=float)
    # right-continuous step function: S(u) = S(t_k) for the last event time t_k <= u
    idx = np.searchsorted(t, grid, side="right") - 1
    surv = np.where(idx >= 0, s[np.clip(idx, 0, None)], 1.0)
    lo = np.where(idx >= 0, ci[0][np.clip(idx, 0, None)], 1.0)
    hi = np.where(idx >= 0, ci[1][np.clip(idx, 0, None)], 1.0)
    at_risk = np.array([(time >= u).sum() for u in grid])
    return pd.DataFrame({"survival": surv, "lo": lo, "hi": hi, "at_risk": at_risk}, index=pd.Index(grid, name="time"))


def reverse_km_followup(time, event) -> pd.Series:
    """Median follow-up by the reverse Kaplan-Meier method (Schemper & Smith 1996).

    Censoring is the "event" and events are censored, so the median is the
    potential follow-up, not shortened by early events. Returns the median and
    its quartiles (NaN where the curve does not reach them).
    """
    from sksurv.nonparametric import kaplan_meier_estimator

    time, event = check_survival(time, event)
    t, s = kaplan_meier_estimator(~event, time)

    def quantile(q):
        below = np.flatnonzero(s <= 1 - q)
        return float(t[below[0]]) if below.size else float("nan")

    return pd.Series({"median": quantile(0.5), "q1": quantile(0.25), "q3": quantile(0.75)})


def _bootstrap(stat, n: int, n_boot: int, seed, alpha: float) -> tuple[float, float]:
    if n_boot <= 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(int(n_boot)):
        idx = rng.integers(0, n, n)
        try:
            values.append(stat(idx))
        except (ValueError, ZeroDivisionError, EvaluationInputError):
            continue  # a replicate without a usable pair or event says nothing
    return percentile_interval(values, alpha)


def harrell_c(time, event, risk, alpha: float = 0.05, n_boot: int = 200, seed=0) -> Estimate:
    """Harrell's concordance: the share of usable pairs the risk orders correctly.

    A pair is usable when the shorter time is an event; ties in risk count one
    half (Harrell 1996). Percentile bootstrap CI over patients.
    """
    from sksurv.metrics import concordance_index_censored

    time, event = check_survival(time, event)
    risk = _check_risk(risk, len(time))
    if not event.any():
        raise EvaluationInputError("event: Harrell's C needs at least one observed event")

    def stat(idx):
        return concordance_index_censored(event[idx], time[idx], risk[idx])[0]

    est = float(stat(np.arange(len(time))))
    return Estimate(est, *_bootstrap(stat, len(time), n_boot, seed, alpha))


def _tau(time, event, tau):
    """Truncation time for IPCW statistics: below the last follow-up, where censoring weights exist."""
    if tau is None:
        return float(np.quantile(time, 0.9))
    return float(tau)


def uno_c(time, event, risk, tau: float | None = None, train=None, alpha: float = 0.05, n_boot: int = 200,
          seed=0) -> Estimate:
    """Uno's IPCW concordance up to ``tau`` (Uno et al. 2011, Stat Med 30:1105-17).

    Unlike Harrell's C it does not depend on the censoring distribution.
    ``train``: ``(time, event)`` from which the censoring distribution is
    estimated (default: these patients). ``tau`` default: the 90th
    percentile of follow-up.
    """
    from sksurv.metrics import concordance_index_ipcw

    time, event = check_survival(time, event)
    risk = _check_risk(risk, len(time))
    tau = _tau(time, event, tau)
    surv_train = survival_structured(*(train if train is not None else (time, event)))

    def stat(idx):
        return concordance_index_ipcw(surv_train, survival_structured(time[idx], event[idx]), risk[idx], tau=tau)[0]

    est = float(stat(np.arange(len(time))))
    return Estimate(est, *_bootstrap(stat, len(time), n_boot, seed, alpha))


def time_dependent_auc(time, event, risk_by_horizon, horizons, train=None, alpha: float = 0.05,
                       n_boot: int = 200, seed=0) -> pd.DataFrame:
    """Cumulative/dynamic AUC at each horizon (Uno 2007; Hung & Chiang 2010), IPCW.

    Cases: events by the horizon; controls: still event-free after it.
    ``risk_by_horizon``: (n,) one risk for all horizons, or (n, len(horizons)).
    Horizons beyond the last follow-up time are refused.
    """
    from sksurv.metrics import cumulative_dynamic_auc

    time, event = check_survival(time, event)
    horizons = np.atleast_1d(np.asarray(horizons, dtype=float))
    risk = _check_risk(risk_by_horizon, len(time), "risk_by_horizon")
    _check_horizons(time, horizons)
    surv_train = survival_structured(*(train if train is not None else (time, event)))
    rows = []
    for j, h in enumerate(horizons):
        r = risk if risk.ndim == 1 else risk[:, j]

        def stat(idx, h=h, r=r):
            return float(cumulative_dynamic_auc(surv_train, survival_structured(time[idx], event[idx]),
                                                r[idx], [h])[0][0])

        est = stat(np.arange(len(time)))
        lo, hi = _bootstrap(stat, len(time), n_boot, seed, alpha)
        rows.append({"horizon": h, "auc": est, "lo": lo, "hi": hi})
    return pd.DataFrame(rows).set_index("horizon")


def _check_horizons(time, horizons):
    last = float(time.max())
    late = horizons[horizons >= last]
    if late.size:
        raise EvaluationInputError(f"horizons: {late[0]:g} years is at or beyond the last follow-up "
                                   f"({last:g} years); choose horizons within follow-up")
    if (horizons <= 0).any():
        raise EvaluationInputError("horizons: must be positive")


def ipcw_brier(time, event, risk_by_horizon, horizons, train=None, alpha: float = 0.05, n_boot: int = 200,
               seed=0) -> pd.DataFrame:
    """IPCW Brier score of the predicted risk by each horizon (Graf et al. 1999).

    ``risk_by_horizon``: (n, len(horizons)) predicted probability of the event
    by each horizon (survival = 1 - risk). Lower is better; compare with the
    Kaplan-Meier "null model" Brier in column ``null`` (everyone gets the
    overall risk).
    """
    from sksurv.metrics import brier_score

    time, event = check_survival(time, event)
    horizons = np.atleast_1d(np.asarray(horizons, dtype=float))
    risk = _check_risk(risk_by_horizon, len(time), "risk_by_horizon").reshape(len(time), -1)
    if risk.shape[1] != len(horizons):
        raise EvaluationInputError(f"risk_by_horizon has {risk.shape[1]} columns for {len(horizons)} horizons")
    _check_horizons(time, horizons)
    train_te = train if train is not None else (time, event)
    surv_train = survival_structured(*train_te)
    km = kaplan_meier(*train_te, at=horizons)["survival"].to_numpy()
    rows = []
    for j, h in enumerate(horizons):
        def stat(idx, j=j, h=h, surv=None):
            s = 1 - risk[idx, j] if surv is None else surv[idx]
            return float(brier_score(surv_train, survival_structured(time[idx], event[idx]), s, [h])[1][0])

        est = stat(np.arange(len(time)))
        null = stat(np.arange(len(time)), surv=np.full(len(time), km[j]))
        lo, hi = _bootstrap(stat, len(time), n_boot, seed, alpha)
        rows.append({"horizon": h, "brier": est, "lo": lo, "hi": hi, "null": null})
    return pd.DataFrame(rows).set_index("horizon")


def integrated_brier(time, event, survival_fn, grid, train=None) -> float:
    """Integrated IPCW Brier score over ``grid`` (trapezoid rule, divided by its span).

    ``survival_fn``: (n, len(grid)) predicted survival probabilities.
    """
    from sksurv.metrics import integrated_brier_score

    time, event = check_survival(time, event)
    grid = np.asarray(grid, dtype=float)
    _check_horizons(time, grid)
    surv = _check_risk(survival_fn, len(time), "survival_fn")
    surv_train = survival_structured(*(train if train is not None else (time, event)))
    return float(integrated_brier_score(surv_train, survival_structured(time, event), surv, grid))
