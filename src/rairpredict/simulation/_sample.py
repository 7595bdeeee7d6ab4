"""Sampler of the simulator: latent variables, then raw findings.

Draws, in a fixed order, from the conditional distributions in ``_model``.
Returns numpy arrays (codes for categories); ``simulate.py`` builds the frame.
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit

from rairpredict.simulation import _model as M
from rairpredict.simulation._covariates import draw_covariates
from rairpredict.cohort.derive import DOSE_RATE_TIMES_H
from rairpredict.reference import clinical
from rairpredict.reference.simulation import REMY_2008_WB_T_EFF_H

#: structural_change_fu codes, contract order.
CHANGE = ("none", "resolved", "shrank", "stable", "progressed")


def sample(rng: np.random.Generator, n: int, prof: dict, p) -> dict:
    """Covariates, latent state and raw findings for ``n`` patient-courses."""
    c = draw_covariates(rng, n, prof)

    # latent markers (observed when tested) and latent biology
    braf = rng.random(n) < M.p_braf(c, p)
    tert = rng.random(n) < M.p_tert(c, p)
    c["braf_obs"] = np.where(rng.random(n) < p.p_braf_tested, braf.astype(float), np.nan)
    c["tert_obs"] = np.where(rng.random(n) < p.p_tert_tested, tert.astype(float), np.nan)
    z = (rng.random(n) < expit(M.z_logit(c, p, braf, tert))).astype(float)
    d = (rng.random(n) < expit(M.d_logit(c, p, braf, tert))).astype(float)

    # stimulated TSH: preparation sets the scale, z shifts it within the preparation.
    # Clipped to the contract range (a lognormal tail passes 1000 mU/L about once
    # per million patients); the oracle ignores this ~1e-6 truncation.
    mean, sd = M.tsh_log_mean_sd(c, p, z)
    c["tsh"] = np.clip(np.exp(mean + sd * rng.standard_normal(n)).round(1), 0.1, 999.0)

    c["recurrence"] = rng.random(n) < expit(M.recur_logit(c, p, d))
    mean, sd = M.tg_log_mean_sd(c, p, d)
    c["tg"] = np.exp(mean + sd * rng.standard_normal(n))
    fdg_pre_done = rng.random(n) < M.fdg_pre_done_p(c, p)
    fdg_pre_pos = rng.random(n) < M.fdg_pre_pos_p(c, p, d)
    c["fdg_pre"] = np.where(fdg_pre_done, fdg_pre_pos.astype(int), -1)

    # early therapy: 48 h retention = body + thyroid bed -> dose rates; half-life gives 24/72 h
    mean, sd = M.body_retention_log_mean_sd(c, p)
    ret = np.exp(mean + sd * rng.standard_normal(n)) + M.remnant_retention(c, p, z)
    c["dr48"] = c["activity"] * clinical.I131_DOSE_RATE_1M_USV_H_PER_GBQ * ret
    t_eff = (np.where(c["rhtsh"], REMY_2008_WB_T_EFF_H["rhtsh"], REMY_2008_WB_T_EFF_H["withdrawal"])
             * np.where(z == 1, p.t_eff_partial_factor, 1.0) * np.exp(p.t_eff_sd * rng.standard_normal(n)))
    lam = np.log(2.0) / t_eff
    noise = np.exp(p.dose_rate_meas_sd * rng.standard_normal((n, 2)))
    c["dr24"] = c["dr48"] * np.exp(lam * (DOSE_RATE_TIMES_H["dose_rate_48h_usv_h"] - 24.0)) * noise[:, 0]
    c["dr72"] = c["dr48"] * np.exp(-lam * (72.0 - DOSE_RATE_TIMES_H["dose_rate_48h_usv_h"])) * noise[:, 1]
    c["reactions"] = rng.random(n) < M.p_reaction(c, p, z)

    # post-therapy scan and structural outcome
    pr = M.outcome_probs(c, p, z, d)
    s = c["structural_pre"]
    noup = rng.random(n) < pr["noup"]
    loss = rng.random(n) < pr["loss"]
    nonavid = rng.random(n) < pr["nonavid"]
    prog = rng.random(n) < pr["prog"]
    shrink = ~prog & (rng.random(n) < pr["shrink"])
    resolved = shrink & (rng.random(n) < p.resolved_share)
    bp = rng.random(n) < pr["bp"]
    ns = rng.random(n) < pr["ns"]
    c["post_uptake"] = ~noup
    c["uptake_loss"] = loss
    # thyroid bed on the post-therapy scan: 0 absent, 1 faint, 2 intense (no uptake anywhere -> absent)
    disc = rng.random(n) < M.p_bed_discordant_given_uptake(c, p, z)
    absent = rng.random(n) < p.bed_absent_share
    c["bed"] = np.where(noup, 0, np.where(disc, np.where(absent, 0, 1), 2))
    known = np.where(s, 1 + rng.poisson(np.where(c["m1"], 2.5, 0.8)), 0)
    c["known_lesions"] = known
    extra = rng.binomial(np.maximum(known - 1, 0), 0.3)
    # a scan without any uptake has no avid lesion
    c["lesions_without_uptake"] = np.where(s & noup, known, np.where(s & nonavid, 1 + extra, 0))
    c["change"] = np.where(~s, 0, np.select([prog, resolved, shrink], [4, 1, 2], default=3))
    c["progression"] = prog
    persistent = np.where(s, ~resolved, bp | ns)
    c["persistent"] = persistent

    # FDG PET at follow-up: mostly when Tg is high and the 131I scan is negative
    scan_negative = noup | (s & nonavid) | ~s
    done = rng.random(n) < M.p_fdg_done(c, p, scan_negative)
    positive = persistent & (rng.random(n) < pr["fdg_pos"])
    c["fdg"] = np.where(done, np.where(positive, 1, 0), -1)

    # follow-up Tg / TgAb / imaging (1-2 years), driven by the true disease state
    first = c["course"] == 1
    cat = np.array(CHANGE)[c["change"]]
    mu = np.zeros(n)
    for name in CHANGE:
        mu = np.where(cat == name, M.tg_change_mean(p, name, z, d), mu)
    delta = mu + p.tg_change_sd * rng.standard_normal(n)
    tg_repeat = c["tg"] * np.exp(delta)
    # first course: disease-free -> Tg near the assay floor; persistent -> tracks pre-therapy Tg
    tg_free = np.exp(np.log(p.tg_fu_free_median) + p.tg_fu_free_sd * rng.standard_normal(n))
    tg_persist = c["tg"] * np.exp(p.tg_fu_persist_mu_first + p.tg_change_d * d + p.tg_change_z * z
                                  + p.tg_change_sd * rng.standard_normal(n))
    tg_stim = np.where(first, np.where(persistent, tg_persist, tg_free), tg_repeat)
    c["tg_fu"] = np.where(rng.random(n) < p.p_tg_fu_missing, np.nan, tg_stim)
    ratio = np.exp(np.log(p.tg_supp_ratio) + p.tg_supp_ratio_sd * rng.standard_normal(n))
    c["tg_supp_fu"] = tg_stim * ratio
    tgab_pos = c["tgab"] > clinical.TGAB_POSITIVE_IU_ML
    sero = ~tgab_pos & (rng.random(n) < p.p_tgab_seroconversion)
    clear = tgab_pos & (rng.random(n) < np.where(persistent, p.tgab_clear_p["persistent"], p.tgab_clear_p["free"]))
    tgab_fu = np.where(tgab_pos, c["tgab"] * np.exp(rng.normal(-0.3, 0.5, n)),
                       np.where(sero, clinical.TGAB_POSITIVE_IU_ML + rng.uniform(1.0, 40.0, n),
                                c["tgab"] * rng.uniform(0.5, 1.1, n)))
    tgab_fu = np.where(tgab_pos, np.maximum(tgab_fu, clinical.TGAB_POSITIVE_IU_ML + 0.1), tgab_fu)
    tgab_fu = np.where(clear, rng.uniform(0.3, clinical.TGAB_POSITIVE_IU_ML * 0.9, n), tgab_fu)
    c["tgab_fu"] = tgab_fu.round(1)
    tgab_ratio = c["tgab_fu"] / c["tgab"]
    c["tgab_trend"] = np.select([tgab_ratio < 0.8, tgab_ratio > 1.25], [0, 2], default=1)
    structural_fu = (s & ~resolved) | ns | (c["fdg"] == 1)
    nonspecific = rng.random(n) < np.where(persistent, p.nonspecific_p["persistent"], p.nonspecific_p["free"])
    c["imaging_fu"] = np.where(structural_fu, 2, np.where(nonspecific, 1, 0))
    c["recurred"] = prog | ns | (~s & bp & (c["fdg"] == 1))
    c["size"] = np.where(rng.random(n) < p.p_size_missing, np.nan, c["size"])
    latent = {"braf": braf, "tert": tert, "z": z, "d": d}
    return {"cov": c, "latent": latent}
