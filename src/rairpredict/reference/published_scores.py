"""Published clinical scores for radioiodine refractoriness (RAIR), written once.

What is and is not known here (checked with the project's search tool against
the papers' abstracts, PMC6246937 and the EJNMMI Research article page):

* Li 2018 publishes its six predictors, the two thresholds (>= 4 metastatic
  nodes, node-metastasis rate >= 53 %) and the cut-off (>= 7 index points).
  Its per-predictor index points and odds ratios are in the paper's tables,
  which were *not* available verifiably; they are therefore ``None`` below and
  rairpredict implements an *unweighted count* of the six predictors, never
  labelled as the original score.
* Liu 2022 publishes the four multivariable odds ratios with 95 % CI, the
  cut-off (10 points) and AUC 0.898. Its point table was not available, so
  rairpredict derives points from the ORs (Sullivan et al., Stat Med 2004;
  23:1631-1660, doi:10.1002/sim.1742).
  The age OR 1.037 (CI 1.007-1.069) is printed next to "diagnosis at age >= 48";
  its size is that of a per-year OR of a continuous age term (a binary
  predictor with OR 1.037 would be worthless), so rairpredict uses it as
  published, per year of age: log2(1.037) = 0.052 points per year above
  ``LIU_2022_AGE_REFERENCE_YEARS`` (not rounded; Sullivan's reference value is
  the lowest age, so points are never negative).  48 years is kept only as
  the printed threshold.
* Liu 2022's FDG predictor is the 18F-FDG PET/CT that every patient of its
  cohort had together with the post-therapy scan; rairpredict reads it from
  the pre-therapy field ``fdg_pet_pre`` (a PET before the course), so the
  score is a pre-therapy baseline.

Examples
--------
>>> from rairpredict.reference import published_scores as ps
>>> ps.LIU_2022_ODDS_RATIOS["fdg_uptake"]
39.534
>>> ps.LI_2018_CUTOFF_POINTS, ps.LI_2018_POINTS is None
(7, True)
"""
from __future__ import annotations

__all__ = [
    "LI_2018_CITATION", "LI_2018_PREDICTORS", "LI_2018_FOLLICULAR_HISTOLOGY", "LI_2018_MIN_POSITIVE_NODES", "LI_2018_MIN_LN_RATIO",
    "LI_2018_CUTOFF_POINTS", "LI_2018_POINTS", "LI_2018_ODDS_RATIOS", "LI_2018_COHORT",
    "LIU_2022_CITATION", "LIU_2022_MIN_AGE_YEARS", "LIU_2022_AGE_REFERENCE_YEARS", "LIU_2022_ODDS_RATIOS", "LIU_2022_OR_CI",
    "LIU_2022_CUTOFF_POINTS", "LIU_2022_AUC", "LIU_2022_COHORT", "SULLIVAN_2004_CITATION",
]

SULLIVAN_2004_CITATION = ("Sullivan LM, Massaro JM, D'Agostino RB. Presentation of multivariate data for "
                          "clinical use: the Framingham Study risk score functions. Stat Med 2004;23:1631-1660, "
                          "doi:10.1002/sim.1742")

# ----------------------------------------------------------------- Li 2018
LI_2018_CITATION = ("Li G, Lei J, Song L, et al. Radioiodine refractoriness score: a multivariable prediction "
                    "model for postoperative radioiodine-refractory differentiated thyroid carcinomas. "
                    "Cancer Med 2018;7(11):5448-5456, doi:10.1002/cam4.1794 (PMC6246937)")
#: 5163 operated DTC, 112 RAIR (2.2 %), ATA 2015 RAIR definition.
LI_2018_COHORT = {"n": 5163, "n_rair": 112}
LI_2018_PREDICTORS = ("smoking", "follicular thyroid cancer", "extrathyroidal extension",
                      "lymph node metastasis number >= 4", "lymph node metastasis rate >= 53 %", "pN1")
#: Histologies Li 2018 counts as "follicular thyroid cancer": Hürthle-cell
#: (oncocytic) carcinoma was classed with follicular carcinoma (WHO 2004, used by
#: ATA 2015), so both count.
LI_2018_FOLLICULAR_HISTOLOGY = ("follicular", "oncocytic")
LI_2018_MIN_POSITIVE_NODES = 4
LI_2018_MIN_LN_RATIO = 0.53
#: Best cut-off on the *original* index-point scale ("patients with >= 7 index points").
LI_2018_CUTOFF_POINTS = 7
#: Original per-predictor index points: not verifiably available (see module docstring).
LI_2018_POINTS = None
#: Multivariable ORs: not verifiably available (the abstract gives none).
LI_2018_ODDS_RATIOS = None

# ----------------------------------------------------------------- Liu 2022
LIU_2022_CITATION = ("Liu Y, et al. Scoring system and a simple nomogram for predicting radioiodine "
                     "refractory differentiated thyroid cancer: a retrospective study. EJNMMI Res 2022, "
                     "doi:10.1186/s13550-022-00917-8")
#: 404 metastatic DTC with a post-therapy whole-body scan and 18F-FDG PET/CT.
LIU_2022_COHORT = {"n": 404}
LIU_2022_MIN_AGE_YEARS = 48
#: Age at which the per-year age points start (youngest adult in the contract; rairpredict choice).
LIU_2022_AGE_REFERENCE_YEARS = 18
#: Multivariable odds ratios as published (keys: rairpredict's predictor names;
#: age per year of age, see the module docstring).
LIU_2022_ODDS_RATIOS = {
    "age_per_year": 1.037,
    "recurrence_before_rai": 7.362,
    "fdg_uptake": 39.534,
    "metastasis_site": 4.365,
}
LIU_2022_OR_CI = {
    "age_per_year": (1.007, 1.069),
    "recurrence_before_rai": (2.388, 22.698),
    "fdg_uptake": (18.590, 84.076),
    "metastasis_site": (1.593, 11.965),
}
#: Cut-off on the *original* point scale, and the AUC reported for it.
LIU_2022_CUTOFF_POINTS = 10
LIU_2022_AUC = 0.898
