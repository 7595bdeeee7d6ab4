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
>>> from rairpredict.reference.simulation import SimulationParams, PROFILES, TC99M
>>> from rairpredict.reference import clinical
>>> p = SimulationParams()
>>> round(p.retention48_rhtsh / p.retention48_withdrawal, 3)
0.601
>>> TC99M["median_first"] < min(clinical.TC99M_ABLATION_CUTOFFS_PCT)
True
>>> sorted(PROFILES)
['A', 'B', 'C', 'default', 'external']
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace

from rairpredict.reference import clinical

__all__ = ["SimulationParams", "PROFILES", "REMY_2008_WB_T_EFF_H", "make_params", "TC99M"]

#: Whole-body effective half-life (h) after rhTSH / withdrawal, Remy et al.,
#: J Nucl Med 2008;49:1445 (n = 36 / 218).
REMY_2008_WB_T_EFF_H = {"rhtsh": 10.5, "withdrawal": 15.7}

#: 99mTc-pertechnetate thyroid-bed uptake (%) after total thyroidectomy,
#: lognormal.  Scale from the published ablation cut-offs (0.75-1.4 %,
#: ``clinical.TC99M_ABLATION_CUTOFFS_PCT``: Giovanella et al. 2011 Head Neck,
#: 2019 Endocrinol Metab 34:63): the median lies below the lowest cut-off and
#: ~15 % of first courses exceed 1.4 % (the share whose remnant resists one
#: ablation activity, ATA 2015 low/intermediate-risk ablation failure ~10-20 %).
#: After an earlier ablation little bed is left (repeat courses).  Upper clip 15 %
#: (a large remnant; values of tens of per cent are not a post-thyroidectomy bed).
#: Approximate, rairpredict choice within those sources.
TC99M = {"median_first": 0.6, "median_repeat": 0.1, "structural_factor": 1.4, "log_sd": 0.9,
         "min": 0.01, "max": 15.0}


def _log_sd(mean: float, sd: float) -> float:
    """SD of log X for a lognormal X with this mean and SD."""
    return math.sqrt(math.log(1.0 + (sd / mean) ** 2))


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
    #: rairpredict choice, approximate (tuned to A_unexpected_prevalence).
    #: z does not depend on the preparation: see ``tsh_z_shift_sd``.
    z_logit0: float = -1.2
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
    tsh_thw_median: float = 62.0
    tsh_thw_log_uptake: float = -0.09
    tsh_thw_sd: float = 0.26
    tsh_rh_median: float = 85.0
    tsh_rh_sd: float = 0.55
    #: Partial activation z multiplies stimulated TSH by exp(this) within either
    #: preparation (z -> TSH; the preparation sets the TSH scale -- rhTSH is
    #: pharmacological -- but not the chance of partial activation, so there
    #: is no preparation -> z arrow).  Mechanism (rairpredict reading of Study
    #: A): a remnant whose NIS responds late to TSH also secretes less hormone
    #: and traps less iodine, so TSH runs higher for the same preparation.  Size
    #: from Study A, 95 % withdrawal: unexpected 114.1 vs predictable 73.9 mU/L,
    #: log ratio 0.43 ~ 1.7 withdrawal SDs of log TSH; the simulated label
    #: (z in ~96 % of labelled patients, ~20 % of the predictable group) needs a
    #: shift of 0.6 (x 1.82) to reproduce it.  The same relative shift is
    #: assumed under rhTSH, where Study A's few patients cannot inform it.
    tsh_z_log_shift: float = 0.6

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
    #: R48 = extrathyroidal (body) retention + 131I trapped in the thyroid bed.
    #: Body: lognormal with the preparation's mean and SD of Ravichandran et al.
    #: 2016 (PMC5020787; ``clinical.RETENTION_48H_MEAN`` / ``_SD``: withdrawal
    #: 0.148 +/- 0.12, rhTSH 0.089 +/- 0.06) less the mean bed share.  The
    #: rhTSH/withdrawal gap shrinks with short protocols (Bacher 2019): change
    #: retention48_rhtsh to change it.
    retention48_withdrawal: float = clinical.RETENTION_48H_MEAN["withdrawal"]
    retention48_rhtsh: float = clinical.RETENTION_48H_MEAN["rhtsh"]
    retention48_sd_withdrawal: float = _log_sd(clinical.RETENTION_48H_MEAN["withdrawal"],
                                               clinical.RETENTION_48H_SD["withdrawal"])
    retention48_sd_rhtsh: float = _log_sd(clinical.RETENTION_48H_MEAN["rhtsh"], clinical.RETENTION_48H_SD["rhtsh"])
    #: Avid structural disease holds iodine longer (log-scale shift; approximate).
    retention48_structural: float = 0.15
    #: Bed 131I uptake at 48 h (fraction of activity) per 1 % of 99mTc uptake:
    #: Hänscheid et al. 2006 (J Nucl Med 47:648) measured remnant 48 h uptake
    #: 0.5 +/- 0.7 % (rhTSH) and 0.9 +/- 1.0 % (withdrawal), the scale of the 99mTc
    #: uptake (median 0.6 %, mean ~0.9 %), so 1 % of 99mTc ~ 1 % of the activity.
    remnant48_per_tc99m_pct: float = 0.01
    #: Partial NIS activation: the bed traps this fraction of the expected 131I.
    #: Whole-body retention then falls only by the bed share: ~6 % at the median
    #: uptake (0.6 % of 0.148 withdrawal), up to ~40 % with a large bed (5 %) --
    #: not the old blanket 65 % cut.  rairpredict choice, approximate.
    remnant_partial_factor: float = 0.25
    #: Effective half-life spread; partial activation shortens the whole-body
    #: T_eff only through the bed share (factor near 1).  Approximate.
    t_eff_sd: float = 0.2
    t_eff_partial_factor: float = 0.95
    dose_rate_meas_sd: float = 0.04

    # ---- post-therapy scan: thyroid-bed 131I uptake (Study A's discordance)
    #: P(bed uptake absent or faint) = expit(a + b z - c log(u / u_ref) + d repeat).
    #: A large remnant shows; a partially activated one does not (rairpredict
    #: choice, approximate).  Share of "absent" among absent-or-faint.
    bed_disc_logit0: float = -3.0
    bed_disc_z: float = 5.0
    bed_disc_log_uptake: float = -0.8
    bed_disc_repeat: float = 3.0
    bed_absent_share: float = 0.35

    # ---- early radiation reactions (sialadenitis, neck pain, nausea)
    react_logit0: float = -0.5
    react_log_activity: float = 0.6
    react_log_uptake: float = 0.4
    react_withdrawal: float = 0.3
    react_partial: float = -1.6

    # ---- 18F-FDG PET/CT before the course (Liu 2022 predictor; child of d).
    #: Done when structural disease or recurrence is known (observed, so the
    #: decision carries no information on d); positive mostly with disease.
    fdg_pre_done_p: dict = field(default_factory=lambda: {True: 0.5, False: 0.04})
    fdg_pre_pos_p: dict = field(default_factory=lambda: {
        (True, 0): 0.2, (True, 1): 0.8, (False, 0): 0.02, (False, 1): 0.12})

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

    # ---- disease after a FIRST course (ATA 2015 Table 12 by initial risk;
    #: Mukhtar 2021).  A burden score from the ATA risk items (pathology) drives
    #: biochemical persistence and structural disease found at follow-up;
    #: coefficients are rairpredict choices tuned to Table 12 (approximate).
    burden: dict = field(default_factory=lambda: {
        "n1": 1.1, "n1b": 0.4, "nodes_gt5": 0.6, "ete_minimal": 1.1, "ete_gross": 1.8, "aggressive": 0.9,
        "vascular": 0.6, "incomplete_resection": 1.2, "big_node": 1.0})
    bp_first_shift: float = -1.8
    bp_burden: float = 0.5
    #: Structural disease found at follow-up (not known before the course).
    ns_logit0: float = -3.6
    ns_d: float = 1.0
    #: Follow-up stimulated Tg after a first course: disease-free lognormal
    #: (median, log SD); with persistent disease log(Tg_fu / Tg) ~ N(mu + d, z
    #: effects, tg_change_sd).  Suppressed Tg = stimulated x ratio (lognormal).
    tg_fu_free_median: float = 0.1
    tg_fu_free_sd: float = 1.0
    tg_fu_persist_mu_first: float = 0.3
    tg_supp_ratio: float = 0.1
    tg_supp_ratio_sd: float = 0.3
    #: TgAb disappear after ablation in about half of disease-free patients by
    #: 1-2 years, rarely with persistent disease (Chiovato et al., Ann Intern
    #: Med 2003;139:346; approximate).
    tgab_clear_p: dict = field(default_factory=lambda: {"free": 0.6, "persistent": 0.1})
    #: Non-specific follow-up imaging without structural disease (rairpredict choice).
    nonspecific_p: dict = field(default_factory=lambda: {"free": 0.03, "persistent": 0.25})

    # ---- follow-up stimulated Tg change (repeat courses), log(Tg_fu / Tg): normal
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
    # A simulated external site with known truth (rairpredict choice, for showing
    # external validation and updating): older, more follicular and advanced case mix,
    # mostly rhTSH; its Tg assay reads 0.5 x the training assay (assays differ by
    # up to ~2-fold, the reason ATA 2015 asks for the same assay over time); no
    # pre-therapy 99mTc uptake is measured; and the RAIR rate is higher (latent
    # dedifferentiation log-odds +0.8). The oracle stays the true risk given the
    # full record: the site's Tg is a known rescaling and uptake is only unrecorded.
    "external": {**_BASE, "age_mean": 57.0, "age_sd": 14.0, "female": 0.66, "follicular": 0.24,
                 "course_probs": (0.62, 0.2, 0.1, 0.05, 0.03), "rhtsh": 0.6, "m1": 0.08, "n1": 0.5,
                 "smoking": 0.28,
                 "site": {"tg_assay_factor": 0.5, "unrecorded": ("tc99m_uptake_pct",),
                          "params": {"d_logit0": -2.0}}},
}
