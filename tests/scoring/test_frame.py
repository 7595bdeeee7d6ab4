"""score_frame: schema, agreement with predict_risk, exact reasons."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rairpredict.explain import model_margin, tree_contributions
from rairpredict.scoring import SCORE_COLUMNS, field_contributions, score_frame


def _reason_columns(k):
    return [f"reason_{i}_{x}" for i in range(1, k + 1)
            for x in ("feature", "value", "unit", "log_odds", "direction", "prob_change")]


def test_explain0_schema_and_probability(xgb_model, cohort):
    table, _ = cohort
    out = score_frame(xgb_model, table)
    assert list(out.columns) == SCORE_COLUMNS
    assert not any(c.startswith("reason_") for c in out.columns)
    np.testing.assert_allclose(out["probability"], xgb_model.predict_risk(table), rtol=0, atol=1e-12)
    assert out["patient_id"].tolist() == table["patient_id"].astype(str).tolist()
    assert set(out["risk_band"]) <= {"low", "intermediate", "high"}
    assert (out["model_name"] == "rair-test").all() and (out["model_version"] == "7").all()
    assert (out["target"] == "rair").all()


def test_explain_schema_and_agreement(xgb_model, cohort):
    table, _ = cohort
    out = score_frame(xgb_model, table, explain=3, with_inputs=True)
    inputs = [f"input__{f}" for f in xgb_model.features]
    assert list(out.columns) == SCORE_COLUMNS + _reason_columns(3) + inputs
    np.testing.assert_allclose(out["probability"], xgb_model.predict_risk(table), rtol=0, atol=1e-6)
    assert out["input__age_years"].tolist() == table["age_years"].tolist()


def test_contributions_sum_to_booster_margin(xgb_model, cohort):
    table, _ = cohort
    contrib = field_contributions(xgb_model, table)
    assert "bias" in contrib.columns and "histology" in contrib.columns  # one-hot columns grouped
    margin = model_margin(xgb_model.classifier, xgb_model.transform(table))  # booster's own output_margin
    cal = xgb_model.calibration
    assert cal.method == "sigmoid"
    # XGBoost computes both in float32: the row sum and output_margin differ by float32
    # rounding (~1.5e-6 absolute at |margin| ~ 4, i.e. < 4e-7 relative)
    np.testing.assert_allclose((contrib.sum(axis=1) - cal.b) / cal.a, margin, rtol=1e-6, atol=1e-6)


def test_grouping_equals_engineered_contributions(xgb_model, cohort):
    table, _ = cohort
    X = xgb_model.transform(table)
    raw = tree_contributions(xgb_model.classifier, X)
    hist = [c for c in X.columns if xgb_model.feature_source[c] == "histology"]
    assert len(hist) > 1
    grouped = field_contributions(xgb_model, table)
    np.testing.assert_allclose(grouped["histology"], xgb_model.calibration.a * raw[hist].astype(float).sum(axis=1),
                               rtol=0, atol=1e-9)


def test_top_reasons_are_largest_contributions(xgb_model, cohort):
    table, _ = cohort
    k = 4
    out = score_frame(xgb_model, table, explain=k)
    contrib = field_contributions(xgb_model, table).drop(columns="bias")
    values = contrib.to_numpy()
    top = np.sort(np.abs(values), axis=1)[:, ::-1][:, :k]
    got = np.abs(out[[f"reason_{i}_log_odds" for i in range(1, k + 1)]].to_numpy())
    np.testing.assert_allclose(got, top, atol=1e-12)
    names = np.asarray(contrib.columns)
    for i in range(1, k + 1):
        feat = out[f"reason_{i}_feature"].to_numpy()
        picked = values[np.arange(len(values)), [list(names).index(f) for f in feat]]
        np.testing.assert_allclose(picked, out[f"reason_{i}_log_odds"], atol=1e-12)
        sign = np.sign(out[f"reason_{i}_log_odds"])
        expected = np.where(sign > 0, "raises risk", np.where(sign < 0, "lowers risk", "no effect"))
        assert (out[f"reason_{i}_direction"].to_numpy() == expected).all()
        assert ((out[f"reason_{i}_prob_change"] > 0) == (sign > 0)).all()


def test_reason_values_and_units(xgb_model, cohort):
    table, _ = cohort
    out = score_frame(xgb_model, table, explain=len(xgb_model.features))
    rows = np.flatnonzero(out["reason_1_feature"] == "age_years")
    k = len(xgb_model.features)
    # every feature appears once among all reasons
    feats = out[[f"reason_{i}_feature" for i in range(1, k + 1)]].to_numpy()
    assert all(sorted(r) == sorted(set(r)) for r in feats)
    age_cols = (feats == "age_years")
    value = out[[f"reason_{i}_value" for i in range(1, k + 1)]].to_numpy()[age_cols]
    unit = out[[f"reason_{i}_unit" for i in range(1, k + 1)]].to_numpy()[age_cols]
    ages = table["age_years"].to_numpy()
    np.testing.assert_allclose([float(v) for v in value], ages, rtol=1e-5)
    assert set(unit) == {"years"}
    assert rows.size >= 0
    m_cols = feats == "m_stage"
    assert set(value_of(out, m_cols, k)) <= {"M0", "M1", "MX", "missing"}


def value_of(out, mask, k):
    return out[[f"reason_{i}_value" for i in range(1, k + 1)]].to_numpy()[mask]


def test_missing_and_implausible_flags(xgb_model, cohort):
    table, _ = cohort
    t = table.head(3).copy()
    t.loc[0, "tg_stim_ng_ml"] = np.nan
    t.loc[0, "age_years"] = 105.0  # inside range [0, 110], outside plausible [10, 100]
    t.loc[1, "tg_stim_ng_ml"] = 1.0
    t.loc[1, "age_years"] = 50.0
    out = score_frame(xgb_model, t, explain=2)
    assert "tg_stim_ng_ml" in out.loc[0, "missing_inputs"].split(";")
    assert "tg_stim_ng_ml" not in out.loc[1, "missing_inputs"].split(";")
    assert out.loc[0, "implausible_inputs"].split(";") == ["age_years"]
    assert out.loc[1, "implausible_inputs"] == ""
    assert np.isfinite(out["probability"]).all()


def test_isotonic_reasons_on_margin_scale(isotonic_model, cohort):
    table, _ = cohort
    assert isotonic_model.calibration.method == "isotonic"
    contrib = field_contributions(isotonic_model, table)
    margin = model_margin(isotonic_model.classifier, isotonic_model.transform(table))
    np.testing.assert_allclose(contrib.sum(axis=1), margin, atol=1e-6)
    out = score_frame(isotonic_model, table, explain=1)
    m = contrib.sum(axis=1).to_numpy()  # the margin score_frame uses (row sum of contributions)
    expected = isotonic_model.calibration(m) - isotonic_model.calibration(m - out["reason_1_log_odds"].to_numpy())
    np.testing.assert_allclose(out["reason_1_prob_change"], expected, atol=1e-12)
    # isotonic interpolation has steep segments: float32 margin rounding shows up as < 1e-5
    np.testing.assert_allclose(out["probability"], isotonic_model.predict_risk(table), atol=1e-5)


def test_logistic_exact_linear_contributions(logistic_model, cohort):
    table, _ = cohort
    contrib = field_contributions(logistic_model, table)
    margin = logistic_model.classifier.decision_function(logistic_model.transform(table))
    cal = logistic_model.calibration
    scale = (cal.a, cal.b) if cal.method != "isotonic" else (1.0, 0.0)
    np.testing.assert_allclose(contrib.sum(axis=1), scale[0] * margin + scale[1], atol=1e-9)
    out = score_frame(logistic_model, table, explain=3)
    np.testing.assert_allclose(out["probability"], logistic_model.predict_risk(table), atol=1e-9)


@pytest.mark.parametrize("name", ["xgb_model", "logistic_model"])
def test_empty_table_and_bad_explain(name, cohort, request):
    """An empty batch scores to an empty table with the output columns (the logistic pipeline's
    imputer and scaler used to refuse 0 rows: a traceback for a header-only file)."""
    xgb_model = request.getfixturevalue(name)
    table, _ = cohort
    out = score_frame(xgb_model, table.iloc[:0], explain=3)
    assert len(out) == 0 and list(out.columns[:len(SCORE_COLUMNS)]) == SCORE_COLUMNS
    with pytest.raises(ValueError, match="explain"):
        score_frame(xgb_model, table.head(2), explain=-1)


def test_index_is_reset(xgb_model, cohort):
    table, _ = cohort
    t = table.iloc[[5, 3]].set_axis(pd.Index([100, 7]))
    out = score_frame(xgb_model, t, explain=1)
    assert out.index.tolist() == [0, 1]
    assert out["patient_id"].tolist() == t["patient_id"].astype(str).tolist()


def test_contributions_equal_xgboost_pred_contribs_exactly(xgb_model, cohort):
    """Scoring's engineered contributions are XGBoost's own, bit for bit (float32)."""
    import xgboost as xgb

    from rairpredict.scoring._frame import _engineered_contributions, tree_explainer

    table, _ = cohort
    X = xgb_model.transform(table)
    booster = xgb_model.classifier.get_booster()
    ref = booster.predict(xgb.DMatrix(X.to_numpy(np.float32, na_value=np.nan)), pred_contribs=True,
                          validate_features=False)
    explainer = tree_explainer(xgb_model)
    assert explainer is not None and tree_explainer(xgb_model) is explainer  # one per model, reused
    for part in (slice(0, 300), slice(300, None), slice(None)):  # tables cached across calls
        got = _engineered_contributions(xgb_model, X.iloc[part])
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, ref[part])
    # the scored probability is the calibrated row sum of those contributions
    out = score_frame(xgb_model, table, explain=1)
    cal = xgb_model.calibration
    expected = 1 / (1 + np.exp(-(cal.a * ref.sum(axis=1, dtype=np.float64) + cal.b)))
    np.testing.assert_allclose(out["probability"], expected, rtol=0, atol=1e-12)


def test_reason_values_keep_their_type(xgb_model, cohort):
    """A boolean True and a number 1 in the same reason column are shown as 'yes' and '1'."""
    from rairpredict.scoring._frame import _value_text

    flags = pd.Series([True, False, None], dtype="boolean")
    counts = pd.Series([1, 2, None], dtype="Int64")
    sizes = pd.Series([1.0, 1000000.0, np.nan])
    assert _value_text(flags, np.arange(3)).tolist() == ["yes", "no", "missing"]
    assert _value_text(counts, np.arange(3)).tolist() == ["1", "2", "missing"]
    assert _value_text(sizes, np.arange(3)).tolist() == ["1", "1000000", "missing"]
