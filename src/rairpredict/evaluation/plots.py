"""Validation plots (matplotlib, Agg backend); each function returns a Figure.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> p = rng.uniform(0.05, 0.9, 300); y = rng.binomial(1, p)
>>> fig = plot_calibration(y, p)
>>> len(fig.axes)
2
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import roc_curve  # noqa: E402

from ._calibration import calibration_curve_flexible, calibration_deciles  # noqa: E402
from ._decision_curve import decision_curve  # noqa: E402
from ._discrimination import auroc_ci  # noqa: E402
from ._utils import bootstrap_indices, check_y_p, format_ci  # noqa: E402

__all__ = ["plot_roc", "plot_calibration", "plot_decision_curve"]


def _as_models(p):
    return dict(p) if isinstance(p, dict) else {"model": p}


def plot_roc(y, p, alpha: float = 0.05, n_boot: int = 200, seed=0, ax=None):
    """ROC curve(s) labelled with AUROC and DeLong CI, with a bootstrap TPR band.

    ``p`` is an array or a dict ``{name: probabilities}``; ``n_boot=0`` draws no band.
    """
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(5, 5))
    grid = np.linspace(0, 1, 101)
    for name, probs in _as_models(p).items():
        yy, pp = check_y_p(y, probs)
        auc, lo, hi = auroc_ci(yy, pp, alpha)
        fpr, tpr, _ = roc_curve(yy, pp)
        line, = ax.plot(fpr, tpr, label=f"{name}: AUROC {format_ci(auc, lo, hi)}")
        if n_boot > 0:
            band = []
            for idx in bootstrap_indices(yy, n_boot, seed):
                f, t, _ = roc_curve(yy[idx], pp[idx])
                band.append(np.interp(grid, f, t))
            ax.fill_between(grid, *np.quantile(band, [alpha / 2, 1 - alpha / 2], axis=0),
                            color=line.get_color(), alpha=0.2, linewidth=0)
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1)
    ax.set(xlabel="1 - specificity", ylabel="Sensitivity", xlim=(0, 1), ylim=(0, 1.01), title="ROC curve")
    ax.legend(loc="lower right", fontsize="small")
    return fig


def plot_calibration(y, p, n_bins: int = 10, alpha: float = 0.05):
    """Flexible calibration curve with CI band, decile points with Wilson bars,
    and a histogram of predicted risk beneath (band: delta-method interval)."""
    y, p = check_y_p(y, p)
    fig, (ax, axh) = plt.subplots(2, 1, figsize=(5, 6), sharex=True,
                                  gridspec_kw={"height_ratios": [4, 1], "hspace": 0.05})
    curve = calibration_curve_flexible(y, p, alpha=alpha)
    ax.plot(curve["predicted"], curve["observed"], label="flexible (spline) calibration")
    ax.fill_between(curve["predicted"], curve["lo"], curve["hi"], alpha=0.2, linewidth=0)
    dec = calibration_deciles(y, p, n_bins, alpha)
    ax.errorbar(dec["mean_predicted"], dec["observed"],
                yerr=[dec["observed"] - dec["lo"], dec["hi"] - dec["observed"]],
                fmt="o", ms=4, color="black", capsize=2, label=f"{n_bins} risk groups (Wilson CI)")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="ideal")
    ax.set(ylabel="Observed risk", xlim=(0, 1), ylim=(0, 1), title="Calibration")
    ax.legend(loc="upper left", fontsize="small")
    axh.hist(p[y == 0], bins=50, range=(0, 1), alpha=0.6, label="no event")
    axh.hist(p[y == 1], bins=50, range=(0, 1), alpha=0.6, label="event")
    axh.set(xlabel="Predicted risk", ylabel="n")
    axh.legend(fontsize="x-small")
    return fig


def plot_decision_curve(y, p, thresholds=None, alpha: float = 0.05, n_boot: int = 200, seed=0, ax=None):
    """Net benefit against threshold for the model(s), treat-all and treat-none."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 4))
    dc = None
    for name, probs in _as_models(p).items():
        dc = decision_curve(y, probs, thresholds, alpha=alpha, n_boot=n_boot, seed=seed)
        line, = ax.plot(dc["threshold"], dc["net_benefit_model"], label=name)
        if n_boot > 0:
            ax.fill_between(dc["threshold"], dc["net_benefit_model_lo"], dc["net_benefit_model_hi"],
                            color=line.get_color(), alpha=0.2, linewidth=0)
    ax.plot(dc["threshold"], dc["net_benefit_all"], color="grey", label="treat all")
    ax.axhline(0, color="black", lw=1, label="treat none")
    prev = float(np.mean(np.asarray(y, dtype=float)))
    ax.set(xlabel="Threshold probability", ylabel="Net benefit", ylim=(-0.05, max(prev, 0.05) * 1.1),
           title="Decision curve")
    ax.legend(fontsize="small")
    return fig
