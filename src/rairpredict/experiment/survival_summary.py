"""Figures of a time-to-event model from its out-of-fold predictions (median over CV repeats).

Per model: Harrell's C and Uno's C (truncated at the last horizon), the
time-dependent AUC, the IPCW Brier score (beside the Kaplan-Meier null model)
and calibration (O/E, slope, ICI) at every horizon, the integrated Brier score,
and net benefit at the band horizon's threshold. Each figure with its 95 % CI
(bootstrap over patients, or Wald/Kaplan-Meier as stated in
:mod:`rairpredict.evaluation`). On simulated cohorts the oracle (the true risk
by each horizon) gets the same figures, and the share of achievable
discrimination ``(C - 0.5) / (C_oracle - 0.5)``.

Examples
--------
>>> from rairpredict.experiment.survival_summary import horizon_label
>>> horizon_label(3.0)
'3y'
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from rairpredict.evaluation import (EvaluationInputError, harrell_c, horizon_calibration, horizon_calibration_groups,
                                    horizon_net_benefit, integrated_brier, ipcw_brier, time_dependent_auc, uno_c)

__all__ = ["survival_metrics", "summarise_survival_repeats", "oracle_survival_summary", "horizon_label",
           "survival_results_table", "survival_development"]


def horizon_label(h: float) -> str:
    """``3.0`` -> ``"3y"`` (column suffix of horizon figures)."""
    return f"{h:g}y"


def survival_metrics(time, event, lp, risk, horizons, band_horizon: float, threshold: float,
                     n_boot: int = 100, seed: int = 0) -> dict[str, float]:
    """All figures of one set of out-of-fold predictions (``risk``: (n, len(horizons)))."""
    horizons = [float(h) for h in horizons]
    out: dict[str, float] = {}
    c = harrell_c(time, event, lp, n_boot=n_boot, seed=seed)
    out.update(c_harrell=c.estimate, c_harrell_lo=c.lo, c_harrell_hi=c.hi)
    u = uno_c(time, event, lp, tau=max(horizons), n_boot=n_boot, seed=seed)
    out.update(c_uno=u.estimate, c_uno_lo=u.lo, c_uno_hi=u.hi)
    auc = time_dependent_auc(time, event, risk, horizons, n_boot=n_boot // 2, seed=seed)
    brier = ipcw_brier(time, event, risk, horizons, n_boot=n_boot // 2, seed=seed)
    for j, h in enumerate(horizons):
        s = horizon_label(h)
        out.update({f"auc_{s}": auc.loc[h, "auc"], f"auc_{s}_lo": auc.loc[h, "lo"], f"auc_{s}_hi": auc.loc[h, "hi"],
                    f"brier_{s}": brier.loc[h, "brier"], f"brier_{s}_null": brier.loc[h, "null"]})
        try:
            cal = horizon_calibration(time, event, risk[:, j], h)
        except EvaluationInputError:
            continue  # too few events by this horizon: no calibration figure (left missing, not invented)
        out.update({f"oe_{s}": cal["oe"], f"oe_{s}_lo": cal["oe_lo"], f"oe_{s}_hi": cal["oe_hi"],
                    f"cal_slope_{s}": cal["slope"], f"cal_slope_{s}_lo": cal["slope_lo"],
                    f"cal_slope_{s}_hi": cal["slope_hi"], f"ici_{s}": cal["ici"],
                    f"observed_risk_{s}": cal["observed"], f"expected_risk_{s}": cal["expected"]})
    if len(horizons) > 1:
        out["ibs"] = integrated_brier(time, event, 1 - risk, horizons)
    jb = horizons.index(float(band_horizon))
    nb = horizon_net_benefit(time, event, risk[:, jb], band_horizon, [threshold]).iloc[0]
    out.update(net_benefit=nb["model"], net_benefit_treat_all=nb["treat_all"])
    return {k: float(v) for k, v in out.items()}


def summarise_repeats_frame(per_repeat: list[dict]) -> pd.Series:
    return pd.DataFrame(per_repeat).median(axis=0, skipna=True)


def summarise_survival_repeats(time, event, cvp, horizons, band_horizon, threshold, n_boot: int = 100,
                               seed: int = 0) -> pd.Series:
    """Median over CV repeats of :func:`survival_metrics` (``cvp``: a SurvivalCV)."""
    rows = [survival_metrics(time, event, cvp.lp[r], cvp.risk[r], horizons, band_horizon, threshold,
                             n_boot=n_boot, seed=seed + r) for r in range(cvp.lp.shape[0])]
    return summarise_repeats_frame(rows)


def oracle_survival_summary(time, event, oracle_risk, horizons, band_horizon, threshold, model_c: dict,
                            n_boot: int = 100) -> dict:
    """The oracle's figures and each model's share of achievable discrimination.

    ``oracle_risk``: (n, len(horizons)) true risks. The oracle's ranking score
    is its risk by the band horizon.
    """
    jb = [float(h) for h in horizons].index(float(band_horizon))
    m = survival_metrics(time, event, oracle_risk[:, jb], oracle_risk, horizons, band_horizon, threshold,
                         n_boot=n_boot)
    out = {f"oracle_{k}": v for k, v in m.items()}
    denom = m["c_harrell"] - 0.5
    for name, c in model_c.items():
        out[f"{name}_c_share_of_achievable"] = float((c - 0.5) / denom) if denom > 0 else float("nan")
    return out


def _ci(row, key: str) -> str:
    value = row.get(key, np.nan)
    if not np.isfinite(value):
        return "-"
    lo, hi = row.get(f"{key}_lo", np.nan), row.get(f"{key}_hi", np.nan)
    return f"{value:.3f} ({lo:.3f}-{hi:.3f})" if np.isfinite(lo) and np.isfinite(hi) else f"{value:.3f}"


def survival_results_table(metrics: pd.DataFrame, oracle: dict, horizons) -> pd.DataFrame:
    """One row per model (and the oracle on simulated cohorts): C with CI, then AUC/Brier/O-E/slope by horizon.

    Examples
    --------
    >>> m = pd.DataFrame({"c_harrell": [0.8], "c_harrell_lo": [0.78], "c_harrell_hi": [0.82], "auc_3y": [0.82],
    ...                   "brier_3y": [0.05], "oe_3y": [1.02], "cal_slope_3y": [0.97]}, index=["cox"])
    >>> survival_results_table(m, {}, [3]).iloc[0]["Harrell C (95% CI)"]
    '0.800 (0.780-0.820)'
    """
    rows = [(kind, metrics.loc[kind].to_dict()) for kind in metrics.index]
    if oracle:
        rows.append(("oracle (true risk)", {k[len("oracle_"):]: v for k, v in oracle.items()
                                            if k.startswith("oracle_")}))
    out = []
    for name, row in rows:
        line = {"model": name, "Harrell C (95% CI)": _ci(row, "c_harrell"), "Uno C (95% CI)": _ci(row, "c_uno")}
        for h in horizons:
            s = horizon_label(h)
            for label, key in (("AUC", f"auc_{s}"), ("Brier", f"brier_{s}"), ("O/E", f"oe_{s}"),
                               ("slope", f"cal_slope_{s}")):
                v = row.get(key, np.nan)
                line[f"{label} {s}"] = f"{v:.3f}" if np.isfinite(v) else "-"
        share = oracle.get(f"{name}_c_share_of_achievable") if oracle else None
        if oracle:
            line["share of achievable C"] = f"{share:.2f}" if share is not None and np.isfinite(share) else "-"
        out.append(line)
    return pd.DataFrame(out)


def survival_development(time, event, risk, model) -> dict:
    """What the review says about the development cohort, by the band horizon (aggregates only).

    ``risk``: out-of-fold risks by the band horizon. ``calibration``: groups of
    predicted risk with their Kaplan-Meier observed risk (the records the
    review's calibration plot draws); ``bands``: patients per risk band and
    their Kaplan-Meier risk by the horizon (censored patients never counted
    as event-free).
    """
    from rairpredict.evaluation import kaplan_meier

    h = float(model.band_horizon)
    out: dict = {"horizon": h, "calibration": [], "bands": []}
    try:
        groups = horizon_calibration_groups(time, event, risk, h)
    except EvaluationInputError:
        groups = None
    if groups is not None:
        out["calibration"] = [{"mean_predicted": float(g.predicted), "observed": float(g.observed),
                               "lo": float(g.observed_lo), "hi": float(g.observed_hi), "n": int(g.n)}
                              for g in groups.itertuples()]
    band = np.asarray(model.risk_band(risk), dtype=object)
    for name in model.band_names:
        m = band == name
        rec = {"name": str(name), "n": int(m.sum()), "events": int(np.asarray(event)[m].sum()), "observed_risk": None}
        if m.sum() and np.asarray(time)[m].min() <= h:
            rec["observed_risk"] = float(1 - kaplan_meier(np.asarray(time)[m], np.asarray(event)[m],
                                                          at=[h])["survival"].iloc[0])
        elif m.sum():
            rec["observed_risk"] = 0.0  # everyone in the band followed beyond h without an event
        out["bands"].append(rec)
    return out
