"""Validation statistics for clinical prediction models, each with its CI.

Pure functions over arrays: ``y`` (0/1 outcomes), ``p`` (predicted
probabilities) and optional subgroup columns. Estimates come as
:class:`Estimate` ``(estimate, lo, hi)`` tuples or pandas objects, with
``1 - alpha`` confidence intervals (``alpha=0.05``). Plots live in
:mod:`rairpredict.evaluation.plots`.

Examples
--------
>>> import numpy as np
>>> from rairpredict.evaluation import auroc_ci, calibration_intercept_slope
>>> rng = np.random.default_rng(0)
>>> p = rng.uniform(0.05, 0.9, 500); y = rng.binomial(1, p)
>>> auc, lo, hi = auroc_ci(y, p)
>>> list(calibration_intercept_slope(y, p).index)
['cal_intercept', 'cal_slope']
"""
from ._calibration import (brier_score, calibration_curve_flexible, calibration_deciles,
                           calibration_intercept_slope, integrated_calibration_index,
                           observed_expected_ratio, restricted_cubic_spline, scaled_brier_score)
from ._decision_curve import decision_curve, net_benefit
from ._discrimination import (auprc, auroc, auroc_ci, bootstrap_auc_difference, delong_covariance,
                              delong_test)
from ._external import ExternalValidation, calibration_verdict, discrimination_verdict, external_validation
from ._optimism import optimism_corrected
from ._report import evaluate_predictions, metrics_frame
from ._sample_size import (SampleSizeResult, max_r2_cs, r2_cs_from_c_statistic, riley_sample_size,
                           sample_size_warning)
from ._subgroups import age_band, subgroup_metrics
from ._survival import (cox_partial_loglik, harrell_c, integrated_brier, ipcw_brier, kaplan_meier, reverse_km_followup,
                        time_dependent_auc, uno_c)
from ._survival_calibration import horizon_calibration, horizon_calibration_groups, horizon_net_benefit
from ._survival_sample_size import riley_survival_sample_size
from ._threshold import confusion_counts, threshold_metrics, wilson_ci
from ._updating import ClosedTestResult, closed_testing
from ._utils import Estimate, EvaluationInputError, format_ci

__all__ = ["format_ci", 
    "Estimate", "EvaluationInputError",
    "auroc", "auroc_ci", "delong_covariance", "delong_test", "bootstrap_auc_difference", "auprc",
    "brier_score", "scaled_brier_score", "calibration_intercept_slope", "observed_expected_ratio",
    "calibration_curve_flexible", "calibration_deciles", "integrated_calibration_index",
    "restricted_cubic_spline",
    "wilson_ci", "confusion_counts", "threshold_metrics",
    "net_benefit", "decision_curve",
    "optimism_corrected",
    "riley_sample_size", "SampleSizeResult", "max_r2_cs", "r2_cs_from_c_statistic", "sample_size_warning",
    "age_band", "subgroup_metrics",
    "evaluate_predictions", "metrics_frame",
    "cox_partial_loglik", "kaplan_meier", "reverse_km_followup", "harrell_c", "uno_c", "time_dependent_auc", "ipcw_brier",
    "integrated_brier", "horizon_calibration", "horizon_calibration_groups", "horizon_net_benefit",
    "riley_survival_sample_size",
]
