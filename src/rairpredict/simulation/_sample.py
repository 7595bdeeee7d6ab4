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

#: structural_change_fu codes, contract order.
CHANGE = ("none", "resolved", "shrank", "stable", "progressed")


def sample(rng: np.random.Generator, n: int, prof: dict, p) -> dict:
    """Covariates, latent state and raw findings for ``n`` patient-courses."""
    c = draw_covariates(rng, n, prof)
    mean, sd = M.tsh_log_mean_sd(c, p)
    c["tsh"] = np.exp(mean + sd * rng.standard_normal(n)).round(1)
    # Clipped to the contract range (a lognormal tail passes 1000 mU/L about once
    # per million patients); the oracle ignores this ~1e-6 truncation.
    c["tsh"] = np.clip(c["tsh"], 0.1, 999.0)

    # latent markers (observed when tested) and latent biology
    braf = rng.random(n) < M.p_braf(c, p)
    tert = rng.random(n) < M.p_tert(c, p)
    c["braf_obs"] = np.where(rng.random(n) < p.p_braf_tested, braf.astype(float), np.nan)
    c["tert_obs"] = np.where(rng.random(n) < p.p_tert_tested, tert.astype(float), np.nan)
    z = (rng.random(n) < expit(M.z_logit(c, p, braf, tert))).astype(float)
    d = (rng.random(n) < expit(M.d_logit(c, p, braf, tert))).astype(float)
    c["recurrence"] = rng.random(n) < expit(M.recur_logit(c, p, d))
    mean, sd = M.tg_log_mean_sd(c, p, d)
    c["tg"] = np.exp(mean + sd * rng.standard_normal(n))

    # early therapy: 48 h retention -> dose rates; half-life gives 24/72 h
    ret = np.exp(M.retention_log_mean(c, p, z) + p.retention48_sd * rng.standard_normal(n))
    c["dr48"] = c["activity"] * clinical.I131_DOSE_RATE_1M_USV_H_PER_GBQ * ret
    t_eff = (np.where(c["rhtsh"], 10.5, 15.7) * np.where(z == 1, p.t_eff_partial_factor, 1.0)
             * np.exp(p.t_eff_sd * rng.standard_normal(n)))
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
    c["post_uptake"] = ~noup
    c["uptake_loss"] = loss
    known = np.where(s, 1 + rng.poisson(np.where(c["m1"], 2.5, 0.8)), 0)
    c["known_lesions"] = known
    extra = rng.binomial(np.maximum(known - 1, 0), 0.3)
    c["lesions_without_uptake"] = np.where(s & nonavid, 1 + extra, 0)
    c["change"] = np.where(~s, 0, np.select([prog, resolved, shrink], [4, 1, 2], default=3))
    c["progression"] = prog
    persistent = np.where(s, ~resolved, bp)
    c["persistent"] = persistent

    # FDG PET: mostly when Tg is high and the 131I scan is negative
    scan_negative = noup | (s & nonavid) | ~s
    done = rng.random(n) < M.p_fdg_done(c, p, scan_negative)
    positive = persistent & (rng.random(n) < pr["fdg_pos"])
    c["fdg"] = np.where(done, np.where(positive, 1, 0), -1)

    # follow-up Tg / TgAb / imaging (1-2 years)
    cat = np.array(CHANGE)[c["change"]]
    mu = np.zeros(n)
    for name in CHANGE:
        mu = np.where(cat == name, M.tg_change_mean(p, name, z, d), mu)
    delta = mu + p.tg_change_sd * rng.standard_normal(n)
    c["tg_fu"] = np.where(rng.random(n) < p.p_tg_fu_missing, np.nan, c["tg"] * np.exp(delta))
    c["tg_supp_fu"] = np.where(persistent, c["tg"] * np.exp(delta) * 0.08, np.minimum(c["tg"] * np.exp(delta) * 0.05,
                                                                                  0.3))
    tgab_pos = c["tgab"] > clinical.TGAB_POSITIVE_IU_ML
    sero = ~tgab_pos & (rng.random(n) < p.p_tgab_seroconversion)
    tgab_fu = np.where(tgab_pos, c["tgab"] * np.exp(rng.normal(-0.3, 0.5, n)),
                       np.where(sero, clinical.TGAB_POSITIVE_IU_ML + rng.uniform(1.0, 40.0, n),
                                c["tgab"] * rng.uniform(0.5, 1.1, n)))
    c["tgab_fu"] = np.where(tgab_pos, np.maximum(tgab_fu, clinical.TGAB_POSITIVE_IU_ML + 0.1), tgab_fu).round(1)
    ratio = c["tgab_fu"] / c["tgab"]
    c["tgab_trend"] = np.select([ratio < 0.8, ratio > 1.25], [0, 2], default=1)
    structural_fu = (s & ~resolved) | (c["fdg"] == 1)
    c["imaging_fu"] = np.where(structural_fu, 2, np.where(rng.random(n) < 0.1, 1, 0))
    c["recurred"] = prog | (~s & bp & (c["fdg"] == 1))
    c["size"] = np.where(rng.random(n) < p.p_size_missing, np.nan, c["size"])
    latent = {"braf": braf, "tert": tert, "z": z, "d": d}
    return {"cov": c, "latent": latent}
