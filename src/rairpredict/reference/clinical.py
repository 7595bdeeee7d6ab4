"""Clinical constants with their citations (the one source of truth).

Guideline thresholds that papers state with different boundary conventions are
given as (value, inequality) pairs so that callers can change either.

Examples
--------
>>> from rairpredict.reference import clinical
>>> clinical.MCI_TO_GBQ * 600
22.2
"""
from __future__ import annotations

# ----------------------------------------------------------------- units / physics
#: 1 mCi = 37 MBq = 0.037 GBq (definition of the curie).
MCI_TO_GBQ = 0.037
#: 131I physical half-life in days (clinical_reference.md, 131I physics).
I131_PHYSICAL_HALF_LIFE_D = 8.02
#: US NRC 10 CFR 35.75 release guidance: dose rate at 1 m below 70 uSv/h
#: (7 mrem/h) or retained activity below 1.22 GBq (33 mCi). Country-specific.
RELEASE_DOSE_RATE_USV_H = 70.0
RELEASE_RETAINED_GBQ = 1.22

# ----------------------------------------------------------------- AJCC 8th edition
#: Age cut-off at diagnosis for DTC staging (AJCC 8th edition).
AJCC8_AGE_CUTOFF_YEARS = 55

# ----------------------------------------------------------------- ATA 2015
# Haugen BR et al. Thyroid 2016;26:1-133, doi:10.1089/thy.2015.0020.
ATA_2015_CITATION = "Haugen et al., Thyroid 2016;26:1-133, doi:10.1089/thy.2015.0020"
#: Stimulated TSH target for RAI preparation (mU/L), ATA 2015.
TSH_PREPARATION_TARGET_MU_L = 30.0
#: Response to therapy thresholds (ng/mL) with the ATA 2015 inequalities.
#: excellent: suppressed Tg < 0.2 or stimulated Tg < 1 (TgAb negative)
RESPONSE_EXCELLENT_SUPPRESSED_TG = (0.2, "<")
RESPONSE_EXCELLENT_STIMULATED_TG = (1.0, "<")
#: biochemical incomplete: suppressed Tg >= 1 or stimulated Tg >= 10 or rising TgAb
RESPONSE_BIOCHEMICAL_SUPPRESSED_TG = (1.0, ">=")
RESPONSE_BIOCHEMICAL_STIMULATED_TG = (10.0, ">=")
#: When both a suppressed and a stimulated Tg were measured and they disagree,
#: the less favourable one classifies (ATA 2015 Table 13 lists either test
#: because often only one is done; suppressed Tg 0.1 with stimulated Tg 5 ng/mL
#: is indeterminate, not excellent).  clinical_reference.md, response to therapy.
RESPONSE_BOTH_TG_LESS_FAVOURABLE = True
#: ATA high risk: a pathological N1 node >= 3 cm.
ATA_HIGH_RISK_NODE_MM = 30.0
#: ATA intermediate risk: more than 5 pathological N1.
ATA_INTERMEDIATE_MAX_LOW_RISK_NODES = 5
#: ATA low risk allows <= 5 pathological N1 *micrometastases*: < 0.2 cm (2 mm).
ATA_LOW_RISK_MICROMETASTASIS_MM = 2.0
#: Unknown nodal status never gives the favourable class (issue 12 review of
#: Haugen 2016 Table 12): NX (not assessed) is unknown, not N0; an N1 of unknown
#: node size is read as not a micrometastasis (>= 2 mm), i.e. at least
#: intermediate -- low risk requires every node documented < 2 mm, and clinical
#: N1 is intermediate.  Stated rule of rairpredict.cohort.derive.derive_ata_risk_2015.
ATA_UNKNOWN_NODES_RULE = ("NX -> nodal items unknown; N1 with unknown node size -> "
                          "not a micrometastasis (at least intermediate)")
#: Papillary microcarcinoma: primary tumour <= 1 cm (WHO; ATA 2015 "microcarcinoma").
PAPILLARY_MICROCARCINOMA_MM = 10.0
#: ATA high risk: follicular cancer with extensive vascular invasion (> 4 foci).
ATA_EXTENSIVE_VASCULAR_FOCI = 4
#: Aggressive papillary variants named by ATA 2015.
ATA_AGGRESSIVE_HISTOLOGY = ("papillary_tall_cell", "papillary_hobnail", "papillary_columnar")

#: TgAb positivity threshold (IU/mL). Assay dependent; 4 IU/mL is a common
#: functional-sensitivity cut-off of RIA/ICMA kits. A parameter, not a guideline value.
TGAB_POSITIVE_IU_ML = 4.0

# ----------------------------------------------------------------- RAIR (Study B)
#: Criterion 4: persistent disease after a cumulative activity >= 600 mCi (22.2 GBq).
#: Rakhmankulova et al. 2024 (seed 001), ATA 2015 commonly added criterion.
RAIR_CUMULATIVE_ACTIVITY_GBQ = 600 * MCI_TO_GBQ
#: Criterion 3 window for structural progression after RAI (months).
RAIR_PROGRESSION_WINDOW_MONTHS = (12, 16)
RAIR_CRITERIA = {
    1: "no 131I uptake, or progressive loss of uptake, on the post-therapy scan",
    2: "no 131I uptake in a regional recurrence or distant metastasis",
    3: "structural progression 12-16 months after RAI despite 131I uptake in the lesions",
    4: "persistent disease after cumulative activity >= 600 mCi (22.2 GBq)",
    5: "131I-negative / FDG-positive mismatch (flip-flop)",
}

# ----------------------------------------------------------------- unexpected uptake (Study A)
# Study A (seed 000) defines the group by three parts read with the post-therapy
# whole-body scan: high pre-therapy (99mTc) uptake, yet low dosimetry 48 h after
# the activity and no early radiation reactions -- a "marked discrepancy between
# the usually interdependent results of scintigraphy before and after" therapy.
# What Study A leaves open (rairpredict's documented choices, parameters of
# rairpredict.labels.label_unexpected_uptake):
#   * the numeric cut-off of "high" 99mTc uptake -> the published post-thyroidectomy
#     ablation cut-offs (below);
#   * what "low dosimetry" means numerically, and whether it is absolute or
#     relative to the preparation -> relative: a fraction of the preparation's
#     mean 48 h whole-body retention (Ravichandran 2016), because rhTSH patients
#     clear iodine faster (Remy 2008, Hänscheid 2006) and one absolute cut-off
#     would call rhTSH patients "low" several times as often.  Study A itself
#     reports no dosimetry by preparation, so the per-preparation scaling rests on
#     those sources, not on Study A;
#   * how weak the post-therapy thyroid-bed uptake must be to "disagree" with a
#     high pre-therapy uptake -> absent or faint (``post_scan_bed_uptake``);
#   * the 99mTc cut-off is one for both preparations: Study A gives no
#     preparation-specific uptake figure and the published cut-offs are not split.
#: 99mTc thyroid-bed uptake (%) at or above which pre-therapy uptake counts as high:
#: 0.75 %, the optimal cut-off for unsuccessful ablation in 330 patients (clinical
#: reference; Giovanella et al. 2011, Head Neck: > 1.4 %, 232 patients; Giovanella
#: et al. 2019, Endocrinol Metab 34:63: < 0.9 % went with successful ablation).
#: After total thyroidectomy a bed uptake above the ablation cut-off is "high".
UNEXPECTED_HIGH_TC99M_UPTAKE_PCT = 0.75
#: Published range of 99mTc ablation cut-offs (%), for the simulator's scale check.
TC99M_ABLATION_CUTOFFS_PCT = (0.75, 0.9, 1.4)
#: Mean whole-body retention 48 h after the activity (dose-rate meter), by
#: preparation: Ravichandran et al. 2016 (PMC5020787), 0.148 +/- 0.12 after
#: withdrawal, 0.089 +/- 0.06 with rhTSH.
RETENTION_48H_MEAN = {"withdrawal": 0.148, "rhtsh": 0.089}
RETENTION_48H_SD = {"withdrawal": 0.12, "rhtsh": 0.06}
#: "Low dosimetry": 48 h retention below this fraction of the preparation's mean
#: (rairpredict choice; Study A gives no number).
UNEXPECTED_LOW_RETENTION_FRACTION = 0.6
#: Post-therapy thyroid-bed uptake that disagrees with a high pre-therapy uptake.
UNEXPECTED_DISCORDANT_BED_UPTAKE = ("absent", "faint")
#: Dose rate at 1 m from a patient just after ingestion, per GBq administered
#: (uSv/h per GBq). *Approximate*: 131I air-kerma constant ~0.059 uSv m^2/(h MBq)
#: less ~15 % self-attenuation of the body.
I131_DOSE_RATE_1M_USV_H_PER_GBQ = 50.0
#: 48 h dose rate at 1 m per administered GBq (uSv/h per GBq) below which
#: dosimetry counts as low, per preparation: fraction x dose-rate constant x mean
#: retention (withdrawal 3.7, rhTSH 2.2 uSv/h per GBq).
UNEXPECTED_LOW_DOSE_RATE_48H_USV_H_PER_GBQ = {
    prep: round(UNEXPECTED_LOW_RETENTION_FRACTION * I131_DOSE_RATE_1M_USV_H_PER_GBQ * r, 3)
    for prep, r in RETENTION_48H_MEAN.items()}

# ----------------------------------------------------------------- second course (Study C)
#: Benefit of a second course: stimulated Tg falls by at least this fraction
#: 1-2 years after the course, with no structural progression (Study C compared
#: stTg before and 1-2 years after; fraction is rairpredict's documented choice).
SECOND_COURSE_TG_FALL_FRACTION = 0.5
