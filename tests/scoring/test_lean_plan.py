"""The lean scoring plan gives the scikit-learn pipeline's outputs bit for bit (issue 15).

A model's fitted numbers run through the NumPy kernels (:mod:`rairpredict.models._plan`)
instead of the scikit-learn objects: every output column must be the same as
through the full pipeline, for a model loaded from its file and one in memory,
on rows with missing, implausible and out-of-training values, and one row must
score as it does inside a 1,000-row batch.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rairpredict.models import _plan
from rairpredict.models._plan import plan_of
from rairpredict.scoring import _design, _frame, score_frame

KINDS = ["logistic_model", "xgb_model", "isotonic_model", "stacked_model"]
SURVIVAL_FEATURES = ["age_years", "histology", "ete", "n_stage", "m_stage", "tg_stim_ng_ml", "tumour_size_mm",
                     "braf_v600e", "activity_gbq"]


@pytest.fixture(scope="module")
def stacked_model(cohort, features):
    from rairpredict.models.risk_model import fit_risk_model

    table, y = cohort
    return fit_risk_model(table, y, features=features, decision_point="pre_therapy", kind="stacked",
                          params={"xgboost__n_estimators": 25, "xgboost__max_depth": 2}, target="rair")


@pytest.fixture(scope="module", params=["cox", "xgboost_cox"])
def survival_model(request, timed_rair_cohort):
    from rairpredict.models.survival import fit_survival_model

    table, time, event = timed_rair_cohort
    return fit_survival_model(table, time, event, features=SURVIVAL_FEATURES, decision_point="pre_therapy",
                              kind=request.param, horizons=(1.5, 3, 5), band_horizon=3, seed=0)


def _odd(table: pd.DataFrame) -> pd.DataFrame:
    """1,000 rows of ``table``, with missing, implausible and never-trained values among the model inputs."""
    table = pd.concat([table] * (1 + 1000 // len(table)), ignore_index=True).head(1000).copy()
    rng = np.random.default_rng(5)
    for col in ("age_years", "tumour_size_mm", "tg_stim_ng_ml", "ln_ratio", "activity_gbq"):
        table.loc[rng.random(len(table)) < 0.15, col] = np.nan
    table.loc[::17, "age_years"] = 130.0          # implausible
    table.loc[::23, "tg_stim_ng_ml"] = 1e7         # far beyond training
    table.loc[::29, "tumour_size_mm"] = -1.0
    for col in ("histology", "ete", "t_stage", "braf_v600e"):
        table.loc[rng.random(len(table)) < 0.1, col] = None
    return table


@pytest.fixture(scope="module")
def odd_rows(cohort):
    return _odd(cohort[0])


@pytest.fixture(scope="module")
def odd_timed_rows(timed_rair_cohort):
    return _odd(timed_rair_cohort[0])


def _full_route(monkeypatch):
    """Score through the fitted scikit-learn pipeline only (no plan anywhere)."""
    monkeypatch.setattr(_design, "plan_of", lambda model: None)
    monkeypatch.setattr(_frame, "plan_of", lambda model: None)


@pytest.mark.parametrize("fixture", KINDS)
@pytest.mark.parametrize("explain", [0, 3])
def test_plan_route_equals_the_pipeline_route(fixture, explain, odd_rows, request, monkeypatch):
    model = request.getfixturevalue(fixture)
    assert plan_of(model) is not None  # the plan route does run
    lean = score_frame(model, odd_rows, explain=explain, with_inputs=True)
    _full_route(monkeypatch)
    full = score_frame(model, odd_rows, explain=explain, with_inputs=True)
    pd.testing.assert_frame_equal(lean, full, check_exact=True)
    assert (lean["implausible_inputs"] != "").any() and (lean["missing_inputs"] != "").any()


@pytest.mark.parametrize("fixture", KINDS)
def test_plan_transform_is_the_pipeline_transform(fixture, odd_rows, request):
    model = request.getfixturevalue(fixture)
    X = model.transform(odd_rows)
    plan = plan_of(model)
    assert plan.columns == list(X.columns)
    assert np.array_equal(plan.transform(odd_rows), X.to_numpy(), equal_nan=True)


def test_a_loaded_logistic_model_scores_without_its_pipeline(logistic_model, odd_rows, tmp_path):
    from rairpredict.models import load_model

    logistic_model.save(tmp_path / "m.zip")
    loaded = load_model(tmp_path / "m.zip")
    out = score_frame(loaded, odd_rows, explain=3)
    assert "pipeline" not in vars(loaded)  # scoring never rebuilt the scikit-learn objects
    pd.testing.assert_frame_equal(out, score_frame(logistic_model, odd_rows, explain=3), check_exact=True)
    # the pipeline is there when asked for, the same fitted model
    assert np.array_equal(loaded.classifier.coef_, logistic_model.classifier.coef_)
    assert np.array_equal(loaded.predict_risk(odd_rows), logistic_model.predict_risk(odd_rows))
    assert loaded.to_files() == logistic_model.to_files()


@pytest.mark.parametrize("fixture", KINDS)
@pytest.mark.parametrize("explain", [0, 3])
def test_one_row_scores_as_inside_a_large_batch(fixture, explain, odd_rows, request):
    model = request.getfixturevalue(fixture)
    batch = score_frame(model, odd_rows, explain=explain)
    blas = fixture == "logistic_model" and not explain
    for i in (0, 17, 23, 401):  # plain, implausible, beyond training, one with missing values
        one = score_frame(model, odd_rows.iloc[[i]].reset_index(drop=True), explain=explain)
        row = batch.iloc[[i]].reset_index(drop=True)
        if blas:
            # without reasons a logistic margin is decision_function's BLAS product, kept bit for bit as it
            # was for every batch; BLAS may group one row's products differently alone: the last bit only
            np.testing.assert_array_max_ulp(one.pop("probability").to_numpy(), row.pop("probability").to_numpy(),
                                            maxulp=4)
        pd.testing.assert_frame_equal(one, row, check_exact=True)


def test_a_logistic_margin_without_reasons_is_decision_function(logistic_model, odd_rows):
    X = logistic_model.pipeline[:-1].transform(odd_rows)
    expected = logistic_model.calibration(logistic_model.classifier.decision_function(X))
    assert np.array_equal(score_frame(logistic_model, odd_rows)["probability"].to_numpy(), expected)


def test_the_cached_plan_follows_a_refit(cohort):
    from rairpredict.models.risk_model import fit_risk_model

    table, y = cohort
    model = fit_risk_model(table, y, features=["age_years", "histology"], decision_point="pre_therapy",
                           kind="logistic", calibration_methods=(), target="rair")
    first = plan_of(model)
    assert plan_of(model) is first  # compiled once
    model.pipeline.fit(table.head(300), y[:300])
    again = plan_of(model)
    assert again is not first
    assert np.array_equal(again.coef, model.classifier.coef_)
    assert np.array_equal(_frame._margin_only(model, model.transform(table)), model.margin(table))


def test_steps_outside_the_kernels_have_no_plan():
    from types import SimpleNamespace

    assert plan_of(SimpleNamespace()) is None
    assert _plan.plan_from_state([{"class": "Unknown", "params": {}, "fitted": {}}]) is None


@pytest.mark.parametrize("explain", [0, 2])
def test_survival_models_take_the_plan_with_the_same_bits(survival_model, odd_timed_rows, explain, monkeypatch):
    assert plan_of(survival_model) is not None and not plan_of(survival_model).linear
    batch = score_frame(survival_model, odd_timed_rows, explain=explain)
    for i in (0, 17, 401):
        one = score_frame(survival_model, odd_timed_rows.iloc[[i]].reset_index(drop=True), explain=explain)
        pd.testing.assert_frame_equal(one, batch.iloc[[i]].reset_index(drop=True), check_exact=True)
    _full_route(monkeypatch)
    pd.testing.assert_frame_equal(batch, score_frame(survival_model, odd_timed_rows, explain=explain),
                                  check_exact=True)
