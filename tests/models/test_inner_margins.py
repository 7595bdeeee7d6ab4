"""The calibration reuses the tuning's inner out-of-fold margins: the same numbers as refitting the folds."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import Pipeline

from rairpredict.experiment.tuning import tune
from rairpredict.features import make_preprocessor
from rairpredict.models.risk_model import calibration_method, fit_risk_model, make_classifier, proba_margin
from rairpredict.models.splits import stratified_folds

FEATURES = ["age_years", "sex", "histology", "ete", "ln_positive", "tsh_stim_mu_l", "tg_stim_ng_ml",
            "preparation", "m_stage"]


def _reference_margins(table, y, kind, params, seed, groups):
    """What fit_risk_model computes when it refits the inner folds itself."""
    pre_kind = "linear" if kind == "logistic" else "tree"
    pipeline = Pipeline([("preprocess", make_preprocessor(FEATURES, "pre_therapy", pre_kind)),
                         ("classifier", make_classifier(kind, params, seed))])
    cv = stratified_folds(y, 3, seed=seed, groups=groups)
    oof = cross_val_predict(clone(pipeline), table, y, cv=cv, method=calibration_method(kind))
    return oof if oof.ndim == 1 else proba_margin(oof[:, 1])


@pytest.mark.parametrize("kind", ["logistic", "xgboost"])
@pytest.mark.parametrize("grouped", [False, True])
def test_tuned_margins_are_the_refitted_folds_margins_and_give_the_same_model(small_cohort, kind, grouped):
    rows = small_cohort[small_cohort["rair"].notna()].reset_index(drop=True).iloc[:600]
    y = rows["rair"].astype(int).to_numpy()
    groups = (np.arange(len(y)) // 2) if grouped else None  # two courses per "patient"
    res = tune(rows, y, features=FEATURES, decision_point="pre_therapy", kind=kind, trials=4, seed=3,
               groups=groups)
    ref = _reference_margins(rows, y, kind, res.best_params, 3, groups)
    assert res.inner_margins is not None and res.inner_margins.dtype == ref.dtype
    np.testing.assert_array_equal(res.inner_margins, ref)
    kw = dict(features=FEATURES, decision_point="pre_therapy", kind=kind, params=res.best_params, seed=3,
              groups=groups)
    reused = fit_risk_model(rows, y, inner_margins=res.inner_margins, **kw)
    refit = fit_risk_model(rows, y, **kw)
    assert reused.fingerprint() == refit.fingerprint()
    assert reused.metadata["calibration_cv_logloss"] == refit.metadata["calibration_cv_logloss"]


def test_margins_of_the_wrong_length_are_refused(small_cohort):
    rows = small_cohort[small_cohort["rair"].notna()].reset_index(drop=True).iloc[:300]
    y = rows["rair"].astype(int).to_numpy()
    with pytest.raises(ValueError, match="inner_margins has shape"):
        fit_risk_model(rows, y, features=FEATURES, decision_point="pre_therapy", kind="logistic",
                       inner_margins=np.zeros(len(y) - 1))
