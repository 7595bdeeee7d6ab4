"""Published statistical defaults and worked examples (one source of truth).

Sample-size criteria for developing a prediction model with a binary outcome:
Riley RD et al., Stat Med 2019;38:1276-96 (doi:10.1002/sim.7992) and BMJ
2020;368:m441 (doi:10.1136/bmj.m441); R²_CS from a C-statistic: Riley RD,
Van Calster B, Collins GS, Stat Med 2021;40:859-64 (doi:10.1002/sim.8806).

Examples
--------
>>> from rairpredict.reference import statistics
>>> statistics.RILEY_TARGET_SHRINKAGE
0.9
"""
from __future__ import annotations

RILEY_2019_CITATION = "Riley RD et al. Stat Med 2019;38:1276-96, doi:10.1002/sim.7992"
RILEY_2020_CITATION = "Riley RD et al. BMJ 2020;368:m441, doi:10.1136/bmj.m441"
RILEY_2021_CSTAT_CITATION = "Riley RD, Van Calster B, Collins GS. Stat Med 2021;40:859-64, doi:10.1002/sim.8806"

#: Criterion (i): expected uniform shrinkage of predictor effects >= 0.9.
RILEY_TARGET_SHRINKAGE = 0.9
#: Criterion (ii): apparent minus adjusted Nagelkerke R² <= 0.05.
RILEY_MAX_R2_NAGELKERKE_DIFFERENCE = 0.05
#: Criterion (iii): overall risk estimated within +/- 0.05 (95 % CI, z = 1.96).
RILEY_OVERALL_RISK_MARGIN = 0.05
RILEY_OVERALL_RISK_Z = 1.96
#: Without prior information, anticipate R²_CS = 15 % of its maximum (BMJ 2020).
RILEY_DEFAULT_R2_FRACTION_OF_MAX = 0.15

#: pmsampsize (R, binary outcomes) package tests 4.1-4.4: inputs and the
#: required n for criteria 1, 2, 3 and final (pmsampsize rounds max R²_CS to
#: 2 and the criterion-2 shrinkage to 3 decimals). Example 4.1 is the
#: package's documented example (24 parameters, prevalence 0.174, R²_CS 0.288).
PMSAMPSIZE_BINARY_EXAMPLES = (
    {"r2_cs": 0.288, "parameters": 24, "prevalence": 0.174, "n": (623, 668, 221, 668),
     "epp": (4.52, 4.84, 1.6, 4.84)},
    {"r2_cs": 0.55, "parameters": 24, "prevalence": 0.174, "n": (255, 532, 221, 532),
     "epp": (1.85, 3.86, 1.6, 3.86)},
    {"r2_cs": 0.288, "parameters": 36, "prevalence": 0.174, "n": (934, 1002, 221, 1002),
     "epp": (4.51, 4.84, 1.07, 4.84)},
    {"r2_cs": 0.288, "parameters": 24, "prevalence": 0.25, "n": (623, 583, 289, 623),
     "epp": (6.49, 6.07, 3.01, 6.49)},
)

#: Wilson score 95 % intervals, Newcombe RG, Stat Med 1998;17:857-72, Table I:
#: (successes, trials, lower, upper).
NEWCOMBE_1998_WILSON_EXAMPLES = (
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
)

# ---- external validation: plain verdicts
#: AUROC reading: 0.7-0.8 acceptable, 0.8-0.9 excellent, >= 0.9 outstanding
#: (Hosmer DW, Lemeshow S, Sturdivant RX. Applied Logistic Regression, 3rd ed.
#: Wiley 2013, section 5.2.4); below 0.7 we say "weak".
HOSMER_LEMESHOW_AUROC_BANDS = ((0.9, "outstanding"), (0.8, "excellent"), (0.7, "acceptable"), (0.0, "weak"))
#: Calibration is judged on the calibration hierarchy (Van Calster B et al.,
#: J Clin Epidemiol 2016;74:167-76): "mean" calibration (intercept 0, O/E 1)
#: and "weak" calibration (slope 1), each by whether its 95 % CI holds the ideal.
VAN_CALSTER_2016_CITATION = "Van Calster B et al. J Clin Epidemiol 2016;74:167-76, doi:10.1016/j.jclinepi.2015.12.005"
#: Closed testing procedure for choosing the update (Vergouwe Y et al., Stat Med
#: 2017;36:4529-39, doi:10.1002/sim.7179), at this significance level.
VERGOUWE_2017_CITATION = "Vergouwe Y et al. Stat Med 2017;36:4529-39, doi:10.1002/sim.7179"
CLOSED_TESTING_ALPHA = 0.05
