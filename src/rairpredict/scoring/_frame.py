"""Score a canonical table in memory: calibrated risk, band, flags and exact reasons.

The hot path of batch scoring. For XGBoost one feature matrix is built per
call and, when reasons are asked for, :class:`~rairpredict.explain.PatternTreeShap`
gives every exact TreeSHAP contribution, bit-identical to XGBoost's
``pred_contribs`` and tens of times faster (one explainer per booster, cached,
so its per-tree pattern tables serve every chunk); the margin is their row
sum, so the model is not evaluated twice. ``explain=0`` skips contributions.

Scale of the reasons (``reason_i_log_odds``; ``reason_i_log_hazard`` for a
time-to-event model, whose contributions add up to its log relative hazard,
see :func:`contribution_column`): with sigmoid (Platt) calibration,
``p = expit(a * margin + b)``, contributions are multiplied by ``a`` and are
exactly additive on the calibrated log-odds. Isotonic calibration is a
monotone step function, not a linear map: contributions then stay on the
model margin (ranking and sign keep their meaning) and ``reason_i_prob_change``
is ``p - isotonic(margin - contribution)``.

Examples
--------
>>> from rairpredict.scoring import score_frame          # doctest: +SKIP
>>> score_frame(model, table, explain=3).columns[:6].tolist()  # doctest: +SKIP
['patient_id', 'probability', 'risk_band', 'target', 'model_name', 'model_version']
"""
from __future__ import annotations

import os
import weakref

import numpy as np
import pandas as pd

from rairpredict.cohort._columns import frame_from_arrays
from rairpredict.cohort.contract import load_contract
from rairpredict.explain import (BIAS, PatternTreeShap, linear_contributions, reason_arrays, stack_contributions,
                                 tree_contributions_array)
from rairpredict.explain._contrib import _aligned, _iteration_range  # as XGBClassifier.predict aligns and stops
from rairpredict.explain._reasons import _DIRECTIONS, _contract_units, _groups, _sum_by_group  # top_reasons' own
from rairpredict.models._plan import linear_margin, plan_of
from rairpredict.scoring._arrays import Columns
from rairpredict.scoring._design import Design, as_design, design, feature_source
from rairpredict.scoring.shift import check_inputs

__all__ = ["score_frame", "score_frame_checked", "field_contributions", "tree_explainer", "SCORE_COLUMNS", "REASON_FIELDS", "INPUT_PREFIX",
           "CONTRIBUTION_FIELDS", "contribution_column", "reason_fields",
           "MISSING_TEXT"]

#: Leading output columns, always present, in this order (shared with the report).
SCORE_COLUMNS = ["patient_id", "probability", "risk_band", "target", "model_name", "model_version",
                 "missing_inputs", "implausible_inputs", "input_warnings"]
#: Per-reason columns ``reason_{i}_{x}`` for x in this order (binary models; see :func:`reason_fields`).
REASON_FIELDS = ["feature", "value", "unit", "log_odds", "direction", "prob_change"]
#: The contribution column's name by the scale it is on: a survival model's reasons are log-hazard contributions.
CONTRIBUTION_FIELDS = {"binary": "log_odds", "time_to_event": "log_hazard"}
INPUT_PREFIX = "input__"
#: Text shown as ``reason_i_value`` when the patient's value is missing.
MISSING_TEXT = "missing"



# One PatternTreeShap per fitted booster: its per-tree pattern tables fill up on the
# first chunks and are reused by every later chunk and call. Keyed weakly by the
# Booster object (refitting an XGBClassifier makes a new Booster, so a stale entry
# is never hit) and never stored on the model, so nothing of it is persisted.
_EXPLAINERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_NO_EXPLAINER = object()


def contribution_column(model) -> str:
    """``"log_odds"`` (binary) or ``"log_hazard"`` (time-to-event): the x of ``reason_i_x`` holding contributions.

    >>> from types import SimpleNamespace
    >>> contribution_column(SimpleNamespace(outcome_type="time_to_event")), contribution_column(object())
    ('log_hazard', 'log_odds')
    """
    return CONTRIBUTION_FIELDS.get(getattr(model, "outcome_type", "binary"), "log_odds")


def reason_fields(model) -> list[str]:
    """The ``reason_{i}_{x}`` suffixes ``model``'s scores carry, in order."""
    return [contribution_column(model) if f == "log_odds" else f for f in REASON_FIELDS]


def tree_explainer(model):
    """The cached :class:`~rairpredict.explain.PatternTreeShap` of an XGBoost RiskModel.

    ``None`` when the model has no booster or its trees are outside what the
    pattern algorithm handles (categorical splits, dart, multi-output): then
    XGBoost's own ``pred_contribs`` is used, with the same numbers.
    """
    clf = model.classifier
    if not hasattr(clf, "get_booster"):
        return None
    booster = clf.get_booster()
    explainer = _EXPLAINERS.get(booster)
    if explainer is None:
        try:
            explainer = PatternTreeShap(booster)
        except ValueError:
            explainer = _NO_EXPLAINER
        _EXPLAINERS[booster] = explainer
    return None if explainer is _NO_EXPLAINER else explainer


#: Below this many rows XGBoost's own single-thread ``predict`` / ``pred_contribs`` is faster than
#: the pattern tables and thread pools (measured on 2 cores, the demo model: one row 0.16 ms
#: against 3 ms; crossover between 128 and 512 rows). The numbers are the same either way
#: (PatternTreeShap is bit-identical to ``pred_contribs``; tests/scoring/test_small_batch.py).
SMALL_BATCH = 256
_SMALL_BOOSTERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _small_booster(clf):
    """A single-thread copy of ``clf``'s booster, cached: OpenMP threads cost more than one row's work.

    A copy, so the model's own booster keeps its thread setting for large batches.
    """
    booster = clf.get_booster()
    small = _SMALL_BOOSTERS.get(booster)
    if small is None:
        small = _SMALL_BOOSTERS[booster] = booster.copy()
        small.set_param({"nthread": 1})
    return small


def _linear_plan(model):
    """The model's lean plan when it holds the classifier (a logistic model), else None."""
    plan = plan_of(model)
    return plan if plan is not None and plan.linear else None


def _linear_route(model) -> bool:
    """Contributions by ``linear_contributions`` (a logistic or Cox model), not trees or a stack."""
    if _linear_plan(model) is not None:
        return True
    clf = model.classifier
    return hasattr(clf, "coef_") and not hasattr(clf, "get_booster") and not hasattr(clf, "weights_")


def _engineered_contributions(model, X: pd.DataFrame | Design) -> np.ndarray:
    """Exact contributions (n, p + 1) on the model margin; last column is the bias.

    XGBoost: bit-identical to ``pred_contribs`` (float32), by split-pattern lookup.
    """
    X = as_design(X)
    plan = _linear_plan(model)
    if plan is not None:  # the same products as linear_contributions below, on the plan's numbers
        return plan.contributions(X.values)
    clf = model.classifier
    if hasattr(clf, "get_booster") and len(X) < SMALL_BATCH:
        return tree_contributions_array(_small_booster(clf), X.float32(), nthread=1)
    if hasattr(clf, "get_booster"):
        explainer = tree_explainer(model)
        if explainer is None:
            return tree_contributions_array(clf, X.float32())
        return explainer.contributions(X.float32(), nthread=_n_threads())
    if hasattr(clf, "weights_"):  # a stack: its bases' exact contributions, weighted (explain._stack)
        return stack_contributions(clf, X.frame())
    if hasattr(clf, "coef_"):
        # The linear pipeline ends with Standardizer: the training mean of every
        # column is 0 there, so phi_j = coef_j * x_j and the bias is the intercept.
        return linear_contributions(clf, X.frame(), np.zeros(X.shape[1])).to_numpy(np.float64)
    raise TypeError(f"no exact explanation for classifier {type(clf).__name__}")


#: Explainer threads; None: every core. Worker processes of score_file(jobs=N) set cores // N.
_THREADS: int | None = None


def _n_threads() -> int:
    if _THREADS is not None:
        return _THREADS
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _margin_only(model, X: pd.DataFrame | Design) -> np.ndarray:
    X = as_design(X)
    if len(X) == 0:
        return np.zeros(0)
    plan = _linear_plan(model)
    if plan is not None:  # LogisticRegression.decision_function's product, on the plan's numbers
        return np.asarray(plan.decision(X.values), dtype=np.float64)
    clf = model.classifier
    if hasattr(clf, "get_booster") and len(X) < SMALL_BATCH:
        booster = _small_booster(clf)
        names = booster.feature_names
        matrix = X.float32() if names is None or list(names) == X.columns else \
            _aligned(booster, X.frame()).to_numpy(np.float32, na_value=np.nan)
        return np.asarray(booster.inplace_predict(matrix, predict_type="margin",
                                                  iteration_range=_iteration_range(booster),
                                                  validate_features=False), dtype=np.float64)
    if hasattr(clf, "get_booster"):
        return np.asarray(clf.predict(X.frame(), output_margin=True), dtype=np.float64)
    return np.asarray(clf.decision_function(X.frame()), dtype=np.float64)


def _calibrated_scale(model) -> tuple[float, float] | None:
    """(a, b) of the calibrated logit ``a * margin + b``; None for isotonic."""
    cal = model.calibration
    if cal.method == "isotonic":
        return None
    return float(cal.a), float(cal.b)


def _contrib_frame(model, X: pd.DataFrame | Design) -> tuple[pd.DataFrame, np.ndarray]:
    """Contributions per canonical field (plus ``bias``) on the reported scale, and the model margin."""
    X = as_design(X)
    names, summed, bias, margin = _field_contributions(model, X)
    return pd.DataFrame(np.column_stack([summed, bias]), columns=[*names, BIAS], index=X.index), margin


def _field_contributions(model, X: pd.DataFrame | Design) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """(field names, contributions (n, fields), bias (n,)) on the reported scale, and the model margin.

    One-hot columns of a field are summed (exactly additive) before scaling,
    so the result is as narrow as the list of fields.
    """
    X = as_design(X)
    # reshape: XGBoost returns a 1-D array for zero rows
    values = np.asarray(_engineered_contributions(model, X)).reshape(len(X), X.shape[1] + 1)
    # linear routes: column by column, as their (column-major) matrices of many rows always added
    margin = linear_margin(values) if _linear_route(model) else values.sum(axis=1, dtype=np.float64)
    # As group_contributions + scale_contributions on DataFrames (the same helpers, so
    # the same bits: the grouping product gets the column-major float64 matrix it got
    # from pandas), without the DataFrame copies and block consolidations per chunk.
    names, group = _groups(X.columns, feature_source(model))
    summed = _sum_by_group(np.asfortranarray(values[:, :-1], dtype=np.float64), group, len(names))
    bias = values[:, -1].astype(np.float64)
    scale = _calibrated_scale(model)
    if scale is not None:
        summed, bias = summed * float(scale[0]), bias * float(scale[0]) + float(scale[1])
    return names, summed, bias, margin


def field_contributions(model, table: pd.DataFrame) -> pd.DataFrame:
    """Exact contributions per canonical field (one-hot columns summed) plus ``bias``.

    On the calibrated log-odds for sigmoid calibration (rows sum to
    ``a * margin + b``), on the model margin for isotonic (rows sum to the margin).

    Examples
    --------
    >>> c = field_contributions(model, table)              # doctest: +SKIP
    >>> np.allclose(c.sum(axis=1), a * model.margin(table) + b)  # doctest: +SKIP
    True
    """
    contrib, _ = _contrib_frame(model, design(model, table))
    return contrib.set_axis(table.index)


#: Up to this many rows a field's values are formatted cell by cell (factorising costs more).
_FEW_VALUES = 8


def _value_text(column, rows: np.ndarray) -> np.ndarray:
    """The patient's value as text, in contract units, for ``rows`` of one field's column (Series or array).

    One field at a time, so the values share a dtype (factorising a mix would
    merge ``True``, ``1`` and ``1.0``); each distinct value is formatted once.
    A few rows are formatted cell by cell: the same texts (a missing cell is
    :data:`MISSING_TEXT` either way).
    """
    if len(rows) <= _FEW_VALUES:
        values = column.array if isinstance(column, pd.Series) else column
        return np.array([MISSING_TEXT if _missing(v) else _text(v) for v in (values[int(r)] for r in rows)],
                        dtype=object)
    if not isinstance(column, pd.Series):
        column = pd.Series(column, copy=False)
    codes, uniques = pd.factorize(column.iloc[rows], use_na_sentinel=True)
    texts = np.array([_text(v) for v in uniques] + [MISSING_TEXT], dtype=object)
    return texts[codes]  # code -1 (missing) picks the last entry


def _missing(v) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, (float, np.floating)) and np.isnan(v))


def _text(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (float, np.floating)):
        if np.isnan(v):
            return MISSING_TEXT
        # 6 significant digits, never scientific notation (1000000, not 1e+06)
        return np.format_float_positional(float(v), precision=6, unique=True, fractional=False, trim="-")
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return str(v)


def _flag_text(mask: np.ndarray, names: list[str]) -> np.ndarray:
    """';'-joined names of the True columns of each row (computed per distinct pattern)."""
    n = mask.shape[0]
    if n == 0 or not names:
        return np.full(n, "", dtype=object)
    if n <= _FEW_VALUES:  # a few rows: joined one by one (the same texts, without the packing)
        return np.array([";".join(nm for nm, on in zip(names, row.tolist()) if on) for row in mask], dtype=object)
    # Rows packed into bytes: a 1-D unique on packed codes is ~50x faster than np.unique(axis=0).
    packed = np.packbits(mask, axis=1)
    width = -(-packed.shape[1] // 8) * 8
    packed = np.pad(packed, ((0, 0), (0, width - packed.shape[1])))
    codes = packed.view(np.uint64)
    codes = codes.ravel() if codes.shape[1] == 1 else codes.view(np.dtype((np.void, width))).ravel()
    uniq, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    texts = np.array([";".join(nm for nm, on in zip(names, mask[i]) if on) for i in first], dtype=object)
    return texts[np.ravel(inverse)]


def _ids(table: pd.DataFrame, cols: Columns) -> np.ndarray:
    """``patient_id`` as text (None where missing), or None for every row without the column."""
    if "patient_id" not in cols:
        return np.full(len(table), None, dtype=object)
    arr = cols["patient_id"]
    if type(arr) is pd.arrays.StringArray:  # validated ids: already text (astype("string") would copy them)
        return arr.to_numpy(dtype=object, na_value=None)
    return table["patient_id"].astype("string").to_numpy(dtype=object, na_value=None)


def _input_flags(model, table: pd.DataFrame, cols: Columns | None = None) -> tuple[np.ndarray, np.ndarray]:
    cols = Columns(table) if cols is None else cols
    contract = load_contract()
    features = [f for f in model.features if f in cols]
    absent = [f for f in model.features if f not in cols]
    missing = np.column_stack([cols.isna(f) for f in features] +
                              [np.ones(len(table), bool)] * len(absent)) if model.features else \
        np.zeros((len(table), 0), bool)
    odd_names, odd_cols = [], []
    for f in features:
        spec = contract[f] if f in contract else None
        if spec is None or spec.plausible is None:
            continue
        lo, hi = spec.plausible
        v = cols.numbers(f)
        with np.errstate(invalid="ignore"):
            odd_cols.append((v < lo) | (v > hi))
        odd_names.append(f)
    odd = np.column_stack(odd_cols) if odd_cols else np.zeros((len(table), 0), bool)
    return _flag_text(missing, features + absent), _flag_text(odd, odd_names)


def _reasons(model, table: pd.DataFrame, fields: list[str], phi: np.ndarray, bias: np.ndarray,
             margin: np.ndarray, k: int, cols: Columns | None = None) -> dict:
    """``reason_{i}_*`` columns: :func:`~rairpredict.explain.top_reasons`' arithmetic, on arrays."""
    # row-major, as DataFrame.to_numpy hands a frame's columns to top_reasons: the row sums then add
    # in the same order (a column-major copy can differ in the last bit)
    order, chosen, delta, sign = reason_arrays(np.ascontiguousarray(phi), bias, k)
    names = np.asarray(fields, dtype=object)
    # a cohort config's extra columns carry their own units (the contract's units otherwise)
    own = {f["name"]: f["unit"] for f in ((getattr(model, "metadata", None) or {}).get("extra_fields") or [])
           if isinstance(f, dict) and f.get("unit")}
    units = np.array([own.get(f) or _units().get(f) or "" for f in fields], dtype=object)
    directions = np.array(_DIRECTIONS, dtype=object)
    isotonic = _calibrated_scale(model) is None
    out = {}
    for i in range(1, order.shape[1] + 1):
        which = order[:, i - 1]
        value = np.full(len(which), MISSING_TEXT, dtype=object)
        for g in np.unique(which):
            if fields[g] in table.columns:
                rows = np.flatnonzero(which == g)
                value[rows] = _value_text(table[fields[g]] if cols is None else cols[fields[g]], rows)
        out.update({f"reason_{i}_feature": names[which], f"reason_{i}_value": value,
                    f"reason_{i}_unit": units[which], f"reason_{i}_log_odds": chosen[:, i - 1],
                    f"reason_{i}_direction": directions[sign[:, i - 1]],
                    f"reason_{i}_prob_change": delta[:, i - 1]})
        if isotonic:
            # isotonic: probability change through the calibration's own map
            change = out[f"reason_{i}_log_odds"]
            out[f"reason_{i}_prob_change"] = model.calibration(margin) - model.calibration(margin - change)
        elif hasattr(model.calibration, "risk_change"):
            # time-to-event: contributions are on the log-hazard (and named so); the change is in the band-horizon risk
            contribution = out.pop(f"reason_{i}_log_odds")
            out[f"reason_{i}_log_hazard"] = contribution
            out[f"reason_{i}_prob_change"] = model.calibration.risk_change(margin, contribution)
            out[f"reason_{i}_direction"] = _horizon_words(out[f"reason_{i}_direction"], model.band_horizon)
            for dst in ("direction", "prob_change"):  # keep the documented column order
                out[f"reason_{i}_{dst}"] = out.pop(f"reason_{i}_{dst}")
    return out


_UNITS: dict = {}


def _units() -> dict:
    """Contract units, read once (what top_reasons shows by default)."""
    if not _UNITS:
        _UNITS.update(_contract_units())
    return _UNITS


def _horizon_words(direction: np.ndarray, horizon: float) -> np.ndarray:
    """"raises risk" -> "raises the 3-year risk" (a survival model's risk is by a horizon)."""
    return np.array([d.replace(" risk", f" the {horizon:g}-year risk") if isinstance(d, str) else d
                     for d in direction], dtype=object)


def score_frame(model, table: pd.DataFrame, *, explain: int = 0, with_inputs: bool = False,
                strict_inputs: bool = False) -> pd.DataFrame:
    """Score a canonical table.

    Parameters
    ----------
    model : rairpredict.models.risk_model.RiskModel
    table : DataFrame
        Canonical table (contract columns and dtypes), e.g. the accepted rows
        of :func:`rairpredict.cohort.validate_canonical` with derived fields.
    explain : int
        Number of reasons per patient (0: no contributions are computed).
    with_inputs : bool
        Also return every canonical model input as ``input__<field>``.
    strict_inputs : bool
        Refuse (:class:`~rairpredict.scoring.shift.InputShiftError`) when a
        model input is absent or entirely missing, instead of warning.

    Returns
    -------
    DataFrame
        :data:`SCORE_COLUMNS`, then ``reason_{i}_{feature,value,unit,log_odds,
        direction,prob_change}`` for i = 1..min(explain, number of fields)
        (``log_hazard`` instead of ``log_odds`` for a time-to-event model, whose
        ``risk_<h>y`` columns follow ``probability``),
        then the inputs. ``probability`` equals ``model.predict_risk``.
        Missing inputs are scored (trees route NaN; the linear pipeline
        imputes) and listed in ``missing_inputs``; values outside the
        contract's ``plausible`` range are listed in ``implausible_inputs``;
        ``input_warnings`` compares each row with the model's training profile
        (:mod:`rairpredict.scoring.shift`; :func:`score_frame_checked` also
        returns the batch counts).
    """
    return score_frame_checked(model, table, explain=explain, with_inputs=with_inputs,
                               strict_inputs=strict_inputs)[0]


def score_frame_checked(model, table: pd.DataFrame, *, explain: int = 0, with_inputs: bool = False,
                        strict_inputs: bool = False):
    """:func:`score_frame` and the batch's :class:`~rairpredict.scoring.shift.ShiftCounts`."""
    explain = int(explain)
    if explain < 0:
        raise ValueError(f"explain must be >= 0, got {explain}")
    if not isinstance(table.index, pd.RangeIndex) or table.index.start != 0 or table.index.step != 1:
        table = table.reset_index(drop=True)  # (a copy that also consolidates: only when needed)
    # before any work: a strict refusal must not cost a scoring pass
    cols = Columns(table)  # every column read once as an array, for the per-row checks below
    shift_text, shift_counts = check_inputs(model, table, strict=strict_inputs, columns=cols)
    X = design(model, table, cols.arrays)
    if explain:
        fields, phi, bias, margin = _field_contributions(model, X)
    else:
        margin = _margin_only(model, X)
    proba = np.asarray(model.calibration(margin), dtype=np.float64)
    missing, odd = _input_flags(model, table, cols)
    meta = getattr(model, "metadata", {}) or {}
    n = len(table)
    ids = _ids(table, cols)
    out = {
        "patient_id": ids,
        "probability": proba,
        "risk_band": np.asarray(model.risk_band(proba), dtype=object) if n else np.array([], dtype=object),
        "target": np.full(n, str(model.target or ""), dtype=object),
        "model_name": np.full(n, str(meta.get("name") or model.target or ""), dtype=object),
        "model_version": np.full(n, "" if meta.get("version") is None else str(meta["version"]), dtype=object),
        "missing_inputs": missing,
        "implausible_inputs": odd,
        "input_warnings": shift_text,
    }
    if hasattr(model, "risk_from_log_hazard"):  # time-to-event: the risk by every horizon after probability
        risks = model.risk_from_log_hazard(model.calibration.a * margin)
        out = {**{k: out[k] for k in ("patient_id", "probability")}, **{c: risks[c].to_numpy() for c in risks},
               **{k: v for k, v in out.items() if k not in ("patient_id", "probability")}}
    if explain:
        out.update(_reasons(model, table, fields, phi, bias, margin, explain, cols))
    # one block per column, the arrays not copied: the frame pd.DataFrame(out) makes, without its checks
    frame = frame_from_arrays(list(out), list(out.values()), pd.RangeIndex(n))
    if with_inputs:
        inputs = pd.DataFrame({f"{INPUT_PREFIX}{f}": table[f] for f in model.features if f in table.columns})
        frame = pd.concat([frame, inputs], axis=1)
    return frame, shift_counts
