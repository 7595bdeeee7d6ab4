"""Calibration and net benefit of predicted risks by a horizon, under censoring.

Observed risks by the horizon ``h`` are Kaplan-Meier estimates ``1 - S(h)``;
patients censored before ``h`` are never counted as event-free. Methods:

* grouped calibration: patients in groups of predicted risk, Kaplan-Meier
  observed risk (log-log CI) beside the mean predicted risk;
* smoothed calibration, ICI / E50 / E90 (Austin, Harrell & van Klaveren 2020,
  Stat Med 39:2714-42): a Cox model of the outcome on a restricted cubic spline
  of ``cll = log(-log(1 - predicted))`` gives each patient's observed risk;
* calibration slope: the Cox coefficient of ``cll`` (1 = ideal; < 1 = too
  extreme predictions), with its Wald CI (Crowson et al. 2016, SMMR 25:1692-706);
* both Cox fits use follow-up administratively censored at the horizon (events
  after ``h`` count as censored at ``h``), so the figures describe the risks by
  ``h``. Without it the slope could not depend on the horizon for a
  proportional-hazards model: its ``cll`` at any horizon is ``log H0(h) + lp``,
  a constant shift, and a Cox coefficient ignores constant shifts;
* observed / expected: Kaplan-Meier risk over the mean predicted risk;
* net benefit (Vickers et al. 2008, BMC Med Inform Decis Mak 8:53): among
  patients above a threshold, the Kaplan-Meier risk by ``h`` stands for the
  true-positive rate.

Cox fits use lifelines (Davidson-Pilon 2019, JOSS 4:1317).

Examples
--------
>>> import numpy as np
>>> from rairpredict.evaluation import horizon_calibration
>>> rng = np.random.default_rng(0)
>>> lp = rng.normal(size=400); t_event = rng.exponential(1 / (0.2 * np.exp(lp)))
>>> t_cens = rng.uniform(1, 8, 400); time = np.minimum(t_event, t_cens); event = t_event <= t_cens
>>> risk3 = 1 - np.exp(-0.2 * np.exp(lp) * 3)
>>> cal = horizon_calibration(time, event, risk3, horizon=3)
>>> bool(0.7 < cal["slope"] < 1.3)
True
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ._calibration import restricted_cubic_spline
from ._survival import _check_horizons, _check_risk, check_survival, kaplan_meier
from ._utils import EvaluationInputError, z_value

__all__ = ["horizon_calibration", "horizon_calibration_groups", "horizon_net_benefit", "cloglog"]

_EPS = 1e-6


def cloglog(risk) -> np.ndarray:
    """Complementary log-log of a risk, ``log(-log(1 - risk))`` (risks clipped to (1e-6, 1 - 1e-6))."""
    risk = np.clip(np.asarray(risk, dtype=float), _EPS, 1 - _EPS)
    return np.log(-np.log1p(-risk))


def _cox(time, event, X: pd.DataFrame):
    from lifelines import CoxPHFitter

    frame = X.assign(_time=time, _event=event.astype(int))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on near-separable toy data
        return CoxPHFitter().fit(frame, duration_col="_time", event_col="_event")


def _check(time, event, risk, horizon):
    time, event = check_survival(time, event)
    risk = _check_risk(risk, len(time), "risk")
    if risk.ndim != 1 or ((risk < 0) | (risk > 1)).any():
        raise EvaluationInputError("risk: must be one predicted probability in [0, 1] per patient")
    _check_horizons(time, np.array([float(horizon)]))
    if event.sum() < 2:
        raise EvaluationInputError("event: calibration by a horizon needs at least two observed events")
    return time, event, risk


def horizon_calibration_groups(time, event, risk, horizon: float, n_groups: int = 10,
                               alpha: float = 0.05) -> pd.DataFrame:
    """Predicted vs Kaplan-Meier observed risk by ``horizon`` in groups of predicted risk.

    Groups are quantiles of the predicted risk (fewer when there are few
    events: at least about 5 events per group on average).
    """
    time, event, risk = _check(time, event, risk, horizon)
    n_groups = int(max(2, min(n_groups, event.sum() // 5 or 2)))
    edges = np.unique(np.quantile(risk, np.linspace(0, 1, n_groups + 1)))
    group = np.clip(np.searchsorted(edges, risk, side="right") - 1, 0, len(edges) - 2)
    rows = []
    for g in np.unique(group):
        m = group == g
        km = kaplan_meier(time[m], event[m], at=[horizon], alpha=alpha).iloc[0]
        rows.append({"group": int(g) + 1, "n": int(m.sum()), "events": int(event[m].sum()),
                     "predicted": float(risk[m].mean()), "observed": 1 - km["survival"],
                     "observed_lo": 1 - km["hi"], "observed_hi": 1 - km["lo"]})
    return pd.DataFrame(rows).set_index("group")


def horizon_calibration(time, event, risk, horizon: float, n_knots: int = 3, alpha: float = 0.05) -> pd.Series:
    """Calibration of predicted risks by ``horizon``: O/E, slope, ICI, E50, E90 (see module docstring).

    Returns a Series with ``observed`` (Kaplan-Meier risk, with ``observed_lo``/
    ``observed_hi``), ``expected`` (mean predicted), ``oe`` (with CI from the
    Kaplan-Meier CI), ``slope`` (with ``slope_lo``/``slope_hi``), ``ici``,
    ``e50``, ``e90``.
    """
    time, event, risk = _check(time, event, risk, horizon)
    km = kaplan_meier(time, event, at=[horizon], alpha=alpha).iloc[0]
    observed, expected = 1 - km["survival"], float(risk.mean())
    cll = cloglog(risk)
    # follow-up up to the horizon only (see the module docstring): what happens later is not "by h"
    time, event = np.minimum(time, horizon), event & (time <= horizon)
    if event.sum() < 2:
        raise EvaluationInputError(f"event: calibration by {horizon:g} needs at least two events by then")
    slope_fit = _cox(time, event, pd.DataFrame({"cll": cll}))
    z = z_value(alpha)
    b, se = float(slope_fit.params_["cll"]), float(slope_fit.standard_errors_["cll"])
    # smoothed observed risk per patient: Cox on a spline of cll, evaluated at the horizon
    knots = np.quantile(cll, np.linspace(0.1, 0.9, n_knots)) if n_knots >= 3 else None
    basis = pd.DataFrame({"cll": cll})
    if knots is not None and len(np.unique(knots)) == n_knots:
        extra = restricted_cubic_spline(cll, knots)[:, 1:]
        for j in range(extra.shape[1]):
            basis[f"cll_s{j}"] = extra[:, j]
    try:
        smooth_fit = _cox(time, event, basis)
    except Exception as exc:  # lifelines ConvergenceError: collinear spline terms with few events
        if type(exc).__name__ != "ConvergenceError" or basis.shape[1] == 1:
            raise
        basis, smooth_fit = basis[["cll"]], slope_fit  # the linear fit is the smooth curve then
    surv_h = smooth_fit.predict_survival_function(basis, times=[horizon]).to_numpy()[0]
    smoothed = 1 - surv_h
    diff = np.abs(risk - smoothed)
    return pd.Series({
        "horizon": float(horizon), "observed": observed, "observed_lo": 1 - km["hi"], "observed_hi": 1 - km["lo"],
        "expected": expected, "oe": observed / expected, "oe_lo": (1 - km["hi"]) / expected,
        "oe_hi": (1 - km["lo"]) / expected, "slope": b, "slope_lo": b - z * se, "slope_hi": b + z * se,
        "ici": float(diff.mean()), "e50": float(np.median(diff)), "e90": float(np.quantile(diff, 0.9)),
    })


def horizon_net_benefit(time, event, risk, horizon: float, thresholds) -> pd.DataFrame:
    """Net benefit of treating patients whose predicted risk by ``horizon`` is >= each threshold.

    ``NB = r q - (1 - r) q t / (1 - t)``, with ``q`` the share above the
    threshold ``t`` and ``r`` their Kaplan-Meier risk by the horizon; columns
    ``model``, ``treat_all`` and ``treat_none`` (0).
    """
    time, event, risk = _check(time, event, risk, horizon)
    thresholds = np.asarray(thresholds, dtype=float)
    if ((thresholds <= 0) | (thresholds >= 1)).any():
        raise EvaluationInputError("thresholds: must lie strictly between 0 and 1")
    r_all = 1 - kaplan_meier(time, event, at=[horizon])["survival"].iloc[0]
    rows = []
    for t in thresholds:
        w = t / (1 - t)
        above = risk >= t
        q = above.mean()
        if q == 0:
            nb = 0.0
        else:
            r = 1 - kaplan_meier(time[above], event[above], at=[horizon])["survival"].iloc[0]
            nb = r * q - (1 - r) * q * w
        rows.append({"threshold": t, "model": float(nb), "treat_all": float(r_all - (1 - r_all) * w),
                     "treat_none": 0.0})
    return pd.DataFrame(rows).set_index("threshold")
