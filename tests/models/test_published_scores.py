"""Published RAIR scores: hand-computed points, boundaries, cut-off, missing inputs, fit/proba."""
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from rairpredict.cohort.contract import load_contract
from rairpredict.errors import ConfigError, ContractError
from rairpredict.models import PUBLISHED_SCORES, LiRairScore, LiuRairScore
from rairpredict.reference import published_scores as ref

CONTRACT = load_contract()
_PANDAS = {"float": "float64", "int": "Int64", "bool": "boolean", "string": "string"}


def canonical(columns: dict) -> pd.DataFrame:
    out = {}
    for name, values in columns.items():
        f = CONTRACT[name]
        out[name] = (pd.Categorical(values, categories=list(f.categories)) if f.dtype == "category"
                     else pd.array(values, dtype=_PANDAS[f.dtype]))
    return pd.DataFrame(out)


def li_table():
    # p0 all six -> 6; p1 exactly 4 nodes (4/8 = 0.5), N1a -> 2; p2 3/6 nodes, ete minimal,
    # oncocytic, N1a -> 2; p3 N0 with 0/0 nodes -> 0; p4 smoking unknown -> NaN; p5 NX -> NaN;
    # p6 node rate exactly 0.53 (53/100), N1b -> 3
    table = canonical({
        "smoking": [True, False, False, False, None, True, False],
        "histology": ["follicular", "papillary_classic", "oncocytic", "papillary_micro", "follicular",
                      "follicular", "papillary_classic"],
        "ete": ["gross", "none", "minimal", "none", "none", "none", "none"],
        "ln_positive": [10, 4, 3, 0, 0, 0, 53],
        "ln_examined": [12, 8, 6, 0, 5, 5, 100],
        "n_stage": ["N1b", "N1a", "N1a", "N0", "N0", "NX", "N1b"],
    })
    return table.assign(ln_ratio=[10 / 12, 0.5, 0.5, np.nan, 0.0, 0.0, 0.53])


def test_li_points_hand_computed_and_boundaries():
    pts = LiRairScore().points(li_table())
    np.testing.assert_array_equal(pts.to_numpy(), [6, 2, 3, 0, np.nan, np.nan, 3])
    parts = LiRairScore().components(li_table())
    assert parts.loc[1, "nodes_ge_4"] == 1 and parts.loc[2, "nodes_ge_4"] == 0  # >= 4 is inclusive
    assert parts.loc[6, "ln_ratio_ge_53"] == 1 and parts.loc[1, "ln_ratio_ge_53"] == 0  # >= 0.53 inclusive
    # Li 2018 counts oncocytic (Hürthle-cell) carcinoma as follicular thyroid cancer
    assert parts.loc[2, "follicular"] == 1 and parts.loc[0, "follicular"] == 1
    assert parts.loc[1, "follicular"] == 0


def test_li_ratio_computed_when_derived_column_absent():
    t = li_table().drop(columns="ln_ratio")
    np.testing.assert_array_equal(LiRairScore().points(t).to_numpy(), [6, 2, 3, 0, np.nan, np.nan, 3])
    with pytest.raises(ContractError, match="column 'ln_examined'"):
        LiRairScore().points(t.drop(columns="ln_examined"))


def test_li_labelled_as_unweighted_not_original():
    s = LiRairScore()
    assert s.is_original_points is False and "unweighted" in s.name and "not the original" in s.name
    assert s.cutoff is None and s.published_cutoff == ref.LI_2018_CUTOFF_POINTS == 7
    assert "10.1002/cam4.1794" in s.citation
    assert s.stage == "pathology" and s.unavailable_reason("pre_therapy") is None
    assert s.unavailable_reason("diagnosis") == (
        "needs histology (pathology), ete (pathology), ln_positive (pathology), ln_ratio (pathology), "
        "n_stage (pathology), not available at diagnosis")


def liu_table():
    return canonical({
        "age_years": [48.0, 47.9, 60.0, 30.0, 55.0],
        "recurrence_before_rai": [True, False, True, False, True],
        "fdg_pet_pre": ["positive", "positive", "negative", "negative", None],
        "distant_met_site": ["lung", "none", "bone", "none", "lung_and_bone"],
    })


def test_liu_points_derived_from_ors():
    table = LiuRairScore.points_table
    assert {k: v for k, v in table.items() if k != "age_per_year"} == {
        "recurrence_before_rai": 3, "fdg_uptake": 5, "metastasis_site": 2}
    # age as published: OR 1.037 per year of age, log2(1.037) points per year (not a
    # binary "age >= 48" worth round(log2 1.037) = 0 points)
    assert table["age_per_year"] == pytest.approx(np.log2(1.037))
    per_year = np.log2(1.037)
    pts = LiuRairScore().points(liu_table())
    expected = [30 * per_year + 10, 29.9 * per_year + 5, 42 * per_year + 5, 12 * per_year, np.nan]
    np.testing.assert_allclose(pts.to_numpy(), expected)  # missing FDG PET -> NaN
    older = liu_table().assign(age_years=[70.0, 47.9, 60.0, 30.0, 55.0])
    assert LiuRairScore().points(older)[0] - pts[0] == pytest.approx(22 * per_year)
    s = LiuRairScore()
    assert s.is_original_points is False and "derived from published ORs" in s.name
    assert s.published_cutoff == 10 and s.cutoff is None


def test_liu_uses_pre_therapy_fdg():
    """Liu 2022's FDG predictor is a PET before 131I: the score is a pre-therapy baseline."""
    s = LiuRairScore()
    assert s.stage == "pre_therapy"
    assert s.unavailable_reason("pre_therapy") is None
    assert s.unavailable_reason("pathology") == (
        "needs recurrence_before_rai (pre_therapy), fdg_pet_pre (pre_therapy), not available at pathology")
    with pytest.raises(ContractError, match="column 'fdg_pet_pre'"):
        s.points(liu_table().drop(columns="fdg_pet_pre"))


def test_cutoff_classification():
    cls = LiRairScore(cutoff=3).classify(li_table())
    assert [bool(v) for v in cls.dropna()] == [True, False, True, False, True]  # oncocytic row: 3 points
    assert cls.isna().tolist() == [False, False, False, False, True, True, False]
    with pytest.raises(ConfigError, match="pass cutoff"):
        LiRairScore().classify(li_table())
    assert LiuRairScore(cutoff=5).classify(liu_table()).tolist()[:4] == [True, True, True, False]


def _synthetic(n=400, seed=0):
    rng = np.random.default_rng(seed)
    t = canonical({
        "smoking": rng.random(n) < 0.3,
        "histology": rng.choice(["follicular", "papillary_classic"], n),
        "ete": rng.choice(["none", "minimal", "gross"], n),
        "ln_positive": rng.integers(0, 8, n),
        "ln_examined": np.full(n, 10),
        "n_stage": rng.choice(["N0", "N1a", "N1b"], n),
    })
    t["ln_ratio"] = t["ln_positive"].astype(float) / 10
    t.loc[:19, "smoking"] = pd.NA  # 20 unscorable rows
    pts = LiRairScore().points(t).fillna(2).to_numpy()
    y = (rng.random(n) < 1 / (1 + np.exp(-(pts - 3)))).astype(int)
    return t, y


def test_fit_predict_proba_shapes_and_monotone_in_points():
    t, y = _synthetic()
    s = LiRairScore().fit(t, y)
    proba = s.predict_proba(t)
    assert proba.shape == (len(t), 2) and np.allclose(proba.sum(axis=1), 1)
    assert s.coef_ > 0 and s.n_unscored_ == 20
    assert s.unscored_rate_ == pytest.approx(y[:20].mean())
    np.testing.assert_allclose(proba[:20, 1], y[:20].mean())
    pts = s.points(t).to_numpy()
    order = np.argsort(pts[20:])
    assert np.all(np.diff(proba[20:, 1][order]) >= 0)
    assert s.predict(t).shape == (len(t),)
    with_cut = LiRairScore(cutoff=4).fit(t, y).predict(t)
    np.testing.assert_array_equal(with_cut[20:], (pts[20:] >= 4).astype(int))
    # the recalibration mean matches the outcome rate (logistic score equation)
    assert proba[20:, 1].mean() == pytest.approx(y[20:].mean(), abs=1e-4)


def test_points_fixed_only_mapping_fitted():
    t, y = _synthetic()
    a = LiRairScore().fit(t.iloc[:200], y[:200])
    b = clone(a).fit(t.iloc[200:], y[200:])
    pd.testing.assert_series_equal(a.points(t), b.points(t))
    assert a.coef_ != b.coef_


def test_missing_raise_mode_and_single_class():
    t, y = _synthetic()
    with pytest.raises(ContractError, match=r"20 row\(s\) cannot be scored \(first: row 0, input 'smoking'"):
        LiRairScore(missing="raise").fit(t, y)
    s = LiRairScore().fit(t.iloc[20:60], np.zeros(40, dtype=int))
    assert s.coef_ == 0.0 and s.predict_proba(t.iloc[20:25])[:, 1].max() < 1e-3


def test_registry():
    assert PUBLISHED_SCORES == {"li2018": LiRairScore, "liu2022": LiuRairScore}
