"""The outcome a model predicts: a built-in label or any column of the cohort.

A target config's ``outcome`` section (see :data:`OUTCOME_SCHEMA`) is parsed
once into an :class:`OutcomeSpec`; :func:`compute_outcome` turns it into one
label per row — True, False or missing (unknown) — with a reason per row.
Training (``rairpredict train``) and external validation
(``rairpredict evaluate --outcome``) both use this module, so an outcome means
the same thing everywhere, and its name, definition and horizon travel with
the model (``model.metadata["outcome"]``) to the results, MLflow and the card.

Two binary forms (``type: binary``, the default); ``type: time_to_event``
sections are handed to :mod:`rairpredict.labels.time_to_event`::

    outcome: {label: rair}                  # a built-in label (rairpredict.labels.LABELS)

    outcome:
      column: PFS_STATUS                    # canonical or extra column of the cohort
      positive: ["1:PROGRESSION"]           # values that mean the event happened
      negative: ["0:CENSORED"]
      unknown: ["not assessed"]             # optional; empty cells are always unknown
      name: Progression
      definition: Progression or death within the progression-free interval
      horizon: 5 years                      # "5 years", {value: 5, unit: years} or free text

Values are compared as text, ignoring case and surrounding spaces; numbers
compare by value (``1``, ``"1"`` and ``1.0`` are the same) and
yes/no/true/false are booleans. A value that is in none of the three lists is
refused with one line listing every value seen, so no row is labelled by
accident.

Examples
--------
>>> import pandas as pd
>>> spec = parse_outcome({"column": "prog", "positive": [1], "negative": [0], "unknown": ["lost"],
...                       "name": "Progression", "definition": "Radiological progression",
...                       "horizon": "5 years"})
>>> out = compute_outcome(spec, pd.DataFrame({"prog": ["1", "0", "lost", None]}))
>>> out["outcome"].tolist()
[True, False, <NA>, <NA>]
>>> spec.horizon
{'value': 5.0, 'unit': 'years', 'text': '5 years'}
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rairpredict.cohort.population import value_key as _norm
from rairpredict.errors import ConfigError
from rairpredict.labels._registry import LABELS
from rairpredict.labels.time_to_event import TIME_TO_EVENT_SCHEMA, TimeToEventSpec, parse_time_to_event

__all__ = ["OutcomeSpec", "parse_outcome", "compute_outcome", "OUTCOME_SCHEMA", "LABEL_INPUTS",
           "OUTCOME_TYPES", "HORIZON_UNITS"]

#: Canonical fields each built-in label is computed from. A model must never
#: see them: they would restate the outcome (e.g. the ATA Response for a Response label).
LABEL_INPUTS: dict[str, tuple[str, ...]] = {
    "rair": ("post_scan_any_uptake", "post_scan_uptake_loss", "known_lesions", "lesions_without_uptake",
             "fdg_pet", "structural_progression_12_16m", "persistent_disease"),
    "unexpected_uptake": ("post_scan_bed_uptake", "dose_rate_48h_usv_h", "early_radiation_reactions"),
    "second_course_benefit": ("tg_stim_fu_ng_ml", "structural_change_fu"),
    "ata_response_structural_incomplete": ("ata_response_reported", "imaging_fu", "tg_suppressed_fu_ng_ml",
                                            "tg_stim_fu_ng_ml", "tgab_fu_iu_ml", "tgab_trend"),
    "recurred": ("recurred",),
}

#: Display names of the built-in labels (the definitions are LABELS[...].description).
_BUILTIN_NAMES = {
    "rair": "Radioiodine-refractory disease (RAIR)",
    "unexpected_uptake": "Unexpected 131I uptake",
    "second_course_benefit": "Benefit of a second radioiodine course",
    "ata_response_structural_incomplete": "Structural incomplete response to therapy",
    "recurred": "Recurrence",
}

#: Outcome types: binary here; time_to_event (time column + unit or two dates,
#: event codes, horizons, competing event) in rairpredict.labels.time_to_event.
OUTCOME_TYPES = ("binary", "time_to_event")
HORIZON_UNITS = ("days", "weeks", "months", "years")
_UNIT_ALIASES = {"d": "days", "day": "days", "days": "days", "w": "weeks", "wk": "weeks", "week": "weeks",
                 "weeks": "weeks", "m": "months", "mo": "months", "month": "months", "months": "months",
                 "y": "years", "yr": "years", "yrs": "years", "year": "years", "years": "years"}
_BUILTIN_KEYS = {"type", "label", "name", "definition", "horizon"}
_COLUMN_KEYS = {"type", "column", "positive", "negative", "unknown", "name", "definition", "horizon"}
_CLASSES = ("positive", "negative", "unknown")

_HORIZON_SCHEMA = {
    "description": "Follow-up horizon: '5 years', {value: 5, unit: years}, or free text "
                   "(e.g. 'end of follow-up, median 6 years').",
    "oneOf": [
        {"type": "string", "minLength": 1},
        {"type": "object", "additionalProperties": False, "required": ["value", "unit"],
         "properties": {"value": {"type": "number", "exclusiveMinimum": 0},
                        "unit": {"enum": list(HORIZON_UNITS)}}},
    ],
}
_VALUE_LIST = {"type": "array", "items": {"type": ["string", "number", "boolean"]}}

#: JSON Schema of the ``outcome`` section of a target config.
OUTCOME_SCHEMA: dict[str, Any] = {
    "description": "What the model predicts: a built-in label or a column of the cohort with its coding.",
    "oneOf": [
        {"type": "object", "additionalProperties": False, "required": ["label"],
         "properties": {"type": {"const": "binary"}, "label": {"enum": sorted(LABELS)},
                        "name": {"type": "string"}, "definition": {"type": "string"},
                        "horizon": _HORIZON_SCHEMA}},
        {"type": "object", "additionalProperties": False,
         "required": ["column", "positive", "negative", "name", "definition", "horizon"],
         "properties": {"type": {"const": "binary"},
                        "column": {"type": "string", "minLength": 1},
                        "positive": {**_VALUE_LIST, "minItems": 1}, "negative": {**_VALUE_LIST, "minItems": 1},
                        "unknown": _VALUE_LIST, "name": {"type": "string", "minLength": 1},
                        "definition": {"type": "string", "minLength": 1}, "horizon": _HORIZON_SCHEMA}},
        TIME_TO_EVENT_SCHEMA,
    ],
}


@dataclass(frozen=True)
class OutcomeSpec:
    """A parsed, checked outcome definition (build with :func:`parse_outcome`)."""

    name: str
    definition: str
    horizon: dict | None = None
    type: str = "binary"
    label: str | None = None
    column: str | None = None
    positive: tuple = ()
    negative: tuple = ()
    unknown: tuple = ()
    where: str = ""

    @property
    def key(self) -> str:
        """Short identifier: the built-in label name, or ``column:<name>``."""
        return self.label if self.label is not None else f"column:{self.column}"

    @property
    def source_columns(self) -> tuple[str, ...]:
        """Columns the outcome is computed from: never model inputs."""
        return LABEL_INPUTS.get(self.label, ()) if self.label is not None else (str(self.column),)

    def metadata(self) -> dict:
        """JSON-ready description for the model card, MLflow and the review."""
        out = {"type": self.type, "name": self.name, "definition": self.definition,
               "horizon": (self.horizon or {}).get("text"), "horizon_detail": self.horizon,
               "source": (f"built-in label {self.label}" if self.label is not None else f"column {self.column}")}
        if self.label is None:
            out.update(column=self.column, positive=list(self.positive), negative=list(self.negative),
                       unknown=list(self.unknown))
        else:
            out["label"] = self.label
        return out


def _fail(where: str, keys: str, rule: str):
    raise ConfigError(f"{where}: key {keys!r}: {rule}" if where else f"key {keys!r}: {rule}")


def _horizon(raw, where: str, key: str) -> dict | None:
    if raw is None:
        return None
    if isinstance(raw, dict):
        extra = set(raw) - {"value", "unit"}
        if extra or "value" not in raw or "unit" not in raw:
            _fail(where, key, "write the horizon as {value: 5, unit: years} or as text, e.g. '5 years'")
        unit = _UNIT_ALIASES.get(str(raw["unit"]).strip().lower())
        if unit is None:
            _fail(where, key, f"unknown unit {raw['unit']!r}; allowed: {list(HORIZON_UNITS)}")
        try:
            value = float(raw["value"])
        except (TypeError, ValueError):
            _fail(where, key, f"value {raw['value']!r} is not a number")
        if not value > 0:
            _fail(where, key, f"value {raw['value']!r} must be positive")
        return {"value": value, "unit": unit, "text": f"{value:g} {unit}"}
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        _fail(where, key, f"{raw!r} has no unit; write e.g. '{raw:g} years' or {{value: {raw:g}, unit: years}}")
    text = str(raw).strip()
    if not text:
        _fail(where, key, "empty; write e.g. '5 years' or 'end of follow-up'")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([A-Za-z]+)", text)
    if m and m.group(2).lower() in _UNIT_ALIASES:
        unit = _UNIT_ALIASES[m.group(2).lower()]
        return {"value": float(m.group(1)), "unit": unit, "text": f"{float(m.group(1)):g} {unit}"}
    return {"text": text}


def _values(raw, where: str, key: str) -> tuple:
    if raw is None:
        return ()
    items = raw if isinstance(raw, list) else [raw]
    for v in items:
        if isinstance(v, (dict, list)):
            _fail(where, key, f"{v!r} is not a single value; list values, e.g. [1, 'yes']")
        if _norm(v) is None:
            _fail(where, key, f"{v!r} is empty: empty cells are always unknown, do not list them")
    return tuple(items)


def parse_outcome(raw, *, where: str = "", key: str = "outcome",
                  where_of=None) -> OutcomeSpec | TimeToEventSpec:
    """Check an ``outcome`` section (a mapping, or a built-in label name) -> :class:`OutcomeSpec`.

    Parameters
    ----------
    raw : str or dict
        ``"rair"`` (shorthand for ``{label: rair}``) or a mapping (module docstring).
    where : str
        ``file:line`` of the section, prefixed to every error.
    where_of : callable, optional
        ``where_of(subkey) -> "file:line"`` for a sub-key (more precise errors).

    Raises
    ------
    ConfigError
        One line naming the key, the rule and how to fix it.
    """
    def at(sub):
        return where_of(sub) if where_of is not None else where

    if isinstance(raw, str):
        raw = {"label": raw}
    if not isinstance(raw, dict):
        _fail(where, key, "expected a built-in label name or a mapping {column: ..., positive: [...], ...}")
    otype = str(raw.get("type", "binary"))
    if otype not in OUTCOME_TYPES:
        _fail(at("type"), f"{key}.type", f"unknown outcome type {otype!r}; supported: {list(OUTCOME_TYPES)}")
    if otype == "time_to_event":
        return parse_time_to_event(raw, where or "target config")
    if ("label" in raw) == ("column" in raw):
        _fail(where, key, "give exactly one of 'label' (a built-in label) or 'column' (a column of the cohort)")
    allowed = _BUILTIN_KEYS if "label" in raw else _COLUMN_KEYS
    unknown = sorted(set(map(str, raw)) - allowed)
    if unknown:
        _fail(at(unknown[0]), f"{key}.{unknown[0]}", f"unknown key; allowed: {sorted(allowed)}")
    horizon = _horizon(raw.get("horizon"), at("horizon"), f"{key}.horizon")
    if "label" in raw:
        label = str(raw["label"])
        if label not in LABELS:
            _fail(at("label"), f"{key}.label", f"unknown label {label!r}; known: {sorted(LABELS)} "
                  "(or give 'column' with positive/negative values for your own outcome)")
        return OutcomeSpec(name=str(raw.get("name") or _BUILTIN_NAMES.get(label, label)),
                           definition=str(raw.get("definition") or LABELS[label].description),
                           horizon=horizon, type=otype, label=label, where=where)
    column = raw["column"]
    if not isinstance(column, str) or not column.strip():
        _fail(at("column"), f"{key}.column", "must be a column name")
    for required in ("positive", "negative", "name", "definition", "horizon"):
        if raw.get(required) in (None, "", []):
            hint = {"positive": "the values that mean the event happened, e.g. [1, 'yes']",
                    "negative": "the values that mean it did not, e.g. [0, 'no']",
                    "name": "a short name, e.g. 'Progression'",
                    "definition": "one sentence a clinician can check against the chart",
                    "horizon": "e.g. '5 years' or 'end of follow-up'"}[required]
            _fail(where, f"{key}.{required}", f"missing; give {hint}")
    lists = {c: _values(raw.get(c), at(c), f"{key}.{c}") for c in _CLASSES}
    seen: dict[str, str] = {}
    for cls, values in lists.items():
        for v in values:
            k = _norm(v)
            if k in seen and seen[k] != cls:
                _fail(at(cls), f"{key}.{cls}", f"value {v!r} is also listed under {seen[k]!r}")
            seen[k] = cls
    return OutcomeSpec(name=str(raw["name"]).strip(), definition=str(raw["definition"]).strip(), horizon=horizon,
                       type=otype, column=column.strip(), positive=lists["positive"],
                       negative=lists["negative"], unknown=lists["unknown"], where=where)


def _describe(values: pd.Series, keys: pd.Series, limit: int = 12) -> str:
    counts = keys.value_counts(dropna=True)
    first = values.groupby(keys, dropna=True).first()
    shown = [f"{first[k]!r} ({n})" for k, n in counts.head(limit).items()]
    more = f", ... {len(counts) - limit} more" if len(counts) > limit else ""
    return ", ".join(shown) + more


def compute_outcome(spec: OutcomeSpec, table: pd.DataFrame) -> pd.DataFrame:
    """Label every row of ``table``: ``outcome`` ("boolean", NA = unknown) and ``outcome_reason``.

    Raises
    ------
    ConfigError
        The outcome column is absent, or holds a value in none of the lists
        (the message lists every value seen with its row count).
    """
    if spec.label is not None:
        fn = LABELS[spec.label]
        labels = fn.function(table)
        label = labels[fn.column] if isinstance(labels, pd.DataFrame) else labels
        label = label.astype("boolean")
        reason_col = f"{fn.column}_reason"
        if isinstance(labels, pd.DataFrame) and reason_col in labels:
            reason = labels[reason_col].astype(object)
        else:
            reason = pd.Series(np.where(label.isna(), f"unknown: {spec.label} not evaluable",
                                        np.where(label.fillna(False), "positive", "negative")), index=table.index)
        return pd.DataFrame({"outcome": label, "outcome_reason": reason}, index=table.index)
    if spec.column not in table.columns:
        raise ConfigError(f"{spec.where + ': ' if spec.where else ''}key 'outcome.column': column "
                          f"{spec.column!r} is not in the cohort; map it in the cohort config "
                          "(an extra column) or choose one of the cohort's columns")
    values = table[spec.column]
    keys = pd.Series([_norm(v) for v in values.astype(object)], index=table.index, dtype=object)
    boolean_column = pd.api.types.is_bool_dtype(values.dtype) or str(values.dtype) == "boolean"
    lookup = {}
    for cls in _CLASSES:
        for v in getattr(spec, cls):
            k = _norm(v)
            lookup[k] = cls
            if boolean_column and k in ("1", "0"):  # 1/0 written for a yes/no column
                lookup["true" if k == "1" else "false"] = cls
    cls = keys.map(lookup)
    stray = keys.notna() & cls.isna()
    if stray.any():
        raise ConfigError(
            f"{spec.where + ': ' if spec.where else ''}key 'outcome': column {spec.column!r} has "
            f"value(s) in none of positive/negative/unknown: {_describe(values[stray], keys[stray])}; "
            f"values seen: {_describe(values[keys.notna()], keys[keys.notna()])}; "
            "list each under outcome.positive, outcome.negative or outcome.unknown")
    label = pd.Series(pd.NA, index=table.index, dtype="boolean")
    label[(cls == "positive").to_numpy()] = True
    label[(cls == "negative").to_numpy()] = False
    text = values.astype(object).map(lambda v: str(v).strip())
    reason = np.where(keys.isna(), f"unknown: {spec.column} is empty",
                      cls.fillna("").astype(str) + ": " + spec.column + " = " + text.astype(str))
    return pd.DataFrame({"outcome": label, "outcome_reason": pd.Series(reason, index=table.index, dtype=object)},
                        index=table.index)
