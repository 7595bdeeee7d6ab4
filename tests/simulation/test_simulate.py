"""Tests of the synthetic cohort simulator and its oracle."""
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from rairpredict.cli import main
from rairpredict.cohort.contract import load_contract
from rairpredict.simulation.simulate import ORACLE_COLUMNS, simulate_arrays, simulate_cohort
from rairpredict.cohort.validate import canonical_dtype
from rairpredict.errors import ConfigError
from rairpredict.labels import add_labels


LABELS = ("unexpected_uptake", "rair", "second_course_benefit")


def recalibration_slope(p, y):
    """Slope and SE of logit P(y) = a + b logit(p) (Newton-Raphson ML)."""
    x = np.log(np.clip(p, 1e-9, 1 - 1e-9) / (1 - np.clip(p, 1e-9, 1 - 1e-9)))
    X = np.column_stack([np.ones_like(x), x])
    beta = np.array([0.0, 1.0])
    for _ in range(50):
        mu = 1 / (1 + np.exp(-X @ beta))
        H = X.T @ (X * (mu * (1 - mu))[:, None])
        step = np.linalg.solve(H, X.T @ (y - mu))
        beta = beta + step
        if np.abs(step).max() < 1e-10:
            break
    return beta[1], np.sqrt(np.linalg.inv(H)[1, 1])


def pre_therapy_features(df):
    names = [n for n in load_contract().available_at("pre_therapy") if n in df]
    return df[names]


def logistic_oof(df, y, seed=0):
    X = pre_therapy_features(df)
    cat = [c for c in X if isinstance(X[c].dtype, pd.CategoricalDtype)]
    num = [c for c in X if c not in cat]
    X = X.copy()
    for c in num:
        X[c] = pd.to_numeric(X[c].astype("Float64"), errors="coerce").astype(float)
    for c in cat:
        X[c] = X[c].astype(str)
    pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), num),
        ("cat", OneHotEncoder(handle_unknown="ignore"), cat)])
    model = make_pipeline(pre, LogisticRegression(max_iter=2000))
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    return cross_val_predict(model, X, y, cv=cv, method="predict_proba")[:, 1]


def test_same_seed_identical_other_seed_differs():
    a, b = simulate_cohort(400, seed=7), simulate_cohort(400, seed=7)
    pd.testing.assert_frame_equal(a, b)
    c = simulate_cohort(400, seed=8)
    assert not a["tg_stim_ng_ml"].equals(c["tg_stim_ng_ml"])


def test_contract_columns_and_dtypes(small_cohort):
    contract = load_contract()
    df = simulate_cohort(300, seed=1)
    for f in contract:
        assert f.name in df, f.name
        assert str(df[f.name].dtype) == str(canonical_dtype(f)), f.name
        if f.categories is not None:
            assert set(df[f.name].dropna().astype(str)) <= set(f.categories), f.name
        if f.range is not None and f.dtype in ("float", "int"):
            x = pd.to_numeric(df[f.name], errors="coerce").dropna()
            assert ((x >= f.range[0]) & (x <= f.range[1])).all(), f.name
    assert df["patient_id"].iloc[0] == "SIM-000001" and df["patient_id"].is_unique
    assert [c for c in df if contract.is_oracle(c)] == list(ORACLE_COLUMNS)
    # the simulator never writes labels
    assert not {"rair", "unexpected_uptake", "second_course_benefit"} & set(df.columns)


def test_raw_findings_consistent(small_cohort):
    df = small_cohort
    assert (df["lesions_without_uptake"] <= df["known_lesions"]).all()
    assert (df["ln_positive"].dropna() <= df["ln_examined"].dropna()).all()
    assert ((df["known_lesions"] > 0) == df["structural_disease_pre"]).all()
    prog = df["structural_progression_12_16m"].astype(bool)
    assert (df.loc[prog, "structural_change_fu"] == "progressed").all()
    assert df.loc[prog, "persistent_disease"].all()
    first = df["course_number"] == 1
    assert not df.loc[first, "post_scan_uptake_loss"].any()
    assert (df["cumulative_activity_gbq"] >= df["activity_gbq"] - 1e-9).all()
    fdg_pos = df["fdg_pet"] == "positive"
    assert df.loc[fdg_pos, "persistent_disease"].all()
    # a scan without any uptake shows no thyroid bed and no avid lesion
    noup = ~df["post_scan_any_uptake"].astype(bool)
    assert (df.loc[noup, "post_scan_bed_uptake"] == "absent").all()
    assert (df.loc[noup, "lesions_without_uptake"] == df.loc[noup, "known_lesions"]).all()


def test_profiles():
    a = simulate_cohort(500, 0, profile="A")
    assert (a["course_number"] == 1).all() and set(a["preparation"].astype(str)) == {"withdrawal", "rhtsh"}
    c = simulate_cohort(500, 0, profile="C")
    assert (c["course_number"] >= 2).all() and (c["m_stage"] == "M0").all()
    b = simulate_cohort(3000, 0, profile="B")
    assert b["course_number"].max() == 5 and 0.36 < (b["histology"].isin(["follicular", "oncocytic"])).mean() < 0.48
    assert b["age_years"].between(18, 80).all()
    d = add_labels(simulate_cohort(2260, 0))
    assert d["second_course_benefit"].notna().sum() >= 300


def test_bad_arguments_raise_config_error():
    with pytest.raises(ConfigError, match="profile"):
        simulate_cohort(10, profile="Z")
    with pytest.raises(ConfigError, match="n must be"):
        simulate_cohort(0)
    with pytest.raises(ConfigError, match="unknown field"):
        simulate_cohort(10, params={"no_such_param": 1})


def test_missingness_rates():
    df = simulate_cohort(5000, 0)
    assert 0.6 < df["braf_v600e"].isna().mean() < 0.7
    assert 0.65 < df["tert_promoter"].isna().mean() < 0.75
    assert 0.02 < df["tumour_size_mm"].isna().mean() < 0.06
    # LN counts missing exactly where nodes were not examined
    assert (df["ln_examined"].isna() == (df["n_stage"] == "NX")).all()
    # FDG PET mostly done when Tg is high
    done = df["fdg_pet"].notna()
    high = df["tg_stim_ng_ml"] >= 10
    assert done[high].mean() > 3 * done[~high].mean()
    # TgAb positivity ~15-25 %, and it lowers measured Tg
    pos = df["tgab_positive"].astype(bool)
    assert 0.15 < pos.mean() < 0.25
    first = (df["course_number"] == 1) & (df["preparation"] == "withdrawal") & ~df["structural_disease_pre"]
    assert df.loc[first & pos, "tg_stim_ng_ml"].median() < df.loc[first & ~pos, "tg_stim_ng_ml"].median()


def test_effect_directions():
    """Causal directions: rhTSH lowers retention; partial activation (z) lowers it only
    through the thyroid-bed share (not a blanket 65 % cut)."""
    sim = simulate_arrays(20000, 0)
    c, z = sim["cov"], sim["latent"]["z"]
    per_gbq = c["dr48"] / c["activity"]
    thw = ~c["rhtsh"] & (z == 0)
    assert np.median(per_gbq[c["rhtsh"] & (z == 0)]) < np.median(per_gbq[thw])
    ratio = np.median(per_gbq[~c["rhtsh"] & (z == 1)]) / np.median(per_gbq[thw])
    assert 0.85 < ratio < 1.0   # the old simulator: 0.35
    assert c["reactions"][z == 1].mean() < c["reactions"][z == 0].mean()
    # d follows Li 2018: smoking and follicular histology raise it, sex does not enter
    d = sim["latent"]["d"]
    assert d[c["smoking"]].mean() > d[~c["smoking"]].mean()
    assert c["progression"][d == 1].mean() > 3 * c["progression"][d == 0].mean()


def test_tsh_effect_within_preparation_not_through_it():
    """Partial activation z does not depend on the preparation (no rhTSH -> z arrow:
    the old model had P(unexpected) 20 % with rhTSH vs 4 % with withdrawal through
    rhTSH's higher TSH), and within each preparation TSH is higher with z."""
    sim = simulate_arrays(40000, 3, profile="default")
    c, z = sim["cov"], sim["latent"]["z"]
    rh = c["rhtsh"]
    assert abs(z[rh].mean() - z[~rh].mean()) < 0.03
    for prep in (rh, ~rh):
        ratio = np.median(c["tsh"][prep & (z == 1)]) / np.median(c["tsh"][prep & (z == 0)])
        assert 1.6 < ratio < 2.1
    df = add_labels(simulate_cohort(20000, 3, profile="A"))
    by_prep = df.groupby(df["preparation"].astype(str))["unexpected_uptake"].mean()
    assert by_prep.max() / by_prep.min() < 2.0


def test_follow_up_follows_the_disease_state():
    """Follow-up Tg and imaging depend on the true disease: first-course patients
    without persistent disease have Tg near the assay floor and no structural imaging."""
    df = simulate_cohort(20000, 0)
    first = df["course_number"] == 1
    persistent = df["persistent_disease"].astype(bool)
    free, ill = first & ~persistent, first & persistent
    assert df.loc[free, "tg_stim_fu_ng_ml"].median() < 0.2
    assert df.loc[ill, "tg_stim_fu_ng_ml"].median() > 20 * df.loc[free, "tg_stim_fu_ng_ml"].median()
    assert (df.loc[free, "imaging_fu"] != "structural").all()
    labels = add_labels(df)
    assert (labels.loc[free, "ata_response"] == "excellent").mean() > 0.75


def test_oracle_is_calibrated():
    df = simulate_cohort(20000, seed=0)
    labels = add_labels(df)
    for name in LABELS:
        known = labels[name].notna().to_numpy()
        y = labels[name][known].astype(int).to_numpy()
        p = df[f"oracle_p_{name}"].to_numpy()[known]
        assert np.isfinite(p).all() and ((p >= 0) & (p <= 1)).all()
        assert abs(p.mean() - y.mean()) < 3 * np.sqrt(y.mean() * (1 - y.mean()) / len(y)), name
        slope, se = recalibration_slope(p, y)
        assert abs(slope - 1) < 3 * se, (name, slope, se)
        # binned: observed frequency tracks the oracle in deciles
        bins = pd.qcut(p, 10, duplicates="drop")
        obs = pd.Series(y).groupby(bins, observed=True).mean()
        exp = pd.Series(p).groupby(bins, observed=True).mean()
        assert np.corrcoef(obs, exp)[0, 1] > 0.97, name
    # undefined where the label is undefined (first courses)
    assert df.loc[df["course_number"] == 1, "oracle_p_second_course_benefit"].isna().all()


@pytest.mark.parametrize("name", ["unexpected_uptake", "rair"])
def test_oracle_beats_logistic(name):
    df = simulate_cohort(4000, seed=0)
    labels = add_labels(df)
    y = labels[name].astype(int).to_numpy()
    lr = logistic_oof(df, y)
    assert roc_auc_score(y, df[f"oracle_p_{name}"]) > roc_auc_score(y, lr)


def test_oracle_beats_logistic_second_course():
    df = simulate_cohort(8000, seed=1, profile="C")
    labels = add_labels(df)
    known = labels["second_course_benefit"].notna().to_numpy()
    y = labels["second_course_benefit"][known].astype(int).to_numpy()
    p = df["oracle_p_second_course_benefit"].to_numpy()[known]
    lr = logistic_oof(df[known].reset_index(drop=True), y)
    assert roc_auc_score(y, p) > roc_auc_score(y, lr)


def test_cli_simulate_writes_parquet_and_csv(tmp_path):
    out = tmp_path / "cohort.parquet"
    assert main(["simulate", "--n", "120", "--seed", "4", "--profile", "B", "-o", str(out)]) == 0
    back = pd.read_parquet(out)
    pd.testing.assert_frame_equal(back[["patient_id", "age_years"]],
                                  simulate_cohort(120, 4, profile="B")[["patient_id", "age_years"]],
                                  check_dtype=False)
    csv = tmp_path / "cohort.csv"
    assert main(["simulate", "--n", "50", "-o", str(csv)]) == 0
    assert len(pd.read_csv(csv)) == 50
    assert main(["simulate", "--n", "0", "-o", str(csv)]) == 2
