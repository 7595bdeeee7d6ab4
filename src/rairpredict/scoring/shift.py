"""Input-shift safety: compare the rows being scored with the model's training data.

One module, called by every scoring path (:func:`~rairpredict.scoring.score_frame`,
hence ``rairpredict score``, the MLflow pyfunc served over REST and the Spark
UDF). At training, :func:`input_profile` summarises each model input (missing
rate, range and decile bins, category set and frequencies, importance) and the
population definition; the profile is stored with the model. At scoring,
:func:`check_inputs` gives every row an ``input_warnings`` text and returns
mergeable batch counts; :func:`shift_summary` turns them into the batch
summary (counts of each warning, inputs absent, PSI and missing-rate change
per input) that is printed and written beside the output.

Per-row reasons (``;``-separated, empty when nothing is unusual):

* ``missing beyond training: a, b`` -- inputs missing in this row that were
  missing in fewer than :data:`RARELY_MISSING` of training rows (absent
  columns count as missing);
* ``out of training range: a`` -- a number outside the training minimum-maximum;
* ``unseen category: a`` -- a category never seen in training;
* ``outside training population: a`` -- a value the population rules of
  the target config exclude.

An input absent from the batch, or entirely missing in it, is a loud warning
naming the input and its importance; ``strict=True`` refuses to score instead
(:class:`InputShiftError`). "Entirely missing" counts only when the training
pattern does not explain it: with training missing rate ``r``, ``n`` rows all
missing by chance has probability ``r ** n``; below :data:`EMPTY_BY_CHANCE` it
is a warning (so a 3-row request without BRAF, untested in 64 % of training
rows, is not; a file without it is).

PSI (population stability index) = sum over bins of ``(a - e) ln(a / e)``
with ``a``, ``e`` the batch and training shares (bins: training deciles for
numbers, categories for the rest; empty shares floored at 1e-4). A common
reading is < 0.1 stable, 0.1-0.25 moderate, > 0.25 major shift
(Yurdakul, "Statistical properties of population stability index", 2018).

Examples
--------
>>> from rairpredict.simulation.simulate import simulate_cohort
>>> from rairpredict.models.risk_model import fit_risk_model
>>> train = simulate_cohort(400, seed=0)
>>> y = (train["tg_stim_ng_ml"] > 20).astype(int)
>>> model = fit_risk_model(train, y, features=["age_years", "tg_stim_ng_ml", "histology"],
...                        decision_point="pre_therapy", kind="logistic", seed=0)
>>> model.metadata["input_profile"] = input_profile(model, train)
>>> new = train.head(3).assign(tg_stim_ng_ml=[1e5, None, 5.0])
>>> check_inputs(model, new)[0].tolist()
['out of training range: tg_stim_ng_ml', 'missing beyond training: tg_stim_ng_ml', '']
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rairpredict.errors import RairpredictError
from rairpredict.cohort._columns import as_floats

__all__ = ["input_profile", "model_profile", "check_inputs", "ShiftCounts", "shift_summary", "inputs_absent",
           "format_summary", "write_summary", "summary_path", "InputShiftError", "RARELY_MISSING", "EMPTY_BY_CHANCE",
           "PSI_MAJOR", "PROFILE_KEY"]

#: An input missing in fewer than this share of training rows is "rarely missing":
#: a row missing it is missing more than the training pattern. rairpredict choice.
RARELY_MISSING = 0.01
#: An input entirely missing in a batch is warned about when the training missing
#: rate r makes that unlikely: r ** n < this. rairpredict choice.
EMPTY_BY_CHANCE = 0.01
#: PSI above this is a major shift (Yurdakul 2018's usual reading).
PSI_MAJOR = 0.25
#: Key of the profile among the model's stored documents.
PROFILE_KEY = "input_profile"
_PSI_FLOOR = 1e-4
_N_BINS = 10


class InputShiftError(RairpredictError):
    """Scoring refused (``strict``): model inputs are absent or entirely missing."""


# ----------------------------------------------------------------- profile at training
def _kind(col: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(col.dtype) or isinstance(col.dtype, pd.CategoricalDtype) \
            or pd.api.types.is_object_dtype(col.dtype) or pd.api.types.is_string_dtype(col.dtype):
        return "category"
    return "numeric"


def _numbers(col: pd.Series) -> np.ndarray:
    return pd.to_numeric(col, errors="coerce").to_numpy(np.float64, na_value=np.nan)


def _labels(col: pd.Series) -> np.ndarray:
    """Category values as text ('true'/'false' for booleans); None for missing."""
    values = col.astype(object)
    if pd.api.types.is_bool_dtype(col.dtype):
        values = values.map(lambda v: v if v is None or v is pd.NA else ("true" if v else "false"))
    return values.where(col.notna(), None).map(lambda v: v if v is None else str(v)).to_numpy(object)


#: (categories object, training categories) -> lookup of each category's training index, built once
#: per field: a validated table's categorical dtypes are the same objects batch after batch.
_LOOKUPS: dict = {}


def _categorical_lookup(categories, cats: tuple) -> np.ndarray:
    key = (id(categories), cats)
    hit = _LOOKUPS.get(key)
    if hit is None or hit[0] is not categories:
        index = {c: i for i, c in enumerate(cats)}
        if len(_LOOKUPS) > 4096:
            _LOOKUPS.clear()
        hit = _LOOKUPS[key] = (categories, np.array([index.get(str(c), -1) for c in categories] + [-2],
                                                    dtype=np.int64))
    return hit[1]


def _category_codes(col, cats) -> np.ndarray:
    """Index of each value in ``cats`` (-1: unseen, -2: missing), vectorised.

    ``col``: a Series or a column array. Each distinct value is turned into text
    once (categories, booleans), not each row: the per-row text map cost half
    the time of explained scoring.
    """
    if isinstance(col, pd.Series) and isinstance(col.array, (pd.Categorical, pd.arrays.BooleanArray)):
        col = col.array
    if isinstance(col, pd.Categorical):
        return _categorical_lookup(col.categories, tuple(cats))[col.codes]  # code -1 (missing): the last entry
    index = {c: i for i, c in enumerate(cats)}
    if isinstance(col, pd.arrays.BooleanArray):
        v = as_floats(col)
    elif type(col) is np.ndarray and col.dtype.kind == "b":
        v = col.astype(np.float64)
    elif isinstance(col, pd.Series) and pd.api.types.is_bool_dtype(col.dtype):
        v = col.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        v = None
    if v is not None:
        out = np.where(v == 1, index.get("true", -1), index.get("false", -1)).astype(np.int64)
        out[np.isnan(v)] = -2
        return out
    if not isinstance(col, pd.Series):
        col = pd.Series(col, copy=False)
    codes, uniques = pd.factorize(pd.Series(_labels(col)), use_na_sentinel=True)
    lookup = np.array([index.get(str(u), -1) for u in uniques] + [-2], dtype=np.int64)
    return lookup[codes]


def _profile_one(col: pd.Series, importance) -> dict:
    n = len(col)
    kind = _kind(col)
    out = {"kind": kind, "missing_rate": float(col.isna().mean()) if n else 0.0,
           "importance": None if importance is None else float(importance)}
    if kind == "numeric":
        v = _numbers(col)
        v = v[np.isfinite(v)]
        if v.size == 0:
            out.update({"min": None, "max": None, "bin_edges": [], "bin_freq": []})
            return out
        edges = np.unique(np.quantile(v, np.arange(1, _N_BINS) / _N_BINS))
        counts = np.bincount(np.searchsorted(edges, v, side="right"), minlength=len(edges) + 1)
        out.update({"min": float(v.min()), "max": float(v.max()), "bin_edges": edges.tolist(),
                    "bin_freq": (counts / v.size).tolist()})
    else:
        labels = pd.Series(_labels(col)).dropna()
        freq = labels.value_counts(normalize=True).sort_index()
        out.update({"categories": freq.index.tolist(), "freq": [float(f) for f in freq]})
    return out


def input_profile(model, table: pd.DataFrame, *, population: dict | None = None, importance=None,
                  cohort: str | None = None) -> dict:
    """Profile of the model inputs in its training ``table`` (aggregates only, JSON-able).

    Parameters
    ----------
    model : RiskModel (fitted)
    table : DataFrame
        The canonical rows the model was trained on.
    population : dict, optional
        The target config's population rules (``{column: value | {min, max, in}}``);
        rows breaking them are "outside training population" at scoring.
    importance : mapping field -> float, optional
        Default: mean absolute contribution on the calibrated log-odds
        (:func:`rairpredict.scoring.field_contributions`) over ``table``.
    cohort : str, optional
        Name of the training cohort (for the summary's wording).
    """
    if importance is None:
        from rairpredict.scoring._frame import field_contributions

        contrib = field_contributions(model, table)
        importance = contrib.drop(columns=[c for c in contrib.columns if c not in model.features]).abs().mean()
    importance = dict(importance)
    inputs = {f: _profile_one(table[f] if f in table.columns else pd.Series([np.nan] * len(table)),
                              importance.get(f)) for f in model.features}
    return {"version": 1, "n_rows": int(len(table)), "cohort": cohort,
            "population": {"decision_point": getattr(model, "decision_point", None),
                           "rules": json.loads(json.dumps(population or {}, default=str))},
            "inputs": inputs}


def model_profile(model) -> dict | None:
    """The profile stored with ``model`` (its named documents, else its metadata), or None."""
    extras = getattr(model, "extras", None)
    if isinstance(extras, dict) and extras.get(PROFILE_KEY):
        return extras[PROFILE_KEY]
    meta = getattr(model, "metadata", None) or {}
    return meta.get(PROFILE_KEY)


# ----------------------------------------------------------------- checks at scoring
@dataclass
class ShiftCounts:
    """Mergeable per-batch counts (aggregates only); ``+`` adds two chunks."""

    n_rows: int = 0
    rows_flagged: int = 0
    reasons: dict = field(default_factory=dict)     # kind -> rows with that kind
    missing: dict = field(default_factory=dict)     # input -> rows missing it
    absent: set = field(default_factory=set)        # inputs absent from the columns
    bins: dict = field(default_factory=dict)        # input -> counts per training bin (+ unseen)
    flagged: dict = field(default_factory=dict)     # (kind, input) -> rows

    def __add__(self, other: "ShiftCounts") -> "ShiftCounts":
        def add(a, b):
            return {k: (np.asarray(a.get(k, 0)) + np.asarray(b.get(k, 0))).tolist()
                    if isinstance(a.get(k, b.get(k)), list) else a.get(k, 0) + b.get(k, 0)
                    for k in {**a, **b}}
        return ShiftCounts(self.n_rows + other.n_rows, self.rows_flagged + other.rows_flagged,
                           add(self.reasons, other.reasons), add(self.missing, other.missing),
                           self.absent | other.absent, add(self.bins, other.bins), add(self.flagged, other.flagged))


_KINDS = {"missing": "missing beyond training", "range": "out of training range",
          "category": "unseen category", "population": "outside training population"}


def _population_breaks(table: pd.DataFrame, rules: dict) -> dict[str, np.ndarray]:
    """Per rule column: rows whose (present) value the population rules exclude.

    The rules mean what they meant at training (:mod:`rairpredict.cohort.population`).
    """
    from rairpredict.cohort.population import parse_population
    from rairpredict.errors import ConfigError

    try:
        parsed = parse_population(rules or {})
    except ConfigError:  # a profile written by an older version: nothing to check against
        return {}
    out: dict[str, np.ndarray] = {}
    for rule in parsed:
        if rule.column not in table.columns:
            continue
        values = table[rule.column]
        present = values.notna().to_numpy(bool)
        if rule.op in ("min", "max", "between", "missing", "not_missing"):  # vectorised already
            bad = present & ~rule.keeps(values)
        else:  # value rules compare text keys: decided once per distinct value, not per row
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            keeps = np.append(rule.keeps(pd.Series(uniques, dtype=object)), True)  # code -1: missing
            bad = present & ~keeps[codes]
        out[rule.column] = out.get(rule.column, np.zeros(len(table), bool)) | bad
    return out


def _row_text(masks: list[tuple[str, str, np.ndarray]], n: int) -> np.ndarray:
    """Reason text per row, formatted once per distinct pattern of flags.

    A row's pattern is coded as bits of 64-bit words (flag j is bit j % 64 of
    word j // 64), built one flag column at a time: no rows x flags matrix.
    """
    out = np.full(n, "", dtype=object)
    if n == 0 or not masks:
        return out
    any_flag = np.logical_or.reduce([m for _, _, m in masks])
    rows = np.flatnonzero(any_flag)
    if rows.size == 0:
        return out
    words = np.zeros((rows.size, -(-len(masks) // 64)), np.uint64)
    for j, (_, _, m) in enumerate(masks):
        words[:, j // 64] |= m[rows].astype(np.uint64) << np.uint64(j % 64)
    codes = words[:, 0] if words.shape[1] == 1 else \
        np.ascontiguousarray(words).view(np.dtype((np.void, 8 * words.shape[1]))).ravel()
    uniq, inverse = np.unique(codes, return_inverse=True)
    texts = []
    for code in uniq:
        bits = np.frombuffer(np.asarray(code).tobytes(), np.uint64)
        parts: dict[str, list[str]] = {}
        for j, (kind, name, _) in enumerate(masks):
            if (int(bits[j // 64]) >> (j % 64)) & 1:
                parts.setdefault(kind, []).append(name)
        texts.append("; ".join(f"{_KINDS[k]}: {', '.join(v)}" for k, v in parts.items()))
    out[rows] = np.asarray(texts, dtype=object)[np.ravel(inverse)]
    return out


#: id(profile inputs) -> (them, model features, per-input checks): a profile's numbers converted once.
_COMPILED: dict = {}


def _compiled(features, spec: dict) -> list:
    """Per model input: (name, profile entry, rarely missing?, "numeric"/"category"/None, bin edges, categories)."""
    key = (id(spec), tuple(features))
    hit = _COMPILED.get(key)
    if hit is not None and hit[0] is spec:
        return hit[1]
    out = []
    for f in features:
        p = spec.get(f, {})
        check = edges = cats = None
        if p and p["kind"] == "numeric" and p.get("min") is not None:
            check, edges = "numeric", np.asarray(p["bin_edges"], float)
        elif p and p["kind"] == "category":
            check, cats = "category", tuple(p.get("categories", []))
        out.append((f, p, bool(p) and p.get("missing_rate", 1.0) < RARELY_MISSING, check, edges, cats))
    if len(_COMPILED) > 256:
        _COMPILED.clear()
    _COMPILED[key] = (spec, out)
    return out


#: Below this many values one binary search per value beats one comparison pass per edge.
_FEW_BINNED = 64


def _bin_counts(v: np.ndarray, edges: np.ndarray) -> list[int]:
    """Counts of ``v`` per training bin (``searchsorted(edges, v, side="right")``), NaN in the last.

    By one comparison pass per edge (tens of edges), not a binary search per row;
    a few values by the binary search itself (the same counts).
    """
    if v.size < _FEW_BINNED:  # searchsorted puts NaN after every edge, in the last bin, as below
        return np.bincount(np.searchsorted(edges, v, side="right"), minlength=len(edges) + 1).tolist()
    nan = int(np.count_nonzero(np.isnan(v)))
    # rows at or above each edge (NaN never), framed by all non-NaN rows and none
    bounds = np.array([v.size - nan, *(np.count_nonzero(v >= e) for e in edges), 0], dtype=np.int64)
    counts = bounds[:-1] - bounds[1:]
    counts[-1] += nan  # searchsorted puts NaN after every edge
    return counts.tolist()


def check_inputs(model, table: pd.DataFrame, *, strict: bool = False, columns=None) -> tuple[np.ndarray, ShiftCounts]:
    """Per-row ``input_warnings`` text and the batch's :class:`ShiftCounts`.

    Without a stored profile only absent / entirely-missing inputs are checked.
    ``strict=True`` raises :class:`InputShiftError` when an input is absent or
    entirely missing. ``columns``: the table's :class:`~rairpredict.scoring._arrays.Columns`
    when the caller has them already.
    """
    from rairpredict.scoring._arrays import Columns

    cols = Columns(table) if columns is None else columns
    profile = model_profile(model) or {}
    spec = profile.get("inputs", {})
    n = len(table)
    counts = ShiftCounts(n_rows=n)
    masks: list[tuple[str, str, np.ndarray]] = []
    with np.errstate(invalid="ignore"):  # NaN compares False: missing is never out of range
        for f, p, rarely_missing, check, edges, cats in _compiled(model.features, spec):
            _check_one(cols, counts, masks, n, f, p, rarely_missing, check, edges, cats)
    for column, bad in _population_breaks(table, profile.get("population", {}).get("rules", {})).items():
        masks.append(("population", column, bad))
    empty = _empty_inputs(model, counts, spec)
    if strict and empty:
        raise InputShiftError(
            "refusing to score (strict inputs): " + _absent_text(empty, spec) +
            "; supply these inputs, or score without strict inputs to accept the warning")
    text = _row_text(masks, n)
    counts.rows_flagged = int(np.count_nonzero(text != ""))
    for kind, name, m in masks:
        k = int(np.count_nonzero(m))
        if k:
            counts.flagged[f"{kind}:{name}"] = counts.flagged.get(f"{kind}:{name}", 0) + k
    for kind in _KINDS:
        rows = [m for k, _, m in masks if k == kind]
        counts.reasons[kind] = int(np.count_nonzero(np.logical_or.reduce(rows))) if rows else 0
    return text, counts


def _check_one(cols, counts: ShiftCounts, masks: list, n: int, f: str, p: dict, rarely_missing: bool, check,
               edges, cats) -> None:
    """One model input's row flags (appended to ``masks``) and batch counts."""
    col = cols[f] if f in cols else None
    miss = np.ones(n, bool) if col is None else cols.isna(f)
    if col is None:
        counts.absent.add(f)
    counts.missing[f] = int(np.count_nonzero(miss))
    if rarely_missing:
        masks.append(("missing", f, miss))
    if col is None:
        return
    if check == "numeric":
        v = cols.numbers(f)
        odd = (v < p["min"]) | (v > p["max"])
        masks.append(("range", f, odd))
        counts.bins[f] = _bin_counts(v[~miss], edges) + [0]
    elif check == "category":
        codes = _category_codes(col, cats)
        unseen = codes == -1
        masks.append(("category", f, unseen))
        counts.bins[f] = np.bincount(codes[codes >= 0], minlength=len(cats)).tolist() + \
            [int(np.count_nonzero(unseen))]


def inputs_absent(model, counts: ShiftCounts) -> list[str]:
    """The inputs :func:`shift_summary` reports as absent or entirely missing (unranked), without the rest of it."""
    return _empty_inputs(model, counts, (model_profile(model) or {}).get("inputs", {}))


def _empty_inputs(model, counts: ShiftCounts, spec: dict) -> list[str]:
    """Inputs missing in every row of the batch beyond what the training missing rate explains."""
    n = counts.n_rows
    out = []
    for f in model.features:
        if n and counts.missing.get(f, 0) == n:
            rate = spec.get(f, {}).get("missing_rate")
            if rate is None or rate ** n < EMPTY_BY_CHANCE:
                out.append(f)
    return out


def _absent_text(names, spec) -> str:
    ranked = sorted(names, key=lambda f: -(spec.get(f, {}).get("importance") or 0.0))
    parts = []
    for f in ranked:
        imp = spec.get(f, {}).get("importance")
        parts.append(f"{f} (importance {imp:.3f})" if imp is not None else f"{f} (importance not recorded)")
    return f"{len(names)} model input(s) absent or entirely missing: " + ", ".join(parts)


# ----------------------------------------------------------------- batch summary
def _psi_of_shares(expected, actual):
    """PSI of share vectors (the last axis), empty shares floored at :data:`_PSI_FLOOR`."""
    e = np.maximum(np.asarray(expected, float), _PSI_FLOOR)
    a = np.maximum(np.asarray(actual, float), _PSI_FLOOR)
    return np.sum((a - e) * np.log(a / e), axis=-1)


def _psi(expected, actual) -> float:
    a = np.asarray(actual, float)
    if a.sum() == 0:
        return float("nan")
    return float(_psi_of_shares(expected, a / a.sum()))


#: id(profile inputs) -> (them, {input: (expected shares + the unseen bin, as a tuple)}), converted once.
_EXPECTED: dict = {}


def _expected_shares(spec: dict) -> dict:
    hit = _EXPECTED.get(id(spec))
    if hit is None or hit[0] is not spec:
        out = {}
        for f, p in spec.items():
            expected = (p.get("bin_freq") or p.get("freq") or [])
            out[f] = tuple(expected) + (0.0,) if expected else ()  # + the bin of unseen values
        if len(_EXPECTED) > 256:
            _EXPECTED.clear()
        hit = _EXPECTED[id(spec)] = (spec, out)
    return hit[1]


@functools.lru_cache(maxsize=4096)
def _psi_by_chance(expected: tuple, n: int) -> float | None:
    """99th percentile of the PSI of ``n`` rows drawn from the training shares ``expected``.

    A small batch has a large PSI by chance alone: with 10 bins, 20 rows leave
    bins empty and each empty bin adds about 0.7 (the floor of
    :func:`_psi`), so the usual reading (> 0.25 major, Yurdakul 2018) holds only
    for large batches. A shift is "major" only above both :data:`PSI_MAJOR` and
    this level, found by 2000 multinomial draws (fixed seed: the same summary
    for the same counts); memoised per batch size, as a server sees the same
    request sizes again and again.
    """
    e = np.asarray(expected, dtype=float)
    if n <= 0 or e.sum() <= 0:
        return None
    draws = np.random.default_rng(0).multinomial(n, e / e.sum(), size=2000) / n
    return float(np.quantile(_psi_of_shares(e, draws), 0.99))


def shift_summary(model, counts: ShiftCounts) -> dict:
    """The batch summary (JSON-able; aggregates only).

    Keys: ``n_rows``, ``rows_with_warnings``, ``warning_counts`` (rows per
    kind), ``inputs_absent`` (absent or entirely missing, most important
    first, with importance), ``inputs`` (per input: training and batch missing
    rate, their change, PSI and, where it exceeds :data:`PSI_MAJOR`, the PSI a
    batch of this size reaches by chance (99th percentile), rows flagged), ``major_shift`` (PSI above
    :data:`PSI_MAJOR` and above that chance level), ``profile_stored`` and
    ``message`` (one paragraph).
    """
    profile = model_profile(model) or {}
    spec = profile.get("inputs", {})
    n = counts.n_rows
    empty = _empty_inputs(model, counts, spec)
    per_input = {}
    shares = _expected_shares(spec)
    for f in model.features:
        p = spec.get(f, {})
        rate = counts.missing.get(f, 0) / n if n else float("nan")
        train_rate = p.get("missing_rate")
        expected = shares.get(f, ())  # training shares + the bin of unseen values
        psi = _psi(expected, counts.bins[f]) if f in counts.bins and expected else None
        per_input[f] = {"importance": p.get("importance"), "missing_rate_training": train_rate,
                        "missing_rate": rate,
                        "missing_rate_change": None if train_rate is None else rate - train_rate,
                        "psi": None if psi is None or not np.isfinite(psi) else psi,
                        "rows_out_of_range": counts.flagged.get(f"range:{f}", 0),
                        "rows_unseen_category": counts.flagged.get(f"category:{f}", 0)}
        # only needed (and only computed) where the PSI could be a major shift
        per_input[f]["psi_chance_99"] = (_psi_by_chance(expected, int(sum(counts.bins[f])))
                                         if psi is not None and psi > PSI_MAJOR else None)
    ranked = sorted(empty, key=lambda f: -(spec.get(f, {}).get("importance") or 0.0))
    major = sorted((f for f, d in per_input.items() if d["psi"] is not None
                    and d["psi"] > max(PSI_MAJOR, d["psi_chance_99"] or 0.0)),
                   key=lambda f: -per_input[f]["psi"])
    out = {"n_rows": n, "rows_with_warnings": counts.rows_flagged,
           "warning_counts": {_KINDS[k].replace(" ", "_"): counts.reasons.get(k, 0) for k in _KINDS},
           "inputs_absent": [{"input": f, "importance": spec.get(f, {}).get("importance"),
                              "absent_from_file": f in counts.absent} for f in ranked],
           "major_shift": major, "inputs": per_input, "profile_stored": bool(profile),
           "training_cohort": profile.get("cohort"), "training_rows": profile.get("n_rows")}
    out["message"] = _message(out, spec)
    return out


def _message(s: dict, spec: dict) -> str:
    parts = []
    if s["inputs_absent"]:
        parts.append("WARNING: " + _absent_text([d["input"] for d in s["inputs_absent"]], spec)
                     + "; their risk is computed as if unknown, which the training data rarely or never had")
    if s["n_rows"]:
        wc = s["warning_counts"]
        parts.append(f"{s['rows_with_warnings']} of {s['n_rows']} rows have input warnings ("
                     + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in wc.items()) + ")")
    if s["major_shift"]:
        parts.append("major distribution shift (PSI > 0.25) in: "
                     + ", ".join(f"{f} ({s['inputs'][f]['psi']:.2f})" for f in s["major_shift"]))
    if not s["profile_stored"]:
        parts.append("this model stores no training profile: only absent inputs were checked")
    return ". ".join(parts) + "." if parts else ""


def format_summary(summary: dict) -> str:
    """The printed banner: the summary's message, one line per part."""
    return summary["message"].replace(". ", ".\n")


def summary_path(output) -> Path:
    """``<OUT stem>.input_shift.json`` beside ``output``."""
    output = Path(output)
    return output.with_name(output.stem + ".input_shift.json")


def write_summary(summary: dict, output) -> Path:
    """Write the summary as JSON beside ``output``; returns its path."""
    from rairpredict.cohort.io import atomic_path

    path = summary_path(output)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(summary, indent=2, default=float), encoding="utf-8")
    return path
