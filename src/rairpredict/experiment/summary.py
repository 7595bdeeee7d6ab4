"""Turn out-of-fold predictions into the reported figures (with CIs and protocol).

Each repeat of the outer CV gives one out-of-fold probability per patient; the
metrics of each repeat are computed on its pooled out-of-fold predictions and
the reported figure is the median over repeats of the estimate and of each CI
bound. Pairwise comparisons use DeLong's test on repeat 0 (same rows, same folds).

Examples
--------
>>> import numpy as np
>>> from rairpredict.experiment.summary import summarise_repeats
>>> rng = np.random.default_rng(0)
>>> y = rng.integers(0, 2, 300); p = np.clip(y * 0.3 + rng.random(300) * 0.6, 0, 1)
>>> row = summarise_repeats(y, p[None, :], threshold=0.5)
>>> 0.5 < row["auroc"] <= 1
True
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from rairpredict.evaluation import (auprc, auroc_ci, brier_score, calibration_intercept_slope,
                                    delong_test, threshold_metrics)

__all__ = ["metrics_one", "summarise_repeats", "compare_models", "oracle_summary", "markdown_table"]


def metrics_one(y, p, threshold: float) -> dict[str, float]:
    """Flat dict of the standard figures, each with its 95 % CI where defined."""
    out: dict[str, float] = {}
    a = auroc_ci(y, p)
    out.update(auroc=a.estimate, auroc_lo=a.lo, auroc_hi=a.hi)
    pr = auprc(y, p, n_boot=200, seed=0)
    out.update(auprc=pr.estimate, auprc_lo=pr.lo, auprc_hi=pr.hi)
    b = brier_score(y, p)
    out.update(brier=b.estimate, brier_lo=b.lo, brier_hi=b.hi)
    cal = calibration_intercept_slope(y, p)
    for name in ("cal_intercept", "cal_slope"):
        out.update({name: cal.loc[name, "estimate"], f"{name}_lo": cal.loc[name, "lo"],
                    f"{name}_hi": cal.loc[name, "hi"]})
    thr = threshold_metrics(y, p, threshold)
    for name in ("sensitivity", "specificity", "ppv", "npv"):
        if name in thr.index:
            out.update({name: thr.loc[name, "estimate"], f"{name}_lo": thr.loc[name, "lo"],
                        f"{name}_hi": thr.loc[name, "hi"]})
    return {k: float(v) for k, v in out.items()}


def summarise_repeats(y, proba: np.ndarray, threshold: float) -> dict[str, float]:
    """Median over repeats of every figure of :func:`metrics_one`."""
    per_repeat = pd.DataFrame([metrics_one(y, p, threshold) for p in np.atleast_2d(proba)])
    summary = per_repeat.median().to_dict()
    summary["auroc_repeat_sd"] = float(per_repeat["auroc"].std(ddof=1)) if len(per_repeat) > 1 else 0.0
    summary["n_repeats"] = float(len(per_repeat))
    return summary


def compare_models(y, predictions: dict[str, np.ndarray]) -> pd.DataFrame:
    """DeLong test for every pair of models on repeat 0."""
    names = list(predictions)
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            r = delong_test(y, predictions[a][0], predictions[b][0])
            rows.append({"model_1": a, "model_2": b, **r.to_dict()})
    return pd.DataFrame(rows)


def oracle_summary(y, oracle, model_auroc: dict[str, float]) -> dict[str, float]:
    """Oracle (true-probability) AUROC with CI and the model / oracle ratio."""
    a = auroc_ci(y, oracle)
    out = {"oracle_auroc": a.estimate, "oracle_auroc_lo": a.lo, "oracle_auroc_hi": a.hi}
    for name, value in model_auroc.items():
        out[f"{name}_oracle_ratio"] = float(value / a.estimate)
    return out


def markdown_table(df: pd.DataFrame) -> str:
    """GitHub Markdown table of ``df`` (index dropped); avoids a tabulate dependency."""
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)
