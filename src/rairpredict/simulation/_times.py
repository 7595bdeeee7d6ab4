"""Registry-like follow-up for the synthetic cohort: event times, censoring, competing deaths.

The binary outcomes of the simulator say *whether* RAIR (or a recurrence)
happens in complete follow-up; this module says *when*, and when each patient
stops being followed, so that the time-to-event targets see what a registry
sees: events before the last contact, everyone else censored at it.

* RAIR-positive courses (the Study B label where it is known; a draw from the
  oracle probability where the label is unknown) get a time to the first
  criterion: 81 % within 12-16 months (Study B), the rest over 1-5 years.
  The time is drawn independently of the patient's features, so the true
  risk by a horizon is exactly ``oracle_p_rair * F(h)``, with ``F`` the
  timing distribution: the ``oracle_risk_rair_<h>y`` columns.
* Recurrence (``recurred``) gets a time over 0.5-6.5 years likewise.
* The last contact is the earliest of an administrative end (0.5-10 years,
  staggered entry), loss to follow-up (5 % a year) and death from other causes
  (Gompertz in age): all independent of the outcome given the features, so
  censoring is non-informative; death is a competing event
  (``died_other_cause``).

Constants: :mod:`rairpredict.reference.simulation_times`.

Examples
--------
>>> from rairpredict.simulation import simulate_cohort
>>> df = simulate_cohort(300, seed=0)
>>> bool((df["rair_time_years"].dropna() <= df.loc[df["rair_time_years"].notna(), "followup_years"]).all())
True
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from rairpredict.labels import label_rair
from rairpredict.reference import simulation_times as T

__all__ = ["event_times", "rair_timing_cdf", "TIME_COLUMNS"]

TIME_COLUMNS = ("followup_years", "rair_time_years", "recurrence_time_years", "died_other_cause")


def rair_timing_cdf(t) -> np.ndarray:
    """P(time to the first RAIR criterion <= t | RAIR happens): the timing mixture's CDF."""
    t = np.asarray(t, dtype=float)
    lo, hi = T.RAIR_EARLY_WINDOW_YEARS
    early = np.clip((t - lo) / (hi - lo), 0.0, 1.0)
    late = stats.beta.cdf(np.clip((t - T.RAIR_LATE_OFFSET_YEARS) / T.RAIR_LATE_SPAN_YEARS, 0.0, 1.0),
                          *T.RAIR_LATE_BETA)
    return T.RAIR_SHARE_AT_12_16_MONTHS * early + (1 - T.RAIR_SHARE_AT_12_16_MONTHS) * late


def _rair_times(rng, n):
    lo, hi = T.RAIR_EARLY_WINDOW_YEARS
    early = rng.uniform(lo, hi, n)
    late = T.RAIR_LATE_OFFSET_YEARS + T.RAIR_LATE_SPAN_YEARS * rng.beta(*T.RAIR_LATE_BETA, n)
    return np.where(rng.random(n) < T.RAIR_SHARE_AT_12_16_MONTHS, early, late)


def _other_death_times(rng, age):
    a, b = T.OTHER_DEATH_GOMPERTZ
    # Gompertz hazard exp(a + b (age + t)): invert H(t) = exp(a + b age) (exp(b t) - 1) / b
    base = np.exp(a + b * np.nan_to_num(np.asarray(age, dtype=float), nan=50.0))
    return np.log1p(b * rng.exponential(1.0, len(base)) / base) / b


def event_times(frame: pd.DataFrame, seed) -> pd.DataFrame:
    """Follow-up columns (:data:`TIME_COLUMNS`) and ``oracle_risk_rair_<h>y`` for a simulated cohort.

    ``frame`` is the simulator's canonical table with ``oracle_p_rair``;
    ``seed`` seeds a stream of its own, so adding times never changes the
    other simulated values.
    """
    rng = np.random.default_rng([int(seed), 20161])
    n = len(frame)
    label = label_rair(frame)["rair"]
    p = frame["oracle_p_rair"].astype(float).to_numpy()
    known = label.notna().to_numpy()
    happens = np.where(known, label.fillna(False).astype(bool).to_numpy(), rng.random(n) < np.nan_to_num(p))
    rair_t = _rair_times(rng, n)
    recurred = frame["recurred"].fillna(False).astype(bool).to_numpy() if "recurred" in frame else np.zeros(n, bool)
    rec_t = T.RECURRENCE_OFFSET_YEARS + T.RECURRENCE_SPAN_YEARS * rng.beta(*T.RECURRENCE_BETA, n)
    admin = rng.uniform(*T.ADMIN_FOLLOWUP_YEARS, n)
    lost = rng.exponential(1 / T.LOSS_TO_FOLLOWUP_PER_YEAR, n)
    death = _other_death_times(rng, frame["age_years"])
    end = np.minimum(np.minimum(admin, lost), death)
    out = pd.DataFrame({
        "followup_years": end,
        "rair_time_years": np.where(happens & (rair_t <= end), rair_t, np.nan),
        "recurrence_time_years": np.where(recurred & (rec_t <= end), rec_t, np.nan),
        "died_other_cause": death <= np.minimum(admin, lost),
    }, index=frame.index)
    for h in T.ORACLE_HORIZONS_YEARS:
        out[f"oracle_risk_rair_{h:g}y"] = p * rair_timing_cdf(h)
    return out
