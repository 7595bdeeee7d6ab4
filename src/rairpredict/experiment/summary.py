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

__all__ = ["metrics_one", "summarise_repeats", "compare_models", "oracle_summary", "oracle_share",
           "no_evidence_of_discrimination", "summarise_subset", "markdown_table", "choose_final_model",
           "TIE_P_VALUE"]

#: A simpler model is "as good" when DeLong's test cannot tell it from the best
#: one: median p-value over repeats at least this (declared before training).
TIE_P_VALUE = 0.05


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


def oracle_share(auroc: float, oracle_auroc: float) -> float:
    """Share of the achievable discrimination: (AUROC - 0.5) / (oracle AUROC - 0.5).

    0 = no better than chance, 1 = as good as the true probabilities.  The raw
    ratio AUROC / oracle AUROC flatters a weak model (0.6 / 0.8 = 0.75 although
    the model achieves only 0.1 / 0.3 = 33 % of what is achievable).

    >>> round(oracle_share(0.6, 0.8), 3)
    0.333
    """
    return float((auroc - 0.5) / (oracle_auroc - 0.5)) if oracle_auroc > 0.5 else float("nan")


def oracle_summary(y, oracle, model_auroc: dict[str, float]) -> dict[str, float]:
    """Oracle (true-probability) AUROC with CI; per model the share of achievable
    discrimination (``<model>_oracle_share``) and, labelled raw, AUROC / oracle
    AUROC (``<model>_oracle_ratio``)."""
    a = auroc_ci(y, oracle)
    out = {"oracle_auroc": a.estimate, "oracle_auroc_lo": a.lo, "oracle_auroc_hi": a.hi}
    for name, value in model_auroc.items():
        out[f"{name}_oracle_share"] = oracle_share(value, a.estimate)
        out[f"{name}_oracle_ratio"] = float(value / a.estimate)
    return out


def no_evidence_of_discrimination(auroc_lo: float, auroc_hi: float) -> bool:
    """True when the AUROC's confidence interval contains 0.5: no evidence that
    the model ranks patients better than chance.

    >>> no_evidence_of_discrimination(0.47, 0.61), no_evidence_of_discrimination(0.55, 0.70)
    (True, False)
    """
    return bool(auroc_lo <= 0.5 <= auroc_hi)


def summarise_subset(y, proba: np.ndarray, mask, prefix: str) -> dict[str, float]:
    """AUROC with 95 % CI within the rows of ``mask`` (median over repeats), with
    its size; NaN when the subset lacks one outcome class.  Used to report
    discrimination within a case mix (e.g. patients with prior structural
    disease) beside the overall figure."""
    y = np.asarray(y, dtype=int)
    mask = np.asarray(mask, dtype=bool)
    ys = y[mask]
    out = {f"{prefix}_n": float(mask.sum()), f"{prefix}_events": float(ys.sum())}
    if mask.sum() < 2 or ys.min() == ys.max():
        return {**out, prefix: np.nan, f"{prefix}_lo": np.nan, f"{prefix}_hi": np.nan}
    est = pd.DataFrame([auroc_ci(ys, p[mask])._asdict() for p in np.atleast_2d(proba)]).median()
    return {**out, prefix: float(est["estimate"]), f"{prefix}_lo": float(est["lo"]), f"{prefix}_hi": float(est["hi"])}


def markdown_table(df: pd.DataFrame) -> str:
    """GitHub Markdown table of ``df`` (index dropped); avoids a tabulate dependency."""
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def _delong_median_p(y, p_a: np.ndarray, p_b: np.ndarray) -> tuple[float, float]:
    """Median over repeats of DeLong's p-value and AUROC difference (a - b), same rows and folds."""
    tests = [delong_test(y, a, b) for a, b in zip(np.atleast_2d(p_a), np.atleast_2d(p_b))]
    return (float(np.median([t["p_value"] for t in tests])), float(np.median([t["difference"] for t in tests])))


def choose_final_model(y, oof: dict[str, np.ndarray], auroc: dict[str, float], requested: str,
                       complexity: dict[str, int]) -> dict:
    """Which model kind to export, and why (the rule of ``final_model: auto``).

    ``auto``: the kind with the highest nested-CV AUROC, unless a simpler kind
    (lower ``complexity``) is not significantly worse -- DeLong p >= TIE_P_VALUE
    (median over repeats, same outer folds) -- then the simplest such kind. An
    explicit choice is kept, with a ``warning`` when another kind has a higher
    nested-CV AUROC.

    Returns
    -------
    dict with ``model``, ``rule`` (``auto`` or ``explicit``), ``reason`` (one
    sentence), ``warning`` (or None) and ``candidates`` (kind -> AUROC).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1); y = rng.integers(0, 2, 200)
    >>> p = y * 0.4 + rng.random(200) * 0.6
    >>> oof = {"logistic": p[None], "xgboost": (p + rng.random(200) * 0.01)[None]}
    >>> choice = choose_final_model(y, oof, {"logistic": 0.80, "xgboost": 0.81}, "auto",
    ...                             {"logistic": 0, "xgboost": 1})
    >>> choice["model"]
    'logistic'
    """
    kinds = [k for k in auroc if k in oof]
    rank = {k: complexity.get(k, max(complexity.values(), default=0) + 1) for k in kinds}
    best = max(kinds, key=lambda k: (auroc[k], -rank[k]))
    out = {"candidates": {k: float(auroc[k]) for k in kinds}, "warning": None, "tie_p_value": TIE_P_VALUE}
    if requested != "auto":
        out.update(model=requested, rule="explicit",
                   reason=f"chosen in the target config (final_model: {requested}); nested-CV AUROC "
                          f"{auroc[requested]:.3f}")
        if best != requested and auroc[best] > auroc[requested]:
            p, diff = _delong_median_p(y, oof[best], oof[requested])
            out["warning"] = (f"final_model {requested} has a lower nested-CV AUROC ({auroc[requested]:.3f}) than "
                              f"{best} ({auroc[best]:.3f}; difference {diff:+.3f}, DeLong p = {p:.3g}); "
                              "consider final_model: auto")
        return out
    for k in sorted((k for k in kinds if rank[k] < rank[best]), key=lambda k: rank[k]):
        p, diff = _delong_median_p(y, oof[best], oof[k])
        if p >= TIE_P_VALUE:
            out.update(model=k, rule="auto",
                       reason=f"{k} is simpler and not significantly worse than {best} (nested-CV AUROC "
                              f"{auroc[k]:.3f} vs {auroc[best]:.3f}, DeLong p = {p:.3g} >= {TIE_P_VALUE})")
            return out
    others = [k for k in kinds if k != best]
    detail = "; ".join(f"{k} {auroc[k]:.3f} (DeLong p = {_delong_median_p(y, oof[best], oof[k])[0]:.3g})"
                       for k in others)
    out.update(model=best, rule="auto",
               reason=(f"highest nested-CV AUROC ({auroc[best]:.3f})" +
                       (f"; simpler or other candidates significantly worse or lower: {detail}" if detail else "")))
    return out
