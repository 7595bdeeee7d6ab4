import numpy as np
import pandas as pd
import pytest

from rairpredict.evaluation import EvaluationInputError, confusion_counts, threshold_metrics, wilson_ci
from rairpredict.reference.statistics import NEWCOMBE_1998_WILSON_EXAMPLES


@pytest.mark.parametrize("k, n, lo, hi", NEWCOMBE_1998_WILSON_EXAMPLES)
def test_wilson_matches_newcombe(k, n, lo, hi):
    est = wilson_ci(k, n)
    assert est.estimate == pytest.approx(k / n)
    assert (round(est.lo, 4), round(est.hi, 4)) == (lo, hi)


def test_wilson_empty_is_nan():
    assert np.isnan(wilson_ci(0, 0).estimate)


def test_threshold_metrics_hand_table():
    # p >= 0.5 positive. y=1: 0.9 (TP), 0.7 (TP), 0.5 (TP, boundary), 0.2 (FN)
    # y=0: 0.6 (FP), 0.4, 0.3, 0.1, 0.05, 0.0 (TN x5)
    y = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    p = [0.9, 0.7, 0.5, 0.2, 0.6, 0.4, 0.3, 0.1, 0.05, 0.0]
    assert confusion_counts(y, p, 0.5).to_dict() == {"tp": 3, "fp": 1, "tn": 5, "fn": 1}
    m = threshold_metrics(y, p, 0.5)
    assert m["estimate"].to_dict() == pytest.approx(
        {"sensitivity": 3 / 4, "specificity": 5 / 6, "ppv": 3 / 4, "npv": 5 / 6})
    assert m.loc["specificity", "lo"] == pytest.approx(wilson_ci(5, 6).lo)
    assert m.attrs["counts"]["fn"] == 1
    assert (m["lo"] <= m["estimate"]).all() and (m["estimate"] <= m["hi"]).all()


def test_threshold_out_of_range():
    with pytest.raises(EvaluationInputError, match="threshold"):
        threshold_metrics([0, 1], [0.2, 0.8], 1.5)


def test_no_positives_gives_nan_ppv():
    m = threshold_metrics([0, 1, 0], [0.1, 0.2, 0.3], 0.9)
    assert np.isnan(m.loc["ppv", "estimate"]) and m.loc["npv", "estimate"] == pytest.approx(2 / 3)
    assert isinstance(m, pd.DataFrame)
