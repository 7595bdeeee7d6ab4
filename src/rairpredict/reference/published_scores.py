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
  Caveat: the age OR 1.037 (CI 1.007-1.069) is reported next to "age >= 48";
  its size suggests a per-year OR of a continuous age term. Taken as the OR of
  the binary predictor it contributes ~0 points.

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
    "LI_2018_CITATION", "LI_2018_PREDICTORS", "LI_2018_MIN_POSITIVE_NODES", "LI_2018_MIN_LN_RATIO",
    "LI_2018_CUTOFF_POINTS", "LI_2018_POINTS", "LI_2018_ODDS_RATIOS", "LI_2018_COHORT",
    "LIU_2022_CITATION", "LIU_2022_MIN_AGE_YEARS", "LIU_2022_ODDS_RATIOS", "LIU_2022_OR_CI",
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
#: Multivariable odds ratios as published (keys: rairpredict's predictor names).
LIU_2022_ODDS_RATIOS = {
    "age_ge_48": 1.037,
    "recurrence_before_rai": 7.362,
    "fdg_uptake": 39.534,
    "metastasis_site": 4.365,
}
LIU_2022_OR_CI = {
    "age_ge_48": (1.007, 1.069),
    "recurrence_before_rai": (2.388, 22.698),
    "fdg_uptake": (18.590, 84.076),
    "metastasis_site": (1.593, 11.965),
}
#: Cut-off on the *original* point scale, and the AUC reported for it.
LIU_2022_CUTOFF_POINTS = 10
LIU_2022_AUC = 0.898
