"""Small batches (one REST row, a few patients) take faster routes with the same numbers, bit for bit.

Below :data:`rairpredict.scoring._frame.SMALL_BATCH` rows, XGBoost's own single-thread
``predict`` / ``pred_contribs`` replace the pattern tables and thread pools; every
output column must be the same as through the large-batch route.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from rairpredict.scoring import _frame, score_frame


def _large_route(monkeypatch):
    monkeypatch.setattr(_frame, "SMALL_BATCH", 0)


@pytest.mark.parametrize("explain", [0, 3])
@pytest.mark.parametrize("n", [1, 7, 120])
def test_small_batch_route_gives_the_same_scores_bit_for_bit(xgb_model, cohort, monkeypatch, explain, n):
    table = cohort[0].iloc[::3].head(n).reset_index(drop=True)
    assert n < _frame.SMALL_BATCH
    # missing values in the model inputs: NaN must take the same default branches in both routes
    assert table[["tg_stim_ng_ml", "braf_v600e", "ln_ratio"]].isna().any().any() or n == 1
    small = score_frame(xgb_model, table, explain=explain)
    _large_route(monkeypatch)
    large = score_frame(xgb_model, table, explain=explain)
    pd.testing.assert_frame_equal(small, large, check_exact=True)
    if not explain:  # (with reasons the margin is the contributions' sum, equal to about 1e-7)
        assert np.array_equal(small["probability"].to_numpy(), xgb_model.predict_risk(table))


def test_small_batch_contributions_equal_the_pattern_tables(xgb_model, cohort, monkeypatch):
    X = xgb_model.transform(cohort[0].head(200))
    small = _frame._engineered_contributions(xgb_model, X)
    _large_route(monkeypatch)
    large = _frame._engineered_contributions(xgb_model, X)
    assert small.dtype == large.dtype == np.float32
    assert np.array_equal(small, large)


def test_small_batch_margin_equals_the_classifier(xgb_model, cohort):
    X = xgb_model.transform(cohort[0].head(50))
    expected = np.asarray(xgb_model.classifier.predict(X, output_margin=True), dtype=np.float64)
    assert np.array_equal(_frame._margin_only(xgb_model, X), expected)
    # a reordered frame is aligned by name, as XGBClassifier.predict does
    assert np.array_equal(_frame._margin_only(xgb_model, X[X.columns[::-1]]), expected)


def test_single_thread_copy_leaves_the_models_booster_alone(xgb_model, cohort):
    booster = xgb_model.classifier.get_booster()
    before = json.loads(booster.save_config())["learner"]["generic_param"]
    score_frame(xgb_model, cohort[0].head(3), explain=3)
    assert json.loads(booster.save_config())["learner"]["generic_param"] == before
    small = _frame._small_booster(xgb_model.classifier)
    assert small is not booster and small is _frame._small_booster(xgb_model.classifier)  # cached
    assert json.loads(small.save_config())["learner"]["generic_param"]["nthread"] == "1"


@pytest.mark.parametrize("fixture", ["xgb_model", "isotonic_model", "logistic_model"])
def test_reason_columns_are_top_reasons_of_the_field_contributions(fixture, cohort, request):
    """score_frame's array route to the reasons gives explain.top_reasons' frame, value for value."""
    from rairpredict.explain import top_reasons

    model = request.getfixturevalue(fixture)
    table = cohort[0].head(40)
    out = score_frame(model, table, explain=3)
    contrib, _ = _frame._contrib_frame(model, model.transform(table))  # what score_frame handed top_reasons
    wide = top_reasons(contrib, None, k=3, format="wide")
    for i in (1, 2, 3):
        for ours, theirs in (("feature", "feature"), ("unit", "unit"), ("direction", "direction")):
            assert out[f"reason_{i}_{ours}"].tolist() == wide[f"{theirs}_{i}"].astype(object).tolist()
        assert np.array_equal(out[f"reason_{i}_log_odds"].to_numpy(), wide[f"contribution_{i}"].to_numpy())
        if fixture != "isotonic_model":  # isotonic: the change goes through the calibration's own map
            assert np.array_equal(out[f"reason_{i}_prob_change"].to_numpy(),
                                  wide[f"probability_change_{i}"].to_numpy())


def bad_rows(n: int, seed: int) -> pd.DataFrame:
    """Simulated patients as a request or a text file brings them, with a broken cell in most rows.

    Text cells (the REST types: numbers as floats, the rest as text or None) with
    every rule broken somewhere: unseen categories and their case/space variants,
    unreadable booleans, text in numbers, fractions in integers, out-of-range and
    implausible values, empty required cells, ln_positive > ln_examined,
    duplicate ids, plus cells that are not text at all (NaN, a bool, a number in
    a text column), which take the general route.
    """
    from rairpredict.scoring.pyfunc import to_pyfunc_input
    from rairpredict.simulation.simulate import simulate_cohort

    t = to_pyfunc_input(simulate_cohort(n, seed=seed)).reset_index(drop=True).astype(object)
    t = t.where(pd.notna(t), None)
    rng = np.random.default_rng(seed)
    breaks = [("sex", " Female "), ("sex", "FEMALE"), ("sex", "alien"), ("histology", "papillary-classic"),
              ("t_stage", "pT1b"), ("smoking", "maybe"), ("smoking", " YES "), ("smoking", True),
              ("age_years", "abc"), ("age_years", "4,5"), ("age_years", -3.0), ("age_years", 130.0),
              ("ln_positive", 2.5), ("ln_positive", 99.0), ("tg_stim_ng_ml", "<0.2"), ("tg_stim_ng_ml", 1e9),
              ("activity_gbq", 300.0), ("sex", None), ("patient_id", None), ("patient_id", " SIM-000001"),
              ("sex", np.nan), ("histology", 3.0), ("t_stage", "")]
    for i in range(n):
        if rng.random() < 0.8:
            col, value = breaks[rng.integers(len(breaks))]
            if col in t.columns:
                t.at[i, col] = value
    if {"ln_positive", "ln_examined"} <= set(t.columns):
        t.loc[::7, "ln_positive"], t.loc[::7, "ln_examined"] = 5.0, 2.0
    return t


@pytest.mark.parametrize("seed", [0, 1])
def test_few_row_validation_route_is_the_general_route_bit_for_bit(xgb_model, monkeypatch, seed):
    """Same rejects (rows, columns, rules, messages), flags, accepted values, derived fields and scores."""
    from rairpredict.cohort import validate
    from rairpredict.cohort.derive import add_derived
    from rairpredict.cohort.validate import validate_canonical

    sample = bad_rows(200, seed)

    def run(chunk, offset):
        r = validate_canonical(chunk, check_duplicates=True, row_offset=offset)
        table = add_derived(r.table)
        return r, table, score_frame(xgb_model, table, explain=3)

    taken = []  # the few-row routes must actually run (on the all-text-or-None columns)
    real, short = validate._few_texts, validate._short_states
    monkeypatch.setattr(validate, "_few_texts", lambda v: taken.append(real(v) is not None) or real(v))
    monkeypatch.setattr(validate, "_short_states",
                        lambda *a: taken.append(short(*a) is not None) or short(*a))
    rejected = 0
    for size in (1, 2, 5, 64):
        for start in range(0, len(sample), max(size, 23)):
            chunk = sample.iloc[start:start + size].reset_index(drop=True)
            monkeypatch.setattr(validate, "FEW_ROWS", 64)
            few = run(chunk, start)
            monkeypatch.setattr(validate, "FEW_ROWS", 0)
            general = run(chunk, start)
            for a, b in ((few[0].rejects, general[0].rejects), (few[0].flags, general[0].flags),
                         (few[0].warnings, general[0].warnings), (few[1], general[1]), (few[2], general[2])):
                pd.testing.assert_frame_equal(a, b, check_exact=True)
            rejected += few[0].n_rejected
    assert rejected > 50  # the sample does break rules
    assert sum(taken) > 1000 and not all(taken)  # both routes ran inside the few-row setting

