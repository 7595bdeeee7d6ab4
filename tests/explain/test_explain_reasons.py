"""Per-patient reasons, one-hot grouping, global importance and figures."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy.special import expit  # noqa: E402

from rairpredict.explain import (  # noqa: E402
    BIAS,
    global_importance,
    group_contributions,
    plot_beeswarm,
    plot_dependence,
    plot_importance,
    top_reasons,
)

SOURCE = {"histology=follicular": "histology", "histology=oncocytic": "histology"}


@pytest.fixture
def contrib():
    # hand-built: patient 0 driven by age (+), patient 1 by histology one-hots (-0.4-0.5)
    return pd.DataFrame(
        {
            "age_years": [1.2, 0.1, 0.0],
            "histology=follicular": [0.3, -0.4, 0.0],
            "histology=oncocytic": [0.0, -0.5, 0.0],
            "tg_stim_ng_ml": [-0.8, 0.6, 0.0],
            BIAS: [-1.0, -1.0, -1.0],
        },
        index=pd.Index(["p1", "p2", "p3"], name="row"),
    )


@pytest.fixture
def display():
    return pd.DataFrame(
        {
            "age_years": [71.0, 33.0, 50.0],
            "histology": ["follicular", "oncocytic", "papillary_classic"],
            "tg_stim_ng_ml": [0.4, 85.0, 2.0],
        },
        index=["p1", "p2", "p3"],
    )


def test_group_contributions_sums_one_hot(contrib):
    g = group_contributions(contrib, SOURCE)
    assert list(g.columns) == ["age_years", "histology", "tg_stim_ng_ml", BIAS]
    np.testing.assert_allclose(g["histology"], [0.3, -0.9, 0.0])
    np.testing.assert_allclose(g.sum(axis=1), contrib.sum(axis=1))


def test_top_reasons_long(contrib, display):
    r = top_reasons(contrib, display, k=2, feature_source=SOURCE)
    assert list(r.columns) == ["rank", "feature", "value", "unit", "contribution", "probability_change", "direction"]
    assert r.index.tolist() == ["p1", "p1", "p2", "p2", "p3", "p3"]
    p1, p2 = r.loc["p1"], r.loc["p2"]
    assert p1["feature"].tolist() == ["age_years", "tg_stim_ng_ml"]
    assert p1["value"].tolist() == [71.0, 0.4]
    assert p1["unit"].tolist() == ["years", "ng/mL"]
    assert p1["direction"].tolist() == ["raises risk", "lowers risk"]
    assert p2["feature"].tolist() == ["histology", "tg_stim_ng_ml"]
    assert p2["value"].tolist() == ["oncocytic", 85.0]
    assert p2["contribution"].iloc[0] == pytest.approx(-0.9)
    # removing histology's -0.9 from patient 2's logit (-1.0+0.1-0.9+0.6 = -1.2)
    assert p2["probability_change"].iloc[0] == pytest.approx(expit(-1.2) - expit(-0.3))
    assert r.loc["p3", "direction"].tolist() == ["no effect", "no effect"]


def test_top_reasons_wide_and_ungrouped(contrib, display):
    w = top_reasons(contrib, display, k=1, format="wide", units={})
    assert w.index.tolist() == ["p1", "p2", "p3"]
    # ungrouped, patient 2's largest single column is tg (0.6) not a histology one-hot
    assert w["feature_1"].tolist()[:2] == ["age_years", "tg_stim_ng_ml"]
    assert w["value_1"].tolist()[:2] == [71.0, 85.0]
    assert w["probability_change_1"].iloc[0] == pytest.approx(expit(-0.3) - expit(-1.5))


def test_top_reasons_matches_sort_on_random_matrix():
    rng = np.random.default_rng(0)
    n, m, k = 2000, 12, 3
    phi = rng.normal(size=(n, m))
    c = pd.DataFrame(phi, columns=[f"f{j}" for j in range(m)]).assign(bias=0.0)
    r = top_reasons(c, k=k, units={}, format="wide")
    expected = np.argsort(-np.abs(phi), axis=1)[:, :k]
    for j in range(k):
        assert (r[f"feature_{j + 1}"].to_numpy() == np.array(c.columns[:m])[expected[:, j]]).all()
    np.testing.assert_allclose(r["contribution_1"], phi[np.arange(n), expected[:, 0]])


def test_global_importance_ranks_grouped(contrib):
    gi = global_importance(contrib, SOURCE)
    assert gi["feature"].tolist() == ["tg_stim_ng_ml", "age_years", "histology"]
    np.testing.assert_allclose(gi["mean_abs_contribution"], [1.4 / 3, 1.3 / 3, 1.2 / 3])
    assert gi["share"].sum() == pytest.approx(1.0)


def test_plots_return_figures():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    X.loc[::10, "b"] = np.nan
    c = (X.fillna(0) * [1.0, -0.5, 0.1]).assign(bias=-0.2)
    for fig in (plot_beeswarm(c, X), plot_dependence(c, X, "a"), plot_importance(c)):
        assert isinstance(fig, matplotlib.figure.Figure)
        assert fig.axes and fig.axes[0].has_data()
        plt.close(fig)
    with pytest.raises(KeyError):
        plot_dependence(c, X, "zzz")
