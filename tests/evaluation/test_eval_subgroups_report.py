import matplotlib.figure
import numpy as np
import pandas as pd
import pytest

from rairpredict.evaluation import (age_band, auroc_ci, evaluate_predictions, metrics_frame,
                                    subgroup_metrics)
from rairpredict.evaluation.plots import plot_calibration, plot_decision_curve, plot_roc
from rairpredict.reference.clinical import AJCC8_AGE_CUTOFF_YEARS


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.9, n)
    y = rng.binomial(1, p)
    groups = pd.DataFrame({
        "sex": rng.choice(["female", "male"], n),
        "age_band": age_band(rng.uniform(20, 85, n)),
        "histology": pd.Series(rng.choice(["papillary", "follicular", "rare"], n, p=[0.7, 0.28, 0.02]))
        .where(rng.uniform(size=n) > 0.03),
    })
    return y, p, groups


def test_age_band_ajcc_default_and_custom():
    bands = age_band([30, AJCC8_AGE_CUTOFF_YEARS - 0.1, AJCC8_AGE_CUTOFF_YEARS, 80, None])
    assert bands.tolist()[:4] == ["<55", "<55", ">=55", ">=55"] and pd.isna(bands.iloc[4])
    custom = age_band([10, 45, 70], bins=[0, 18, 65, 120])
    assert custom.astype(str).tolist() == ["[0, 18)", "[18, 65)", "[65, 120)"]


def test_subgroup_metrics():
    y, p, g = _data()
    sub = subgroup_metrics(y, p, g, min_events=5)
    # every row counted once per variable, missing histology kept as its own level
    for var in g.columns:
        assert sub.loc[var, "n"].sum() == len(y)
    assert "(missing)" in sub.loc["histology"].index
    rare = sub.loc[("histology", "rare")]
    if min(rare["events"], rare["n"] - rare["events"]) < 5:
        assert np.isnan(rare["auroc"]) and "too few" in rare["note"]
    female = g["sex"].to_numpy() == "female"
    assert sub.loc[("sex", "female"), "auroc"] == pytest.approx(auroc_ci(y[female], p[female]).estimate)
    assert sub.loc[("sex", "female"), "oe_ratio"] == pytest.approx(y[female].sum() / p[female].sum())


def test_evaluate_predictions_flat_floats():
    y, p, g = _data()
    m = evaluate_predictions(y, p, threshold=0.5, groups=g, n_boot=20, seed=0)
    assert all(isinstance(v, float) for v in m.values())
    for key in ("auroc", "auprc", "brier", "cal_intercept", "cal_slope", "sensitivity", "specificity",
                "ppv", "npv", "oe_ratio"):
        assert m[f"{key}_lo"] <= m[key] <= m[f"{key}_hi"], key
    assert m["tp"] + m["fp"] + m["tn"] + m["fn"] == len(y)
    assert "sub.age_band.lt55.auroc" in m and "sub.histology.missing.n" in m
    assert all(set(k) <= set("abcdefghijklmnopqrstuvwxyz0123456789_.-") for k in m)
    frame = metrics_frame(m)
    assert frame.loc["auroc", "estimate"] == m["auroc"] and frame.loc["auroc", "hi"] == m["auroc_hi"]


def test_plots_return_figures():
    y, p, _ = _data(200)
    p2 = np.clip(p + np.random.default_rng(1).normal(0, 0.1, len(p)), 0, 1)
    roc = plot_roc(y, {"a": p, "b": p2}, n_boot=10)
    assert isinstance(roc, matplotlib.figure.Figure)
    assert "AUROC" in roc.axes[0].get_legend().get_texts()[0].get_text()
    assert len(plot_calibration(y, p).axes) == 2
    dc = plot_decision_curve(y, p, n_boot=10)
    assert {t.get_text() for t in dc.axes[0].get_legend().get_texts()} >= {"model", "treat all", "treat none"}
