"""Conditional distributions of the simulator, shared by sampler and oracle.

Every probability that the sampler draws from is computed by a function here,
and the oracle (:mod:`rairpredict.simulation._oracle`) calls the same
functions, so the oracle is exact by construction under the generative model.
``c`` is the dict of exogenous covariates from ``_covariates`` plus the
stimulated TSH; ``p`` a :class:`~rairpredict.reference.simulation.SimulationParams`.
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit, ndtr

from rairpredict.simulation._covariates import HISTOLOGY
from rairpredict.reference import clinical
from rairpredict.reference.simulation import TC99M

#: Centre of the 99mTc uptake terms (median first-course bed uptake, %).
U_REF = TC99M["median_first"]

_AGGRESSIVE = np.isin(np.array(HISTOLOGY), clinical.ATA_AGGRESSIVE_HISTOLOGY)
_FOLLICULAR = np.isin(np.array(HISTOLOGY), ("follicular", "oncocytic"))


def aggressive(c) -> np.ndarray:
    return _AGGRESSIVE[c["histology"]]


def follicular(c) -> np.ndarray:
    return _FOLLICULAR[c["histology"]]


# ----------------------------------------------------------------- molecular markers
def p_braf(c, p) -> np.ndarray:
    return np.array([p.braf_prev[h] for h in HISTOLOGY])[c["histology"]]


def p_tert(c, p) -> np.ndarray:
    return expit(p.tert_logit0 + p.tert_age_per_10y * (c["age"] - 50) / 10
                 + p.tert_follicular * follicular(c) + p.tert_aggressive * aggressive(c))


# ----------------------------------------------------------------- stimulated TSH
def tsh_log_mean_sd(c, p, z):
    """log TSH ~ Normal(mean, sd) given z: the preparation sets the scale
    (withdrawal blunted by a functioning remnant), partial activation z
    multiplies TSH by ``exp(tsh_z_log_shift)`` within either preparation."""
    thw = np.log(p.tsh_thw_median) + p.tsh_thw_log_uptake * np.log(c["tc99m"] / U_REF)
    mean = np.where(c["rhtsh"], np.log(p.tsh_rh_median), thw)
    sd = np.where(c["rhtsh"], p.tsh_rh_sd, p.tsh_thw_sd)
    return mean + p.tsh_z_log_shift * np.asarray(z, dtype=float), sd


# ----------------------------------------------------------------- latent z and d
def z_logit(c, p, braf, tert) -> np.ndarray:
    """Partial/delayed NIS activation: BRAF, TERT, aggressive histology, age
    (not the preparation; TSH is its child, see ``tsh_log_mean_sd``)."""
    return (p.z_logit0 + p.z_braf * braf + p.z_tert * tert
            + p.z_aggressive * aggressive(c) + p.z_age_per_10y * (c["age"] - 50) / 10)


def d_logit(c, p, braf, tert) -> np.ndarray:
    """Dedifferentiated biology: Li 2018 predictors, M1, age, BRAF/TERT, repeat course."""
    ete = np.array([p.d_ete["none"], p.d_ete["minimal"], p.d_ete["gross"]])[c["ete"]]
    pos, ex = np.nan_to_num(c["ln_positive"]), np.nan_to_num(c["ln_examined"])
    ratio = np.divide(pos, ex, out=np.zeros_like(pos), where=ex > 0)
    return (p.d_logit0 + p.d_smoking * c["smoking"] + p.d_follicular * follicular(c)
            + p.d_aggressive * aggressive(c) + ete + p.d_ln4 * (pos >= 4) + p.d_ln_ratio53 * (ratio >= 0.53)
            + p.d_n1 * np.isin(c["n_stage"], (1, 2)) + p.d_m1 * c["m1"]
            + p.d_age_per_10y * (c["age"] - 50) / 10 + p.d_braf * braf + p.d_tert * tert
            + p.d_repeat_course * (c["course"] >= 2))


# ----------------------------------------------------------------- observed children of d
def recur_logit(c, p, d) -> np.ndarray:
    base = np.where(c["course"] >= 2, p.recur_logit0[2], p.recur_logit0[1])
    return base + p.recur_d * d


def disease_group(c) -> np.ndarray:
    """0 ablation (first course, no structural disease), 1 biochemical, 2 structural."""
    return np.where(c["structural_pre"], 2, np.where(c["course"] >= 2, 1, 0))


def tg_log_mean_sd(c, p, d):
    """log stimulated Tg ~ Normal(mean, sd) given d (TgAb interference included)."""
    groups = ("ablation", "biochemical", "structural")
    g = disease_group(c)
    prep = np.where(c["rhtsh"], 1, 0)
    med = np.array([[p.tg_median[(pr, gr)] for gr in groups] for pr in ("withdrawal", "rhtsh")])
    sd = np.array([[p.tg_sd[(pr, gr)] for gr in groups] for pr in ("withdrawal", "rhtsh")])
    mean = (np.log(med[prep, g]) + p.tg_log_uptake * np.log(c["tc99m"] / U_REF) + p.tg_m1_shift * c["m1"]
            + p.tg_tgab_shift * (c["tgab"] > clinical.TGAB_POSITIVE_IU_ML) + p.tg_d_shift * d)
    return mean, sd[prep, g]


# ----------------------------------------------------------------- pre-therapy FDG PET (child of d)
def fdg_pre_done_p(c, p) -> np.ndarray:
    """Done when structural disease or a recurrence is known (observed fields only)."""
    known = c["structural_pre"] | c["recurrence"]
    return np.where(known, p.fdg_pre_done_p[True], p.fdg_pre_done_p[False])


def fdg_pre_pos_p(c, p, d) -> np.ndarray:
    dd = np.asarray(d, dtype=int) * np.ones(len(c["age"]), dtype=int)
    table = np.array([[p.fdg_pre_pos_p[(False, 0)], p.fdg_pre_pos_p[(False, 1)]],
                      [p.fdg_pre_pos_p[(True, 0)], p.fdg_pre_pos_p[(True, 1)]]])
    return table[c["structural_pre"].astype(int), dd]


# ----------------------------------------------------------------- early therapy (children of z)
def body_retention_log_mean_sd(c, p):
    """log extrathyroidal 48 h retention ~ N(mean, sd), by preparation."""
    r = np.where(c["rhtsh"], p.retention48_rhtsh, p.retention48_withdrawal)
    sd = np.where(c["rhtsh"], p.retention48_sd_rhtsh, p.retention48_sd_withdrawal)
    # body mean = whole-body mean less the bed share at the mean 99mTc uptake
    mean_bed = p.remnant48_per_tc99m_pct * U_REF * np.exp(TC99M["log_sd"] ** 2 / 2)
    return np.log(r - mean_bed) - sd ** 2 / 2 + p.retention48_structural * c["structural_pre"], sd


def remnant_retention(c, p, z) -> np.ndarray:
    """131I in the thyroid bed at 48 h (fraction of activity): scales with the
    99mTc uptake, cut to ``remnant_partial_factor`` by partial activation."""
    return p.remnant48_per_tc99m_pct * c["tc99m"] * np.where(np.asarray(z) == 1, p.remnant_partial_factor, 1.0)


def p_reaction(c, p, z) -> np.ndarray:
    return expit(p.react_logit0 + p.react_log_activity * np.log(c["activity"] / 3.7)
                 + p.react_log_uptake * np.log(c["tc99m"] / U_REF) + p.react_withdrawal * ~c["rhtsh"]
                 + p.react_partial * z)


def p_low_dose_rate(c, p, z, thresholds: dict) -> np.ndarray:
    """P(dose_rate_48h / activity < threshold[preparation]); dose rate =
    activity * K * (body + bed), body lognormal, bed fixed given z."""
    thr = np.where(c["rhtsh"], thresholds["rhtsh"], thresholds["withdrawal"])
    room = thr / clinical.I131_DOSE_RATE_1M_USV_H_PER_GBQ - remnant_retention(c, p, z)
    mean, sd = body_retention_log_mean_sd(c, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(room > 0, ndtr((np.log(np.where(room > 0, room, 1.0)) - mean) / sd), 0.0)


def p_bed_discordant_given_uptake(c, p, z) -> np.ndarray:
    """P(post-therapy bed uptake absent or faint | some 131I uptake on the scan)."""
    return expit(p.bed_disc_logit0 + p.bed_disc_z * np.asarray(z, dtype=float)
                 + p.bed_disc_log_uptake * np.log(c["tc99m"] / U_REF) + p.bed_disc_repeat * (c["course"] >= 2))


# ----------------------------------------------------------------- post-therapy scan and outcome
def outcome_probs(c, p, z, d) -> dict:
    """Event probabilities given the latent state (each conditionally independent)."""
    repeat = c["course"] >= 2
    s = c["structural_pre"]
    dd = np.asarray(d, dtype=int)
    out = {
        "noup": np.array([p.noup_p[0], p.noup_p[1]])[dd] * np.ones(len(s)),
        "loss": np.where(repeat, np.array([p.loss_p[0], p.loss_p[1]])[dd], 0.0),
        "nonavid": np.where(s, np.array([p.nonavid_p[0], p.nonavid_p[1]])[dd], 0.0),
        "prog": np.where(s, expit(p.prog_logit0 + p.prog_d * d + p.prog_z * z + p.prog_m1 * c["m1"]
                                     + p.prog_repeat_course * repeat), 0.0),
        "shrink": expit(p.shrink_logit0 + p.shrink_d * d + p.shrink_z * z + p.shrink_repeat_course * repeat),
        "bp": np.where(s, 0.0, expit(p.bp_logit0 + p.bp_d * d + p.bp_z * z + p.bp_repeat_course * repeat
                                     + p.bp_log_tg * np.log(np.maximum(c["tg"], 0.1) / 10.0)
                                     + ~repeat * (p.bp_first_shift + p.bp_burden * burden(c, p)))),
        # structural disease first found at follow-up after a first course
        "ns": np.where(s | repeat, 0.0, expit(p.ns_logit0 + burden(c, p) + p.ns_d * d)),
        "fdg_pos": np.array([p.fdg_pos_p[0], p.fdg_pos_p[1]])[dd] * np.ones(len(s)),
    }
    return out


def burden(c, p) -> np.ndarray:
    """Disease burden from the ATA 2015 risk items (pathology; first courses)."""
    b = p.burden
    n1 = np.isin(c["n_stage"], (1, 2))
    pos = np.nan_to_num(c["ln_positive"])
    node = np.nan_to_num(c["largest_node_mm"])
    papillary = c["histology"] <= 5
    return (b["n1"] * n1 + b["n1b"] * (c["n_stage"] == 2) + b["nodes_gt5"] * (pos > 5)
            + b["ete_minimal"] * (c["ete"] == 1) + b["ete_gross"] * (c["ete"] == 2)
            + b["aggressive"] * aggressive(c) + b["vascular"] * (c["vascular_invasion"] & papillary)
            + b["incomplete_resection"] * ~c["resection_complete"] + b["big_node"] * (node >= 30))


def tg_change_mean(p, category: str, z, d):
    return p.tg_change_mu[category] + p.tg_change_d * d + p.tg_change_z * z


def p_fdg_done(c, p, scan_negative) -> np.ndarray:
    high = c["tg"] >= p.fdg_high_tg_ng_ml
    table = np.array([[p.fdg_done_p[(False, False)], p.fdg_done_p[(False, True)]],
                      [p.fdg_done_p[(True, False)], p.fdg_done_p[(True, True)]]])
    return table[high.astype(int), np.asarray(scan_negative, dtype=int)]
