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
def tsh_log_mean_sd(c, p):
    """log TSH ~ Normal(mean, sd): withdrawal blunted by a functioning remnant."""
    thw = np.log(p.tsh_thw_median) + p.tsh_thw_log_uptake * np.log(c["tc99m"] / 2.0)
    mean = np.where(c["rhtsh"], np.log(p.tsh_rh_median), thw)
    return mean, np.where(c["rhtsh"], p.tsh_rh_sd, p.tsh_thw_sd)


# ----------------------------------------------------------------- latent z and d
def z_logit(c, p, braf, tert) -> np.ndarray:
    """Partial/delayed NIS activation: TSH, BRAF, TERT, aggressive histology, age."""
    return (p.z_logit0 + p.z_log_tsh * np.log(c["tsh"] / 80.0) + p.z_braf * braf + p.z_tert * tert
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
    mean = (np.log(med[prep, g]) + p.tg_log_uptake * np.log(c["tc99m"] / 2.0) + p.tg_m1_shift * c["m1"]
            + p.tg_tgab_shift * (c["tgab"] > clinical.TGAB_POSITIVE_IU_ML) + p.tg_d_shift * d)
    return mean, sd[prep, g]


# ----------------------------------------------------------------- early therapy (children of z)
def retention_log_mean(c, p, z) -> np.ndarray:
    r = np.where(c["rhtsh"], p.retention48_rhtsh, p.retention48_withdrawal)
    return (np.log(r) - p.retention48_sd ** 2 / 2 + p.retention48_log_uptake * np.log(c["tc99m"] / 2.0)
            + p.retention48_structural * c["structural_pre"] + np.log(p.retention48_partial_factor) * z)


def p_reaction(c, p, z) -> np.ndarray:
    return expit(p.react_logit0 + p.react_log_activity * np.log(c["activity"] / 3.7)
                 + p.react_log_uptake * np.log(c["tc99m"] / 2.0) + p.react_withdrawal * ~c["rhtsh"]
                 + p.react_partial * z)


def p_low_dose_rate(c, p, z, threshold_per_gbq: float) -> np.ndarray:
    """P(dose_rate_48h / activity < threshold): dose rate = activity * K * retention."""
    cut = np.log(threshold_per_gbq / clinical.I131_DOSE_RATE_1M_USV_H_PER_GBQ)
    return ndtr((cut - retention_log_mean(c, p, z)) / p.retention48_sd)


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
                                     + p.bp_log_tg * np.log(np.maximum(c["tg"], 0.1) / 10.0))),
        "fdg_pos": np.array([p.fdg_pos_p[0], p.fdg_pos_p[1]])[dd] * np.ones(len(s)),
    }
    return out


def tg_change_mean(p, category: str, z, d):
    return p.tg_change_mu[category] + p.tg_change_d * d + p.tg_change_z * z


def p_fdg_done(c, p, scan_negative) -> np.ndarray:
    high = c["tg"] >= p.fdg_high_tg_ng_ml
    table = np.array([[p.fdg_done_p[(False, False)], p.fdg_done_p[(False, True)]],
                      [p.fdg_done_p[(True, False)], p.fdg_done_p[(True, True)]]])
    return table[high.astype(int), np.asarray(scan_negative, dtype=int)]
