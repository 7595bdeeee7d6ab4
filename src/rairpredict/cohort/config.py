"""Cohort configuration: how one source file maps onto the canonical contract.

A researcher describes a spreadsheet in YAML; no code is edited. Keys:

``name`` (str, required)
    Cohort name, used in summaries and generated ids.
``read`` (mapping, optional)
    ``delimiter`` (``auto`` by default: sniffed), ``encoding`` (default
    ``utf-8-sig``: UTF-8 with or without BOM), ``sheet`` (Excel sheet name or
    0-based index), ``decimal`` (``"."`` or ``","`` for numbers such as ``3,7``).
``columns`` (mapping, required)
    ``canonical_field: "Source column"`` or
    ``canonical_field: {column: "Source column", unit: "mCi", recode: {"F": female}}``.
    Every mapped source column must exist in the file. ``unit`` must be the
    field's contract unit or one of its aliases; values are converted with
    :meth:`Field.convert_factor`. ``recode`` maps source text to canonical
    values (category names, ``true``/``false``); several source columns can not
    feed one field, except with ``any_of`` (below).
    ``{any_of: ["Col A", "Col B"], recode: ...}`` builds a boolean that is True
    when any of the columns is True, False when all are False, else missing.
``missing_tokens`` (list, optional)
    Cell texts that mean "not recorded" (compared after stripping spaces);
    ``""`` is always missing. Default ``["", "NA", "N/A", "n/a", "-", "."]``.
``constants`` (mapping, optional)
    ``canonical_field: value`` set for every row (only when the researcher
    knows it, e.g. ``course_number: 1`` in a first-course-only cohort).
``lacks`` (list, optional)
    Canonical fields this cohort does not record: missing by declaration.
    Every non-derived contract field must be mapped, constant, or lacking,
    so nothing is left out by accident; required fields can not be lacking.
``id`` (mapping, optional)
    ``{generate: true, prefix: "uci-", width: 4}`` makes ``patient_id`` from
    the 1-based data-row number (``uci-0001`` ...), deterministic, for sources
    without identifiers; otherwise map ``patient_id`` under ``columns``.

Recoding is forgiving where it is safe: booleans also accept
yes/no/true/false/y/n/1/0 (any case) and categories match the contract
names ignoring case, spaces and hyphens (``"Multi nodular"`` is not
``multinodular_goiter``: use ``recode`` for anything else).

Examples
--------
>>> cfg = CohortConfig.from_dict({
...     "name": "demo", "id": {"generate": True, "prefix": "d-"},
...     "columns": {"age_years": "Age", "sex": {"column": "Sex", "recode": {"F": "female", "M": "male"}},
...                 "histology": "Type", "t_stage": "T", "n_stage": "N", "m_stage": "M",
...                 "activity_gbq": {"column": "Activity", "unit": "mCi"}},
...     "lacks": "all_others"})
>>> cfg.columns["activity_gbq"].factor
0.037
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from rairpredict.cohort.contract import load_contract
from rairpredict.errors import CohortFileError

__all__ = ["CohortConfig", "ColumnSpec", "ReadOptions", "IdSpec", "load_cohort_config", "DEFAULT_MISSING_TOKENS"]

DEFAULT_MISSING_TOKENS = ("", "NA", "N/A", "n/a", "-", ".")
_TOP_KEYS = {"name", "read", "columns", "missing_tokens", "constants", "lacks", "id", "description"}
_READ_KEYS = {"delimiter", "encoding", "sheet", "decimal"}
_COLUMN_KEYS = {"column", "any_of", "unit", "recode"}
_ID_KEYS = {"generate", "prefix", "width"}


@dataclass(frozen=True)
class ReadOptions:
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    decimal: str = "."

    def reader_kwargs(self) -> dict:
        """Keyword arguments for :func:`rairpredict.cohort.io.read_table`."""
        return {"delimiter": self.delimiter, "encoding": self.encoding, "sheet": self.sheet}


@dataclass(frozen=True)
class ColumnSpec:
    """Where one canonical field comes from."""

    field: str
    sources: tuple[str, ...]
    unit: str | None = None
    factor: float = 1.0
    recode: dict = field(default_factory=dict)
    any_of: bool = False


@dataclass(frozen=True)
class IdSpec:
    generate: bool = False
    prefix: str = ""
    width: int = 4

    def make(self, row_number: int) -> str:
        return f"{self.prefix}{row_number:0{self.width}d}"


@dataclass(frozen=True)
class CohortConfig:
    """A validated cohort configuration (build with :func:`load_cohort_config`)."""

    name: str
    columns: dict[str, ColumnSpec]
    read: ReadOptions = ReadOptions()
    missing_tokens: tuple[str, ...] = DEFAULT_MISSING_TOKENS
    constants: dict = field(default_factory=dict)
    lacks: tuple[str, ...] = ()
    id: IdSpec = IdSpec()
    source: str = "<dict>"

    @property
    def source_columns(self) -> list[str]:
        return [c for spec in self.columns.values() for c in spec.sources]

    @classmethod
    def from_dict(cls, raw: dict, source="<dict>") -> "CohortConfig":
        """Validate a parsed YAML mapping; every problem names the key and rule."""
        return _build(raw, source)


def _fail(source, rule, key=None):
    raise CohortFileError(source, rule, column=key)


def _unknown(source, keys, allowed, where):
    extra = sorted(set(keys) - allowed)
    if extra:
        _fail(source, f"unknown config key in {where} (allowed: {sorted(allowed)})", extra[0])


def _check_recode_target(source, f, value):
    if f.dtype == "category" and str(value) not in f.categories:
        _fail(source, f"recode target {value!r} is not a category of {f.name} {list(f.categories)}", f.name)
    if f.dtype == "bool" and not isinstance(value, bool):
        _fail(source, f"recode target {value!r} for boolean field {f.name} must be true or false", f.name)


def _check_constant(source, f, value):
    from rairpredict.cohort.validate import coerce_field  # validate does not import config

    typed, problem = coerce_field(pd.Series([value], dtype=object), f)
    lo, hi = f.range or (-float("inf"), float("inf"))
    if typed.isna().iloc[0]:
        _fail(source, f"constant {value!r} is not a valid {f.dtype} ({problem.iloc[0] or 'missing'})", f.name)
    if f.range is not None and not lo <= float(typed.iloc[0]) <= hi:
        _fail(source, f"constant {value!r} outside range [{lo:g}, {hi:g}]", f.name)


def _column_spec(source, name, raw, contract) -> ColumnSpec:
    f = contract[name]
    if isinstance(raw, str):
        return ColumnSpec(name, (raw,))
    if not isinstance(raw, dict):
        _fail(source, "mapping must be a source column name or {column: ..., unit: ..., recode: ...}", name)
    _unknown(source, raw, _COLUMN_KEYS, f"columns.{name}")
    if ("column" in raw) == ("any_of" in raw):
        _fail(source, "give exactly one of 'column' or 'any_of'", name)
    if "any_of" in raw:
        if f.dtype != "bool":
            _fail(source, "any_of is only for boolean fields", name)
        sources = tuple(str(c) for c in raw["any_of"])
    else:
        sources = (str(raw["column"]),)
    unit = raw.get("unit")
    factor = 1.0
    if unit is not None:
        if f.unit is None:
            _fail(source, f"unknown unit {unit!r}: field has no unit", name)
        try:
            factor = f.convert_factor(str(unit))
        except KeyError:
            _fail(source, f"unknown unit {unit!r} (canonical {f.unit!r}, known {sorted(f.aliases)})", name)
    recode_raw = raw.get("recode") or {}
    for k in recode_raw:
        if isinstance(k, bool):
            # YAML reads unquoted Yes/No/On/Off keys as booleans: the source text is lost.
            _fail(source, f"recode key {k!r} is a YAML boolean; quote the source text, e.g. \"Yes\": true", name)
    recode = {str(k).strip(): v for k, v in recode_raw.items()}
    for v in recode.values():
        if v is not None:
            _check_recode_target(source, f, v)
    return ColumnSpec(name, sources, unit, factor, recode, any_of="any_of" in raw)


def _build(raw, source) -> CohortConfig:
    contract = load_contract()
    if not isinstance(raw, dict):
        _fail(source, "cohort config must be a YAML mapping")
    _unknown(source, raw, _TOP_KEYS, "top level")
    if not raw.get("name"):
        _fail(source, "missing required key", "name")
    read = raw.get("read") or {}
    _unknown(source, read, _READ_KEYS, "read")
    if read.get("decimal", ".") not in (".", ","):
        _fail(source, "read.decimal must be '.' or ','", "decimal")
    opts = ReadOptions(read.get("delimiter"), read.get("encoding"), read.get("sheet"), read.get("decimal", "."))
    columns_raw = raw.get("columns") or {}
    if not columns_raw:
        _fail(source, "missing required key (canonical_field: source column)", "columns")
    for name in list(columns_raw) + list(raw.get("constants") or {}) + list(_as_list(raw.get("lacks"))):
        if name not in contract:
            _fail(source, "unknown canonical field (see rairpredict.cohort.contract)", name)
    columns = {name: _column_spec(source, name, spec, contract) for name, spec in columns_raw.items()}
    constants = dict(raw.get("constants") or {})
    for name, value in constants.items():
        _check_constant(source, contract[name], value)
    id_raw = raw.get("id") or {}
    _unknown(source, id_raw, _ID_KEYS, "id")
    ids = IdSpec(bool(id_raw.get("generate", False)), str(id_raw.get("prefix", "")), int(id_raw.get("width", 4)))
    given = set(columns) | set(constants) | ({"patient_id"} if ids.generate else set())
    if ids.generate and "patient_id" in columns:
        _fail(source, "patient_id is both mapped and generated (id.generate)", "patient_id")
    lacks_raw = raw.get("lacks")
    if lacks_raw == "all_others":
        lacks = tuple(f.name for f in contract if f.name not in given and not f.derived and not f.required)
    else:
        lacks = tuple(_as_list(lacks_raw))
    for name in set(columns) & set(constants) | (set(lacks) & given):
        _fail(source, "field given more than once (columns / constants / lacks / id)", name)
    for name in lacks:
        if contract[name].required:
            _fail(source, "required field can not be declared lacking", name)
    missing = [f.name for f in contract if f.name not in given and f.name not in lacks and not f.derived]
    if missing:
        _fail(source, f"fields neither mapped, constant nor lacking: {missing} "
                      "(map them, or list them under 'lacks', or write lacks: all_others)", missing[0])
    tokens = tuple(str(t).strip() for t in (raw.get("missing_tokens") or DEFAULT_MISSING_TOKENS))
    return CohortConfig(str(raw["name"]), columns, opts, tuple(dict.fromkeys(("",) + tokens)),
                        constants, lacks, ids, str(source))


def _as_list(value):
    if value is None or value == "all_others":
        return []
    return [value] if isinstance(value, str) else list(value)


def load_cohort_config(path) -> CohortConfig:
    """Read and validate a YAML cohort config.

    Raises
    ------
    CohortFileError
        Unreadable YAML, unknown key, unknown canonical field, unknown unit,
        invalid recode target, or a contract field left unaccounted for.
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CohortFileError(path, f"unreadable config: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise CohortFileError(path, f"invalid YAML: {str(exc).splitlines()[0]}") from None
    return _build(raw, path)
