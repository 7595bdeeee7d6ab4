"""The oracle: P(label = 1 | features observable before therapy), exactly.

The latent state is (BRAF, TERT, z, d) -- 16 combinations.  Its posterior
given the pre-therapy record is, by Bayes' rule,

    w(b, t, z, d) ∝ P(b | x) P(t | x) P(z | b, t, x) P(d | b, t, x)
                    * N(log TSH; mu_TSH(x) + delta sd_TSH z, sd_TSH)
                    * N(log Tg; mu_Tg(x) + gamma d, sd_Tg) * P(recurrence | d, x)
                    * P(pre-therapy FDG PET result | d, x)   (where one was done)

with b (t) fixed to its value where it was tested (testing is MCAR).  All
other pre-therapy fields are exogenous (they do not depend on the latent
state), so they enter only through the conditional probabilities.  For each
(z, d) the label probability follows in closed form from the conditionally
independent outcome events of ``_model`` and the label definitions in
:mod:`rairpredict.labels` (thresholds read from ``reference.clinical`` at call
time).  Where a label can be unknown (second course: follow-up Tg missing, or
TgAb positive without structural disease) the oracle is
P(label = 1 | x, label known) = sum w P(1, known | state) / sum w P(known | state).
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit, ndtr

from rairpredict.simulation import _model as M
from rairpredict.reference import clinical


def _bern(prob, value):
    return np.where(value, prob, 1.0 - prob)


def posterior_weights(c, p) -> dict:
    """Unnormalised posterior weight of each (z, d), BRAF/TERT summed out."""
    pb, pt = M.p_braf(c, p), M.p_tert(c, p)
    log_tg, log_tsh = np.log(c["tg"]), np.log(c["tsh"])
    fdg_done = c["fdg_pre"] >= 0
    lik_d, lik_z = {}, {}
    for d in (0, 1):
        mean, sd = M.tg_log_mean_sd(c, p, d)
        lik_d[d] = (np.exp(-0.5 * ((log_tg - mean) / sd) ** 2)
                    * _bern(expit(M.recur_logit(c, p, d)), c["recurrence"])
                    * np.where(fdg_done, _bern(M.fdg_pre_pos_p(c, p, d), c["fdg_pre"] == 1), 1.0))
    for z in (0, 1):
        mean, sd = M.tsh_log_mean_sd(c, p, z)
        lik_z[z] = np.exp(-0.5 * ((log_tsh - mean) / sd) ** 2)
    w = {(z, d): np.zeros(len(pb)) for z in (0, 1) for d in (0, 1)}
    for b in (0, 1):
        wb = np.where(np.isnan(c["braf_obs"]), _bern(pb, b), c["braf_obs"] == b)
        for t in (0, 1):
            wt = wb * np.where(np.isnan(c["tert_obs"]), _bern(pt, t), c["tert_obs"] == t)
            pz, pd_ = expit(M.z_logit(c, p, b, t)), expit(M.d_logit(c, p, b, t))
            for z in (0, 1):
                for d in (0, 1):
                    w[(z, d)] += wt * _bern(pz, z) * _bern(pd_, d) * lik_d[d] * lik_z[z]
    return w


def p_unexpected_given_state(c, p, z, d):
    """High 99mTc uptake x discordant post-therapy bed x low dose rate x no reactions
    (conditionally independent given z, d; label thresholds read at call time)."""
    if set(clinical.UNEXPECTED_DISCORDANT_BED_UPTAKE) != {"absent", "faint"}:
        raise NotImplementedError("the oracle assumes discordant = absent or faint bed uptake")
    high = c["tc99m"] >= clinical.UNEXPECTED_HIGH_TC99M_UPTAKE_PCT
    noup = M.outcome_probs(c, p, z, d)["noup"]
    disc = noup + (1.0 - noup) * M.p_bed_discordant_given_uptake(c, p, z)
    low = M.p_low_dose_rate(c, p, z, clinical.UNEXPECTED_LOW_DOSE_RATE_48H_USV_H_PER_GBQ)
    return high * disc * low * (1.0 - M.p_reaction(c, p, z))


def p_rair_given_state(c, p, z, d):
    """Criteria 1-4 (criterion 5 implies 1 or 2 in the simulator: FDG is positive
    only where disease persists)."""
    pr = M.outcome_probs(c, p, z, d)
    cum_ok = c["cumulative"] >= clinical.RAIR_CUMULATIVE_ACTIVITY_GBQ
    uptake_ok = (1 - pr["noup"]) * (1 - pr["loss"])
    p_resolved = (1 - pr["prog"]) * pr["shrink"] * p.resolved_share
    none_s = uptake_ok * (1 - pr["nonavid"]) * np.where(cum_ok, p_resolved, 1 - pr["prog"])
    persist_0 = 1 - (1 - pr["bp"]) * (1 - pr["ns"])   # biochemical or newly found structural
    none_0 = (1 - persist_0) + persist_0 * uptake_ok * (1 - cum_ok)
    return 1.0 - np.where(c["structural_pre"], none_s, none_0)


def p_benefit_given_state(c, p, z, d):
    """(P(benefit = 1 and known), P(known)) for a repeat course."""
    pr = M.outcome_probs(c, p, z, d)
    cut = np.log(1.0 - clinical.SECOND_COURSE_TG_FALL_FRACTION + 1e-12)

    def fell(cat):
        return ndtr((cut - M.tg_change_mean(p, cat, z, d)) / p.tg_change_sd)

    seen = 1.0 - p.p_tg_fu_missing
    # T: TgAb positive at either measurement (then Tg is not used)
    pos = c["tgab"] > clinical.TGAB_POSITIVE_IU_ML
    p_t = np.where(pos, 1.0, p.p_tgab_seroconversion)
    p_prog = pr["prog"]
    p_shr = (1 - p_prog) * pr["shrink"]
    p_stable = 1 - p_prog - p_shr
    one_s = p_shr + p_stable * (1 - p_t) * seen * fell("stable")
    known_s = p_prog + p_shr + p_stable * (p_t + (1 - p_t) * seen)
    one_0 = (1 - p_t) * seen * fell("none")
    known_0 = (1 - p_t) * seen
    s = c["structural_pre"]
    return np.where(s, one_s, one_0), np.where(s, known_s, known_0)


def oracle(c, p) -> dict:
    """The three oracle columns (float arrays; NaN where the label is undefined)."""
    w = posterior_weights(c, p)
    total = sum(w.values())
    unexp = sum(w[(z, d)] * p_unexpected_given_state(c, p, z, d) for z, d in w) / total
    rair = sum(w[(z, d)] * p_rair_given_state(c, p, z, d) for z, d in w) / total
    one = known = 0.0
    for (z, d), wzd in w.items():
        a, k = p_benefit_given_state(c, p, z, d)
        one, known = one + wzd * a, known + wzd * k
    with np.errstate(invalid="ignore", divide="ignore"):
        benefit = np.where((c["course"] >= 2) & (known > 0), one / np.where(known > 0, known, 1.0), np.nan)
    return {"oracle_p_unexpected_uptake": unexp, "oracle_p_rair": rair,
            "oracle_p_second_course_benefit": benefit}
