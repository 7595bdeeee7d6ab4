"""External validation: every figure of a model's performance on a new cohort, with plain verdicts.

Built from this package's own statistics (:func:`auroc_ci` DeLong,
:func:`calibration_intercept_slope`, :func:`observed_expected_ratio`,
:func:`brier_score`, :func:`integrated_calibration_index`,
:func:`calibration_curve_flexible`, :func:`decision_curve`,
:func:`subgroup_metrics`): nothing is recomputed another way, so the
figures equal those functions' on the same data. Calibration is read on the
hierarchy of Van Calster et al. 2016 (mean, then weak calibration); ICI, E50
and E90 follow Austin & Steyerberg 2019 and come from the same restricted
cubic spline calibration curve that is plotted with its CI band.

Examples
--------
>>> import numpy as np
>>> from rairpredict.evaluation import external_validation
>>> rng = np.random.default_rng(0)
>>> p = rng.uniform(0.02, 0.6, 800); y = rng.binomial(1, np.clip(p * 1.6, 0, 1))
>>> ev = external_validation(y, p, thresholds=[0.1], n_boot=0)
>>> ev.verdicts["calibration"].startswith("Miscalibrated")
True
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rairpredict.reference import statistics as ref

from ._calibration import (brier_score, calibration_curve_flexible, calibration_intercept_slope,
                           integrated_calibration_index, observed_expected_ratio)
from ._decision_curve import decision_curve
from ._discrimination import auroc_ci
from ._subgroups import subgroup_metrics
from ._utils import check_y_p

__all__ = ["ExternalValidation", "external_validation", "discrimination_verdict", "calibration_verdict"]


@dataclass
class ExternalValidation:
    """Figures of one validation (aggregates only; :meth:`to_dict` is JSON-able)."""

    overview: dict
    metrics: pd.DataFrame          # index: metric; columns estimate, lo, hi
    curve: pd.DataFrame            # predicted, observed, lo, hi
    decision: pd.DataFrame         # decision_curve at the thresholds
    subgroups: pd.DataFrame = field(default_factory=pd.DataFrame)
    verdicts: dict = field(default_factory=dict)

    def figure(self, name: str) -> float:
        return float(self.metrics.loc[name, "estimate"])

    def to_dict(self) -> dict:
        def records(frame, index=False):
            if frame is None or frame.empty:
                return []
            frame = frame.reset_index() if index else frame
            return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        return {"overview": self.overview, "metrics": records(self.metrics, index=True),
                "calibration_curve": records(self.curve), "decision_curve": records(self.decision),
                "subgroups": records(self.subgroups, index=True), "verdicts": self.verdicts}


def _fmt(est, lo, hi, digits=2) -> str:
    return f"{est:.{digits}f} (95 % CI {lo:.{digits}f} to {hi:.{digits}f})"


def discrimination_verdict(auc, lo, hi) -> str:
    """Plain-language reading of the AUROC (Hosmer & Lemeshow bands; chance when the CI holds 0.5)."""
    word = next(w for cut, w in ref.HOSMER_LEMESHOW_AUROC_BANDS if auc >= cut)
    text = f"{word.capitalize()} discrimination: AUROC {_fmt(auc, lo, hi)}."
    if lo <= 0.5:
        text += " The interval includes 0.5: not shown to rank patients better than chance."
    return text


def calibration_verdict(intercept: pd.Series, slope: pd.Series, oe) -> str:
    """Plain-language reading of calibration on the Van Calster hierarchy.

    Mean calibration holds when the intercept CI holds 0 and the O/E CI holds 1;
    weak calibration when the slope CI holds 1.
    """
    parts = []
    mean_ok = intercept["lo"] <= 0 <= intercept["hi"] and oe.lo <= 1 <= oe.hi
    slope_ok = slope["lo"] <= 1 <= slope["hi"]
    if not np.isfinite(intercept["estimate"]) or not np.isfinite(slope["estimate"]):
        return "Calibration could not be estimated (the calibration model did not converge)."
    if not mean_ok:
        direction = "too high" if oe.estimate < 1 else "too low"
        parts.append(f"risks are on average {direction}: observed/expected {_fmt(*oe)}, "
                     f"calibration-in-the-large {_fmt(intercept['estimate'], intercept['lo'], intercept['hi'])}")
    if not slope_ok:
        kind = "too extreme (high risks too high, low risks too low)" if slope["estimate"] < 1 \
            else "too moderate (spread too narrow)"
        parts.append(f"risks are {kind}: calibration slope {_fmt(slope['estimate'], slope['lo'], slope['hi'])}")
    if not parts:
        return (f"Calibrated: observed/expected {_fmt(*oe)}, calibration slope "
                f"{_fmt(slope['estimate'], slope['lo'], slope['hi'])}; both intervals hold the ideal value.")
    return "Miscalibrated: " + "; ".join(parts) + ". Consider `rairpredict recalibrate`."


def _subgroup_table(y, p, groups, thresholds, min_events, alpha) -> pd.DataFrame:
    base = subgroup_metrics(y, p, groups, min_events=min_events, alpha=alpha)
    slope = {k: np.nan for k in ("cal_slope", "cal_slope_lo", "cal_slope_hi")}
    extra = []
    frame = groups.to_frame() if isinstance(groups, pd.Series) else pd.DataFrame(groups).reset_index(drop=True)
    for (var, level), row in base.iterrows():
        col = frame[var]
        mask = (col.astype(object).where(col.notna(), "(missing)").astype(str) == level).to_numpy()
        rec = dict(slope)
        if row["note"] == "":
            cal = calibration_intercept_slope(y[mask], p[mask], alpha).loc["cal_slope"]
            rec = {"cal_slope": cal["estimate"], "cal_slope_lo": cal["lo"], "cal_slope_hi": cal["hi"]}
        dc = decision_curve(y[mask], p[mask], thresholds, n_boot=0)
        for t, nb, nb_all in zip(dc["threshold"], dc["net_benefit_model"], dc["net_benefit_all"]):
            rec[f"net_benefit_{t:g}"] = nb
            rec[f"net_benefit_all_{t:g}"] = nb_all
        extra.append(rec)
    return pd.concat([base, pd.DataFrame(extra, index=base.index)], axis=1)


def external_validation(y, p, *, groups=None, thresholds=(0.1,), development_prevalence: float | None = None,
                        alpha: float = 0.05, n_boot: int = 200, seed=0, min_events: int = 5,
                        n_knots: int = 4) -> ExternalValidation:
    """Validate predicted risks ``p`` against outcomes ``y`` of a new cohort.

    Parameters
    ----------
    y, p : outcomes (0/1) and the model's predicted risks, one per patient.
    groups : DataFrame, optional
        One column per subgrouping variable (sex, age band, ...); missing
        values form their own level.
    thresholds : decision thresholds for net benefit (the target's threshold).
    development_prevalence : outcome rate of the development cohort, shown beside this one's.
    alpha, n_boot, seed : CI level; bootstrap replicates for the net-benefit CI.
    min_events : subgroups with fewer events or non-events get counts and O/E only.
    n_knots : knots of the spline calibration curve (3-5).

    Returns
    -------
    ExternalValidation
        ``metrics`` rows: ``auroc``, ``cal_intercept``, ``cal_slope``,
        ``oe_ratio``, ``brier``, ``ici``, ``e50``, ``e90`` (ICI/E50/E90 without CI);
        ``verdicts``: ``discrimination`` and ``calibration`` in plain words.
    """
    y, p = check_y_p(y, p)
    auc = auroc_ci(y, p, alpha)
    cal = calibration_intercept_slope(y, p, alpha)
    oe = observed_expected_ratio(y, p, alpha)
    brier = brier_score(y, p, alpha)
    ici = integrated_calibration_index(y, p, n_knots=n_knots)
    rows = {"auroc": auc, "cal_intercept": tuple(cal.loc["cal_intercept", ["estimate", "lo", "hi"]]),
            "cal_slope": tuple(cal.loc["cal_slope", ["estimate", "lo", "hi"]]), "oe_ratio": oe, "brier": brier,
            **{k: (float(v), np.nan, np.nan) for k, v in ici.items()}}
    metrics = pd.DataFrame({k: dict(zip(("estimate", "lo", "hi"), map(float, v))) for k, v in rows.items()}).T
    metrics.index.name = "metric"
    overview = {"n": int(len(y)), "events": int(y.sum()), "prevalence": float(y.mean()),
                "mean_predicted": float(p.mean()), "development_prevalence": development_prevalence,
                "thresholds": [float(t) for t in thresholds], "alpha": alpha}
    curve = calibration_curve_flexible(y, p, n_knots=n_knots, alpha=alpha)
    decision = decision_curve(y, p, list(thresholds), alpha=alpha, n_boot=n_boot, seed=seed)
    subgroups = pd.DataFrame()
    if groups is not None and len(pd.DataFrame(groups).columns):
        subgroups = _subgroup_table(y, p, groups, list(thresholds), min_events, alpha)
    verdicts = {"discrimination": discrimination_verdict(*auc),
                "calibration": calibration_verdict(cal.loc["cal_intercept"], cal.loc["cal_slope"], oe),
                "clinical_usefulness": _usefulness(decision)}
    return ExternalValidation(overview, metrics, curve, decision, subgroups, verdicts)


def _usefulness(decision: pd.DataFrame) -> str:
    parts = []
    for _, r in decision.iterrows():
        best_default = max(r["net_benefit_all"], 0.0)
        gain = r["net_benefit_model"] - best_default
        word = "more" if gain > 0 else "no more"
        parts.append(f"at a {r['threshold']:.0%} threshold the model gives {word} net benefit than treating "
                     f"all or none ({r['net_benefit_model']:.3f} vs {r['net_benefit_all']:.3f} all, 0 none; "
                     f"{gain * 100:+.1f} net true positives per 100)")
    return "; ".join(parts).capitalize() + "." if parts else ""
