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
``duplicate_id``              a ``patient_id`` seen in an earlier row (the first
                              occurrence is kept, later ones rejected)
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

import numpy as np
import pandas as pd

from rairpredict.cohort.contract import EXTRA_FIELDS_ATTR, Contract, Field, load_contract
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


def value_message(f: Field, rule: str, value, source: str | None = None, decimal: str = ".") -> str:
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
        unit = f" ({f.unit})" if f.unit else ""
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


def _empty(f: Field, index) -> pd.Series:
    """An all-missing column of ``f``'s dtype (built from arrays: no per-cell conversion)."""
    n, dtype = len(index), canonical_dtype(f)
    if f.dtype == "category":
        values = pd.Categorical.from_codes(np.full(n, -1, dtype=np.int8), dtype=dtype)
    elif f.dtype == "float":
        values = np.full(n, np.nan)
    elif f.dtype == "int":
        values = pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    elif f.dtype == "bool":
        values = pd.arrays.BooleanArray(np.zeros(n, dtype=bool), np.ones(n, dtype=bool))
    else:
        return pd.Series([None] * n, index=index, dtype=object).astype(dtype)
    return pd.Series(values, index=index, dtype=dtype)


def _distinct(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes (-1 = missing) and distinct values, so per-value Python runs once per distinct value.

    A Categorical brings its own codes. ``pd.factorize`` merges values that
    compare equal across types (``True == 1 == 1.0``), so mixed-type columns
    are factorised on their text instead, which is what the rules read.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(np.intp), np.asarray(values.cat.categories, dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        values = values.astype("string")
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype=object)


def _expand(per_value: np.ndarray, codes: np.ndarray, missing) -> np.ndarray:
    """``per_value[codes]`` with ``missing`` where the code is -1."""
    return np.append(np.asarray(per_value), [missing]).take(codes)  # code -1 picks the appended entry


def _stripped_text(uniques: np.ndarray) -> pd.Series:
    """Distinct values as stripped text, the form every text rule reads."""
    return pd.Series(uniques, dtype=object).astype("string").str.strip()


def _blank_to_na(values: pd.Series, tokens) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return values
    tokens = set(tokens)
    codes, uniques = _distinct(values)
    blank = np.array([isinstance(v, str) and v.strip() in tokens for v in uniques], dtype=bool)
    if not blank.any():
        return values if isinstance(values.dtype, pd.CategoricalDtype) else values.astype(object)
    mask = _expand(blank, codes, False)
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.mask(mask)
    return values.astype(object).mask(mask)


def coerce_field(values: pd.Series, f: Field, *, factor: float = 1.0, decimal: str = ".") -> tuple[pd.Series, pd.Series]:
    """Convert raw values to ``f``'s dtype.

    Returns the typed series and a series holding, for each cell that was
    present but could not be converted, the rule it broke (else missing).
    """
    out, problem, _ = _coerce(values, f, factor=factor, decimal=decimal)
    return out, problem


def _flag(problem: pd.Series, mask, rule: str, rules: list) -> None:
    """Mark ``rule`` on the rows of ``mask`` and note it in ``rules`` (so nobody scans the column for rules)."""
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        problem[mask] = rule
        rules.append(rule)


def _coerce(values: pd.Series, f: Field, *, factor: float = 1.0, decimal: str = "."):
    """:func:`coerce_field` plus the list of rules that occur."""
    rules: list = []
    present = values.notna().to_numpy()
    problem = pd.Series(np.empty(len(values), dtype=object), index=values.index)  # all None
    if f.dtype in ("float", "int"):
        if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
            num = values.astype("float64")
        else:
            codes, uniques = _distinct(values)
            text = _stripped_text(uniques)
            if decimal == ",":
                text = text.str.replace(",", ".", regex=False)
            parsed = pd.to_numeric(text, errors="coerce").astype("float64").to_numpy(np.float64)
            num = pd.Series(_expand(parsed, codes, np.nan), index=values.index)
        num = num.where(np.isfinite(num))
        _flag(problem, present & num.isna().to_numpy(), "not_a_number", rules)
        if f.dtype == "int":
            huge = (num.abs() > 2.0**53).to_numpy()  # beyond every int range; Int64 cannot hold it exactly
            frac = (num.notna() & (num != np.round(num))).to_numpy() & ~huge
            _flag(problem, huge, "out_of_range", rules)
            _flag(problem, frac, "not_an_integer", rules)
            num = num.where(~(huge | frac))
            return (num * factor).round().astype("Int64"), problem, rules
        return num * factor, problem, rules
    if f.dtype == "bool":
        if pd.api.types.is_bool_dtype(values.dtype):
            return values.astype("boolean"), problem, rules
        if pd.api.types.infer_dtype(values, skipna=True) == "boolean":  # e.g. Parquet bools with nulls
            return values.astype("boolean"), problem, rules
        codes, uniques = _distinct(values)
        text = _stripped_text(uniques).str.lower()
        true, false = _bool_codes(f)
        # per distinct value: 1 true, 0 false, -1 unreadable or missing
        state = np.where(text.isin(true).fillna(False), 1, np.where(text.isin(false).fillna(False), 0, -1))
        state = _expand(state, codes, -1)
        out = pd.Series(pd.arrays.BooleanArray(state == 1, state < 0), index=values.index)
        _flag(problem, present & (state < 0), "not_boolean", rules)
        return out, problem, rules
    if f.dtype == "category":
        lookup = {_norm(c): c for c in f.categories}
        lookup.update({c: c for c in f.categories})
        position = {c: i for i, c in enumerate(f.categories)}
        codes, uniques = _distinct(values)
        text = _stripped_text(uniques)
        # per distinct value: its category position, -1 if unseen or missing
        which = np.array([position.get(lookup.get(v, lookup.get(_norm(v))), -1) if isinstance(v, str) else -1
                          for v in text.astype(object).where(text.notna(), None)], dtype=np.int64)
        cat = _expand(which, codes, -1)
        out = pd.Series(pd.Categorical.from_codes(cat, categories=list(f.categories)), index=values.index)
        _flag(problem, present & (cat < 0), "unseen_category", rules)
        return out, problem, rules
    return values.astype("string").str.strip(), problem, rules


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
        return int(self.rejects["source_row"].nunique())

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
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "source_row" else "string") for c in REJECT_COLUMNS})


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


def _messages(num: pd.Series, mask: pd.Series, text) -> pd.Series:
    """``text(value)`` for the flagged rows only (once per distinct value), "" elsewhere."""
    msg = pd.Series("", index=num.index, dtype=object)
    hit = mask.to_numpy(bool)
    values = num[hit]
    msg[hit] = values.map({v: text(v) for v in values.unique()}).to_numpy(object)
    return msg


def _issues(mask, column, rule, raw, msg) -> pd.DataFrame:
    idx = np.flatnonzero(np.asarray(mask, dtype=bool))
    vals = raw.iloc[idx] if raw is not None else pd.Series([""] * len(idx))
    msgs = msg.iloc[idx].to_numpy() if isinstance(msg, pd.Series) else [msg] * len(idx)
    return pd.DataFrame({"pos": idx, "column": column, "rule": rule,
                         "value": [("" if pd.isna(v) else str(v)) for v in vals], "message": msgs})


def _value_messages(raw: pd.Series, mask, f: Field, rule: str, source, decimal) -> pd.Series:
    """:func:`value_message` for the rows of ``mask`` (once per distinct value), "" elsewhere."""
    msg = pd.Series("", index=raw.index, dtype=object)
    hit = np.asarray(mask, dtype=bool)
    values = raw[hit].map(lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v))
    msg[hit] = values.map({v: value_message(f, rule, v, source, decimal) for v in values.unique()}).to_numpy(object)
    return msg


def validate_canonical(table: pd.DataFrame, *, file=None, units: dict | None = None, decimal: str = ".",
                       check_duplicates: bool = True, row_offset: int = 0, source_rows=None,
                       missing_tokens=("",), schema: Contract | None = None, invalid="reject",
                       sources: dict | None = None) -> ImportResult:
    """Validate a table whose columns are canonical names (raw or typed values).

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
    file = str(file) if file is not None else "<table>"
    units = units or {}
    sources = sources or {}

    def policy(f: Field) -> str:
        if f.required:
            return "reject"
        return invalid.get(f.name, "reject") if isinstance(invalid, dict) else invalid

    for col in table.columns:
        if col not in contract and not contract.is_oracle(str(col)):
            raise CohortFileError(file, "not a canonical field (see `rairpredict fields`)"
                                  f"{did_you_mean(col, contract.names, cutoff=0.7)}", column=str(col))
    for name in contract.required:
        if name not in table.columns:
            raise CohortFileError(file, "missing required column", column=name)
    n = len(table)
    raw = table.reset_index(drop=True)
    rows = np.asarray(source_rows) if source_rows is not None else np.arange(row_offset + 1, row_offset + n + 1)
    typed, issues, flags, warned = {}, [], [], []
    for f in contract:
        if f.name not in raw.columns:
            typed[f.name] = _empty(f, raw.index)
            continue
        values = _blank_to_na(raw[f.name], missing_tokens)
        unit = units.get(f.name)
        try:
            factor = f.convert_factor(unit)
        except KeyError as exc:
            raise CohortFileError(file, f"unknown unit {unit!r} ({exc.args[0]})", column=f.name) from None
        out, problem, rules = _coerce(values, f, factor=factor, decimal=decimal)
        # An unreadable optional value either rejects the row or is set missing with a warning.
        sink = warned if policy(f) == "missing" else issues
        for rule in rules:
            mask = (problem == rule).to_numpy(bool)
            sink.append(_issues(mask, f.name, rule, raw[f.name],
                                _value_messages(raw[f.name], mask, f, rule, sources.get(f.name), decimal)))
            if sink is warned:
                out = out.mask(mask)
        if f.required:
            issues.append(_issues(out.isna() & problem.isna(), f.name, "missing_required", raw[f.name],
                                  "required value is empty"))
        if f.range is not None or f.plausible is not None:
            num = out.astype("float64")
            lo, hi = f.range or (-np.inf, np.inf)
            oor = (num < lo) | (num > hi)
            if oor.any():
                head = f"column {sources.get(f.name, f.name)!r}: "
                msg = _messages(num, oor, lambda v: head + f"outside range [{lo:g}, {hi:g}] {f.unit or ''}".rstrip()
                                + _hint(f, v, unit))
                sink.append(_issues(oor, f.name, "out_of_range", raw[f.name], msg))
                if sink is warned:
                    out = out.mask(oor.to_numpy(bool))
            if f.plausible is not None:
                plo, phi = f.plausible
                odd = ((num < plo) | (num > phi)) & ~oor
                if odd.any():
                    msg = _messages(num, odd, lambda v: f"outside plausible [{plo:g}, {phi:g}] {f.unit or ''}".rstrip()
                                    + _hint(f, v, unit))
                    flags.append(_issues(odd, f.name, "implausible", raw[f.name], msg))
        typed[f.name] = out.astype(canonical_dtype(f))
    for rule, small, large in _ORDER_RULES:
        if small in raw.columns and large in raw.columns:
            bad = (typed[small] > typed[large]).fillna(False).astype(bool)
            if policy(contract[small]) == policy(contract[large]) == "missing":
                # which of the two is wrong is unknown: both become missing
                warned.append(_issues(bad, small, rule, raw[small], f"{small} > {large}; both set missing"))
                typed[small], typed[large] = typed[small].mask(bad), typed[large].mask(bad)
            else:
                issues.append(_issues(bad, small, rule, raw[small], f"{small} > {large}"))
    if check_duplicates and "patient_id" in raw.columns:
        ids = typed["patient_id"]
        dup = ids.notna() & ids.duplicated(keep="first")
        issues.append(_issues(dup, "patient_id", "duplicate_id", None, "patient_id seen in an earlier row"))
    extra = [c for c in raw.columns if contract.is_oracle(str(c))]
    canon = pd.DataFrame(typed, index=raw.index)
    for c in extra:
        canon[c] = raw[c]

    def _finish(parts):
        parts = [p for p in parts if len(p)]
        if not parts:
            return _empty_issues()
        frame = pd.concat(parts, ignore_index=True).sort_values(["pos", "column"], kind="stable")
        frame.insert(0, "source_row", rows[frame["pos"].to_numpy()].astype("int64"))
        frame.insert(1, "patient_id", canon["patient_id"].iloc[frame["pos"]].to_numpy())
        return frame.drop(columns="pos").reset_index(drop=True)[REJECT_COLUMNS]

    bad_pos = np.zeros(n, dtype=bool)
    for part in issues:
        bad_pos[part["pos"].to_numpy()] = True
    rejects = _finish(issues)
    accepted = canon[~bad_pos].reset_index(drop=True)
    flags = [p[~bad_pos[p["pos"].to_numpy()]] for p in flags]
    flags = _finish(flags)
    warned = _finish([p[~bad_pos[p["pos"].to_numpy()]] for p in warned])
    if contract.extras:
        accepted.attrs[EXTRA_FIELDS_ATTR] = [f.to_dict() for f in contract.extras]
    result = ImportResult(accepted, rejects, flags, n, file=file, warnings=warned)
    # The accounting invariant: no row is ever silently dropped or duplicated.
    assert result.n_in == len(result.table) + result.n_rejected, "row accounting broken"
    return result
