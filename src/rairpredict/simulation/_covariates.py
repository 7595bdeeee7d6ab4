"""Exogenous (observed) covariates of the simulator: patient, tumour, course.

Nothing here depends on a latent variable, so the oracle can condition on all
of it without a likelihood term.  Draw order is fixed (determinism per seed).
"""
from __future__ import annotations

import numpy as np

from rairpredict.reference import clinical
from rairpredict.reference.simulation import TC99M

HISTOLOGY = ("papillary_classic", "papillary_micro", "papillary_follicular_variant", "papillary_tall_cell",
             "papillary_hobnail", "papillary_columnar", "follicular", "oncocytic")
_PAPILLARY_MIX = np.array([0.62, 0.16, 0.14, 0.06, 0.01, 0.01])  # rairpredict choice, approximate
_ONCOCYTIC_SHARE = 0.25                                             # of non-papillary DTC, approximate
#: Standard activities (GBq) = 30/50/100/150/200 mCi.
_ACTIVITIES_MCI = np.array([30.0, 50.0, 100.0, 150.0, 200.0])


def draw_cat(rng, n: int, probs) -> np.ndarray:
    """Codes 0..k-1 drawn with ``probs`` ((k,) shared or (n, k) per row)."""
    probs = np.asarray(probs, dtype=float)
    cum = np.cumsum(probs / probs.sum(axis=-1, keepdims=True), axis=-1)
    u = rng.random(n)
    if cum.ndim == 1:
        return np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)
    return np.minimum((u[:, None] >= cum).sum(axis=1), cum.shape[1] - 1)


def draw_covariates(rng: np.random.Generator, n: int, prof: dict) -> dict:
    """All exogenous covariates as numpy arrays (codes for categories)."""
    c: dict = {}
    lo, hi = prof["age_range"]
    c["age"] = np.clip(rng.normal(prof["age_mean"], prof["age_sd"], n), lo, hi).round(1)
    c["female"] = rng.random(n) < prof["female"]
    c["smoking"] = rng.random(n) < np.where(c["female"], prof["smoking"] * 0.8, prof["smoking"] * 1.6)
    c["hx_radiotherapy"] = rng.random(n) < 0.02
    c["thyroid_function"] = draw_cat(rng, n, [0.88, 0.02, 0.03, 0.02, 0.05])
    c["physical_examination"] = draw_cat(rng, n, [0.05, 0.06, 0.29, 0.30, 0.30])

    # course first: repeat courses are enriched for advanced disease
    course = draw_cat(rng, n, prof["course_probs"]) + 1
    c["course"] = course
    repeat = course >= 2

    foll = rng.random(n) < prof["follicular"]
    pap = draw_cat(rng, n, _PAPILLARY_MIX)
    onco = rng.random(n) < _ONCOCYTIC_SHARE
    c["histology"] = np.where(foll, np.where(onco, 7, 6), pap)
    micro = c["histology"] == 1
    size = np.exp(rng.normal(np.log(20.0), 0.55, n))
    size = np.where(micro, rng.uniform(3.0, 10.0, n), np.maximum(size, np.where(c["histology"] <= 5, 10.5, 5.0)))
    c["size"] = np.clip(size, 1.0, 150.0).round(0)
    c["multifocal"] = rng.random(n) < np.where(c["histology"] <= 5, 0.35, 0.12)
    p_ete = np.column_stack([np.full(n, 0.74), np.full(n, 0.20), np.full(n, 0.06)])
    p_ete[c["size"] > 40] = [0.55, 0.27, 0.18]
    p_ete[micro] = [0.92, 0.07, 0.01]
    c["ete"] = draw_cat(rng, n, p_ete)
    c["vascular_invasion"] = rng.random(n) < np.where(c["histology"] >= 6, 0.45, 0.2)
    c["vascular_foci"] = np.where(c["vascular_invasion"], 1 + rng.poisson(1.5, n), 0)
    c["resection_complete"] = ~((c["ete"] == 2) & (rng.random(n) < 0.3))

    # T stage (AJCC 8th): size, then gross ETE overrides
    s = c["size"]
    t = np.select([s <= 10, s <= 20, s <= 40], [0, 1, 2], default=3)
    gross_t = draw_cat(rng, n, [0.6, 0.35, 0.05]) + 4          # T3b / T4a / T4b
    c["t_stage"] = np.where(c["ete"] == 2, gross_t, t)

    # N stage and node counts
    p_n1 = np.clip(prof["n1"] * np.where(c["histology"] <= 5, 1.25, 0.3) * np.where(repeat, 1.5, 1.0), 0, 0.95)
    nx = rng.random(n) < 0.06
    n1 = rng.random(n) < p_n1
    n1b = rng.random(n) < 0.45
    c["n_stage"] = np.where(nx, 3, np.where(n1, np.where(n1b, 2, 1), 0))
    pos = np.where(c["n_stage"] == 2, 1 + rng.poisson(5.0, n), 1 + rng.poisson(1.8, n))
    pos = np.where(np.isin(c["n_stage"], (1, 2)), pos, 0)
    examined = pos + rng.poisson(np.where(c["n_stage"] == 2, 16.0, 6.0), n)
    c["ln_positive"] = np.where(nx, np.nan, pos)
    c["ln_examined"] = np.where(nx, np.nan, examined)
    c["largest_node_mm"] = np.where(pos > 0, np.clip(np.exp(rng.normal(np.log(12), 0.5, n)), 2, 80).round(0), np.nan)
    c["adenopathy"] = np.where(c["n_stage"] == 0, 0, np.where(
        c["n_stage"] == 3, 0, draw_cat(rng, n, [0.25, 0.2, 0.2, 0.25, 0.08, 0.02])))

    # M stage; no distant metastases in profile C
    p_m1 = np.where(repeat, prof["m1"] * 2.0 if prof["repeat_m1_allowed"] else 0.0, prof["m1"])
    c["m1"] = rng.random(n) < p_m1
    c["distant_met_site"] = np.where(c["m1"], 1 + draw_cat(rng, n, [0.6, 0.25, 0.1, 0.05]), 0)

    # structural disease before this course, reoperation (Study C)
    reop = repeat & (rng.random(n) < prof["reoperated_repeat"])
    s_repeat = np.where(reop, rng.random(n) < 0.3, rng.random(n) < prof["structural_repeat"])
    s_first = c["m1"] | ~c["resection_complete"] | ((c["n_stage"] == 2) & (rng.random(n) < 0.35))
    s_first &= not prof["ablation_only"]
    c["structural_pre"] = np.where(repeat, s_repeat | c["m1"], s_first)
    c["reoperated"] = reop

    c["rhtsh"] = rng.random(n) < np.where(c["m1"], prof["rhtsh"] * 0.3, prof["rhtsh"])
    # 99mTc thyroid-bed uptake: small remnant after total thyroidectomy, less after ablation
    tc_median = (np.where(repeat, TC99M["median_repeat"], TC99M["median_first"])
                 * np.where(c["structural_pre"], TC99M["structural_factor"], 1.0))
    c["tc99m"] = np.clip(np.exp(rng.normal(np.log(tc_median), TC99M["log_sd"], n)),
                         TC99M["min"], TC99M["max"]).round(2)
    tgab_pos = rng.random(n) < prof["tgab_positive"]
    c["tgab"] = np.where(tgab_pos, clinical.TGAB_POSITIVE_IU_ML + np.exp(rng.normal(np.log(60), 1.1, n)),
                         rng.uniform(0.3, clinical.TGAB_POSITIVE_IU_ML * 0.9, n)).round(1)

    # administered activity by indication (ATA 2015 ranges), standard values
    low_risk = (c["t_stage"] <= 1) & (c["n_stage"] != 2) & ~c["m1"] & (c["ete"] == 0)
    p_act = np.tile([0.10, 0.25, 0.65, 0.0, 0.0], (n, 1))
    p_act[low_risk] = [0.35, 0.35, 0.30, 0.0, 0.0]
    p_act[repeat | c["structural_pre"]] = [0.0, 0.0, 0.35, 0.5, 0.15]
    p_act[c["m1"]] = [0.0, 0.0, 0.1, 0.5, 0.4]
    c["activity"] = _ACTIVITIES_MCI[draw_cat(rng, n, p_act)] * clinical.MCI_TO_GBQ
    prev_idx = draw_cat(rng, n * 4, [0.0, 0.15, 0.6, 0.22, 0.03]).reshape(n, 4)
    prev = _ACTIVITIES_MCI[prev_idx] * clinical.MCI_TO_GBQ
    prev = np.where(np.arange(4)[None, :] < (course - 1)[:, None], prev, 0.0).sum(axis=1)
    prev = prev + np.where(course > 5, (course - 5) * 5.55, 0.0)
    c["cumulative"] = (prev + c["activity"]).round(3)
    return c
