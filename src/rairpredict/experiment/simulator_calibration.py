"""Calibration of the simulator against the seed studies' published figures.

Each target of :data:`rairpredict.reference.seed_targets.TARGETS` is
recomputed on a cohort generated at the study's size with the study's profile
(labels from :mod:`rairpredict.labels`, imported lazily: calibration is a
consumer of labels, the simulator itself never computes one).

Tolerances come from sampling error at the study's size:

* proportion: |simulated - published| <= 3 SE, SE = sqrt(p (1 - p) / n) with n
  the study's denominator (for p = 0 the SE of p = 1/n);
* mean: |simulated - published| <= 3 SD / sqrt(n_group) (published SD where
  given, else the simulated SD; n_group the simulated group size);
* direction: simulated difference has the published sign and, where the study
  reports p < 0.05, two-sided Welch p < 0.05 (Study C's paired Tg: Wilcoxon
  signed-rank, because Tg is skewed and the study does not name its test);
* range (ATA 2015 Table 12 rates across its studies; 99mTc plausibility): the
  published interval widened by 3 SE at the simulated group size.

Studies "ATA" (Table 12 response by initial risk), "M" (Mukhtar 2021) and
"Tc" (99mTc bed uptake scale) use the profiles in ``seed_targets.STUDY_PROFILES``.

Run ``python -m rairpredict.experiment.simulator_calibration`` to print the table (markdown).

Examples
--------
>>> from rairpredict.experiment.simulator_calibration import calibration_table
>>> t = calibration_table(seeds=(0,))            # doctest: +SKIP
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from rairpredict.simulation.simulate import simulate_cohort
from rairpredict.reference import clinical
from rairpredict.reference.ajcc import N1_CATEGORIES
from rairpredict.reference.seed_targets import STUDY_PROFILES, STUDY_SIZES, TARGETS
from rairpredict.experiment.summary import markdown_table

__all__ = ["calibration_table", "study_figures", "labelled_cohort", "implied_group_size"]

#: Targets the model cannot meet by construction, with the reason.
KNOWN_MISMATCH = {
    "B_stage_I": "Study B's stage shares fit AJCC 7th (age 45); derive computes AJCC 8th (age 55)",
    "B_stage_II": "see B_stage_I",
    "B_stage_III": "see B_stage_I",
    "B_stage_IV": "see B_stage_I (the share of IV happens to agree)",
    "C_further_treatment": "not a contract field; proxy (progression, or persistent disease with rising Tg) "
                           "averages 0.27 at large n, at the lower edge of the tolerance",
}


def implied_group_size(mean1: float, sd1: float, mean2: float, sd2: float, p: float, *,
                       n_other: int | None = None, max_n: int = 500) -> int:
    """Group size whose two-sided Welch t-test p-value is closest to the published ``p``.

    ``n_other=None``: both groups of that size; else group 2 has ``n_other``
    patients (a small group against a large one).  How Study A's p-values
    translate into analysed group sizes (``seed_targets.STUDY_A_IMPLIED_GROUPS``).

    >>> implied_group_size(114.1, 30.5, 73.9, 31.8, 0.0218)
    8
    """
    best, best_gap = 2, np.inf
    for n in range(2, max_n + 1):
        m = n if n_other is None else n_other
        se2 = sd1 ** 2 / n + sd2 ** 2 / m
        df = se2 ** 2 / ((sd1 ** 2 / n) ** 2 / (n - 1) + (sd2 ** 2 / m) ** 2 / (m - 1))
        pn = 2 * stats.t.sf(abs(mean1 - mean2) / np.sqrt(se2), df)
        gap = abs(np.log(pn) - np.log(p))
        if gap < best_gap:
            best, best_gap = n, gap
    return best


def labelled_cohort(study: str, seed: int, n: int | None = None) -> pd.DataFrame:
    """Cohort of the study's profile and size, with labels added."""
    from rairpredict.labels import add_labels  # downstream package: lazy on purpose

    df = simulate_cohort(STUDY_SIZES[study] if n is None else n, seed, profile=STUDY_PROFILES[study])
    labels = add_labels(df)
    return pd.concat([df, labels[[c for c in labels.columns if c not in df.columns]]], axis=1)


def _prop(mask, n=None):
    mask = np.asarray(mask, dtype=bool)
    return float(mask.mean()), int(len(mask) if n is None else n)


def _mean(x):
    x = pd.to_numeric(pd.Series(x), errors="coerce").dropna().to_numpy(float)
    return float(x.mean()), float(x.std(ddof=1)), len(x)


def _welch(a, b):
    a = pd.Series(a).dropna().to_numpy(float)
    b = pd.Series(b).dropna().to_numpy(float)
    return float(np.mean(b) - np.mean(a)), float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def study_figures(df: pd.DataFrame, study: str) -> dict:
    """Simulated figure per target key: ('proportion', value, n) |
    ('mean_sd', mean, sd, n) | ('direction', difference, p)."""
    f: dict = {}
    if study == "A":
        high = df["tc99m_uptake_pct"] >= clinical.UNEXPECTED_HIGH_TC99M_UPTAKE_PCT
        unexp = df["unexpected_uptake"].fillna(False).astype(bool)
        pred = high & ~unexp
        thw = df["preparation"] == "withdrawal"
        tsh, tg = df["tsh_stim_mu_l"], df["tg_stim_ng_ml"]
        dr = df["dose_rate_48h_usv_h"] / df["activity_gbq"]
        f["A_unexpected_prevalence"] = ("proportion", *_prop(unexp))
        f["A_tsh_predictable"] = ("mean_sd", *_mean(tsh[pred]))
        f["A_tsh_unexpected"] = ("mean_sd", *_mean(tsh[unexp]))
        f["A_tsh_unexpected_higher"] = ("direction", *_welch(tsh[pred], tsh[unexp]))
        f["A_dose_rate_48h_unexpected_lower"] = ("direction", *_welch(dr[pred], dr[unexp]))
        f["A_tsh_withdrawal"] = ("mean_sd", *_mean(tsh[thw]))
        f["A_tsh_rhtsh"] = ("mean_sd", *_mean(tsh[~thw]))
        f["A_tsh_rhtsh_higher"] = ("direction", *_welch(tsh[thw], tsh[~thw]))
        f["A_tg_withdrawal"] = ("mean_sd", *_mean(tg[thw]))
        f["A_tg_rhtsh"] = ("mean_sd", *_mean(tg[~thw]))
        f["A_tg_rhtsh_lower"] = ("direction", *_welch(tg[thw], tg[~thw]))
    elif study == "B":
        stage = df["ajcc8_stage"].astype(str)
        f["B_male"] = ("proportion", *_prop(df["sex"] == "male"))
        f["B_age"] = ("mean_sd", *_mean(df["age_years"]))
        f["B_papillary"] = ("proportion", *_prop(df["histology"].astype(str).str.startswith("papillary")))
        for s, members in {"I": ("I",), "II": ("II",), "III": ("III",), "IV": ("IVA", "IVB")}.items():
            f[f"B_stage_{s}"] = ("proportion", *_prop(stage.isin(members)))
        f["B_metastases"] = ("proportion", *_prop(df["n_stage"].isin(N1_CATEGORIES) | (df["m_stage"] == "M1")))
        f["B_recurrence"] = ("proportion", *_prop(df["recurrence_before_rai"].fillna(False)))
        for k in range(1, 6):
            f[f"B_course_{k}"] = ("proportion", *_prop(df["course_number"] == k))
        rair = df["rair"].fillna(False).astype(bool)
        f["B_rair_prevalence"] = ("proportion", *_prop(rair))
        n_rair = TARGETS["B_rair_prevalence"].n
        for k in (1, 2, 3, 4, 5):
            crit = df.loc[rair, f"rair_criterion_{k}"].fillna(False).astype(bool)
            f[f"B_rair_criterion_{k}"] = ("proportion", float(crit.mean()) if len(crit) else np.nan, n_rair)
    elif study == "ATA":
        first = df[df["course_number"] == 1]
        resp = first["ata_response"].astype(str)
        risk = first["ata_risk_2015"].astype(str)
        for r in ("low", "intermediate", "high"):
            m = (risk == r).to_numpy()
            f[f"ATA_{r}_excellent"] = ("range", *_prop(resp[m] == "excellent"))
            f[f"ATA_{r}_structural"] = ("range", *_prop(resp[m] == "structural_incomplete"))
    elif study == "M":
        f["M_excellent"] = ("proportion", *_prop(df["ata_response"].astype(str) == "excellent"))
    elif study == "Tc":
        u = df.loc[df["course_number"] == 1, "tc99m_uptake_pct"].astype(float)
        f["Tc_median_first"] = ("range", float(u.median()), None)
        f["Tc_share_above_1_4"] = ("range", *_prop(u > max(clinical.TC99M_ABLATION_CUTOFFS_PCT)))
        f["Tc_max"] = ("range", float(u.max()), None)
    elif study == "C":
        reop = df["reoperated_before_course"].astype(bool)
        struct = df["structural_disease_pre"].astype(bool) & ~reop
        bio = ~df["structural_disease_pre"].astype(bool) & ~reop
        f["C_female"] = ("proportion", *_prop(df["sex"] == "female"))
        f["C_age"] = ("mean_sd", *_mean(df["age_years"]))
        f["C_structural_no_reop"] = ("proportion", *_prop(struct))
        f["C_biochemical_no_reop"] = ("proportion", *_prop(bio))
        f["C_reoperated"] = ("proportion", *_prop(reop))
        before, after = df["tg_stim_ng_ml"], df["tg_stim_fu_ng_ml"]
        f["C_tg_before_structural"] = ("mean_sd", *_mean(before[struct]))
        f["C_tg_after_structural"] = ("mean_sd", *_mean(after[struct]))
        f["C_tg_before_biochemical"] = ("mean_sd", *_mean(before[bio]))
        f["C_tg_after_biochemical"] = ("mean_sd", *_mean(after[bio]))
        pair = bio & after.notna()
        diff = float((after[pair] - before[pair]).mean())
        # Wilcoxon signed-rank: Tg is skewed; Study C does not name its test
        f["C_tg_biochemical_falls"] = ("direction", diff, float(stats.wilcoxon(before[pair], after[pair]).pvalue))
        change = df.loc[struct, "structural_change_fu"].astype(str)
        n41 = TARGETS["C_progressed_structural"].n and 41
        f["C_progressed_structural"] = ("proportion", float((change == "progressed").mean()), n41)
        f["C_shrank_structural"] = ("proportion", float(change.isin(["resolved", "shrank"]).mean()), n41)
        f["C_stable_structural"] = ("proportion", float((change == "stable").mean()), n41)
        f["C_reop_imaging_findings"] = ("proportion", *_prop(df.loc[reop, "imaging_fu"] == "structural",
                                                             int(round(STUDY_SIZES["C"] * 50 / 164))))
        persistent = df["persistent_disease"].astype(bool)
        f["C_ned_final"] = ("proportion", *_prop(~persistent & (df["imaging_fu"] != "structural")))
        # further treatment: progression, or persistent disease with rising Tg
        # (rairpredict reading of Study C, which does not define it)
        rising = df["tg_stim_fu_ng_ml"] > df["tg_stim_ng_ml"]
        f["C_further_treatment"] = ("proportion", *_prop(df["structural_progression_12_16m"].astype(bool)
                                                         | (persistent & rising.fillna(False))))
    return f


def _check(key: str, fig) -> tuple[float, bool, str]:
    t = TARGETS[key]
    if fig[0] == "range":
        value, n = fig[1], fig[2]
        # a proportion: the published interval widened by 3 SE at the simulated
        # group size; a plausibility interval (n None) is checked as given
        tol = 3 * np.sqrt(max(value * (1 - value), 1.0 / n) / n) if n else 0.0
        ok = t.value - tol <= value <= t.upper + tol
        return value, bool(ok), f"{value:.3f}" + (f" (n={n})" if n else "")
    if fig[0] == "proportion":
        value, n = fig[1], fig[2]
        p = t.value if t.value > 0 else 1.0 / n
        tol = 3 * np.sqrt(p * (1 - p) / n)
        return value, bool(abs(value - t.value) <= tol), f"{value:.3f}"
    if fig[0] == "mean_sd":
        mean, sd, n = fig[1], fig[2], fig[3]
        tol = 3 * (t.sd if t.sd else sd) / np.sqrt(max(n, 1))
        return mean, bool(abs(mean - t.value) <= tol), f"{mean:.1f} ± {sd:.1f} (n={n})"
    diff, p = fig[1], fig[2]
    ok = np.sign(diff) == np.sign(t.value) and (t.p is None or t.p >= 0.05 or p < 0.05)
    return diff, bool(ok), f"{diff:+.3g} (p={p:.2g})"


def _published(t) -> str:
    if t.kind == "range":
        return f"{t.value:g}-{t.upper:g}"
    if t.kind == "proportion":
        return f"{t.value:.3f}"
    if t.kind == "mean_sd":
        return f"{t.value:g}" + (f" ± {t.sd:g}" if t.sd else "")
    return f"{'+' if t.value > 0 else '-'} (p={t.p:g})"


def calibration_table(seeds=(0, 1, 2), studies=("A", "B", "C", "ATA", "M", "Tc")) -> pd.DataFrame:
    """One row per target: published figure, simulated figure per seed, flags.

    ``within_tolerance`` is True when every seed is within tolerance;
    ``known_mismatch`` names targets the model cannot meet by construction.
    """
    rows = {}
    for study in studies:
        for seed in seeds:
            figs = study_figures(labelled_cohort(study, seed), study)
            for key, fig in figs.items():
                value, ok, text = _check(key, fig)
                row = rows.setdefault(key, {"target": key, "study": study,
                                            "published": _published(TARGETS[key]), "ok": []})
                row[f"seed {seed}"] = text
                row["ok"].append(ok)
    out = []
    for row in rows.values():
        flags = row.pop("ok")
        row["within_tolerance"] = all(flags)
        row["known_mismatch"] = KNOWN_MISMATCH.get(row["target"], "")
        out.append(row)
    return pd.DataFrame(out)


if __name__ == "__main__":  # pragma: no cover
    table = calibration_table()
    print(markdown_table(table))
    print(f"\n{int(table['within_tolerance'].sum())} of {len(table)} targets within tolerance on all seeds")
