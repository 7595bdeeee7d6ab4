"""make_preprocessor: tree keeps NaN, linear imputes and scales, both keep names."""
import numpy as np
import pandas as pd
import pytest

from rairpredict.errors import ConfigError, LeakageError
from rairpredict.features import ClinicalFeatures, make_preprocessor


@pytest.fixture
def table():
    return pd.DataFrame({
        "age_years": [30.0, 50.0, np.nan, 70.0],
        "ete": pd.Categorical(["none", "gross", "minimal", None], categories=["none", "minimal", "gross"]),
        "dose_rate_48h_usv_h": [10.0, 20.0, 30.0, 40.0],
    })


def test_tree_keeps_nan(table):
    pre = make_preprocessor(["age_years", "ete"], "pre_therapy", "tree")
    assert isinstance(pre, ClinicalFeatures)
    out = pre.fit_transform(table)
    assert np.isnan(out.loc[2, "age_years"]) and np.isnan(out.loc[3, "ete"])
    assert list(out.columns) == ["age_years", "age_years__missing", "ete", "ete__missing"]


def test_linear_imputes_and_scales_with_names(table):
    pre = make_preprocessor(["age_years", "ete"], "pre_therapy", "linear")
    out = pre.fit_transform(table)
    assert isinstance(out, pd.DataFrame) and not out.isna().any().any()
    assert list(out.columns) == list(pre.get_feature_names_out()) == [
        "age_years", "age_years__missing", "ete", "ete__missing"]
    np.testing.assert_allclose(out.mean(), 0.0, atol=1e-12)
    assert out.loc[2, "age_years"] == pytest.approx(0.0)  # median 50 == mean of imputed column
    assert pre[0].feature_source_["ete__missing"] == "ete"


def test_kind_and_leakage_errors(table):
    with pytest.raises(ConfigError, match="kind 'forest'"):
        make_preprocessor(["age_years"], "pre_therapy", "forest")
    with pytest.raises(LeakageError, match="dose_rate_48h_usv_h"):
        make_preprocessor(["dose_rate_48h_usv_h"], "pre_therapy", "linear").fit(table)
