"""Riley et al. minimum sample size criteria for a binary-outcome prediction model.

Written here because pmsampsize (PyPI) needs Python >= 3.12; the formulas and
the rounding follow the R package pmsampsize (binary outcomes), whose tests are
reproduced in ours. Defaults and citations live in
:mod:`rairpredict.reference.statistics`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from rairpredict.reference import statistics as ref

from ._logistic import fit_logistic
from ._utils import EvaluationInputError

__all__ = ["SampleSizeResult", "riley_sample_size", "max_r2_cs", "r2_cs_from_c_statistic",
           "sample_size_warning"]


def max_r2_cs(prevalence: float) -> float:
    """Largest attainable Cox-Snell R² for an outcome with this prevalence.

    ``1 - (phi^phi (1 - phi)^(1 - phi))^2`` (Riley 2019, eq. 23).

    Examples
    --------
    >>> round(max_r2_cs(0.174), 4)
    0.6032
    """
    phi = float(prevalence)
    ln_null = phi * math.log(phi) + (1 - phi) * math.log(1 - phi)
    return 1 - math.exp(2 * ln_null)


def r2_cs_from_c_statistic(c_statistic: float, prevalence: float, n_grid: int = 20000) -> float:
    """Anticipated Cox-Snell R² for a model with this C-statistic (Riley 2021).

    As pmsampsize's ``cstat2rsq``: the linear predictor is N(0, 1) in one class
    and N(sqrt(2) Phi^-1(C), 1) in the other, and a logistic model of the outcome
    on it gives R²_CS. pmsampsize simulates 10^6 rows; here a deterministic grid
    of normal quantiles (weights = class proportions) replaces the simulation.

    Examples
    --------
    >>> 0 < r2_cs_from_c_statistic(0.75, 0.2) < max_r2_cs(0.2)
    True
    """
    if not 0.5 <= c_statistic < 1:
        raise EvaluationInputError(f"c_statistic: must lie in [0.5, 1), got {c_statistic!r}")
    mu = math.sqrt(2) * stats.norm.ppf(c_statistic)
    z = stats.norm.ppf((np.arange(n_grid) + 0.5) / n_grid)
    lp = np.concatenate([z + mu, z])
    y = np.concatenate([np.ones(n_grid), np.zeros(n_grid)])
    w = np.concatenate([np.full(n_grid, prevalence / n_grid), np.full(n_grid, (1 - prevalence) / n_grid)])
    fit = fit_logistic(np.column_stack([np.ones_like(lp), lp]), y, weights=w)
    ll_null = prevalence * math.log(prevalence) + (1 - prevalence) * math.log(1 - prevalence)
    # weights sum to 1, so log-likelihoods are per patient
    return float(1 - math.exp(-2 * (fit.loglik - ll_null)))


def _n_for_shrinkage(p: int, r2: float, s: float) -> int:
    return math.ceil(p / ((s - 1) * math.log(1 - r2 / s)))


def _expected_shrinkage(n: int, p: int, r2: float) -> float:
    """Invert criterion (i): the shrinkage S at which n patients suffice."""
    def gap(s):
        return p / ((s - 1) * math.log(1 - r2 / s)) - n
    try:
        return float(optimize.brentq(gap, r2 + 1e-9, 1 - 1e-9))
    except ValueError:
        return float("nan")


@dataclass(frozen=True)
class SampleSizeResult:
    """Outcome of :func:`riley_sample_size`; ``table`` has one row per criterion."""

    table: pd.DataFrame
    n: int
    events: int
    n_parameters: int
    prevalence: float
    r2_cs: float
    r2_cs_source: str
    max_r2_cs: float
    required_n: int
    required_events: int
    epp: float
    required_epp: float
    expected_shrinkage: float
    adequate: bool


def riley_sample_size(n: int, events: int, n_parameters: int, r2_cs: float | None = None,
                      c_statistic: float | None = None, shrinkage: float = ref.RILEY_TARGET_SHRINKAGE,
                      prevalence: float | None = None, pmsampsize_rounding: bool = True) -> SampleSizeResult:
    """Is a development cohort big enough? Riley et al. criteria, binary outcome.

    (i) expected uniform shrinkage >= ``shrinkage``:
        ``n = P / ((S - 1) ln(1 - R2cs / S))``;
    (ii) optimism in Nagelkerke R² <= 0.05: criterion (i) with
        ``S = R2cs / (R2cs + 0.05 max_R2cs)``;
    (iii) overall risk within +/- 0.05: ``n = (1.96 / 0.05)^2 phi (1 - phi)``.

    Parameters
    ----------
    n, events : the cohort's size and number of outcome events.
    n_parameters : candidate predictor parameters (dummy columns and spline
        terms count one each).
    r2_cs : anticipated Cox-Snell R² (adjusted, from prior work).
    c_statistic : used when ``r2_cs`` is None (Riley 2021 approximation).
        With neither, R²_CS = 15 % of its maximum (Riley BMJ 2020).
    shrinkage : target shrinkage, default 0.9.
    prevalence : anticipated outcome proportion; default ``events / n``.
    pmsampsize_rounding : round max R²_CS (2 dp) and criterion-2 shrinkage
        (3 dp) as the R package pmsampsize does, so results match it.

    References
    ----------
    Riley RD et al. Stat Med 2019;38:1276-96; BMJ 2020;368:m441; Riley RD,
    Van Calster B, Collins GS. Stat Med 2021;40:859-64.

    Examples
    --------
    >>> res = riley_sample_size(n=700, events=122, n_parameters=24, r2_cs=0.288, prevalence=0.174)
    >>> res.required_n, res.adequate
    (668, True)
    """
    n, events, n_parameters = int(n), int(events), int(n_parameters)
    if n_parameters < 1:
        raise EvaluationInputError(f"n_parameters: must be >= 1, got {n_parameters}")
    if not 0 < events < n:
        raise EvaluationInputError(f"events: must lie strictly between 0 and n = {n}, got {events}")
    phi = events / n if prevalence is None else float(prevalence)
    if not 0 < phi < 1:
        raise EvaluationInputError(f"prevalence: must lie in (0, 1), got {phi!r}")
    max_r2 = max_r2_cs(phi)
    if r2_cs is not None:
        r2, source = float(r2_cs), "given"
    elif c_statistic is not None:
        r2, source = r2_cs_from_c_statistic(c_statistic, phi), f"from C-statistic {c_statistic:g} (Riley 2021)"
    else:
        r2 = ref.RILEY_DEFAULT_R2_FRACTION_OF_MAX * max_r2
        source = "15% of max R2_CS (Riley 2020 default)"
    max_used = round(max_r2, 2) if pmsampsize_rounding else max_r2
    if not 0 < r2 < max_used:
        raise EvaluationInputError(f"r2_cs: must lie in (0, max R2_CS = {max_used:.3f}), got {r2:.4g}")
    if not r2 < shrinkage < 1:
        raise EvaluationInputError(f"shrinkage: must lie in (R2_CS, 1), got {shrinkage!r}")
    n1 = _n_for_shrinkage(n_parameters, r2, shrinkage)
    s2 = r2 / (r2 + ref.RILEY_MAX_R2_NAGELKERKE_DIFFERENCE * max_used)
    if pmsampsize_rounding:
        s2 = round(s2, 3)
    n2 = _n_for_shrinkage(n_parameters, r2, s2)
    n3 = math.ceil((ref.RILEY_OVERALL_RISK_Z / ref.RILEY_OVERALL_RISK_MARGIN) ** 2 * phi * (1 - phi))
    final = max(n1, n2, n3)
    sizes = {"criterion_1_shrinkage": (n1, shrinkage), "criterion_2_r2_difference": (n2, s2),
             "criterion_3_overall_risk": (n3, max(shrinkage, s2)), "final": (final, max(shrinkage, s2))}
    table = pd.DataFrame({"required_n": [v[0] for v in sizes.values()],
                          "required_events": [math.ceil(v[0] * phi) for v in sizes.values()],
                          "shrinkage": [v[1] for v in sizes.values()],
                          "epp": [round(v[0] * phi / n_parameters, 2) for v in sizes.values()]},
                         index=list(sizes))
    return SampleSizeResult(
        table=table, n=n, events=events, n_parameters=n_parameters, prevalence=phi, r2_cs=r2,
        r2_cs_source=source, max_r2_cs=max_r2, required_n=final, required_events=math.ceil(final * phi),
        epp=events / n_parameters, required_epp=final * phi / n_parameters,
        expected_shrinkage=_expected_shrinkage(n, n_parameters, r2), adequate=n >= final)


def sample_size_warning(result: SampleSizeResult) -> str | None:
    """A loud one-paragraph message when the cohort is too small, else None."""
    if result.adequate:
        return None
    failing = [name for name, row in result.table.drop(index="final").iterrows() if result.n < row["required_n"]]
    return (f"WARNING: SAMPLE SIZE INADEQUATE (Riley criteria): n = {result.n} with {result.events} events "
            f"for {result.n_parameters} candidate parameters (EPP {result.epp:.1f}); the criteria need "
            f"n >= {result.required_n} ({result.required_events} events, EPP {result.required_epp:.1f}); "
            f"failing: {', '.join(failing)}. Expected shrinkage at this n: {result.expected_shrinkage:.2f} "
            f"(target {result.table.loc['criterion_1_shrinkage', 'shrinkage']:.2f}); R2_CS {result.r2_cs:.3f} "
            f"{result.r2_cs_source}. Expect overfitting: use fewer parameters or penalisation, and report "
            f"optimism-corrected performance.")
