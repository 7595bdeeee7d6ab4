"""Riley et al. minimum sample size for a time-to-event prediction model.

The three criteria of Riley et al. (Stat Med 2019;38:1276-96, part II; as in
the R package pmsampsize, ``type = "s"``), for ``P`` candidate parameters, an
anticipated Cox-Snell R², an overall event rate per person-year ``rate`` and a
mean follow-up ``mean_followup`` (years):

(i) expected uniform shrinkage >= ``S``: ``n = P / ((S - 1) ln(1 - R2cs / S))``;
(ii) optimism in Nagelkerke R² <= 0.05, with
     ``max R2cs = 1 - exp(2 lnL0 / n)``, ``lnL0 = E ln(E / n) - E`` and
     ``E = n rate mean_followup`` events (exponential null model);
(iii) the overall risk by ``horizon``, ``1 - exp(-rate horizon)``, estimated
     within +/- 0.05 (95 % CI of the rate from ``E`` events, log scale).

Defaults (target shrinkage 0.9, R²_CS = 15 % of its maximum when unknown) are
the binary criteria's, from :mod:`rairpredict.reference.statistics`.

Examples
--------
>>> from rairpredict.evaluation import riley_survival_sample_size
>>> res = riley_survival_sample_size(n=2000, events=150, n_parameters=20, mean_followup=4.0, horizon=3.0)
>>> res["required_n"] > 0 and res["adequate"] in (True, False)
True
"""
from __future__ import annotations

import math

import pandas as pd
from scipy import optimize

from rairpredict.reference import statistics as ref

from ._sample_size import _expected_shrinkage, _n_for_shrinkage
from ._utils import EvaluationInputError

__all__ = ["riley_survival_sample_size"]


def _risk_half_width(n: float, rate: float, mean_followup: float, horizon: float) -> float:
    events = n * rate * mean_followup
    se = 1 / math.sqrt(events)
    lo = 1 - math.exp(-rate * math.exp(-ref.RILEY_OVERALL_RISK_Z * se) * horizon)
    hi = 1 - math.exp(-rate * math.exp(ref.RILEY_OVERALL_RISK_Z * se) * horizon)
    return (hi - lo) / 2


def riley_survival_sample_size(n: int, events: int, n_parameters: int, mean_followup: float, horizon: float,
                               r2_cs: float | None = None,
                               shrinkage: float = ref.RILEY_TARGET_SHRINKAGE) -> pd.Series:
    """Is a cohort with ``events`` events over ``n * mean_followup`` person-years big enough?

    Returns a Series: ``required_n`` per criterion and overall, ``r2_cs`` used
    and its source, ``expected_shrinkage`` at this ``n``, ``adequate``.
    """
    n, events, n_parameters = int(n), int(events), int(n_parameters)
    if n_parameters < 1 or not 0 < events < n or mean_followup <= 0 or horizon <= 0:
        raise EvaluationInputError("riley_survival_sample_size: needs n_parameters >= 1, 0 < events < n, "
                                   "positive mean_followup and horizon")
    rate = events / (n * mean_followup)
    ln_null_per_patient = rate * mean_followup * math.log(rate * mean_followup) - rate * mean_followup
    max_r2 = 1 - math.exp(2 * ln_null_per_patient)
    if r2_cs is None:
        r2, source = ref.RILEY_DEFAULT_R2_FRACTION_OF_MAX * max_r2, "15% of max R2_CS (Riley 2020 default)"
    else:
        r2, source = float(r2_cs), "given"
    if not 0 < r2 < max_r2:
        raise EvaluationInputError(f"r2_cs: must lie in (0, max R2_CS = {max_r2:.3f}), got {r2:.4g}")
    n1 = _n_for_shrinkage(n_parameters, r2, shrinkage)
    s2 = r2 / (r2 + ref.RILEY_MAX_R2_NAGELKERKE_DIFFERENCE * max_r2)
    n2 = _n_for_shrinkage(n_parameters, r2, s2)
    n3 = math.ceil(optimize.brentq(
        lambda m: _risk_half_width(m, rate, mean_followup, horizon) - ref.RILEY_OVERALL_RISK_MARGIN, 1.0, 1e9))
    final = max(n1, n2, n3)
    return pd.Series({"criterion_1_shrinkage": n1, "criterion_2_r2_difference": n2,
                      "criterion_3_overall_risk": n3, "required_n": final, "n": n, "events": events,
                      "rate_per_year": rate, "r2_cs": r2, "r2_cs_source": source, "max_r2_cs": max_r2,
                      "expected_shrinkage": _expected_shrinkage(n, n_parameters, r2), "adequate": n >= final})
