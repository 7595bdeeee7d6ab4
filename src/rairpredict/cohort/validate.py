"""Row-level validation of a canonical table: accepted rows + a rejects table.

File-level problems (a column that is not canonical, a required column that is
absent) raise :class:`CohortFileError`. Everything else is decided per row:
a row with any problem is rejected, with one rejects line per problem

============================  ==================================================
rule                          meaning
============================  ==================================================
``not_a_number``              text in a numeric field
``not_an_integer``            a fraction in an integer field
``not_boolean``               not one of yes/no/true/false/y/n/1/0 (any case)
``unseen_category``           not a contract category (case/space/hyphen-blind)
``out_of_range``              outside the contract ``range`` (after unit conversion)
``missing_required``          empty cell in a required field
``duplicate_id``              a ``patient_id`` seen in an earlier row -- with the
                              same ``course_number`` when the table has one (a
                              patient has one row per course); the first
                              occurrence is kept, later ones rejected
``ln_positive_gt_examined``   ``ln_positive > ln_examined``
``lesions_gt_known``          ``lesions_without_uptake > known_lesions``
============================  ==================================================

and a value outside ``plausible`` but inside ``range`` is kept and listed in
the separate ``flags`` table (rule ``implausible``), so the canonical table
itself stays exactly the contract. Unit mix-ups get a hint ("looks like mCi").
Always ``n_in == len(table) + n_rejected``. Validation is per row, so it
works on chunks; only duplicate-id detection looks across rows (switch it off
with ``check_duplicates=False`` when chunks are checked elsewhere).

Pandas rather than pandera: each cell must be coerced with its raw text kept
for the rejects table, plausibility is warn-only and messages carry unit
hints, so pandera's failure cases would need re-mapping for every rule.

How it stays fast, for 1M rows and for one REST row alike: the contract is
compiled once (:func:`_compile`); the table's columns are read once as arrays
and the accepted table is built once from arrays (:mod:`._columns`, no Series
per column). Each column is converted once (:func:`_convert`): numbers stay
NumPy arrays; text is factorised and read once per distinct value (a few rows:
cell by cell, :func:`_short_states`), then expanded by code. The rules of a
kind are written once, on 2-D arrays -- numbers in :func:`_numbers`, category
and boolean states in :func:`_coded` -- and read the columns of that kind
together as one array when the table is short (one NumPy call per rule, not per
column), one column at a time when it is long (no copies).

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"patient_id": ["a", "b", "a"], "age_years": ["40", "x", "50"],
...                   "sex": ["Female", "male", "female"], "histology": ["follicular"] * 3,
...                   "t_stage": ["T2"] * 3, "n_stage": ["N0"] * 3, "m_stage": ["M0"] * 3})
>>> r = validate_canonical(t)
>>> r.n_in, len(r.table), r.n_rejected
(3, 1, 2)
>>> sorted(r.rejects["rule"])
['duplicate_id', 'not_a_number']
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from rairpredict.cohort._columns import STACK_ROWS, categorical, column_arrays, frame_from_arrays, string_array
from rairpredict.cohort.contract import EXTRA_FIELDS_ATTR, Contract, Field, lacking_markers, load_contract
from rairpredict.configfile import did_you_mean
from rairpredict.errors import CohortFileError

__all__ = ["validate_canonical", "coerce_field", "canonical_dtype", "ImportResult", "REJECT_COLUMNS",
           "allowed_values", "value_message"]

REJECT_COLUMNS = ["source_row", "patient_id", "column", "value", "rule", "message"]
_TRUE = {"true", "yes", "y", "t", "1", "1.0"}
_FALSE = {"false", "no", "n", "f", "0", "0.0"}
# cross-field rules: (rule, smaller, larger)
_ORDER_RULES = (("ln_positive_gt_examined", "ln_positive", "ln_examined"),
                ("lesions_gt_known", "lesions_without_uptake", "known_lesions"))


def _bool_codes(f: Field) -> tuple[set, set]:
    """Texts (lower case) read as True and False: an extra field's own codes, else yes/no/1/0."""
    if f.true_codes:
        return {c.lower() for c in f.true_codes}, {c.lower() for c in f.false_codes}
    return _TRUE, _FALSE


def allowed_values(f: Field) -> list[str] | None:
    """What a user may write in ``f`` (categories or boolean codes); None for numbers and text."""
    if f.dtype == "category":
        return list(f.categories)
    if f.dtype == "bool":
        return [*f.true_codes, *f.false_codes] or ["yes", "no", "true", "false", "1", "0"]
    return None


def value_message(f: Field, rule: str, value, source: str | None = None, decimal: str = ".",
                  unit: str | None = None) -> str:
    """Why ``value`` is unreadable in ``f`` and how to fix it: allowed values and the nearest one.

    Examples
    --------
    >>> from rairpredict.cohort.contract import load_contract
    >>> value_message(load_contract()["t_stage"], "unseen_category", "pT1b", source="pT")
    "column 'pT': 'pT1b' is not a t_stage category; allowed: T1a, T1b, T2, T3a, T3b, T4a, T4b, TX, T1, T3, T4; did you mean 'T1b'? (or recode it in the cohort config)"
    """
    text = "" if value is None else str(value).strip()
    head = f"column {source or f.name!r}: {text!r}"
    if rule in ("unseen_category", "not_boolean"):
        allowed = allowed_values(f)
        what = f"a {f.name} category" if f.dtype == "category" else f"a {f.name} code (boolean)"
        return (f"{head} is not {what}; allowed: {', '.join(allowed)}{did_you_mean(text, allowed, cutoff=0.6)}"
                " (or recode it in the cohort config)")
    if rule == "not_a_number":
        unit = f" ({unit or f.unit})" if (unit or f.unit) else ""  # the unit the source column is in
        hint = ""
        if re.fullmatch(r"[+-]?\d+,\d+", text) and decimal != ",":
            hint = "; looks like a decimal comma: set read: {decimal: ','}"
        elif text[:1] in "<>≤≥":
            hint = "; a censored value: recode it (e.g. '<0.2': 0.1) or list it under missing_tokens"
        elif text:
            hint = "; list it under missing_tokens if it means 'not recorded'"
        return f"{head} is not a number{unit}{hint}"
    if rule == "not_an_integer":
        return f"{head} is not a whole number"
    return f"{head}: cannot read as {f.dtype}"


def _norm(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")


def canonical_dtype(f: Field):
    """The pandas dtype of a contract field."""
    if f.dtype == "category":
        return pd.CategoricalDtype(list(f.categories))
    return {"bool": "boolean", "int": "Int64", "float": "float64", "string": "string"}[f.dtype]


#: State of a cell given but unreadable in a category or bool field (-1: missing).
UNREADABLE = -2


# ---------------------------------------------------------------- the contract, compiled once
@dataclass(frozen=True)
class _Spec:
    """What validation needs of one field, computed once per contract (not per chunk)."""

    field: Field
    dtype: object
    lookup: dict | None = None  # category: text (as given or normalised) -> position
    true: frozenset = frozenset()  # bool: texts (lower case) read as True and False
    false: frozenset = frozenset()
    # numbers: the contract range and plausible range (infinite where the contract gives none)
    range: tuple = (-np.inf, np.inf)
    plausible: tuple = (-np.inf, np.inf)

    def read(self, text: str) -> int:
        """State of a stripped text in a category or bool field: position, 1 or 0, or UNREADABLE."""
        if self.lookup is not None:  # exact, else case/space/hyphen-blind
            return self.lookup[text] if text in self.lookup else self.lookup.get(_norm(text), UNREADABLE)
        low = text.lower()
        return 1 if low in self.true else 0 if low in self.false else UNREADABLE


def _short_states(values: np.ndarray, spec: _Spec, tokens: frozenset) -> list | None:
    """Cell states (see :func:`_coded`) of a short object column in a category or bool field, read cell by cell.

    For a few rows, reading each cell costs less than factorising first. None
    if a cell is neither text nor None (the general route reads those).
    """
    out = []
    for v in values.tolist():
        if v is None:
            out.append(-1)
        elif type(v) is str:
            text = v.strip()
            out.append(-1 if text in tokens else spec.read(text))
        else:
            return None
    return out


def _spec(f: Field) -> _Spec:
    if f.dtype == "category":
        position = {c: i for i, c in enumerate(f.categories)}
        lookup = {_norm(c): i for c, i in position.items()}
        lookup.update(position)
        return _Spec(f, canonical_dtype(f), lookup=lookup)
    if f.dtype == "bool":
        true, false = _bool_codes(f)
        return _Spec(f, canonical_dtype(f), true=frozenset(true), false=frozenset(false))
    if f.dtype in ("float", "int"):
        return _Spec(f, canonical_dtype(f), range=f.range or (-np.inf, np.inf),
                     plausible=f.plausible or (-np.inf, np.inf))
    return _Spec(f, canonical_dtype(f))


@dataclass(frozen=True)
class _Compiled:
    specs: dict  # field name -> _Spec
    names: pd.Index  # the contract's field names: the accepted table's columns
    required: list  # the required fields' names
    recorded: list  # what the accepted table's attrs record (extra fields, lacking markers)


@lru_cache(maxsize=4)
def _compile(contract) -> _Compiled:
    """Everything validation reads of ``contract``, computed once per contract object."""
    return _Compiled({f.name: _spec(f) for f in contract}, pd.Index(contract.names), contract.required,
                     [f.to_dict() for f in contract.extras] + lacking_markers(contract))


# ---------------------------------------------------------------- one column: one conversion
def _empty(f: Field, n: int):
    """An all-missing array of ``f``'s dtype (built from arrays: no per-cell conversion)."""
    if f.dtype == "category":
        return categorical(np.full(n, -1, dtype=np.int8), canonical_dtype(f))
    if f.dtype == "float":
        return np.full(n, np.nan)
    if f.dtype == "int":
        return pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    if f.dtype == "bool":
        return pd.arrays.BooleanArray(np.zeros(n, dtype=bool), np.ones(n, dtype=bool))
    return string_array(np.full(n, None, dtype=object))


#: Up to this many rows, a column of text cells (or None) is factorised by a dict: the codes and
#: values ``pd.factorize`` gives, without pandas' fixed cost per column (a one-row REST request
#: has ~40 such columns; tests/scoring/test_small_batch.py compares both routes).
FEW_ROWS = 64
def _few_texts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``pd.factorize`` of a short object column whose cells are all ``str`` or None; None otherwise."""
    seen: dict = {}
    codes = []
    for v in values.tolist():
        if v is None:
            codes.append(-1)
        elif type(v) is str:
            codes.append(seen.setdefault(v, len(seen)))
        else:
            return None  # numbers, NaN, pd.NA, ...: pandas decides
    return np.array(codes, dtype=np.intp), np.array(list(seen), dtype=object)


def _distinct(values) -> tuple[np.ndarray, np.ndarray]:
    """Codes (-1 = missing) and distinct values, so per-value Python runs once per distinct value.

    A Categorical brings its own codes. ``pd.factorize`` merges values that
    compare equal across types (``True == 1 == 1.0``), so mixed-type columns
    are factorised on their text instead, which is what the rules read.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        return np.asarray(values.codes, dtype=np.intp), np.asarray(values.categories, dtype=object)
    if len(values) <= FEW_ROWS and values.dtype == object:
        few = _few_texts(values)
        if few is not None:
            return few
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        values = pd.Series(values, copy=False).astype("string")
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype=object)


def _expand(per_value, codes: np.ndarray, missing) -> np.ndarray:
    """``per_value[codes]`` with ``missing`` where the code is -1."""
    return np.append(np.asarray(per_value), [missing]).take(codes)  # code -1 picks the appended entry


def _positions(per_value: list, codes: np.ndarray) -> np.ndarray:
    """:func:`_expand` of small whole numbers (category positions, boolean states) with -1 for missing."""
    return np.array([*per_value, -1], dtype=np.int64).take(codes)


def _stripped_text(uniques: np.ndarray) -> list:
    """Distinct values as stripped text (list of str), the form every text rule reads."""
    if pd.api.types.infer_dtype(uniques, skipna=False) != "string":  # e.g. a Categorical of numbers
        uniques = pd.Series(uniques, dtype=object).astype("string").to_numpy(object)
    return [v.strip() for v in uniques]


def _is_number(dtype) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _typed(dtype) -> bool:
    """Numbers or booleans (no text a missing token could match)."""
    return dtype != object and (_is_number(dtype) or pd.api.types.is_bool_dtype(dtype))


def _is_float64(values) -> bool:
    return type(values) is np.ndarray and values.dtype == np.float64


@dataclass
class _Column:
    """One converted column: values in the contract dtype and the rules its cells broke.

    ``number`` is the float64 view of numeric fields (range checks, cross-field
    rules read it); ``key`` gives equal codes to equal values (duplicate ids);
    ``outside`` and ``odd`` mark numbers outside the range and the plausible
    range (None: none).
    """

    values: object
    problems: list  # (rule, boolean mask), in the order the rules are checked
    number: np.ndarray | None = None
    key: np.ndarray | None = None
    outside: np.ndarray | None = None
    odd: np.ndarray | None = None

    def set_missing(self, mask: np.ndarray) -> None:
        """Make the cells of ``mask`` missing (an optional field's unreadable values, policy ``missing``)."""
        if self.number is not None:
            self.number = np.where(mask, np.nan, self.number)
        if isinstance(self.values, np.ndarray):
            self.values = np.where(mask, np.nan, self.values)
        else:
            self.values = self.values.copy()
            self.values[mask] = None


def _numbers(num: np.ndarray, present: np.ndarray, specs: list, factors: np.ndarray) -> list:
    """The number rules, for k numeric columns at once: rows of ``num`` (k x n float64, NaN missing).

    ``present`` marks the cells given (None: those not NaN); ``specs`` are all
    of one kind (int or float), ``factors`` (k x 1) convert their units. Returns
    one :class:`_Column` per row; its values and number are rows of 2-D arrays.
    """
    finite = np.isfinite(num)
    # given but not finite (inf; NaN too where NaN is not pandas' missing)
    checks = [("not_a_number", np.isinf(num) if present is None else present & ~finite)]
    num = np.where(finite, num, np.nan)
    if specs[0].field.dtype == "int":
        with np.errstate(invalid="ignore"):
            huge = np.abs(num) > 2.0**53  # beyond every int range; Int64 cannot hold it exactly
            frac = ~np.isnan(num) & (num != np.round(num)) & ~huge
        checks += [("out_of_range", huge), ("not_an_integer", frac)]
        num = np.round(np.where(huge | frac, np.nan, num) * factors)
        missing = np.isnan(num)
        whole = np.where(missing, 0, num).astype(np.int64)
        values = [pd.arrays.IntegerArray(whole[i], missing[i]) for i in range(len(specs))]
    else:
        num = num * factors
        values = list(num)
    bounds = np.array([(*s.range, *s.plausible) for s in specs])  # k x 4: range, plausible range
    outside = (num < bounds[:, 0:1]) | (num > bounds[:, 1:2])  # NaN compares False: missing is never outside
    odd = ((num < bounds[:, 2:3]) | (num > bounds[:, 3:4])) & ~outside
    masks = [mask for _, mask in checks] + [outside, odd]
    hit = np.vstack([mask.any(axis=1) for mask in masks]).T.tolist()  # column x check: any cell at all?
    rows = list(num)
    out = []
    for i, (spec, h) in enumerate(zip(specs, hit)):
        col = _Column(values[i], [], rows[i])
        if any(h):
            col.problems = [(rule, mask[i]) for (rule, mask), given in zip(checks, h) if given]
            col.outside = outside[i] if h[-2] else None
            col.odd = odd[i] if h[-1] else None
        out.append(col)
    return out


def _coded(specs: list, states: np.ndarray) -> list:
    """Category or boolean columns (all of one kind) from their cells' states, k columns at once.

    ``states`` (k x n) holds each cell's category position or boolean state
    (1 true, 0 false), -1 where missing and :data:`UNREADABLE` where given but
    not readable (rule ``unseen_category`` or ``not_boolean``). Returns one
    :class:`_Column` per row of ``states``.
    """
    unreadable = states == UNREADABLE
    hit = unreadable.any(axis=1).tolist()
    if specs[0].field.dtype == "category":
        rule = "unseen_category"
        codes = list(np.maximum(states, -1) if any(hit) else states)  # unreadable: a missing category
        values = [categorical(c, spec.dtype) for c, spec in zip(codes, specs)]
    else:
        rule, true, missing = "not_boolean", list(states == 1), list(states < 0)
        values = [pd.arrays.BooleanArray(t, m) for t, m in zip(true, missing)]
    return [_Column(v, [(rule, unreadable[i])] if h else []) for i, (v, h) in enumerate(zip(values, hit))]


def _convert(values, spec: _Spec, *, factor: float = 1.0, decimal: str = ".", missing_tokens=(),
             defer: bool = False) -> _Column | np.ndarray:
    """Convert raw ``values`` (a column's array) to ``spec``'s dtype: one pass over the rows, rules per distinct value.

    Texts in ``missing_tokens`` (after stripping) are missing. Numeric input
    of a numeric field is read as numbers; anything else is factorised once
    and each distinct value is read by the rules below. With ``defer``, text
    in a category or bool field gives its states (see :func:`_coded`), for
    :func:`_coded` to check with other columns.
    """
    f = spec.field

    def numbers(num, present):
        return _numbers(num[None, :], None if present is None else present[None, :], [spec],
                        np.array([[factor]]))[0]

    if f.dtype in ("float", "int") and _is_float64(values):
        return numbers(values, None)  # NaN is pandas' missing here (a view: never written)
    if f.dtype in ("float", "int") and _is_number(values.dtype):
        series = pd.Series(values, copy=False)
        return numbers(series.to_numpy(np.float64, na_value=np.nan), series.notna().to_numpy(bool))
    if f.dtype == "bool" and ((values.dtype != object and pd.api.types.is_bool_dtype(values.dtype)) or (
            # e.g. Parquet booleans with nulls: True/False/None objects (no text a token could match)
            values.dtype == object and not {"True", "False"} & {str(t).strip() for t in missing_tokens}
            and pd.api.types.infer_dtype(values, skipna=True) == "boolean")):
        return _Column(pd.array(values, dtype="boolean", copy=True), [])
    codes, uniques = _distinct(values)
    text = _stripped_text(uniques)
    if missing_tokens and not _typed(values.dtype):
        tokens = missing_tokens if isinstance(missing_tokens, frozenset) else frozenset(missing_tokens)
        if not tokens.isdisjoint(text):  # (a set operation: most columns hold no token at all)
            blank = [isinstance(v, str) and t in tokens for v, t in zip(uniques, text)]
            codes = np.where(_expand(blank, codes, False), -1, codes)
    if f.dtype in ("float", "int"):
        if decimal == ",":
            text = [t.replace(",", ".") for t in text]
        parsed = pd.to_numeric(pd.Series(text, dtype=object), errors="coerce").to_numpy(np.float64)
        return numbers(_expand(parsed, codes, np.nan), codes >= 0)
    if f.dtype in ("bool", "category"):
        states = _positions([spec.read(t) for t in text], codes)  # read per distinct value; -1 where missing
        return states if defer else _coded([spec], states[None, :])[0]
    # " a" and "a" are one id: equal keys for equal stripped texts
    if all(t is v for t, v in zip(text, uniques)):  # str.strip() returns the same object if nothing changed
        key = codes
        text = uniques
    else:
        same, text = pd.factorize(np.array(text, dtype=object))
        key = np.where(codes >= 0, same.take(codes), -1)
        text = np.asarray(text, dtype=object)
    return _Column(string_array(_expand(text, key, None)), [], key=key)


def _array_of(values: pd.Series):
    """The array behind a Series (a NumPy array for NumPy dtypes), as :func:`column_arrays` gives it."""
    return values.array if isinstance(values.dtype, pd.api.extensions.ExtensionDtype) else values.to_numpy()


def coerce_field(values: pd.Series, f: Field, *, factor: float = 1.0, decimal: str = ".") -> tuple[pd.Series, pd.Series]:
    """Convert raw values to ``f``'s dtype.

    Returns the typed series and a series holding, for each cell that was
    present but could not be converted, the rule it broke (else missing).
    """
    column = _convert(_array_of(values), _spec(f), factor=factor, decimal=decimal)
    problem = np.empty(len(values), dtype=object)  # all None
    for rule, mask in column.problems:
        problem[mask] = rule
    return (pd.Series(column.values, index=values.index, dtype=canonical_dtype(f)),
            pd.Series(problem, index=values.index))


@dataclass
class ImportResult:
    """Outcome of importing or validating one table.

    Attributes
    ----------
    table : DataFrame
        Accepted rows, every contract column in contract dtypes.
    rejects : DataFrame
        One line per problem: source_row (1-based data row), patient_id,
        column, value (raw text), rule, message.
    flags : DataFrame
        Same columns; implausible-but-possible values in *accepted* rows.
    n_in : int
        Data rows read.
    warnings : DataFrame
        Same columns, *accepted* rows only (the patient is kept): unreadable
        values of optional fields set missing (policy ``missing``), T/N kept
        coarse at restaging (``not_restaged``), derived fields that cannot be
        computed (``not_derived``), each with its reason. Counted apart from
        rows: ``n_in == len(table) + n_rejected``.
    """

    table: pd.DataFrame
    rejects: pd.DataFrame
    flags: pd.DataFrame
    n_in: int
    file: str = ""
    cohort: str = ""
    notes: list = field(default_factory=list)
    warnings: pd.DataFrame = field(default_factory=lambda: _empty_issues())

    @property
    def n_rejected(self) -> int:
        return int(self.rejects["source_row"].nunique()) if len(self.rejects) else 0

    def summary(self, top: int = 10) -> str:
        """Readable aggregate summary (no identifiers, no row values)."""
        head = f"cohort {self.cohort}: " if self.cohort else ""
        lines = [f"{head}{self.file}",
                 f"rows in: {self.n_in}   accepted: {len(self.table)}   rejected: {self.n_rejected}"]
        if len(self.warnings):
            lines.append(f"warnings (patients kept): {len(self.warnings)} "
                         f"in {self.warnings['source_row'].nunique()} rows")
        for title, frame in (("reject reasons", self.rejects), ("warnings", self.warnings),
                             ("flags (kept)", self.flags)):
            if len(frame):
                counts = frame.groupby(["rule", "column"]).size().sort_values(ascending=False)
                lines.append(f"{title}:")
                lines += [f"  {n:5d}  {rule} ({col})" for (rule, col), n in counts.head(top).items()]
                if len(counts) > top:
                    lines.append(f"  ... {len(counts) - top} more")
        lines += self.notes
        return "\n".join(lines)


def _empty_issues() -> pd.DataFrame:
    """An issues table without rows (from arrays: empty typed Series cost ~1 ms each, one-row requests)."""
    return frame_from_arrays(_ISSUE_NAMES, _NO_ISSUES, pd.RangeIndex(0))


_ISSUE_NAMES = pd.Index(REJECT_COLUMNS)
#: The columns of an issues table without rows (arrays of length 0 cannot be written into: shared).
_NO_ISSUES = [np.zeros(0, dtype=np.int64)] + [string_array(np.zeros(0, dtype=object)) for _ in REJECT_COLUMNS[1:]]


def _hint(f: Field, value: float, unit: str | None) -> str:
    """'looks like mCi' when the raw number fits another unit's plausible range."""
    if not f.aliases or f.unit is None:
        return ""
    lo, hi = f.plausible or f.range or (-np.inf, np.inf)
    declared = unit or f.unit
    raw = value / f.convert_factor(declared)
    for other, fac in {f.unit: 1.0, **f.aliases}.items():
        if fac != f.convert_factor(declared) and lo <= raw * fac <= hi:
            return f"; looks like {other}, not {declared} ({raw:g} {other} = {raw * fac:g} {f.unit})"
    return ""


def _messages(num: np.ndarray, hit: np.ndarray, text) -> np.ndarray:
    """``text(value)`` for the flagged rows (once per distinct value)."""
    values = num[hit]
    per_value = {v: text(v) for v in pd.unique(values)}
    return np.array([per_value[v] for v in values], dtype=object)


def _raw_text(raw, pos: np.ndarray) -> list:
    """The cells at ``pos`` of a column's array as the user wrote them ("" for missing)."""
    cells = raw[pos].tolist() if type(raw) is np.ndarray else list(raw[pos])  # Python scalars, as a Series gives
    return [("" if pd.isna(v) else str(v)) for v in cells]


def _value_messages(raw, mask, f: Field, rule: str, source, decimal, unit=None) -> np.ndarray:
    """:func:`value_message` for the rows of ``mask`` (once per distinct value)."""
    texts = _raw_text(raw, np.flatnonzero(mask))
    per_value = {v: value_message(f, rule, v, source, decimal, unit) for v in set(texts)}
    return np.array([per_value[v] for v in texts], dtype=object)


@dataclass
class _Issues:
    """Problems found so far, one entry per (column, rule); made into a table once, at the end."""

    parts: list = field(default_factory=list)

    def add(self, mask, column: str, rule: str, raw, message) -> np.ndarray:
        """Note ``rule`` on the rows of ``mask``; returns their positions."""
        pos = np.flatnonzero(mask)
        if len(pos):  # a message array holds one message per flagged row
            self.parts.append((pos, column, rule, raw, message))
        return pos

    def rows(self) -> np.ndarray:
        return np.unique(np.concatenate([p[0] for p in self.parts])) if self.parts else np.zeros(0, np.intp)

    def only(self, keep: np.ndarray) -> "_Issues":
        """The entries on rows where ``keep`` is True."""
        out = _Issues()
        for pos, column, rule, raw, message in self.parts:
            ok = keep[pos]
            if ok.any():
                msg = message[ok] if isinstance(message, np.ndarray) else message
                out.parts.append((pos[ok], column, rule, raw, msg))
        return out

    def table(self, rows: np.ndarray, ids) -> pd.DataFrame:
        """The rejects/flags table, ordered by row then column (stable: rules in the order checked)."""
        if not self.parts:
            return _empty_issues()
        pos = np.concatenate([p[0] for p in self.parts])
        names = sorted({p[1] for p in self.parts})
        rank = np.concatenate([np.full(len(p[0]), names.index(p[1])) for p in self.parts])
        order = np.lexsort((rank, pos))
        column = np.concatenate([np.full(len(p[0]), p[1], dtype=object) for p in self.parts])
        rule = np.concatenate([np.full(len(p[0]), p[2], dtype=object) for p in self.parts])
        value = np.concatenate([np.array(_raw_text(p[3], p[0]), dtype=object)
                                if p[3] is not None else np.full(len(p[0]), "", dtype=object)
                                for p in self.parts])
        message = np.concatenate([p[4] if isinstance(p[4], np.ndarray) else np.full(len(p[0]), p[4], dtype=object)
                                  for p in self.parts])
        pos = pos[order]
        return pd.DataFrame({"source_row": rows[pos].astype("int64"), "patient_id": ids[pos],
                             "column": column[order], "value": value[order], "rule": rule[order],
                             "message": message[order]})


def _parts(names: list, n: int) -> list:
    """``names`` in one part for tables of at most STACK_ROWS rows, else one part per name."""
    if not names:
        return []
    return [names] if n <= STACK_ROWS else [[name] for name in names]


def validate_canonical(table: pd.DataFrame, *, file=None, units: dict | None = None, decimal: str = ".",
                       check_duplicates: bool = True, row_offset: int = 0, source_rows=None,
                       missing_tokens=("",), schema: Contract | None = None, invalid="reject",
                       sources: dict | None = None) -> ImportResult:
    """Validate a table whose columns are canonical names (raw or typed values).

    Each column is converted once (:func:`_convert`); the row rules then read
    NumPy arrays, and the accepted rows are assembled once, at the end.

    Parameters
    ----------
    table : DataFrame
        Columns must be contract fields (``oracle_*`` columns pass through).
    file : str or Path, optional
        Named in errors and the summary.
    units : dict, optional
        ``field -> unit`` of the values (default: canonical units).
    decimal : {".", ","}
        Decimal separator of text numbers.
    missing_tokens : sequence of str
        Texts (after stripping spaces) that mean missing; default only ``""``.
    check_duplicates : bool
        Reject later duplicates of ``patient_id`` (within this table only).
    row_offset, source_rows
        Row numbering of the rejects: ``source_rows`` (1-based) if given, else
        ``row_offset + position + 1`` (for chunks).
    schema : Contract, optional
        The contract plus extra fields (:meth:`Contract.extend`); default the
        packaged contract. The accepted table records the extras in its
        ``attrs`` (:func:`rairpredict.cohort.contract.schema_of` reads them).
    invalid : {"reject", "missing"} or dict
        What an unreadable value (wrong type, unseen category, out of range)
        does in an optional field: reject the row, or set the value missing
        with a line in ``.warnings``. A dict gives it per field (absent:
        ``"reject"``). Required fields always reject.
    sources : dict, optional
        ``field -> source column`` named in the messages (default: the field).
    """
    contract = schema if schema is not None else load_contract()
    compiled = _compile(contract)
    specs = compiled.specs
    file = str(file) if file is not None else "<table>"
    units = units or {}
    sources = sources or {}

    def policy(f: Field) -> str:
        if f.required:
            return "reject"
        return invalid.get(f.name, "reject") if isinstance(invalid, dict) else invalid

    oracle = [col for col in table.columns if col not in specs]
    for col in oracle:
        if not contract.is_oracle(str(col)):
            raise CohortFileError(file, "not a canonical field (see `rairpredict fields`)"
                                  f"{did_you_mean(col, contract.names, cutoff=0.7)}", column=str(col))
    for name in compiled.required:
        if name not in table.columns:
            raise CohortFileError(file, "missing required column", column=name)
    if not table.columns.is_unique:
        twice = table.columns[table.columns.duplicated()][0]
        raise CohortFileError(file, "column given twice: keep one", column=str(twice))
    n = len(table)
    raws = dict(zip(table.columns, column_arrays(table)))  # each column's array, read once
    rows = np.asarray(source_rows) if source_rows is not None else np.arange(row_offset + 1, row_offset + n + 1)
    columns, factors, stacks, states = {}, {}, {"float": [], "int": []}, {"category": {}, "bool": {}}
    tokens = frozenset(missing_tokens)
    for f in contract:
        if f.name not in raws:
            continue
        unit = units.get(f.name)
        try:
            factors[f.name] = 1.0 if unit is None else f.convert_factor(unit)
        except KeyError as exc:
            raise CohortFileError(file, f"unknown unit {unit!r} ({exc.args[0]})", column=f.name) from None
        if f.dtype in stacks and _is_float64(raws[f.name]):
            stacks[f.dtype].append(f.name)  # numbers already: checked together below
            continue
        if f.dtype in states and n <= FEW_ROWS and type(raws[f.name]) is np.ndarray and raws[f.name].dtype == object:
            short = _short_states(raws[f.name], specs[f.name], tokens)
            if short is not None:
                states[f.dtype][f.name] = short
                continue
        col = _convert(raws[f.name], specs[f.name], factor=factors[f.name], decimal=decimal,
                       missing_tokens=tokens, defer=True)
        if isinstance(col, _Column):
            columns[f.name] = col
        else:  # category or bool states: checked together below
            states[f.dtype][f.name] = col
    # Short tables: the columns of a kind are checked together, as one 2-D array (a small copy);
    # long ones one by one.
    for names in stacks.values():
        for part in _parts(names, n):
            num = np.vstack([raws[name] for name in part]) if len(part) > 1 else raws[part[0]][None, :]
            columns.update(zip(part, _numbers(num, None, [specs[name] for name in part],
                                              np.array([[factors[name]] for name in part]))))
    for coded in states.values():
        for part in _parts(list(coded), n):
            both = np.vstack([coded[name] for name in part]) if len(part) > 1 else np.asarray(coded[part[0]])[None, :]
            columns.update(zip(part, _coded([specs[name] for name in part], both)))

    issues, flags, warned = _Issues(), _Issues(), _Issues()
    for name, col in columns.items():
        f, raw, unit = specs[name].field, raws[name], units.get(name)
        if not (col.problems or f.required or col.outside is not None or col.odd is not None):
            continue  # nothing to note
        # An unreadable optional value either rejects the row or is set missing with a warning.
        sink = warned if policy(f) == "missing" else issues
        broken = None
        for rule, mask in col.problems:
            sink.add(mask, name, rule, raw, _value_messages(raw, mask, f, rule, sources.get(name), decimal, unit))
            broken = mask if broken is None else broken | mask
        if f.required:
            empty = pd.isna(col.values)
            issues.add(empty if broken is None else empty & ~broken, name, "missing_required", raw,
                       "required value is empty")
        if col.outside is not None:
            lo, hi = f.range
            head = f"column {sources.get(name, name)!r}: "
            sink.add(col.outside, name, "out_of_range", raw, _messages(
                col.number, col.outside, lambda v: head + f"outside range [{lo:g}, {hi:g}] {f.unit or ''}".rstrip()
                + _hint(f, v, unit)))
        if col.odd is not None:
            plo, phi = f.plausible
            flags.add(col.odd, name, "implausible", raw, _messages(
                col.number, col.odd,
                lambda v: f"outside plausible [{plo:g}, {phi:g}] {f.unit or ''}".rstrip() + _hint(f, v, unit)))
        if col.outside is not None and sink is warned:
            col.set_missing(col.outside)
    for rule, small, large in _ORDER_RULES:
        if small in columns and large in columns:
            bad = columns[small].number > columns[large].number
            if not bad.any():
                continue
            if policy(contract[small]) == policy(contract[large]) == "missing":
                # which of the two is wrong is unknown: both become missing
                warned.add(bad, small, rule, raws[small], f"{small} > {large}; both set missing")
                columns[small].set_missing(bad)
                columns[large].set_missing(bad)
            else:
                issues.add(bad, small, rule, raws[small], f"{small} > {large}")
    ids = columns["patient_id"]
    if check_duplicates:  # every occurrence after the first of an id, whatever else is wrong with the rows
        seen, where = np.unique(ids.key, return_index=True)
        first = np.full(int(ids.key.max(initial=-1)) + 2, -1)
        first[seen + 1] = where  # key -1 (missing id) at 0
        dup = (ids.key >= 0) & (first[ids.key + 1] != np.arange(n))
        what = "patient_id seen in an earlier row"
        course = columns.get("course_number")
        if course is not None and course.number is not None:
            # one row per course: a patient may repeat with another course number
            dup = (ids.key >= 0) & pd.DataFrame({"id": ids.key, "course": course.number}).duplicated().to_numpy()
            what = "patient_id with this course_number seen in an earlier row"
        issues.add(dup, "patient_id", "duplicate_id", None, what)

    keep = np.ones(n, dtype=bool)
    keep[issues.rows()] = False
    id_values = np.asarray(ids.values, dtype=object)
    rejects = issues.table(rows, id_values)
    flags = flags.only(keep).table(rows, id_values)
    warned = warned.only(keep).table(rows, id_values)
    every = bool(keep.all())
    n_kept = n if every else int(keep.sum())
    names, accepted = compiled.names, []
    for f in contract:
        if f.name in columns:
            values = columns[f.name].values
            accepted.append(values if every else values[keep])
        else:
            accepted.append(_empty(f, n_kept))
    if oracle:
        names = names.append(pd.Index(oracle))
        for c in oracle:  # as Series.to_numpy gives them (NumPy arrays), the rows kept
            whole = raws[c].copy() if type(raws[c]) is np.ndarray else raws[c].to_numpy(copy=True)
            accepted.append(whole if every else whole[keep])
    # the arrays are this function's own (or read-only views of the input): put in a frame as they are
    accepted = frame_from_arrays(names, accepted, pd.RangeIndex(n_kept))
    if compiled.recorded:
        accepted.attrs[EXTRA_FIELDS_ATTR] = [dict(entry) for entry in compiled.recorded]
    result = ImportResult(accepted, rejects, flags, n, file=file, warnings=warned)
    # The accounting invariant: no row is ever silently dropped or duplicated.
    assert result.n_in == len(result.table) + result.n_rejected, "row accounting broken"
    return result
