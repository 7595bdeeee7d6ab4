"""Synthetic DTC cohort with a known causal model and an exact oracle.

The package's embedded default data: one row per patient-course in the
canonical contract (``contract.yaml``), raw follow-up findings from which
:mod:`rairpredict.labels` derives the labels (the simulator never computes a
label), derived fields from :func:`rairpredict.cohort.derive.add_derived`, and
``oracle_p_*`` columns: the true P(label = 1 | pre-therapy record).

Causal model (DAG; ``->`` = "is a parent of")::

    patient & tumour x0 (age, sex, smoking, histology, size, ETE, N, LN counts,
        M, course, structural_disease_pre, preparation, 99mTc uptake, TgAb, activity)
    x0 -> BRAF, TERT                                   (latent unless tested)
    BRAF, TERT, x0 -> z       partial/delayed NIS activation (latent; not the preparation)
    BRAF, TERT, x0 -> d       dedifferentiated biology (latent)
    z, x0 (uptake, preparation) -> TSH                 (observed pre-therapy)
    d, x0 -> stimulated Tg, recurrence_before_rai, pre-therapy FDG PET (observed)
    z, x0 -> 48 h retention (body + thyroid bed) -> dose rates 24/48/72 h; early reactions
    z, d, x0 -> post-therapy scan (bed uptake, no uptake, loss, non-avid lesion)
    z, d, x0 -> structural change 12-16 m (progressed / resolved / shrank / stable),
                biochemical persistence, structural disease found at follow-up,
                FDG PET, follow-up Tg / TgAb / imaging (driven by the disease state)

Equations (coefficients in :class:`rairpredict.reference.simulation.SimulationParams`;
``logit`` = log-odds, N = normal, u = 99mTc uptake %, u0 = 0.6 % its median)::

    u        ~ logN(log 0.6 [first course] or log 0.1 [repeat], 0.9), clipped 0.01-15 %
    logit P(z=1) = a_z + 0.7 BRAF + 0.7 TERT + 0.6 aggressive + 0.15 age/10
    log TSH  ~ N(log 85 + 0.6 z, 0.55)                rhTSH (Study A 123.3 +/- 75.8)
    log TSH  ~ N(log 62 - 0.09 log(u/u0) + 0.6 z, 0.26)  withdrawal (80.7 +/- 27)
    logit P(d=1) = a_d + Li 2018 terms (smoking, follicular, ETE, >= 4 nodes,
                   LN ratio >= 0.53, N1) + M1 + age + BRAF + TERT + repeat course
    log Tg   ~ N(m[prep, group] + 0.06 log(u/u0) + M1 - 0.7 TgAb+ - 0.5 d, s[prep, group])
    R48 = body + bed; log body ~ N(.., sd) with Ravichandran 2016's mean/SD per
          preparation; bed = 0.01 u (Hänscheid 2006) x (0.25 if z)
    dose_rate_48h = activity * 50 uSv/h/GBq * R48;  24/72 h via T_eff (Remy 2008) x 0.95^z
    logit P(reaction) = -0.5 + 0.6 log(A/3.7) + 0.4 log(u/u0) + 0.3 withdrawal - 1.6 z
    logit P(bed absent/faint) = -3 + 5 z - 0.8 log(u/u0) + 3 repeat
    P(progression) = structural * expit(-1.7 + 3.2 d + 0.6 z + 1.0 M1 - 0.7 repeat), etc.
    first course: biochemical persistence and structural disease found at follow-up
          rise with an ATA-item burden score (N1, > 5 nodes, ETE, aggressive histology,
          vascular invasion, incomplete resection, node >= 3 cm) and d; follow-up Tg
          is near the assay floor without disease and tracks pre-therapy Tg with it
    repeat course: log(Tg_fu / Tg) ~ N(mu[structural change] + 0.5 d + 0.4 z, 0.75)

Study A's groups: the simulator's "unexpected uptake" is the label of
:func:`rairpredict.labels.label_unexpected_uptake`; the "predictable uptake"
comparison group is read as patients with high pre-therapy uptake whose
post-therapy picture agreed (uptake >= threshold, label False).  Under
withdrawal a functioning remnant blunts the TSH rise, so the high-uptake
(predictable) group has a lower mean TSH (73.9) than all withdrawal patients
(80.7); partial activation raises TSH by the same factor in either
preparation, so the unexpected group's TSH is high (114.1) without any
preparation -> activation arrow; rhTSH gives pharmacological TSH (123.3) and
lower Tg.  Prevalence 3 % (a documented choice; Study A's p-values imply
analysed groups of a handful of patients, see
``reference.seed_targets.STUDY_A_IMPLIED_GROUPS``).

Missingness: BRAF/TERT untested (MCAR, ~65-70 %), tumour size (MCAR 4 %),
LN counts missing exactly when nodes were not examined (NX), FDG PET done
mostly when Tg is high and the 131I scan negative (depends on observed Tg and
on the scan), pre-therapy FDG PET done mostly with known structural disease or
recurrence (observed), follow-up stimulated Tg MCAR 8 %.  The oracle integrates over
all of it (see ``_oracle``).

Examples
--------
>>> from rairpredict.simulation.simulate import simulate_cohort
>>> df = simulate_cohort(200, seed=1)
>>> df["patient_id"].iloc[0], len(df)
('SIM-000001', 200)
>>> bool(df["oracle_p_rair"].between(0, 1).all())
True
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from rairpredict.simulation._oracle import oracle
from rairpredict.simulation._sample import sample
from rairpredict.simulation._times import TIME_COLUMNS, event_times
from rairpredict.cohort.contract import load_contract
from rairpredict.cohort.derive import add_derived
from rairpredict.cohort.validate import canonical_dtype
from rairpredict.errors import ConfigError
from rairpredict.reference.simulation import PROFILES, make_params
from rairpredict.reference.simulation_times import ORACLE_HORIZONS_YEARS

__all__ = ["simulate_cohort", "PROFILES", "ORACLE_COLUMNS"]

ORACLE_COLUMNS = ("oracle_p_unexpected_uptake", "oracle_p_rair", "oracle_p_second_course_benefit",
                  *(f"oracle_risk_rair_{h:g}y" for h in ORACLE_HORIZONS_YEARS))


def _cat(codes, name: str) -> pd.Categorical:
    cats = list(load_contract()[name].categories)
    return pd.Categorical.from_codes(np.asarray(codes, dtype=int), categories=cats)


def _columns(c: dict, n: int) -> dict:
    na = np.nan
    return {
        "patient_id": [f"SIM-{i:06d}" for i in range(1, n + 1)],
        "age_years": c["age"], "sex": _cat(np.where(c["female"], 0, 1), "sex"),
        "smoking": c["smoking"], "hx_radiotherapy": c["hx_radiotherapy"],
        "thyroid_function": _cat(c["thyroid_function"], "thyroid_function"),
        "physical_examination": _cat(c["physical_examination"], "physical_examination"),
        "adenopathy": _cat(c["adenopathy"], "adenopathy"),
        "histology": _cat(c["histology"], "histology"), "tumour_size_mm": c["size"],
        "multifocal": c["multifocal"], "ete": _cat(c["ete"], "ete"),
        "vascular_invasion": c["vascular_invasion"], "vascular_invasion_foci": c["vascular_foci"],
        "resection_complete": c["resection_complete"], "t_stage": _cat(c["t_stage"], "t_stage"),
        "n_stage": _cat(c["n_stage"], "n_stage"), "m_stage": _cat(c["m1"].astype(int), "m_stage"),
        "ln_examined": c["ln_examined"], "ln_positive": c["ln_positive"],
        "largest_node_mm": c["largest_node_mm"],
        "distant_met_site": _cat(c["distant_met_site"], "distant_met_site"),
        "braf_v600e": c["braf_obs"], "tert_promoter": c["tert_obs"],
        "recurrence_before_rai": c["recurrence"], "structural_disease_pre": c["structural_pre"],
        "reoperated_before_course": c["reoperated"],
        "preparation": _cat(c["rhtsh"].astype(int), "preparation"),
        "tsh_stim_mu_l": c["tsh"], "tg_stim_ng_ml": c["tg"], "tgab_iu_ml": c["tgab"],
        "tc99m_uptake_pct": c["tc99m"], "fdg_pet_pre": _cat(c["fdg_pre"], "fdg_pet_pre"),
        "activity_gbq": c["activity"], "course_number": c["course"],
        "cumulative_activity_gbq": c["cumulative"],
        "dose_rate_24h_usv_h": c["dr24"], "dose_rate_48h_usv_h": c["dr48"], "dose_rate_72h_usv_h": c["dr72"],
        "early_radiation_reactions": c["reactions"],
        "post_scan_any_uptake": c["post_uptake"], "post_scan_uptake_loss": c["uptake_loss"],
        "post_scan_bed_uptake": _cat(c["bed"], "post_scan_bed_uptake"),
        "known_lesions": c["known_lesions"], "lesions_without_uptake": c["lesions_without_uptake"],
        "fdg_pet": _cat(c["fdg"], "fdg_pet"),
        "structural_progression_12_16m": c["progression"], "persistent_disease": c["persistent"],
        "tg_suppressed_fu_ng_ml": c["tg_supp_fu"], "tg_stim_fu_ng_ml": c["tg_fu"],
        "tgab_fu_iu_ml": c["tgab_fu"], "tgab_trend": _cat(c["tgab_trend"], "tgab_trend"),
        "imaging_fu": _cat(c["imaging_fu"], "imaging_fu"),
        "structural_change_fu": _cat(c["change"], "structural_change_fu"),
        "recurred": c["recurred"], "ata_response_reported": np.full(n, na),
    }


def _site_record(cols: dict, site: dict) -> dict:
    """What an external-site profile's record shows: its Tg assay scale, its unrecorded inputs."""
    if not site:
        return cols
    cols = dict(cols)
    cols["tg_stim_ng_ml"] = np.asarray(cols["tg_stim_ng_ml"], dtype=float) * float(site.get("tg_assay_factor", 1.0))
    for name in site.get("unrecorded", ()):
        cols[name] = np.full(len(cols["patient_id"]), np.nan)
    return cols


def _resolve_profile(profile: str) -> dict:
    if profile not in PROFILES:
        raise ConfigError(f"simulate: unknown profile {profile!r}; expected one of {sorted(PROFILES)}")
    return PROFILES[profile]


def simulate_arrays(n: int, seed: int = 0, *, profile: str = "default", params=None) -> dict:
    """Raw simulation (covariates, latent state) as arrays; for tests and tooling."""
    if int(n) < 1:
        raise ConfigError(f"simulate: n must be >= 1 (got {n})")
    rng = np.random.default_rng(seed)
    return sample(rng, int(n), _resolve_profile(profile), make_params(params))


def simulate_cohort(n: int, seed: int = 0, *, profile: str = "default", params=None) -> pd.DataFrame:
    """Simulate ``n`` patient-courses from the causal model.

    Parameters
    ----------
    n : int
        Number of rows (patient-courses).
    seed : int
        Seed of ``numpy.random.default_rng``; the same (n, seed, profile,
        params) gives an identical frame.
    profile : {"default", "A", "B", "C", "external"}
        Covariate mix: Study A-like (first courses, withdrawal/rhTSH), Study
        B-like (course mix 70/14/9/3.5/3 %, 42 % follicular), Study C-like (all
        repeat courses for incomplete response, no distant metastases), a
        mixture usable for all three targets, or a simulated external site
        (different case mix, Tg assay reading 0.5 x, no 99mTc uptake recorded,
        higher RAIR rate; ``params`` given replace the site's own).
    params : SimulationParams or dict, optional
        Overrides of :class:`rairpredict.reference.simulation.SimulationParams`.

    Returns
    -------
    DataFrame
        Contract columns in contract dtypes (derived fields included), then
        ``oracle_p_unexpected_uptake``, ``oracle_p_rair``,
        ``oracle_p_second_course_benefit`` (NaN for first courses); registry-like
        follow-up (``followup_years``, ``rair_time_years``, ``recurrence_time_years``,
        ``died_other_cause``) and the true risk of RAIR by 1.5, 3 and 5 years
        (``oracle_risk_rair_<h>y``), see :mod:`rairpredict.simulation._times`.

    Examples
    --------
    >>> df = simulate_cohort(50, seed=3, profile="C")
    >>> int(df["course_number"].min())
    2
    """
    site = _resolve_profile(profile).get("site", {})
    p = make_params(params) if params is not None or not site.get("params") else make_params(site["params"])
    sim = simulate_arrays(n, seed, profile=profile, params=p)
    c = sim["cov"]
    contract = load_contract()
    cols = _site_record(_columns(c, int(n)), site)
    frame = pd.DataFrame({f.name: pd.Series(cols.get(f.name, np.full(int(n), np.nan))).astype(canonical_dtype(f))
                          for f in contract if not f.derived})
    frame = add_derived(frame)
    for name, values in oracle(c, p).items():
        frame[name] = values
    times = event_times(frame, seed)
    for name in TIME_COLUMNS:
        frame[name] = times[name].astype(canonical_dtype(contract[name]))
    for name in times.columns.difference(TIME_COLUMNS, sort=False):
        frame[name] = times[name]
    return frame
