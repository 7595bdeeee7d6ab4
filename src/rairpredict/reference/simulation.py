"""Simulation-only parameters of the synthetic cohort (one source of truth).

Every figure is either taken from a source named beside it or marked
"rairpredict choice, approximate" (chosen so that the generated cohorts
reproduce the seed studies' targets in :mod:`rairpredict.reference.seed_targets`;
see ``python -m rairpredict.experiment.simulator_calibration``).  Clinical constants that
already live in :mod:`rairpredict.reference.clinical` are imported, not retyped.

:class:`SimulationParams` holds the generative model's coefficients;
``PROFILES`` holds the covariate mix of each cohort profile.

Examples
--------
>>> from rairpredict.reference.simulation import SimulationParams, PROFILES
>>> p = SimulationParams()
>>> round(p.retention48_rhtsh / p.retention48_withdrawal, 3)
0.601
>>> sorted(PROFILES)
['A', 'B', 'C', 'default']
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

__all__ = ["SimulationParams", "PROFILES", "REMY_2008_WB_T_EFF_H", "make_params"]

#: Whole-body effective half-life (h) after rhTSH / withdrawal, Remy et al.,
#: J Nucl Med 2008;49:1445 (n = 36 / 218).
REMY_2008_WB_T_EFF_H = {"rhtsh": 10.5, "withdrawal": 15.7}


@dataclass(frozen=True)
class SimulationParams:
    """Coefficients of the generative model (see :mod:`rairpredict.simulation.simulate`).

    Logistic coefficients are log-odds; ``*_sd`` are SDs on the log scale.
    """

    # ---- molecular markers (latent when untested)
    #: BRAF V600E prevalence by histology group: classic/tall-cell PTC ~60 %,
    #: follicular-variant ~15 %, follicular/oncocytic ~2 % (Xing, Nat Rev Cancer
    #: 2013; approximate).
    braf_prev: dict = field(default_factory=lambda: {
        "papillary_classic": 0.60, "papillary_micro": 0.45, "papillary_follicular_variant": 0.15,
        "papillary_tall_cell": 0.80, "papillary_hobnail": 0.50, "papillary_columnar": 0.40,
        "follicular": 0.02, "oncocytic": 0.02})
    #: TERT promoter mutation: ~10 % of PTC, ~17 % of FTC, rising with age
    #: (Liu & Xing, Endocr Relat Cancer 2016; approximate).
    tert_logit0: float = -2.6
    tert_age_per_10y: float = 0.35
    tert_follicular: float = 0.6
    tert_aggressive: float = 0.9
    #: Probability that BRAF / TERT was tested (MCAR). rairpredict choice.
    p_braf_tested: float = 0.35
    p_tert_tested: float = 0.30

    # ---- latent z: partial / delayed NIS activation (Study A's unexpected group)
    #: rairpredict choice, approximate (tuned to A_unexpected_prevalence and the
    #: group-conditional TSH means of Study A).
    z_logit0: float = -2.65
    #: per log(TSH / 80 mU/L): higher stimulated TSH goes with partial
    #: activation (Study A: 114.1 vs 73.9 mU/L).
    z_log_tsh: float = 4.5
    z_braf: float = 0.7      # BRAF V600E down-regulates NIS (Xing 2013)
    z_tert: float = 0.7
    z_aggressive: float = 0.6
    z_age_per_10y: float = 0.15

    # ---- latent d: dedifferentiated (RAI-refractory) tumour biology
    #: Directions after Li et al. 2018 (smoking, follicular histology, ETE,
    #: >= 4 positive nodes, LN ratio >= 53 %, pN1) plus distant metastases,
    #: age, BRAF/TERT; no effect of sex or tumour size. Magnitudes: rairpredict
    #: choice, approximate (tuned to Study B's RAIR prevalence).
    d_logit0: float = -2.8
    d_smoking: float = 0.6
    d_follicular: float = 0.7
    d_aggressive: float = 0.8
    d_ete: dict = field(default_factory=lambda: {"none": 0.0, "minimal": 0.5, "gross": 1.1})
    d_ln4: float = 0.5
    d_ln_ratio53: float = 0.5
    d_n1: float = 0.4
    d_m1: float = 1.2
    d_age_per_10y: float = 0.25
    d_braf: float = 0.4
    d_tert: float = 1.3
    d_repeat_course: float = 0.6

    # ---- observed children of d (enter the oracle's posterior)
    #: Dedifferentiated tumours secrete less Tg per tumour mass (log scale).
    tg_d_shift: float = -0.5
    #: recurrence before this course: base log-odds by course (1, >=2) and d effect.
    recur_logit0: dict = field(default_factory=lambda: {1: -3.0, 2: -1.2})
    recur_d: float = 1.2

    # ---- stimulated TSH (mU/L), lognormal.  Study A: withdrawal 80.7 +/- 27,
    #: rhTSH 123.3 +/- 75.8.  Under withdrawal a functioning remnant blunts the
    #: TSH rise (rairpredict choice): median falls with 99mTc uptake.
    tsh_thw_median: float = 77.5
    tsh_thw_log_uptake: float = -0.15
    tsh_thw_sd: float = 0.33
    tsh_rh_median: float = 106.5
    tsh_rh_sd: float = 0.56

    # ---- stimulated Tg (ng/mL), lognormal; Study A means by preparation,
    #: Study C means by disease group.  rairpredict choice, approximate.
    tg_median: dict = field(default_factory=lambda: {
        ("withdrawal", "ablation"): 11.09, ("rhtsh", "ablation"): 3.0,
        ("withdrawal", "biochemical"): 33.0, ("rhtsh", "biochemical"): 9.0,
        ("withdrawal", "structural"): 80.0, ("rhtsh", "structural"): 20.0})
    tg_sd: dict = field(default_factory=lambda: {
        ("withdrawal", "ablation"): 0.34, ("rhtsh", "ablation"): 0.66,
        ("withdrawal", "biochemical"): 1.0, ("rhtsh", "biochemical"): 1.0,
        ("withdrawal", "structural"): 0.92, ("rhtsh", "structural"): 0.92})
    tg_log_uptake: float = 0.06
    tg_m1_shift: float = 1.0
    #: TgAb interference lowers measured Tg (ATA 2015: falsely low).
    tg_tgab_shift: float = -0.7

    # ---- 48 h whole-body retention (dose rate / initial dose rate)
    #: Ravichandran et al. 2016 (PMC5020787): 0.148 withdrawal, 0.089 rhTSH.
    #: The rhTSH/withdrawal gap is this ratio (shrinks with short protocols,
    #: Bacher 2019) -- change retention48_rhtsh to change the gap.
    retention48_withdrawal: float = 0.148
    retention48_rhtsh: float = 0.089
    retention48_sd: float = 0.35
    retention48_log_uptake: float = 0.10
    retention48_structural: float = 0.15
    #: Partial NIS activation: retention multiplied by this factor
    #: (rairpredict choice, approximate; Study A p = 0.000005).
    retention48_partial_factor: float = 0.35
    #: Effective half-life spread and the z effect on it (dose rates 24/72 h).
    t_eff_sd: float = 0.2
    t_eff_partial_factor: float = 0.8
    dose_rate_meas_sd: float = 0.04

    # ---- early radiation reactions (sialadenitis, neck pain, nausea)
    react_logit0: float = -0.5
    react_log_activity: float = 0.6
    react_log_uptake: float = 0.4
    react_withdrawal: float = 0.3
    react_partial: float = -1.6

    # ---- post-therapy scan
    noup_p: dict = field(default_factory=lambda: {0: 0.001, 1: 0.008})        # by d
    loss_p: dict = field(default_factory=lambda: {0: 0.001, 1: 0.008})        # by d, course >= 2 only
    nonavid_p: dict = field(default_factory=lambda: {0: 0.004, 1: 0.03})     # by d, given structural disease

    # ---- structural outcome 12-16 months (given structural disease)
    prog_logit0: float = -1.7
    prog_d: float = 3.2
    prog_z: float = 0.6
    prog_m1: float = 1.0
    #: repeat courses without distant metastases progress less (Study C: 10 of 41)
    prog_repeat_course: float = -0.7
    #: Resolved or shrank, given not progressed (Study C 5 of 31 non-progressed).
    shrink_logit0: float = -0.6
    shrink_d: float = -1.5
    shrink_z: float = -1.0
    shrink_repeat_course: float = -0.9
    #: Share of "resolved" among resolved-or-shrank. rairpredict choice.
    resolved_share: float = 0.4
    #: Biochemical persistence without structural disease.
    bp_logit0: float = -2.0
    bp_d: float = 1.6
    bp_z: float = 1.0
    bp_repeat_course: float = 1.0
    bp_log_tg: float = 0.3

    # ---- follow-up stimulated Tg change, log(Tg_fu / Tg): normal
    tg_change_mu: dict = field(default_factory=lambda: {
        "none": -1.0, "resolved": -1.6, "shrank": -0.9, "stable": -0.4, "progressed": 0.3})
    tg_change_d: float = 0.5
    tg_change_z: float = 0.4
    tg_change_sd: float = 0.75
    #: Stimulated follow-up Tg not measured (MCAR). rairpredict choice.
    p_tg_fu_missing: float = 0.08
    #: TgAb seroconversion by follow-up among TgAb-negative patients.
    p_tgab_seroconversion: float = 0.03

    # ---- FDG PET (done mostly when Tg is high and the 131I scan is negative)
    fdg_done_p: dict = field(default_factory=lambda: {
        (True, True): 0.7, (True, False): 0.25, (False, True): 0.15, (False, False): 0.03})
    fdg_pos_p: dict = field(default_factory=lambda: {0: 0.3, 1: 0.85})    # by d, if disease present
    fdg_high_tg_ng_ml: float = 10.0

    # ---- misc missingness (MCAR, not used by the latent model)
    p_size_missing: float = 0.04


def make_params(params=None) -> SimulationParams:
    """``None`` -> defaults; a dict -> defaults with those fields replaced."""
    if params is None:
        return SimulationParams()
    if isinstance(params, SimulationParams):
        return params
    known = {f.name for f in fields(SimulationParams)}
    unknown = sorted(set(params) - known)
    if unknown:
        from rairpredict.errors import ConfigError
        raise ConfigError(f"simulation params: unknown field(s) {unknown}")
    return replace(SimulationParams(), **params)


# ----------------------------------------------------------------- profiles
# Covariate mix of each profile.  Figures for A/B/C follow the studies
# (seed_targets); everything else is a rairpredict choice, approximate.
_BASE = {
    "age_mean": 47.0, "age_sd": 15.0, "age_range": (18.0, 85.0),
    "female": 0.75,                      # DTC ~3:1 female
    "follicular": 0.12,                  # follicular + oncocytic share
    "course_probs": (1.0,),              # course 1, 2, 3, ...
    "rhtsh": 0.05,                       # share prepared with rhTSH (course 1)
    "m1": 0.04,                          # distant metastases (course 1)
    "n1": 0.35,
    "recurrence_course1": True,
    "structural_repeat": 0.45,           # structural share of repeat courses
    "reoperated_repeat": 0.30,
    "repeat_m1_allowed": True,
    "tgab_positive": 0.18,               # ~15-25 % of DTC (ATA 2015)
    "smoking": 0.18,
    "ablation_only": False,              # True: no structural disease before course 1
}
PROFILES: dict[str, dict] = {
    # Study A: all first courses, withdrawal with some rhTSH.
    "A": {**_BASE, "m1": 0.0, "n1": 0.25, "ablation_only": True},
    # Study B: course mix 70.3/14.4/8.7/3.5/3.0 %, 41.9 % follicular, age 18-80 mean 49.
    "B": {**_BASE, "age_mean": 49.0, "age_sd": 14.0, "age_range": (18.0, 80.0), "female": 164 / 229,
          "follicular": 96 / 229, "course_probs": (161, 33, 20, 8, 7), "m1": 0.04, "n1": 0.26,
          "rhtsh": 0.0},
    # Study C: all repeat courses for incomplete response, no distant metastases.
    "C": {**_BASE, "age_mean": 46.6, "age_sd": 17.0, "female": 103 / 164, "course_probs": (0, 1.0),
          "m1": 0.0, "n1": 0.55, "repeat_m1_allowed": False,
          "structural_repeat": 53 / 114, "reoperated_repeat": 50 / 164},
    # Mixture usable for all three targets: ~80 % first courses.
    "default": {**_BASE, "course_probs": (0.78, 0.12, 0.06, 0.025, 0.015), "rhtsh": 0.15,
                "m1": 0.05, "n1": 0.35},
}
