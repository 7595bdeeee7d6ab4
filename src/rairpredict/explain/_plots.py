"""Global explanation figures (headless matplotlib, returns Figures).

Beeswarm and dependence plots use SHAP's plotting on an ``shap.Explanation``
drawn into our own Axes (``show=False``), so nothing touches a display.
Large cohorts are subsampled (seeded) for plotting only. matplotlib is
imported lazily; without a display it falls back to the Agg backend. Close
returned figures (``plt.close(fig)``) when done.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ._contrib import BIAS
from ._reasons import global_importance

__all__ = ["plot_beeswarm", "plot_dependence", "plot_importance"]


def _explanation(contrib: pd.DataFrame, X: pd.DataFrame, max_points: int, seed: int):
    import shap

    features = [c for c in contrib.columns if c != BIAS]
    idx = np.arange(len(contrib))
    if len(idx) > max_points:
        idx = np.sort(np.random.default_rng(seed).choice(idx, max_points, replace=False))
    values = contrib[features].to_numpy(np.float64)[idx]
    base = contrib[BIAS].to_numpy(np.float64)[idx] if BIAS in contrib.columns else np.zeros(len(idx))
    data = X[features].to_numpy(np.float64, na_value=np.nan)[idx]
    return shap.Explanation(values=values, base_values=base, data=data, feature_names=features)


def plot_beeswarm(
    contrib: pd.DataFrame, X: pd.DataFrame, max_display: int = 15, max_points: int = 5000, seed: int = 0
):
    """SHAP beeswarm: per feature, each patient's contribution coloured by value.

    Parameters
    ----------
    contrib : DataFrame
        Contributions (model columns plus ``bias``).
    X : DataFrame
        Numeric model features with the same columns and rows.
    max_display, max_points, seed
        Features shown; patients plotted (seeded subsample beyond that).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    import shap

    fig, ax = plt.subplots(figsize=(8, 0.4 * max_display + 1.5))
    shap.plots.beeswarm(
        _explanation(contrib, X, max_points, seed), max_display=max_display, ax=ax, show=False, plot_size=None
    )
    ax.set_xlabel("Contribution to predicted risk (log-odds)")
    fig.tight_layout()
    return fig


def plot_dependence(contrib: pd.DataFrame, X: pd.DataFrame, feature: str, max_points: int = 5000, seed: int = 0):
    """Contribution of ``feature`` against its value (SHAP dependence scatter).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    import shap

    if feature not in contrib.columns or feature == BIAS:
        raise KeyError(f"no contribution column {feature!r}")
    fig, ax = plt.subplots(figsize=(6, 4))
    expl = _explanation(contrib, X, max_points, seed)
    shap.plots.scatter(expl[:, feature], ax=ax, show=False, ylabel="Contribution (log-odds)")
    fig.tight_layout()
    return fig


def plot_importance(
    contrib: pd.DataFrame, feature_source: Mapping[str, str] | None = None, max_display: int = 15
):
    """Bar chart of mean |contribution| per canonical field (one-hot grouped).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    table = global_importance(contrib, feature_source).head(max_display).iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(table) + 1.2))
    ax.barh(table["feature"], table["mean_abs_contribution"], color="#1E88E5")
    ax.set_xlabel("Mean |contribution| (log-odds)")
    fig.tight_layout()
    return fig
