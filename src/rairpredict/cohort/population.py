"""Population filters: which rows of a canonical table a model is developed on.

A target config's ``population`` section maps a column (canonical, or an extra
column of the cohort config) to a rule; a rule is a value (shorthand for
``equals``) or a mapping of operators, all of which must hold:

=================  ========================================  =====================
operator           keeps rows whose value ...                example
=================  ========================================  =====================
``equals``         is this value                             ``{equals: female}``
``not_equals``     is present and not this value             ``{not_equals: M1}``
``in``             is one of these                           ``{in: [T1a, T1b]}``
``not_in``         is present and none of these              ``{not_in: [M1]}``
``min`` / ``max``  is at least / at most this number         ``{min: 18}``
``between``        lies in [low, high] (both included)       ``{between: [18, 80]}``
``missing``        is empty (``missing: true``)              ``{missing: true}``
``not_missing``    is present (``not_missing: true``)        ``{not_missing: true}``
=================  ========================================  =====================

A row whose value is missing fails every value rule (its membership cannot be
confirmed); such rows are counted separately. Rules apply in the order
written, and each reports how many of the rows still in the population it
excluded, so the flow from rows in to rows used is exact (for the card).
Values compare as in outcome codes: case- and space-blind text, numbers by
value, yes/no/true/false as booleans.

Examples
--------
>>> import pandas as pd
>>> rules = parse_population({"age_years": {"min": 18}, "sex": "female"})
>>> t = pd.DataFrame({"age_years": [15, 40, 50, None], "sex": ["female", "male", "female", "female"]})
>>> keep, flow = apply_population(rules, t)
>>> keep.tolist()
[False, False, True, False]
>>> [(f["rule"], f["excluded"], f["missing"]) for f in flow]
[('age_years at least 18', 2, 1), ('sex equals female', 1, 0)]
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from rairpredict.configfile import did_you_mean
from rairpredict.errors import ConfigError

__all__ = ["PopulationRule", "parse_population", "apply_population", "value_key", "OPERATORS",
           "POPULATION_SCHEMA"]

OPERATORS = ("equals", "not_equals", "in", "not_in", "min", "max", "between", "missing", "not_missing")
_TRUE_TEXT, _FALSE_TEXT = {"true", "yes", "y"}, {"false", "no", "n"}
_WORDS = {"equals": "equals", "not_equals": "is not", "in": "is one of", "not_in": "is none of",
          "min": "at least", "max": "at most", "between": "between", "missing": "is missing",
          "not_missing": "is recorded"}

_SCALAR = {"type": ["string", "number", "boolean"]}
#: JSON Schema of the ``population`` section.
POPULATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "column -> value (equals) or {operator: argument}; every rule must hold.",
    "additionalProperties": {"oneOf": [
        _SCALAR,
        {"type": "object", "additionalProperties": False, "minProperties": 1, "properties": {
            "equals": _SCALAR, "not_equals": _SCALAR,
            "in": {"type": "array", "items": _SCALAR, "minItems": 1},
            "not_in": {"type": "array", "items": _SCALAR, "minItems": 1},
            "min": {"type": "number"}, "max": {"type": "number"},
            "between": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
            "missing": {"const": True}, "not_missing": {"const": True}}},
    ]},
}


def value_key(value) -> str | None:
    """Comparison key of one value: ``None`` if missing, numbers by value, text case-blind.

    Examples
    --------
    >>> value_key(" Yes "), value_key(1.0), value_key("1"), value_key("T1b"), value_key(float("nan"))
    ('true', '1', '1', 't1b', None)
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        if math.isnan(v):
            return None
        return str(int(v)) if v.is_integer() else repr(v)
    text = str(value).strip()
    if not text:
        return None
    low = text.casefold()
    if low in _TRUE_TEXT:
        return "true"
    if low in _FALSE_TEXT:
        return "false"
    if low in ("nan", "inf", "-inf", "infinity", "+inf"):
        return low
    try:
        return value_key(float(text))
    except ValueError:
        return low


@dataclass(frozen=True)
class PopulationRule:
    """One operator on one column, with where it was written."""

    column: str
    op: str
    value: Any = None
    where: str = ""

    @property
    def text(self) -> str:
        """Readable rule, e.g. ``age_years at least 18``."""
        if self.op in ("missing", "not_missing"):
            return f"{self.column} {_WORDS[self.op]}"
        if self.op == "between":
            return f"{self.column} between {self.value[0]:g} and {self.value[1]:g}"
        if self.op in ("in", "not_in"):
            return f"{self.column} {_WORDS[self.op]} {', '.join(map(str, self.value))}"
        v = f"{self.value:g}" if isinstance(self.value, (int, float)) and not isinstance(self.value, bool) \
            else str(self.value)
        return f"{self.column} {_WORDS[self.op]} {v}"

    def keeps(self, values: pd.Series) -> np.ndarray:
        """Boolean array: rows this rule keeps (a missing value fails value rules)."""
        present = values.notna().to_numpy(bool)
        if self.op == "missing":
            return ~present
        if self.op == "not_missing":
            return present
        if self.op in ("min", "max", "between"):
            num = pd.to_numeric(values, errors="coerce").to_numpy(float)
            with np.errstate(invalid="ignore"):
                if self.op == "min":
                    ok = num >= float(self.value)
                elif self.op == "max":
                    ok = num <= float(self.value)
                else:
                    ok = (num >= float(self.value[0])) & (num <= float(self.value[1]))
            return ok & ~np.isnan(num)
        keys = np.array([value_key(v) for v in values.astype(object)], dtype=object)
        wanted = {value_key(v) for v in (self.value if self.op in ("in", "not_in") else [self.value])}
        hit = np.array([k in wanted for k in keys], dtype=bool)
        return present & (hit if self.op in ("equals", "in") else ~hit)


def _fail(where: str, key: str, rule: str):
    raise ConfigError(f"{where}: key {key!r}: {rule}" if where else f"key {key!r}: {rule}")


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _check_operator(op, arg, where, key, categories) -> Any:
    if op in ("missing", "not_missing"):
        if arg is not True:
            _fail(where, key, f"write {op}: true")
        return True
    if op in ("min", "max"):
        if not _is_number(arg):
            _fail(where, key, f"{arg!r} is not a number")
        return float(arg)
    if op == "between":
        if not (isinstance(arg, list) and len(arg) == 2 and all(map(_is_number, arg)) and arg[0] <= arg[1]):
            _fail(where, key, f"{arg!r}: write between: [low, high] with low <= high")
        return (float(arg[0]), float(arg[1]))
    values = arg if op in ("in", "not_in") else [arg]
    if op in ("in", "not_in") and not (isinstance(arg, list) and arg):
        _fail(where, key, f"{arg!r}: write a non-empty list, e.g. {op}: [a, b]")
    for v in values:
        if isinstance(v, (dict, list)) or value_key(v) is None:
            _fail(where, key, f"{v!r} is not a single value" + ("; for a list use 'in'" if isinstance(v, list)
                                                                 else ""))
        if categories is not None and value_key(v) not in {value_key(c) for c in categories}:
            hint = did_you_mean(str(v), list(categories), cutoff=0.5)
            _fail(where, key, f"{v!r} is not an allowed value {list(categories)}{hint}")
    return tuple(arg) if op in ("in", "not_in") else arg


def parse_population(raw, *, known_columns=None, categories_of: Callable[[str], Any] | None = None,
                     where_of: Callable[..., str] | None = None) -> list[PopulationRule]:
    """Check a ``population`` mapping -> ordered list of :class:`PopulationRule`.

    Parameters
    ----------
    raw : dict or None
    known_columns : collection of str, optional
        Columns the cohort will have; an unknown column is refused (with a
        close match). ``None``: checked when the rules are applied.
    categories_of : callable, optional
        ``column -> allowed values or None``: equality values are checked against them.
    where_of : callable, optional
        ``where_of(column[, operator]) -> "file:line"`` for error messages.
    """
    at = where_of or (lambda *keys: "")
    if raw is None:
        return []
    if not isinstance(raw, dict):
        _fail(at(), "population", "expected a mapping column: rule (e.g. age_years: {min: 18})")
    rules = []
    for column, rule in raw.items():
        column = str(column)
        key = f"population.{column}"
        if known_columns is not None and column not in known_columns:
            hint = did_you_mean(column, list(known_columns), cutoff=0.6)
            _fail(at(column), key, f"unknown column {column!r} (not canonical, not an extra column of the "
                                   f"cohort config){hint}")
        categories = categories_of(column) if categories_of else None
        if isinstance(rule, list):
            _fail(at(column), key, f"a list is not a rule; write {column}: {{in: {rule}}}")
        ops = rule if isinstance(rule, dict) else {"equals": rule}
        if not ops:
            _fail(at(column), key, f"empty rule; operators: {list(OPERATORS)}")
        for op, arg in ops.items():
            if op not in OPERATORS:
                hint = did_you_mean(str(op), OPERATORS, cutoff=0.5)
                _fail(at(column, op), f"{key}.{op}", f"unknown operator; allowed: {list(OPERATORS)}{hint}")
            value = _check_operator(op, arg, at(column, op), f"{key}.{op}", categories)
            rules.append(PopulationRule(column, op, value, at(column, op)))
    return rules


def apply_population(rules, table: pd.DataFrame) -> tuple[pd.Series, list[dict]]:
    """Rows kept by every rule, and the exclusion flow (one dict per rule, in order).

    Each flow entry: ``rule`` (readable), ``column``, ``operator``, ``excluded``
    (rows still in the population that this rule removed), ``missing`` (of
    which the value was missing) and ``remaining``.

    Raises
    ------
    ConfigError
        A rule names a column the table does not have (with its file:line).
    """
    keep = np.ones(len(table), dtype=bool)
    flow = []
    for rule in rules:
        if rule.column not in table.columns:
            hint = did_you_mean(rule.column, [str(c) for c in table.columns], cutoff=0.6)
            _fail(rule.where, f"population.{rule.column}",
                  f"column {rule.column!r} is not in the cohort{hint}")
        values = table[rule.column]
        ok = rule.keeps(values)
        out = keep & ~ok
        flow.append({"rule": rule.text, "column": rule.column, "operator": rule.op,
                     "excluded": int(out.sum()), "missing": int((out & values.isna().to_numpy(bool)).sum()),
                     "remaining": int((keep & ok).sum())})
        keep &= ok
    return pd.Series(keep, index=table.index), flow
