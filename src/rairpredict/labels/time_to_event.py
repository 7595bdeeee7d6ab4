"""Time-to-event outcomes: when an event happened, or how long a patient was followed without it.

A target config's ``outcome`` with ``type: time_to_event`` is parsed into a
:class:`TimeToEventSpec`; :func:`compute_time_to_event` gives every row a
follow-up ``time`` in years, an ``event`` flag (True = the event was seen at
``time``; False = censored: event-free when last seen), a ``competing`` flag
and a reason. Rows whose time or status cannot be read are *unknown*: counted
and reported, never dropped silently and never counted as event-free.

Forms::

    outcome:                                   # a registry extract
      type: time_to_event
      name: Progression
      definition: Radiological progression or death from thyroid cancer
      time: PFI.time                           # time to the event or to the last contact
      time_unit: days                          # days | weeks | months | years
      event: {column: PFI, positive: [1], negative: [0]}
      competing: {column: vital_status, positive: ["dead, other cause"], method: censor}
      horizons: [1, 3, 5]                      # years; risks are reported by each
      band_horizon: 3                          # whose risk defines the bands

    outcome: {type: time_to_event, label: rair, horizons: [1.5, 3, 5]}   # built-in timed label

Instead of ``time``, two date columns: ``start_date: therapy_date`` and
``end_date: last_contact_or_event_date``. Built-in timed labels read the
canonical times: ``rair`` (``rair_time_years``, else ``followup_years``) and
``recurred`` (``recurrence_time_years``), with ``died_other_cause`` as the
competing event.

Competing events (``method``): ``censor`` (default) treats a competing event
as the end of follow-up, so predicted risks are *net* risks: the risk in a
world where the competing event did not happen, higher than the real-world
cumulative incidence when competing events are common (stated in the card);
``composite`` counts the competing event as an event (e.g. progression or
death).

Examples
--------
>>> import pandas as pd
>>> spec = parse_time_to_event({"type": "time_to_event", "name": "Progression",
...     "definition": "Radiological progression", "time": "days", "time_unit": "days", "event": {"column": "prog", "positive": [1], "negative": [0]},
...     "horizons": [1, 3]})
>>> out = compute_time_to_event(spec, pd.DataFrame({"days": [365.25, 730.5, None], "prog": [1, 0, 1]}))
>>> out["time"].tolist(), out["event"].tolist()
([1.0, 2.0, nan], [True, False, <NA>])
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rairpredict.cohort.population import value_key
from rairpredict.errors import ConfigError

__all__ = ["TimeToEventSpec", "parse_time_to_event", "compute_time_to_event", "TIME_UNITS_IN_YEARS",
           "BUILTIN_TIMED", "COMPETING_METHODS", "TIME_TO_EVENT_SCHEMA"]

#: Length of one unit in years (Julian year of 365.25 days; a month is a twelfth of it).
TIME_UNITS_IN_YEARS = {"days": 1 / 365.25, "weeks": 7 / 365.25, "months": 1 / 12, "years": 1.0}
COMPETING_METHODS = ("censor", "composite")

#: Built-in labels with a timed form: (event-time column, follow-up column, competing-event column, name).
BUILTIN_TIMED = {
    "rair": ("rair_time_years", "followup_years", "died_other_cause",
             "Radioiodine-refractory disease (RAIR)",
             "Time from this 131I course to the first of Study B's five RAIR criteria; patients without "
             "RAIR are followed to their last contact."),
    "recurred": ("recurrence_time_years", "followup_years", "died_other_cause", "Structural recurrence",
                 "Time from this 131I course to structural recurrence; patients without recurrence are "
                 "followed to their last contact."),
}

_KEYS = {"type", "name", "definition", "label", "time", "time_unit", "start_date", "end_date", "event",
         "competing", "horizons", "band_horizon", "horizon"}

#: JSON Schema of the ``time_to_event`` outcome section (for editors and docs).
TIME_TO_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["type", "horizons"],
    "properties": {
        "type": {"const": "time_to_event"}, "name": {"type": "string"}, "definition": {"type": "string"},
        "label": {"enum": sorted(BUILTIN_TIMED)}, "time": {"type": "string"},
        "time_unit": {"enum": list(TIME_UNITS_IN_YEARS)}, "start_date": {"type": "string"},
        "end_date": {"type": "string"},
        "event": {"type": "object", "required": ["column", "positive"],
                  "properties": {"column": {"type": "string"}, "positive": {"type": "array"},
                                 "negative": {"type": "array"}}},
        "competing": {"type": "object", "required": ["column", "positive"],
                      "properties": {"column": {"type": "string"}, "positive": {"type": "array"},
                                     "method": {"enum": list(COMPETING_METHODS)}}},
        "horizons": {"type": "array", "items": {"type": "number", "exclusiveMinimum": 0}, "minItems": 1},
        "band_horizon": {"type": "number", "exclusiveMinimum": 0},
    },
}


@dataclass(frozen=True)
class TimeToEventSpec:
    """A parsed time-to-event outcome (see the module docstring)."""

    name: str
    definition: str
    horizons: tuple[float, ...]
    band_horizon: float
    label: str | None = None
    time: str | None = None
    time_unit: str = "years"
    start_date: str | None = None
    end_date: str | None = None
    event: dict = field(default_factory=dict)
    competing: dict = field(default_factory=dict)
    type: str = "time_to_event"

    @property
    def competing_method(self) -> str:
        if self.competing:
            return str(self.competing.get("method", "censor"))
        return "censor" if self.label else "none"  # built-in timed labels censor other-cause deaths

    @property
    def source_columns(self) -> tuple[str, ...]:
        """Columns the outcome is computed from (a model must never use them as features)."""
        if self.label:
            # the timed form restates the binary label too: its inputs (e.g. the RAIR criteria) are refused as well
            from rairpredict.labels.outcome import LABEL_INPUTS

            timed = tuple(c for c in BUILTIN_TIMED[self.label][:3] if c)
            return tuple(dict.fromkeys(timed + tuple(LABEL_INPUTS.get(self.label, ()))))
        cols = [self.time, self.start_date, self.end_date, self.event.get("column"), self.competing.get("column")]
        return tuple(dict.fromkeys(c for c in cols if c))

    @property
    def key(self) -> str:
        """Short identifier (``TargetConfig.label``): ``time_to_event:<label>`` or ``time_to_event:<event column>``."""
        return f"time_to_event:{self.label or self.event.get('column') or self.end_date}"

    @property
    def horizon_text(self) -> str:
        """The horizons in words, e.g. ``"1.5, 3 and 5 years"``."""
        hs = [f"{h:g}" for h in self.horizons]
        return (", ".join(hs[:-1]) + " and " + hs[-1] if len(hs) > 1 else hs[0]) + " years"

    def metadata(self) -> dict:
        """JSON-ready description (the same interface as a binary ``OutcomeSpec``)."""
        others = [f"{h:g}" for h in self.horizons if h != self.band_horizon]
        also = f" (risks also given by {' and '.join(others)} years)" if others else ""
        return {**self.to_metadata(), "horizon": f"within {self.band_horizon:g} years{also}",
                "source": f"built-in timed label {self.label}" if self.label else
                f"columns {', '.join(self.source_columns)}"}

    def to_metadata(self) -> dict:
        """What travels with the model (card, review, MLflow): no patient data."""
        return {"type": self.type, "name": self.name, "definition": self.definition, "label": self.label,
                "horizons_years": list(self.horizons), "band_horizon_years": self.band_horizon,
                "competing_event": self.competing.get("column") or (BUILTIN_TIMED[self.label][2] if self.label
                                                                    else None),
                "competing_method": self.competing_method,
                "time_unit": self.time_unit}


def _fail(where: str, rule: str):
    raise ConfigError(f"{where}: outcome: {rule}")


def _codes(values, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(values, (list, tuple)) or not values:
        _fail(where, f"'{key}' must be a non-empty list of values")
    return tuple(k for k in map(value_key, values) if k is not None)


def parse_time_to_event(raw: dict, where: str = "target config") -> TimeToEventSpec:
    """Check a ``type: time_to_event`` outcome section; one-line :class:`ConfigError` on a mistake."""
    if not isinstance(raw, dict):
        _fail(where, "expected a mapping")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        _fail(where, f"unknown key(s) {unknown} for a time_to_event outcome; allowed: {sorted(_KEYS)}")
    horizons = raw.get("horizons")
    if not isinstance(horizons, (list, tuple)) or not horizons:
        _fail(where, "'horizons' must list at least one horizon in years, e.g. [1, 3, 5]")
    try:
        hs = tuple(sorted(float(h) for h in horizons))
    except (TypeError, ValueError):
        _fail(where, f"'horizons' must be numbers of years, got {horizons!r}")
    if hs[0] <= 0:
        _fail(where, "'horizons' must be positive numbers of years")
    band = float(raw.get("band_horizon", hs[len(hs) // 2]))
    if band not in hs:
        _fail(where, f"'band_horizon' {band:g} must be one of the horizons {list(hs)}")
    label = raw.get("label")
    if label is not None:
        if label not in BUILTIN_TIMED:
            _fail(where, f"no timed form of label {label!r}; timed built-in labels: {sorted(BUILTIN_TIMED)}")
        _, _, _, name, definition = BUILTIN_TIMED[label]
        return TimeToEventSpec(name=str(raw.get("name", name)), definition=str(raw.get("definition", definition)),
                               horizons=hs, band_horizon=band, label=str(label))
    for key in ("name", "definition"):
        if not str(raw.get(key, "")).strip():
            _fail(where, f"'{key}' is required: say in words what the event is (it is shown to clinicians)")
    has_time, has_dates = "time" in raw, ("start_date" in raw or "end_date" in raw)
    if has_time == has_dates:
        _fail(where, "give either 'time' (+ 'time_unit') or both 'start_date' and 'end_date'")
    if has_dates and not ("start_date" in raw and "end_date" in raw):
        _fail(where, "dates need both 'start_date' and 'end_date'")
    unit = str(raw.get("time_unit", "years"))
    if unit not in TIME_UNITS_IN_YEARS:
        _fail(where, f"'time_unit' {unit!r}; expected one of {list(TIME_UNITS_IN_YEARS)}")
    event = raw.get("event")
    if not isinstance(event, dict) or "column" not in event:
        _fail(where, "'event' needs {column: ..., positive: [...], negative: [...]}")
    event = {"column": str(event["column"]), "positive": _codes(event.get("positive"), where, "event.positive"),
             "negative": _codes(event.get("negative", []) or ["__none__"], where, "event.negative")}
    competing = raw.get("competing") or {}
    if competing:
        if not isinstance(competing, dict) or "column" not in competing:
            _fail(where, "'competing' needs {column: ..., positive: [...], method: censor|composite}")
        method = str(competing.get("method", "censor"))
        if method not in COMPETING_METHODS:
            _fail(where, f"'competing.method' {method!r}; expected one of {list(COMPETING_METHODS)}")
        competing = {"column": str(competing["column"]),
                     "positive": _codes(competing.get("positive"), where, "competing.positive"), "method": method}
    return TimeToEventSpec(name=str(raw["name"]), definition=str(raw["definition"]), horizons=hs, band_horizon=band,
                           time=raw.get("time"), time_unit=unit, start_date=raw.get("start_date"),
                           end_date=raw.get("end_date"), event=event, competing=competing)


def _column(table: pd.DataFrame, name: str, what: str) -> pd.Series:
    if name not in table:
        raise ConfigError(f"outcome: {what} column {name!r} is not in the cohort (columns: "
                          f"{', '.join(map(str, list(table.columns)[:12]))}{', ...' if table.shape[1] > 12 else ''})")
    return table[name]


def _match(col: pd.Series, codes) -> np.ndarray:
    keys = col.astype(object).map(value_key)
    return keys.isin(codes).to_numpy() & keys.notna().to_numpy()


def _years(table: pd.DataFrame, spec: TimeToEventSpec) -> pd.Series:
    if spec.time is not None:
        raw = pd.to_numeric(_column(table, spec.time, "time").astype(object), errors="coerce")
        return raw.astype(float) * TIME_UNITS_IN_YEARS[spec.time_unit]
    start = pd.to_datetime(_column(table, spec.start_date, "start date"), errors="coerce")
    end = pd.to_datetime(_column(table, spec.end_date, "end date"), errors="coerce")
    return (end - start).dt.days.astype(float) / 365.25


def compute_time_to_event(spec: TimeToEventSpec, table: pd.DataFrame) -> pd.DataFrame:
    """``time`` (years), ``event`` and ``competing`` (nullable bool) and ``reason`` for every row.

    ``event`` is missing (unknown) where the time is missing or not positive,
    or the status is missing or not one of the declared codes (the reason says
    which); those rows are excluded by training and counted.
    """
    n = len(table)
    if spec.label:
        event_col, fu_col, comp_col, _, _ = BUILTIN_TIMED[spec.label]
        event_time = pd.to_numeric(_column(table, event_col, "event time").astype(object), errors="coerce")
        follow = pd.to_numeric(_column(table, fu_col, "follow-up").astype(object), errors="coerce")
        event = event_time.notna().to_numpy()
        time = np.where(event, event_time, follow).astype(float)
        competing = (table[comp_col].fillna(False).astype(bool).to_numpy() & ~event) if comp_col in table \
            else np.zeros(n, bool)
        status_known = np.ones(n, bool)
    else:
        time = _years(table, spec).to_numpy(dtype=float)
        status = _column(table, spec.event["column"], "event")
        pos, neg = _match(status, spec.event["positive"]), _match(status, spec.event["negative"])
        competing = np.zeros(n, bool)
        if spec.competing:
            competing = _match(_column(table, spec.competing["column"], "competing event"),
                               spec.competing["positive"]) & ~pos
        event = pos
        status_known = pos | neg | competing
    if spec.competing_method == "composite":
        event = event | competing
    bad_time = ~np.isfinite(time) | (time <= 0)
    known = status_known & ~bad_time
    reason = np.where(~np.isfinite(time), "unknown: follow-up time missing or unreadable",
                      np.where(time <= 0, "unknown: follow-up time not positive",
                               np.where(~status_known, "unknown: event status missing or not a declared code",
                                        np.where(event, "event", np.where(competing, "competing event (censored)",
                                                                           "censored (event-free when last seen)")))))
    return pd.DataFrame({
        "time": np.where(known, time, np.nan),
        "event": pd.Series(event, index=table.index, dtype="boolean").mask(~known),
        "competing": pd.array(competing & known, dtype="boolean"),
        "reason": reason,
    }, index=table.index)
