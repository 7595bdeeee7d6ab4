"""ClinicalFeatures: encodings, names, pandas output, fold containment, estimator checks."""
import copy

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from rairpredict.cohort.contract import load_contract
from rairpredict.errors import ContractError
from rairpredict.features import ClinicalFeatures, make_preprocessor

CONTRACT = load_contract()
_PANDAS = {"float": "float64", "int": "Int64", "bool": "boolean", "string": "string"}


def canonical(columns: dict) -> pd.DataFrame:
    """Hand-made table with the contract's pandas dtypes."""
    out = {}
    for name, values in columns.items():
        f = CONTRACT[name]
        if f.dtype == "category":
            out[name] = pd.Categorical(values, categories=list(f.categories))
        else:
            out[name] = pd.array(values, dtype=_PANDAS[f.dtype])
    return pd.DataFrame(out, index=[f"r{i}" for i in range(len(next(iter(columns.values()))))])


@pytest.fixture
def table():
    return canonical({
        "patient_id": ["p1", "p2", "p3", "p4", "p5", "p6"],
        "age_years": [30.0, 45.0, 60.0, 72.0, 55.0, 38.0],
        "sex": ["female", "male", "female", "female", "male", "female"],
        "smoking": [True, False, None, False, True, False],
        "histology": ["papillary_classic", "follicular", "papillary_classic", "oncocytic", "follicular",
                      "papillary_classic"],
        "t_stage": ["T1a", "T3a", "TX", "T4b", "T2", "T1b"],
        "n_stage": ["N0", "N1a", "N1b", "NX", "N0", "N1b"],
        "ete": ["none", "minimal", "gross", "none", "none", "minimal"],
        "ln_positive": [0, 2, 7, None, 0, 5],
        "tg_stim_ng_ml": [0.0, 9.0, 99.0, None, 1.5, 20.0],
        "braf_v600e": [None, None, True, None, False, None],
        "dose_rate_48h_usv_h": [12.0, 15.0, 30.0, 8.0, 10.0, 22.0],
    })


FEATURES = ["age_years", "sex", "smoking", "histology", "t_stage", "n_stage", "ete", "ln_positive",
            "tg_stim_ng_ml", "braf_v600e"]


def test_encodings_on_hand_cases(table):
    out = ClinicalFeatures(FEATURES).fit_transform(table)
    np.testing.assert_array_equal(out["t_stage"], [0, 3, np.nan, 6, 2, 1])  # TX -> NaN
    np.testing.assert_array_equal(out["n_stage"], [0, 1, 2, np.nan, 0, 2])  # NX -> NaN
    np.testing.assert_array_equal(out["ete"], [0, 1, 2, 0, 0, 1])
    np.testing.assert_array_equal(out["smoking"], [1, 0, np.nan, 0, 1, 0])
    np.testing.assert_array_equal(out["ln_positive"], [0, 2, 7, np.nan, 0, 5])
    np.testing.assert_allclose(out["log1p(tg_stim_ng_ml)"], np.log1p([0, 9, 99, np.nan, 1.5, 20]))
    np.testing.assert_array_equal(out["histology=follicular"], [0, 1, 0, 0, 1, 0])
    np.testing.assert_array_equal(out["sex=male"], [0, 1, 0, 0, 1, 0])
    np.testing.assert_array_equal(out["braf_v600e__missing"], [1, 1, 0, 1, 0, 1])


def test_names_traceable_and_consistent(table):
    cf = ClinicalFeatures(FEATURES).fit(table)
    out = cf.transform(table)
    names = list(cf.get_feature_names_out())
    assert list(out.columns) == names
    assert names[:4] == ["age_years", "sex=female", "sex=male", "smoking"]
    # contract order of categories, only those seen in training
    assert [n for n in names if n.startswith("histology=")] == [
        "histology=papillary_classic", "histology=follicular", "histology=oncocytic"]
    assert set(cf.feature_source_) == set(names)
    assert cf.feature_source_["log1p(tg_stim_ng_ml)"] == "tg_stim_ng_ml"
    assert cf.feature_source_["t_stage__missing"] == "t_stage"
    assert set(cf.feature_source_.values()) == set(FEATURES)
    assert list(out.index) == list(table.index)
    assert out.dtypes.eq(np.float64).all()


def test_missing_indicators_only_for_columns_missing_in_training(table):
    cf = ClinicalFeatures(FEATURES).fit(table)
    assert cf.missing_indicator_features_ == ["smoking", "t_stage", "n_stage", "ln_positive",
                                              "tg_stim_ng_ml", "braf_v600e"]
    assert "age_years__missing" not in cf.get_feature_names_out()
    assert ClinicalFeatures(FEATURES, missing_indicators="none").fit(table).missing_indicator_features_ == []
    assert len(ClinicalFeatures(FEATURES, missing_indicators="all").fit(table).missing_indicator_features_) == 10


def test_unseen_category_at_transform_is_all_zero(table):
    cf = ClinicalFeatures(["histology"], missing_indicators="none").fit(table.iloc[:3])
    assert cf.categories_["histology"] == ["papillary_classic", "follicular"]
    new = canonical({"histology": ["oncocytic", "follicular", None]})
    out = cf.transform(new)
    np.testing.assert_array_equal(out.to_numpy(), [[0, 0], [0, 1], [0, 0]])


def test_fold_containment_categories_and_indicators_from_train_rows(table):
    train, test = table.iloc[[0, 1, 4, 5]], table.iloc[[2, 3]]
    cf = ClinicalFeatures(FEATURES).fit(train)
    # oncocytic appears only in the test rows; smoking/t_stage are missing only in test rows
    assert "histology=oncocytic" not in cf.get_feature_names_out()
    assert "smoking" not in cf.missing_indicator_features_
    assert "t_stage" not in cf.missing_indicator_features_
    assert "braf_v600e" in cf.missing_indicator_features_
    before = copy.deepcopy(cf.__dict__)
    cf.transform(test)
    assert cf.__dict__.keys() == before.keys()
    for key, value in before.items():
        np.testing.assert_equal(cf.__dict__[key], value)


def test_fold_containment_linear_medians_from_train_rows(table):
    train, test = table.iloc[[0, 1, 4, 5]], table.iloc[[2, 3]]
    pre = make_preprocessor(["age_years", "tg_stim_ng_ml"], "pre_therapy", "linear").fit(train)
    medians = dict(zip(pre[0].get_feature_names_out(), pre.named_steps["impute"].statistics_))
    assert medians["age_years"] == pytest.approx(np.median([30.0, 45.0, 55.0, 38.0]))  # not 50.0 (all rows)
    assert medians["log1p(tg_stim_ng_ml)"] == pytest.approx(np.median(np.log1p([0.0, 9.0, 1.5, 20.0])))
    assert pre.named_steps["scale"].mean_[0] == pytest.approx(np.mean([30.0, 45.0, 55.0, 38.0]))
    state = copy.deepcopy(pre.named_steps["impute"].statistics_)
    out = pre.transform(test)
    np.testing.assert_array_equal(pre.named_steps["impute"].statistics_, state)
    # the test row with missing Tg gets the *train* median, scaled with the train mean/sd
    sd = np.std(np.log1p([0.0, 9.0, 1.5, 20.0]))
    assert out.loc["r3", "log1p(tg_stim_ng_ml)"] == pytest.approx(
        (medians["log1p(tg_stim_ng_ml)"] - np.mean(np.log1p([0.0, 9.0, 1.5, 20.0]))) / sd)


def test_missing_column_and_negative_log_input_raise(table):
    cf = ClinicalFeatures(["age_years", "tg_stim_ng_ml"]).fit(table)
    with pytest.raises(ContractError, match="column 'tg_stim_ng_ml'"):
        cf.transform(table.drop(columns="tg_stim_ng_ml"))
    bad = canonical({"tg_stim_ng_ml": [-1.0, 2.0]})
    with pytest.raises(ContractError, match="negative"):
        ClinicalFeatures(["tg_stim_ng_ml"]).fit(bad)
    with pytest.raises(TypeError, match="DataFrame"):
        ClinicalFeatures(["age_years"]).fit(np.ones((3, 1)))


def test_transform_works_without_unused_columns(table):
    """A scoring table need not carry the follow-up columns that were present in training."""
    cf = ClinicalFeatures(["age_years", "ete"]).fit(table)
    out = cf.transform(table[["ete", "age_years"]])
    assert list(out.columns) == ["age_years", "ete"]


def test_set_output_pandas_and_default(table):
    cf = ClinicalFeatures(["age_years", "sex"]).set_output(transform="pandas")
    out = cf.fit_transform(table)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list(cf.get_feature_names_out())


# Generic numeric mode (decision_point=None): the canonical-table mode needs a
# DataFrame with contract names, so the checks' plain arrays do not apply to it.
@parametrize_with_checks(
    [ClinicalFeatures(decision_point=None)],
    expected_failed_checks=lambda est: {
        "check_transformer_preserve_dtypes":
            "transform returns a pandas DataFrame by design (pandas in/out); columns are float64",
    },
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
