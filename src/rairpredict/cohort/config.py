"""Cohort configuration: how one source file maps onto the canonical contract.

A researcher describes a spreadsheet in YAML; no code is edited. The JSON
Schema of this file (``rairpredict schema cohort``) lets an editor check it as
it is typed; ``rairpredict fields`` lists the canonical fields. Keys:

``name`` (str, required)
    Cohort name, used in summaries and generated ids.
``path`` (str, optional)
    The data file. A relative path is relative to this config file, so a
    command run from any directory reads the same file.
``read`` (mapping, optional)
    ``delimiter`` (``auto`` by default: sniffed), ``encoding`` (default
    ``utf-8-sig``: UTF-8 with or without BOM), ``sheet`` (Excel sheet name or
    0-based index), ``decimal`` (``"."`` or ``","`` for numbers such as ``3,7``).
``columns`` (mapping, required)
    ``canonical_field: "Source column"`` or
    ``canonical_field: {column: "Source column", unit: "mCi", recode: {"F": female}, invalid: missing}``.
    Every mapped source column must exist in the file. ``unit`` must be the
    field's contract unit or one of its aliases; values are converted with
    :meth:`Field.convert_factor`. ``recode`` maps source text to canonical
    values (category names, ``true``/``false``, ``null`` for missing).
    Several source columns can feed one field:
    ``{column: ["Col A", "Col B"]}`` (or ``{first_of: [...]}``) takes the
    first non-missing value in that order; ``{any_of: ["Col A", "Col B"]}``
    builds a boolean that is True when any column is True, False when all
    are False, else missing.
``extra`` (mapping, optional)
    Columns that are not in the contract, so they can be an outcome, a
    population filter, a subgroup or a candidate feature:
    ``name: {column: ..., type: boolean|category|number, stage: ..., ...}``
    with ``true: [codes]``/``false: [codes]`` (boolean; default the usual
    yes/no/1/0), ``values: [...]`` (category: the allowed values; ``recode``
    maps other codes onto them), ``unit`` and ``range: [lo, hi]`` (number),
    ``description``. ``stage`` is required: when the value exists along the
    care pathway (diagnosis < pathology < pre_therapy < early_therapy <
    post_therapy_scan < follow_up), so the leakage guard refuses an extra
    feature recorded after the model's decision point.
``tnm_edition`` (5, 6, 7 or 8; default 8)
    AJCC/UICC edition of ``t_stage``/``n_stage``. Earlier editions and
    coarse categories (``T1``, ``T3``, ``T4``, ``N1``) are restaged to the
    8th edition where tumour size and extrathyroidal extension decide it
    (:mod:`rairpredict.cohort.staging`).
``invalid`` (``missing`` or ``reject``; default ``missing``)
    What an unreadable value does in an optional field: ``missing`` keeps the
    patient with the value missing and a warning row; ``reject`` rejects the
    row. Per column: ``{column: ..., invalid: reject}``. Required fields
    always reject.
``missing_tokens`` (list, optional)
    Cell texts that mean "not recorded" (compared after stripping spaces);
    ``""`` is always missing. Default :data:`rairpredict.cohort.io.MISSING_TOKENS`
    (``"" NA N/A n/a NaN nan NULL null - .``).
``constants`` (mapping, optional)
    ``canonical_field: value`` set for every row (only when the researcher
    knows it, e.g. ``course_number: 1`` in a first-course-only cohort).
``lacks`` (list, optional)
    Canonical fields this cohort does not record: missing by declaration.
    Every non-derived contract field must be mapped, constant, or lacking,
    so nothing is left out by accident. ``all_others`` (alone, or in the list
    beside names) stands for every optional field not given. A required field
    lacks only when named (a cohort of another disease has no thyroid
    histology or TNM: ``lacks: [sex, histology, t_stage, n_stage, m_stage,
    all_others]``); the cohort's schema then stops requiring it. ``patient_id``
    and ``age_years`` can never lack.
``id`` (mapping, optional)
    ``{generate: true, prefix: "uci-", width: 4}`` makes ``patient_id`` from
    the 1-based data-row number (``uci-0001`` ...), deterministic, for sources
    without identifiers; otherwise map ``patient_id`` under ``columns``.

Recoding is forgiving where it is safe: booleans also accept
yes/no/true/false/y/n/1/0 (any case) and categories match the contract
names ignoring case, spaces and hyphens (``"Multi nodular"`` is not
``multinodular_goiter``: use ``recode`` for anything else). Every mistake is
one line naming the file, the line of the key and, for a misspelt key or
field, the nearest valid one.

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

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from rairpredict.cohort.contract import Contract, Field, load_contract
from rairpredict.cohort.io import MISSING_TOKENS
from rairpredict.configfile import YamlDoc, did_you_mean, load_yaml
from rairpredict.errors import CohortFileError

__all__ = ["CohortConfig", "ColumnSpec", "ReadOptions", "IdSpec", "load_cohort_config", "DEFAULT_MISSING_TOKENS",
           "TNM_EDITIONS", "INVALID_POLICIES", "EXTRA_TYPES"]

DEFAULT_MISSING_TOKENS = MISSING_TOKENS  # one list, defined by the reader
#: AJCC/UICC TNM editions a cohort config may declare (restaging: rairpredict.cohort.staging).
TNM_EDITIONS = (5, 6, 7, 8)
#: What an unreadable value in an optional field does.
INVALID_POLICIES = ("missing", "reject")
#: ``type`` of an extra column -> contract dtype.
EXTRA_TYPES = {"boolean": "bool", "category": "category", "number": "float"}
TOP_KEYS = ("name", "description", "path", "read", "columns", "extra", "tnm_edition", "invalid",
            "missing_tokens", "constants", "lacks", "id")
READ_KEYS = ("delimiter", "encoding", "sheet", "decimal")
COLUMN_KEYS = ("column", "first_of", "any_of", "unit", "recode", "invalid")
EXTRA_KEYS = ("column", "first_of", "type", "stage", "description", "true", "false", "values", "recode",
              "unit", "range", "invalid")
ID_KEYS = ("generate", "prefix", "width")
_EXTRA_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


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
    """Where one canonical (or extra) field comes from.

    ``sources`` are read in order: with ``any_of`` they are OR-ed (booleans),
    otherwise the first non-missing value wins (one source: that column).
    ``invalid`` is ``"reject"`` or ``"missing"`` (see the module docstring).
    """

    field: str
    sources: tuple[str, ...]
    unit: str | None = None
    factor: float = 1.0
    recode: dict = field(default_factory=dict)
    any_of: bool = False
    invalid: str = "reject"


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
    extras: tuple[Field, ...] = ()
    tnm_edition: int = 8
    path: str | None = None

    @property
    def source_columns(self) -> list[str]:
        return list(dict.fromkeys(c for spec in self.columns.values() for c in spec.sources))

    @property
    def schema(self) -> Contract:
        """The contract plus this cohort's extra fields, without requiring the fields it declares lacking."""
        base = load_contract().without_requiring(self.lacks)
        return base.extend(self.extras) if self.extras else base

    @property
    def invalid_policy(self) -> dict[str, str]:
        """Field -> ``"reject"`` or ``"missing"`` for every mapped field."""
        return {name: spec.invalid for name, spec in self.columns.items()}

    @property
    def source_labels(self) -> dict[str, str]:
        """Field -> its source column(s) as users wrote them, for messages."""
        return {name: " / ".join(spec.sources) for name, spec in self.columns.items()}

    @classmethod
    def from_dict(cls, raw: dict, source="<dict>") -> "CohortConfig":
        """Validate a parsed YAML mapping; every problem names the key and rule."""
        return _build(YamlDoc(raw, str(source)), base=None)


class _Checker:
    """Raises :class:`CohortFileError` naming the file, the key's line and a suggestion."""

    def __init__(self, doc: YamlDoc):
        self.doc = doc

    def fail(self, rule, key=None, at=()):
        raise CohortFileError(self.doc.where(*at), rule, column=key, usage=True)  # a config mistake: exit 2

    def unknown(self, keys, allowed, where, at=()):
        extra = [k for k in keys if k not in allowed]
        if extra:
            k = extra[0]
            self.fail(f"unknown config key in {where} (allowed: {', '.join(allowed)}){did_you_mean(k, allowed)}",
                      str(k), at + (k,))


def _check_recode_target(chk, f, value, at):
    if f.dtype == "category" and str(value) not in f.categories:
        chk.fail(f"recode target {value!r} is not a category of {f.name} {list(f.categories)}"
                 f"{did_you_mean(value, f.categories)}", f.name, at)
    if f.dtype == "bool" and not isinstance(value, bool):
        chk.fail(f"recode target {value!r} for boolean field {f.name} must be true or false", f.name, at)


def _check_constant(chk, f, value):
    from rairpredict.cohort.validate import coerce_field  # validate does not import config

    typed, problem = coerce_field(pd.Series([value], dtype=object), f)
    lo, hi = f.range or (-float("inf"), float("inf"))
    at = ("constants", f.name)
    if typed.isna().iloc[0]:
        chk.fail(f"constant {value!r} is not a valid {f.dtype} ({problem.iloc[0] or 'missing'})", f.name, at)
    if f.range is not None and not lo <= float(typed.iloc[0]) <= hi:
        chk.fail(f"constant {value!r} outside range [{lo:g}, {hi:g}]", f.name, at)


def _sources(chk, name, raw, at, any_of_ok):
    """The ordered source columns of one mapping, and whether they are OR-ed (any_of)."""
    given = [k for k in ("column", "first_of", "any_of") if k in raw]
    if len(given) != 1:
        chk.fail("give exactly one of 'column', 'first_of' or 'any_of'", name, at)
    key = given[0]
    value = raw[key]
    cols = value if isinstance(value, list) else [value]
    if not cols or any(c is None or isinstance(c, (dict, list)) for c in cols):
        chk.fail(f"'{key}' must be a source column name or a list of them", name, at + (key,))
    if key == "any_of" and not any_of_ok:
        chk.fail("any_of is only for boolean fields (use column: [A, B] for the first non-missing)", name,
                 at + (key,))
    return tuple(str(c) for c in cols), key == "any_of"


def _recode(chk, name, raw, f, at):
    recode_raw = raw.get("recode") or {}
    if not isinstance(recode_raw, dict):
        chk.fail("recode must be a mapping {source text: canonical value}", name, at + ("recode",))
    for k in recode_raw:
        if isinstance(k, bool):
            # YAML reads unquoted Yes/No/On/Off keys as booleans: the source text is lost.
            chk.fail(f"recode key {k!r} is a YAML boolean; quote the source text, e.g. \"Yes\": true", name,
                     at + ("recode",))
    recode = {str(k).strip(): v for k, v in recode_raw.items()}
    for k, v in recode.items():
        if v is not None:
            _check_recode_target(chk, f, v, at + ("recode", k))
    return recode


def _policy(chk, name, raw, f, default, at):
    policy = raw.get("invalid", default) if isinstance(raw, dict) else default
    if policy not in INVALID_POLICIES:
        chk.fail(f"invalid: {policy!r} is not one of {list(INVALID_POLICIES)}", name, at + ("invalid",))
    if f.required:
        if isinstance(raw, dict) and raw.get("invalid") == "missing":
            chk.fail("a required field always rejects an unreadable value (remove invalid: missing)", name,
                     at + ("invalid",))
        return "reject"
    return policy


def _column_spec(chk, name, raw, contract, default_policy) -> ColumnSpec:
    f = contract[name]
    at = ("columns", name)
    if isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
        return ColumnSpec(name, (str(raw),), invalid=_policy(chk, name, raw, f, default_policy, at))
    if isinstance(raw, list):
        raw = {"first_of": raw}
    if not isinstance(raw, dict):
        chk.fail("mapping must be a source column name, a list of them, or {column: ..., unit: ..., recode: ...}",
                 name, at)
    chk.unknown(raw, COLUMN_KEYS, f"columns.{name}", at)
    sources, any_of = _sources(chk, name, raw, at, f.dtype == "bool")
    unit = raw.get("unit")
    factor = 1.0
    if unit is not None:
        if f.unit is None:
            chk.fail(f"unknown unit {unit!r}: field has no unit", name, at + ("unit",))
        try:
            factor = f.convert_factor(str(unit))
        except KeyError:
            known = [f.unit, *f.aliases]
            chk.fail(f"unknown unit {unit!r} (canonical {f.unit!r}, known {sorted(f.aliases)})"
                     f"{did_you_mean(unit, known)}", name, at + ("unit",))
    recode = _recode(chk, name, raw, f, at)
    return ColumnSpec(name, sources, unit, factor, recode, any_of=any_of,
                      invalid=_policy(chk, name, raw, f, default_policy, at))


def _codes(chk, name, raw, key, at):
    value = raw.get(key)
    value = [] if value is None else value if isinstance(value, list) else [value]
    for v in value:
        if isinstance(v, bool):
            # YAML reads unquoted yes/no/true/false as booleans: the source text is lost.
            chk.fail(f"code {v!r} under '{key}' is a YAML boolean; quote the source text, e.g. {key}: [\"yes\"]",
                     name, at + (key,))
    return tuple(str(v).strip() for v in value)


def _extra(chk, name, raw, contract, default_policy) -> tuple[Field, ColumnSpec]:
    """An extra column: its Field (type, stage, values) and where it comes from."""
    at = ("extra", name)
    if name in contract:
        chk.fail("is a canonical field: map it under 'columns', not 'extra'", name, at)
    if not _EXTRA_NAME.match(str(name)) or contract.is_oracle(str(name)):
        chk.fail("extra column names start with a letter and hold letters, digits and '_' only "
                 "(no 'oracle_' prefix)", str(name), at)
    if not isinstance(raw, dict):
        chk.fail("extra column needs a mapping {column: ..., type: ..., stage: ...}", name, at)
    # YAML reads the keys true: and false: as booleans
    raw = {("true" if k is True else "false" if k is False else k): v for k, v in raw.items()}
    chk.unknown(raw, EXTRA_KEYS, f"extra.{name}", at)
    kind = raw.get("type")
    if kind not in EXTRA_TYPES:
        chk.fail(f"type {kind!r} is not one of {list(EXTRA_TYPES)}{did_you_mean(kind or '', EXTRA_TYPES)}",
                 name, at + ("type",))
    stage = raw.get("stage")
    if stage not in contract.stages:
        chk.fail(f"stage {stage!r} is required and must be one of {list(contract.stages)} (when the value "
                 f"exists along the care pathway){did_you_mean(stage or '', contract.stages)}", name,
                 at + ("stage",))
    dtype = EXTRA_TYPES[kind]
    allowed = {"bool": {"true", "false"}, "category": {"values"}, "float": {"unit", "range"}}[dtype]
    for key in ("true", "false", "values", "unit", "range"):
        if key in raw and key not in allowed:
            chk.fail(f"'{key}' does not apply to type {kind}", name, at + (key,))
    true, false = _codes(chk, name, raw, "true", at), _codes(chk, name, raw, "false", at)
    if bool(true) != bool(false):
        chk.fail("give both 'true' and 'false' codes (or neither, for yes/no/1/0)", name, at)
    both = {c.lower() for c in true} & {c.lower() for c in false}
    if both:
        chk.fail(f"code {sorted(both)[0]!r} is listed as both true and false", name, at)
    categories = None
    if dtype == "category":
        categories = tuple(str(v) for v in (raw.get("values") or []))
        if not categories or len(set(categories)) != len(categories):
            chk.fail("a category column needs 'values': the list of distinct allowed values", name,
                     at + ("values",))
    rng = raw.get("range")
    if rng is not None:
        if not (isinstance(rng, list) and len(rng) == 2 and all(isinstance(v, (int, float)) for v in rng)
                and rng[0] <= rng[1]):
            chk.fail("range must be [low, high] numbers with low <= high", name, at + ("range",))
        rng = (float(rng[0]), float(rng[1]))
    f = Field(str(name), dtype, str(stage), description=str(raw.get("description", "")),
              source="cohort config (extra column)", unit=raw.get("unit"), range=rng, categories=categories,
              extra=True, true_codes=true, false_codes=false)
    sources, _ = _sources(chk, name, raw, at, any_of_ok=False)
    recode = _recode(chk, name, raw, f, at)
    return f, ColumnSpec(f.name, sources, recode=recode, invalid=_policy(chk, name, raw, f, default_policy, at))


def _build(doc: YamlDoc, base) -> CohortConfig:
    chk = _Checker(doc)
    raw = doc.data
    contract = load_contract()
    if not isinstance(raw, dict):
        chk.fail("cohort config must be a YAML mapping")
    chk.unknown(raw, TOP_KEYS, "top level")
    if not raw.get("name"):
        chk.fail("missing required key", "name")
    read = raw.get("read") or {}
    chk.unknown(read, READ_KEYS, "read", ("read",))
    if read.get("decimal", ".") not in (".", ","):
        chk.fail("read.decimal must be '.' or ','", "decimal", ("read", "decimal"))
    opts = ReadOptions(read.get("delimiter"), read.get("encoding"), read.get("sheet"), read.get("decimal", "."))
    default_policy = raw.get("invalid", "missing")
    if default_policy not in INVALID_POLICIES:
        chk.fail(f"invalid: {default_policy!r} is not one of {list(INVALID_POLICIES)}", "invalid", ("invalid",))
    edition = raw.get("tnm_edition", 8)
    if edition not in TNM_EDITIONS:
        chk.fail(f"tnm_edition {edition!r} is not one of {list(TNM_EDITIONS)} (AJCC/UICC edition of the T and N "
                 "categories)", "tnm_edition", ("tnm_edition",))
    columns_raw = raw.get("columns") or {}
    if not isinstance(columns_raw, dict) or not columns_raw:
        chk.fail("missing required key (canonical_field: source column)", "columns", ("columns",))
    for section, names in (("columns", list(columns_raw)), ("constants", list(raw.get("constants") or {})),
                           ("lacks", _as_list(raw.get("lacks")))):
        for i, name in enumerate(names):
            if name not in contract:
                hint = did_you_mean(name, contract.names) or "; or declare it under 'extra' with a type and stage"
                chk.fail(f"unknown canonical field (see `rairpredict fields`){hint}", name,
                         (section, name) if section != "lacks" else (section, i))
    columns = {name: _column_spec(chk, name, spec, contract, default_policy) for name, spec in columns_raw.items()}
    extra_raw = raw.get("extra") or {}
    if not isinstance(extra_raw, dict):
        chk.fail("extra must be a mapping name: {column: ..., type: ..., stage: ...}", "extra", ("extra",))
    extras = []
    for name, spec in extra_raw.items():
        f, col = _extra(chk, name, spec, contract, default_policy)
        extras.append(f)
        columns[f.name] = col
    constants = dict(raw.get("constants") or {})
    for name, value in constants.items():
        _check_constant(chk, contract[name], value)
    id_raw = raw.get("id") or {}
    chk.unknown(id_raw, ID_KEYS, "id", ("id",))
    ids = IdSpec(bool(id_raw.get("generate", False)), str(id_raw.get("prefix", "")), int(id_raw.get("width", 4)))
    given = set(columns) | set(constants) | ({"patient_id"} if ids.generate else set())
    if ids.generate and "patient_id" in columns:
        chk.fail("patient_id is both mapped and generated (id.generate)", "patient_id", ("id",))
    lacks_raw = raw.get("lacks")
    named = _as_list(lacks_raw)
    all_others = "all_others" in _as_list_raw(lacks_raw)
    if all_others:
        lacks = tuple(dict.fromkeys([*named, *(f.name for f in contract if f.name not in given and not f.derived
                                                and not f.required and f.name not in named)]))
    else:
        lacks = tuple(named)
    for name in set(columns) & set(constants) | (set(lacks) & given):
        chk.fail("field given more than once (columns / constants / lacks / id)", name, ("constants", name))
    for name in lacks:
        # a required field may lack only by name (never by all_others): a cohort of another disease has no
        # thyroid histology or TNM, but a thyroid registry must not lose them by accident
        if name in ("patient_id", "age_years") and contract[name].required:
            chk.fail("required field can not be declared lacking (patient_id can be generated: id: {generate: "
                     "true})", name, ("lacks",))
    missing = [f.name for f in contract if f.name not in given and f.name not in lacks and not f.derived]
    if missing:
        required = [m for m in missing if contract[m].required]
        hint = (f"; all_others never covers the required fields {required}: map them, or, if this cohort does "
                f"not record them at all (another disease), name them: lacks: [{', '.join(required)}, all_others]"
                ) if required and all_others else ""
        chk.fail(f"fields neither mapped, constant nor lacking: {missing} "
                 "(map them, or list them under 'lacks', or write lacks: all_others)" + hint, missing[0], ("columns",))
    tokens = tuple(str(t).strip() for t in (raw.get("missing_tokens") or DEFAULT_MISSING_TOKENS))
    data_path = raw.get("path")
    if data_path is not None:
        data_path = Path(str(data_path)).expanduser()
        if base is not None and not data_path.is_absolute():
            data_path = (base / data_path).resolve()  # relative to the config file, not the working directory
        data_path = str(data_path)
    return CohortConfig(str(raw["name"]), columns, opts, tuple(dict.fromkeys(("",) + tokens)),
                        constants, lacks, ids, str(doc.path), tuple(extras), int(edition), data_path)


def _as_list_raw(value) -> list:
    """``lacks`` as a list (``"all_others"`` alone or among names)."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _as_list(value):
    """The names of a ``lacks``-like list (``all_others`` is not a name)."""
    return [v for v in _as_list_raw(value) if v != "all_others"]


def load_cohort_config(path) -> CohortConfig:
    """Read and validate a YAML cohort config.

    Raises
    ------
    CohortFileError
        Unreadable YAML, unknown key, unknown canonical field, unknown unit,
        invalid recode target, or a contract field left unaccounted for; the
        message names the file, the key's line and the nearest valid key.
    """
    path = Path(path)
    doc = load_yaml(path, error=lambda where, msg: CohortFileError(where, msg, usage=True))  # exit 2
    return _build(doc, base=path.resolve().parent)
