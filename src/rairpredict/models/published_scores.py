"""Published RAIR scores as fixed baselines (scikit-learn classifiers).

The points of each score are fixed (never learned). ``fit`` learns only a
one-dimensional logistic recalibration ``p = expit(a * points + b)`` on the
training fold, so that Brier score and calibration can be compared with the
trained models; discrimination (AUROC) is that of the points themselves.

Neither score is reproduced with its original point table (not verifiably
available, see :mod:`rairpredict.reference.published_scores`):

* :class:`LiRairScore` is the *unweighted count* of the six Li 2018 predictors.
* :class:`LiuRairScore` uses points *derived from the published ORs*
  (Sullivan 2004): one point per doubling of the odds, ``round(log2(OR))``
  for the binary predictors and ``log2(1.037)`` per year of age.

The published cut-offs (7 and 10 points) belong to the original scales and are
therefore not applied by default (``cutoff=None``); pass ``cutoff`` to classify
on the rairpredict scale.

Examples
--------
>>> import pandas as pd
>>> from rairpredict.models import LiRairScore
>>> t = pd.DataFrame({"smoking": [True, False], "histology": ["follicular", "papillary_classic"],
...     "ete": ["gross", "none"], "ln_positive": [4, 0], "ln_ratio": [0.53, 0.0],
...     "n_stage": ["N1b", "N0"]})
>>> LiRairScore().points(t).tolist()
[6.0, 0.0]
>>> LiRairScore().unavailable_reason("pre_therapy") is None
True
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from rairpredict.cohort.contract import load_contract
from rairpredict.errors import ConfigError, ContractError
from rairpredict.reference import published_scores as ref
from rairpredict.reference.ajcc import N1_CATEGORIES

__all__ = ["LiRairScore", "LiuRairScore", "PUBLISHED_SCORES", "sullivan_points"]

_MISSING_MODES = ("prevalence", "raise")
# Floating ratios such as 53/100 must count as ">= 0.53".
_EPS = 1e-9


def sullivan_points(odds_ratio: float, log_odds_per_point: float = math.log(2)) -> int:
    """Integer points for a binary predictor: ``round(ln(OR) / B)`` (Sullivan et al. 2004).

    ``B = ln 2`` (default) gives one point per doubling of the odds.

    >>> sullivan_points(39.534), sullivan_points(1.037)
    (5, 0)
    """
    return int(round(math.log(odds_ratio) / log_odds_per_point))


def _flag(condition: pd.Series, known: pd.Series) -> pd.Series:
    """0/1 float where ``known``, NaN elsewhere."""
    return condition.astype(float).where(known.to_numpy(), np.nan)


def _labels(col: pd.Series) -> pd.Series:
    return col.astype(object).where(col.notna(), None)


class _PointsScore(ClassifierMixin, BaseEstimator):
    """Shared machinery: fixed points, 1-D logistic recalibration, availability."""

    name = ""
    citation = ""
    required_inputs: tuple[str, ...] = ()
    is_original_points = False
    published_cutoff: float | None = None

    def __init__(self, cutoff=None, missing="prevalence"):
        self.cutoff = cutoff
        self.missing = missing

    # ----------------------------------------------------------------- availability
    @property
    def stage(self) -> str:
        """Latest contract stage among the required inputs (when the score is computable)."""
        contract = load_contract()
        return max((contract[f].stage for f in self.required_inputs), key=contract.stage_index)

    def unavailable_reason(self, decision_point: str) -> str | None:
        """``None`` if computable at ``decision_point``, else why not (for skipping a baseline)."""
        contract = load_contract()
        cut = contract.stage_index(decision_point)
        late = [f"{f} ({contract[f].stage})" for f in self.required_inputs
                if contract.stage_index(contract[f].stage) > cut]
        return f"needs {', '.join(late)}, not available at {decision_point}" if late else None

    # ----------------------------------------------------------------- points
    def _check_columns(self, table: pd.DataFrame, required) -> None:
        if not isinstance(table, pd.DataFrame):
            raise TypeError(f"{type(self).__name__} takes the canonical cohort table (pandas DataFrame)")
        absent = [c for c in required if c not in table.columns]
        if absent:
            raise ContractError(f"column {absent[0]!r}: required by {self.name} but missing from the table")

    def points(self, table: pd.DataFrame) -> pd.Series:
        """Score points per row; NaN where a needed input is missing."""
        parts = self.components(table)
        return parts.sum(axis=1, min_count=parts.shape[1]).where(parts.notna().all(axis=1)).rename("points")

    def components(self, table: pd.DataFrame) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def classify(self, table: pd.DataFrame) -> pd.Series:
        """``points >= cutoff`` as nullable boolean (NA where points are missing)."""
        if self.cutoff is None:
            raise ConfigError(f"{self.name}: no cutoff on this points scale; pass cutoff=<points>")
        pts = self.points(table)
        return (pts >= self.cutoff).astype("boolean").mask(pts.isna())

    # ----------------------------------------------------------------- estimator
    def _scored_points(self, X) -> np.ndarray:
        if self.missing not in _MISSING_MODES:
            raise ConfigError(f"missing={self.missing!r}; expected one of {_MISSING_MODES}")
        pts = self.points(X).to_numpy(dtype=float)
        if self.missing == "raise" and np.isnan(pts).any():
            parts = self.components(X)
            col = parts.columns[parts.isna().any(axis=0)][0]
            raise ContractError(f"{self.name}: {int(np.isnan(pts).sum())} row(s) cannot be scored "
                                f"(first: row {int(np.flatnonzero(np.isnan(pts))[0])}, input {col!r} missing)")
        return pts

    def fit(self, X, y):
        """Fit the logistic map points -> probability on these rows (points stay fixed).

        Rows whose points are missing get, with ``missing="prevalence"``, the
        outcome rate of such rows in the training data (overall rate if none).
        """
        pts = self._scored_points(X)
        y = np.asarray(y, dtype=int)
        if len(y) != len(pts):
            raise ValueError(f"X has {len(pts)} rows, y has {len(y)}")
        self.classes_ = np.array([0, 1])
        scored = ~np.isnan(pts)
        self.n_unscored_ = int((~scored).sum())
        self.unscored_rate_ = float(y[~scored].mean()) if self.n_unscored_ else float(y.mean())
        ys = y[scored]
        if scored.sum() and len(np.unique(ys)) == 2:
            lr = LogisticRegression(C=np.inf).fit(pts[scored, None], ys)
            self.coef_, self.intercept_ = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        else:  # one class only: a constant probability is all the data supports
            rate = float(np.clip(ys.mean() if len(ys) else y.mean(), 1e-6, 1 - 1e-6))
            self.coef_, self.intercept_ = 0.0, float(np.log(rate / (1 - rate)))
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Recalibrated probability, shape (n, 2): column 1 is P(RAIR)."""
        check_is_fitted(self, "coef_")
        pts = self._scored_points(X)
        p1 = 1.0 / (1.0 + np.exp(-(self.coef_ * pts + self.intercept_)))
        p1 = np.where(np.isnan(pts), self.unscored_rate_, p1)
        return np.column_stack([1.0 - p1, p1])

    def predict(self, X) -> np.ndarray:
        """``points >= cutoff`` when a cutoff is set, else probability >= 0.5; unscored rows by probability."""
        proba = self.predict_proba(X)[:, 1] >= 0.5
        if self.cutoff is None:
            return proba.astype(int)
        pts = self.points(X).to_numpy(dtype=float)
        return np.where(np.isnan(pts), proba, pts >= self.cutoff).astype(int)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags


class LiRairScore(_PointsScore):
    """Unweighted count of the Li 2018 RAIR predictors (0-6); not the original index points.

    One point each for: smoking; follicular histology (``histology`` follicular
    or oncocytic: Li 2018 counts Hürthle-cell (oncocytic) carcinoma as follicular
    thyroid cancer, as ATA 2015 did); extrathyroidal extension (minimal
    or gross); >= 4 metastatic nodes; node-metastasis rate >= 0.53; pN1 (N1a or
    N1b). The original per-predictor points were not verifiably available, so
    the published cut-off (>= 7 on the original scale) does not apply.

    Missing rule: NaN points if any predictor is unknown (NX counts as
    unknown); the node rate is taken as 0 when ``ln_positive == 0``.
    ``ln_ratio`` (from :mod:`rairpredict.cohort.derive`) is used when present,
    else ``ln_positive / ln_examined``.

    Parameters
    ----------
    cutoff : float or None, default=None
        Points at or above which :meth:`classify` / :meth:`predict` say "high risk".
    missing : {"prevalence", "raise"}, default="prevalence"
        Unscorable rows get the training rate of unscorable rows, or raise.
    """

    name = "Li 2018 RAIR predictors, unweighted count (not the original points)"
    citation = ref.LI_2018_CITATION
    required_inputs = ("smoking", "histology", "ete", "ln_positive", "ln_ratio", "n_stage")
    is_original_points = False
    published_cutoff = ref.LI_2018_CUTOFF_POINTS

    def _ln_ratio(self, t: pd.DataFrame) -> pd.Series:
        if "ln_ratio" in t.columns:
            return t["ln_ratio"].astype("Float64").astype(float)
        self._check_columns(t, ["ln_examined"])
        pos = t["ln_positive"].astype("Float64").astype(float)
        exam = t["ln_examined"].astype("Float64").astype(float)
        return (pos / exam.where(exam > 0)).astype(float)

    def components(self, table: pd.DataFrame) -> pd.DataFrame:
        """One 0/1/NaN column per predictor."""
        self._check_columns(table, [c for c in self.required_inputs if c != "ln_ratio"])
        t = table
        smoking = t["smoking"].astype("boolean")
        histology, ete, n_stage = _labels(t["histology"]), _labels(t["ete"]), _labels(t["n_stage"])
        pos = t["ln_positive"].astype("Float64").astype(float)
        ratio = self._ln_ratio(t).mask(pos == 0, 0.0)
        return pd.DataFrame({
            "smoking": _flag(smoking.fillna(False), smoking.notna()),
            "follicular": _flag(histology.isin(ref.LI_2018_FOLLICULAR_HISTOLOGY), histology.notna()),
            "ete": _flag(ete.isin(["minimal", "gross"]), ete.notna()),
            "nodes_ge_4": _flag(pos >= ref.LI_2018_MIN_POSITIVE_NODES, pos.notna()),
            "ln_ratio_ge_53": _flag(ratio >= ref.LI_2018_MIN_LN_RATIO - _EPS, ratio.notna()),
            "pn1": _flag(n_stage.isin(N1_CATEGORIES), n_stage.isin(("N0", *N1_CATEGORIES))),
        }, index=t.index)


#: Liu 2022 points derived from the published ORs (one point per doubling of the
#: odds); age is per year and not rounded (0.052 points per year).
_LIU_POINTS = {k: (math.log2(v) if k == "age_per_year" else sullivan_points(v))
               for k, v in ref.LIU_2022_ODDS_RATIOS.items()}


class LiuRairScore(_PointsScore):
    """Liu 2022 RR-DTC score with points derived from the published ORs (Sullivan 2004).

    Points = ``round(log2(OR))``: recurrence between operation and 131I -> 3,
    FDG uptake on a PET/CT before the course (``fdg_pet_pre``) -> 5, metastasis
    site -> 2 (operationalised by rairpredict as *any distant metastasis*,
    ``distant_met_site != "none"``); age as published, OR 1.037 per year:
    ``log2(1.037)`` = 0.052 points per year above 18 (see
    :mod:`rairpredict.reference.published_scores`).  The published 10-point
    cut-off (AUC 0.898) is on the original scale and is not applied by default.

    All inputs are pre-therapy, so the score is a pre-therapy baseline
    (:meth:`unavailable_reason`). Missing rule: NaN points if any input is
    missing (missing FDG PET = not done).

    Parameters
    ----------
    cutoff : float or None, default=None
    missing : {"prevalence", "raise"}, default="prevalence"
    """

    name = "Liu 2022 RR-DTC score, points derived from published ORs (not the original points)"
    citation = f"{ref.LIU_2022_CITATION}; points: {ref.SULLIVAN_2004_CITATION}"
    required_inputs = ("age_years", "recurrence_before_rai", "fdg_pet_pre", "distant_met_site")
    is_original_points = False
    published_cutoff = ref.LIU_2022_CUTOFF_POINTS
    points_table = dict(_LIU_POINTS)

    def components(self, table: pd.DataFrame) -> pd.DataFrame:
        """Points per predictor (0 or the predictor's points; NaN if unknown)."""
        self._check_columns(table, self.required_inputs)
        t = table
        age = t["age_years"].astype("Float64").astype(float)
        rec = t["recurrence_before_rai"].astype("boolean")
        fdg, site = _labels(t["fdg_pet_pre"]), _labels(t["distant_met_site"])
        p = self.points_table
        return pd.DataFrame({
            "age_per_year": p["age_per_year"] * (age - ref.LIU_2022_AGE_REFERENCE_YEARS).clip(lower=0),
            "recurrence_before_rai": p["recurrence_before_rai"] * _flag(rec.fillna(False), rec.notna()),
            "fdg_uptake": p["fdg_uptake"] * _flag(fdg == "positive", fdg.notna()),
            "metastasis_site": p["metastasis_site"] * _flag(site.notna() & (site != "none"), site.notna()),
        }, index=t.index)


#: All published baselines, by short name.
PUBLISHED_SCORES = {"li2018": LiRairScore, "liu2022": LiuRairScore}
