import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from sklearn.metrics import average_precision_score, roc_auc_score

from rairpredict.evaluation import (EvaluationInputError, auprc, auroc, auroc_ci, bootstrap_auc_difference,
                                    delong_covariance, delong_test)


def _slow_delong(y, preds):
    """O(m n) reference: DeLong 1988 structural components by definition."""
    y = np.asarray(y)
    preds = np.atleast_2d(preds)
    k = preds.shape[0]
    v10, v01, aucs = [], [], []
    for r in range(k):
        x, z = preds[r, y == 1], preds[r, y == 0]
        psi = (x[:, None] > z[None, :]) + 0.5 * (x[:, None] == z[None, :])
        aucs.append(psi.mean())
        v10.append(psi.mean(axis=1))
        v01.append(psi.mean(axis=0))
    v10, v01 = np.array(v10), np.array(v01)
    cov = np.atleast_2d(np.cov(v10)) / v10.shape[1] + np.atleast_2d(np.cov(v01)) / v01.shape[1]
    return np.array(aucs), cov


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p1 = 1 / (1 + np.exp(-(rng.normal(size=n) + y)))
    p2 = 1 / (1 + np.exp(-(rng.normal(size=n) + 0.5 * y + 0.5 * np.log(p1 / (1 - p1)))))
    return y, np.round(p1, 2), np.round(p2, 2)  # rounding creates ties


def test_auroc_equals_sklearn():
    y, p1, _ = _data()
    assert auroc(y, p1) == pytest.approx(roc_auc_score(y, p1), abs=1e-12)


def test_delong_tiny_hand_example():
    # events 0.8, 0.6; non-events 0.1, 0.6: psi = [[1, 1], [1, 0.5]] -> AUC 0.875
    # V10 = (1, 0.75), V01 = (1, 0.75): var = 0.03125/2 + 0.03125/2 = 0.03125
    aucs, cov = delong_covariance([1, 1, 0, 0], [0.8, 0.6, 0.1, 0.6])
    assert aucs[0] == pytest.approx(0.875)
    assert cov[0, 0] == pytest.approx(0.03125)


def test_delong_fast_equals_slow_reference():
    y, p1, p2 = _data()
    fast_auc, fast_cov = delong_covariance(y, np.vstack([p1, p2]))
    slow_auc, slow_cov = _slow_delong(y, np.vstack([p1, p2]))
    np.testing.assert_allclose(fast_auc, slow_auc, atol=1e-12)
    np.testing.assert_allclose(fast_cov, slow_cov, atol=1e-12)


def test_delong_ci_and_test():
    y, p1, p2 = _data()
    auc, lo, hi = auroc_ci(y, p1)
    se = np.sqrt(_slow_delong(y, p1)[1][0, 0])
    assert (hi - lo) / 2 == pytest.approx(1.959964 * se, rel=1e-5)
    same = delong_test(y, p1, p1)
    assert same["p_value"] == 1.0 and same["difference"] == 0.0
    r = delong_test(y, p1, p2)
    aucs, cov = _slow_delong(y, np.vstack([p1, p2]))
    z = (aucs[0] - aucs[1]) / np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    assert r["z"] == pytest.approx(z)
    assert r["lo"] < r["difference"] < r["hi"]


def test_bootstrap_methods():
    y, p1, p2 = _data()
    est = auroc_ci(y, p1, method="bootstrap", n_boot=100, seed=1)
    delong = auroc_ci(y, p1)
    assert est.lo < est.estimate < est.hi
    assert abs(est.lo - delong.lo) < 0.03 and abs(est.hi - delong.hi) < 0.03
    d = bootstrap_auc_difference(y, p1, p2, n_boot=100, seed=1)
    assert d["difference"] == pytest.approx(auroc(y, p1) - auroc(y, p2))
    assert d["lo"] < d["difference"] < d["hi"]
    assert bootstrap_auc_difference(y, p1, p1, n_boot=20, seed=1)["p_value"] == 1.0
    ap = auprc(y, p1, n_boot=50, seed=0)
    assert ap.estimate == pytest.approx(average_precision_score(y, p1))
    assert ap.lo < ap.estimate < ap.hi


def test_bad_input_is_refused_with_row():
    with pytest.raises(EvaluationInputError, match="row 2"):
        auroc([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(EvaluationInputError, match="row 1"):
        auroc([0, 1, 1], [0.1, np.nan, 0.3])
    with pytest.raises(EvaluationInputError, match="both outcomes"):
        auroc([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(EvaluationInputError, match="method"):
        auroc_ci([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], method="hanley")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1000)), min_size=6, max_size=60),
       st.sampled_from([np.square, np.exp, np.sqrt, lambda v: 3 * v - 7]))
def test_auroc_properties(rows, monotone):
    y = np.array([r[0] for r in rows])
    p = np.array([r[1] for r in rows]) / 1000
    if min(y.sum(), len(y) - y.sum()) < 2:
        return
    auc, lo, hi = auroc_ci(y, p)
    assert 0 <= lo <= auc <= hi <= 1
    # invariant to strictly increasing transforms (auroc accepts any score)
    q = monotone(p)
    q = (q - q.min()) / (q.max() - q.min()) if q.max() > q.min() else np.zeros_like(q)
    assert auroc(y, q) == pytest.approx(auc, abs=1e-12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.7, 0.9, 1.0])),
                min_size=2, max_size=60))
def test_average_precision_equals_scikit_learn_with_ties(pairs):
    from rairpredict.evaluation._discrimination import average_precision

    y = np.array([a for a, _ in pairs])
    p = np.array([b for _, b in pairs])
    if y.sum() == 0:
        assert np.isnan(average_precision(y, p))
        return
    assert average_precision(y, p) == pytest.approx(average_precision_score(y, p), abs=1e-12)
