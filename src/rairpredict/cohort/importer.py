"""Import a cohort file into the canonical table, driven by a cohort config.

The steps, in order: read the file as text (:func:`~rairpredict.cohort.io.read_table`),
check every mapped source column exists, apply per-column ``recode`` (an
explicit recode wins over a missing token), turn ``missing_tokens`` into
missing, take the first non-missing of several source columns (or OR them
with ``any_of``), add ``constants`` and generated ids, convert units and
validate (:func:`~rairpredict.cohort.validate.validate_canonical`; unreadable
optional values become missing with a warning unless the config says
``invalid: reject``), then compute the derived fields of the accepted rows
(``rairpredict.cohort.derive.add_derived``). Extra columns travel with the
table: ``result.table.attrs`` holds their types and stages
(:func:`rairpredict.cohort.contract.schema_of`).

Examples
--------
>>> import pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "c.csv").write_text(
...     "Age;Sex;Type;T;N;M;Dose\\n40;F;Follicular;T2;N0;M0;100\\n51;M;follicular;T9;N0;M0;-\\n")
>>> cfg = CohortConfig.from_dict({
...     "name": "demo", "id": {"generate": True, "prefix": "d-"},
...     "columns": {"age_years": "Age", "sex": {"column": "Sex", "recode": {"F": "female", "M": "male"}},
...                 "histology": "Type", "t_stage": "T", "n_stage": "N", "m_stage": "M",
...                 "activity_gbq": {"column": "Dose", "unit": "mCi"}},
...     "lacks": "all_others"})
>>> res = import_cohort(d / "c.csv", cfg, derive=False)
>>> res.n_in, len(res.table), round(float(res.table.loc[0, "activity_gbq"]), 2)
(2, 1, 3.7)
>>> res.rejects[["source_row", "patient_id", "column", "rule"]].values.tolist()
[[2, 'd-0002', 't_stage', 'unseen_category']]
>>> res.rejects["message"].iloc[0]
"column 'T': 'T9' is not a t_stage category; allowed: T1a, T1b, T2, T3a, T3b, T4a, T4b, TX, T1, T3, T4 (or recode it in the cohort config)"
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rairpredict.cohort.config import CohortConfig, ColumnSpec, load_cohort_config
from rairpredict.cohort.contract import schema_of
from rairpredict.cohort.io import MISSING_TOKENS, read_table
from rairpredict.cohort.staging import restage, underived_reasons
from rairpredict.cohort.validate import REJECT_COLUMNS, ImportResult, coerce_field, validate_canonical
from rairpredict.errors import CohortFileError

__all__ = ["import_cohort", "ImportResult"]


def _clean(values: pd.Series, spec: ColumnSpec, tokens: tuple[str, ...]) -> pd.Series:
    """Recode, then blank missing tokens; unrecoded values pass through to validation."""
    obj = values.astype(object)
    text = obj.map(lambda v: v.strip() if isinstance(v, str) else (None if pd.isna(v) else str(v)))
    recoded = text.map(lambda v: spec.recode[v] if v in spec.recode else v)
    is_token = text.isin(tokens) & ~text.isin(list(spec.recode))
    out = recoded.astype(object)
    out[is_token.to_numpy() | text.isna().to_numpy()] = None
    # A value the researcher recoded to null (e.g. "Unknown": null) is missing too.
    out[recoded.isna().to_numpy()] = None
    return out


def _any_of(parts: list[pd.Series], field) -> pd.Series:
    """True if any part is True, False if all are False, else missing; bad text kept for rejection."""
    coerced = [coerce_field(p, field) for p in parts]
    frame = pd.concat([c[0] for c in coerced], axis=1)
    out = pd.Series(pd.NA, index=frame.index, dtype=object)
    out[frame.eq(False).all(axis=1).fillna(False).to_numpy(bool)] = False
    out[frame.eq(True).any(axis=1).fillna(False).to_numpy(bool)] = True
    for part, (_, problem) in zip(parts, coerced):
        bad = problem.notna().to_numpy()
        out[bad] = part[bad]
    return out


def _first_of(parts: list[pd.Series]) -> pd.Series:
    """The first non-missing value of the parts, in order."""
    out = parts[0]
    for part in parts[1:]:
        out = out.where(out.notna(), part)
    return out


def _canonical_frame(raw: pd.DataFrame, config: CohortConfig, path) -> pd.DataFrame:
    contract = config.schema
    missing = [c for c in config.source_columns if c not in raw.columns]
    if missing:
        field = next(f for f, s in config.columns.items() if missing[0] in s.sources)
        raise CohortFileError(path, f"missing required source column (mapped to {field!r} in {config.source}; "
                              f"{len(missing)} missing in all)", column=missing[0])
    cols = {}
    if config.id.generate:
        cols["patient_id"] = [config.id.make(i) for i in range(1, len(raw) + 1)]
    for name, spec in config.columns.items():
        parts = [_clean(raw[src], spec, config.missing_tokens) for src in spec.sources]
        cols[name] = _any_of(parts, contract[name]) if spec.any_of else _first_of(parts)
    for name, value in config.constants.items():
        cols[name] = [value] * len(raw)
    return pd.DataFrame(cols, index=raw.index)


def _derive(table: pd.DataFrame, notes: list) -> pd.DataFrame:
    try:
        from rairpredict.cohort.derive import add_derived
    except ModuleNotFoundError as exc:
        if exc.name != "rairpredict.cohort.derive":
            raise
        notes.append("note: derived fields not computed (rairpredict.cohort.derive not installed)")
        return table
    return add_derived(table)


def _check_canonical(raw: pd.DataFrame, path, contract) -> None:
    """A file read without a config must be canonical; otherwise say which command to run."""
    foreign = [c for c in raw.columns if c not in contract and not contract.is_oracle(str(c))]
    if foreign:
        raise CohortFileError(path, f"not a canonical field, and no cohort config given ({len(foreign)} such "
                              "columns): describe the file in a cohort config (start from "
                              "configs/cohorts/example_custom.yaml; `rairpredict fields` lists the canonical "
                              f"fields) and run `rairpredict validate --input {path} --cohort-config CONFIG.yaml`",
                              column=str(foreign[0]), usage=True)  # the command lacks its config: exit 2


def _add_reader_rejects(result: ImportResult, raw: pd.DataFrame) -> None:
    """Rows the file reader left out (wrong field count, NUL byte) are rejects too, and counted in."""
    result.notes.extend(raw.attrs.get("notes", ()))
    bad = raw.attrs.get("rejects")
    if bad is None or not len(bad):
        return
    result.rejects = (pd.concat([bad.astype(object), result.rejects.astype(object)], ignore_index=True)
                      .sort_values("source_row", kind="stable").reset_index(drop=True)[REJECT_COLUMNS]
                      .astype({"source_row": "int64"}))
    result.n_in += int(bad["source_row"].nunique())


def import_cohort(path=None, config=None, *, derive: bool = True, encoding: str | None = None) -> ImportResult:
    """Read ``path`` and return its canonical table, rejects, warnings and flags.

    Parameters
    ----------
    path : str, Path or None
        CSV, Parquet or Excel file; ``None`` reads the config's ``path``.
    config : CohortConfig, str, Path or None
        A cohort config (or its YAML path). ``None``: the file already has
        canonical column names and values.
    derive : bool
        Compute the contract's derived fields on the accepted rows.
    encoding : str, optional
        Text encoding of a CSV (overrides the config's ``read.encoding``;
        default: detected).

    Returns
    -------
    ImportResult
        ``.table`` (accepted rows, contract dtypes, extra columns after the
        contract's), ``.rejects``, ``.warnings`` (values set missing, patient
        kept), ``.flags``, ``.n_in`` and ``.summary()``.

    Raises
    ------
    CohortFileError
        File-level problems (unreadable, empty, wrong delimiter, a mapped
        column absent, a bad config). Row-level problems go to ``.rejects``.
    """
    if config is not None and not isinstance(config, CohortConfig):
        config = load_cohort_config(config)
    if path is None:
        if config is None or config.path is None:
            raise CohortFileError(config.source if config else "<no file>",
                                  "no data file: give FILE, or 'path:' in the cohort config")
        path = config.path
    path = Path(path)
    if config is None:
        raw = read_table(path, encoding=encoding)
        schema = schema_of(raw)  # a canonical Parquet file keeps its extra fields in its metadata
        _check_canonical(raw, path, schema)
        # a canonical file has no config to say otherwise: optional fields keep the patient
        result = validate_canonical(raw, file=path, invalid="missing", schema=schema, missing_tokens=MISSING_TOKENS,
                                    source_rows=raw.attrs.get("source_rows"))
    else:
        kwargs = config.read.reader_kwargs()
        raw = read_table(path, **{**kwargs, "encoding": encoding or kwargs.get("encoding")})
        frame = _canonical_frame(raw, config, path)
        units = {name: spec.unit for name, spec in config.columns.items() if spec.unit}
        result = validate_canonical(frame, file=path, units=units, decimal=config.read.decimal,
                                    schema=config.schema, invalid=config.invalid_policy,
                                    sources=config.source_labels, source_rows=raw.attrs.get("source_rows"))
        result.cohort = config.name
    _add_reader_rejects(result, raw)
    _restage(result, config.tnm_edition if config is not None else 8)
    if derive:
        result.table = _derive(result.table, result.notes)
        if len(result.table) and "ajcc8_stage" in result.table:
            _add_warnings(result, underived_reasons(result.table))
    return result


def _add_warnings(result: ImportResult, issues: pd.DataFrame) -> None:
    """Append ``pos``-indexed issues of accepted rows to ``result.warnings`` (source rows and ids filled in)."""
    if not len(issues):
        return
    rejected = set(result.rejects["source_row"].astype(int))
    accepted_rows = np.array([r for r in range(1, result.n_in + 1) if r not in rejected], dtype="int64")
    pos = issues["pos"].to_numpy()
    frame = issues.drop(columns="pos").assign(
        source_row=accepted_rows[pos], patient_id=result.table["patient_id"].astype(object).to_numpy()[pos])
    frame = pd.concat([result.warnings.astype(object), frame[REJECT_COLUMNS].astype(object)], ignore_index=True)
    result.warnings = frame.sort_values(["source_row", "column"], kind="stable").reset_index(drop=True).astype(
        {"source_row": "int64"})


def _restage(result: ImportResult, edition: int) -> None:
    """8th-edition T and N (coarse categories kept where size and ETE cannot decide), with warnings."""
    table = result.table
    if not len(table) or "t_stage" not in table:
        return
    coarse = table["t_stage"].isin(["T1", "T3", "T4"]).any() or table["n_stage"].isin(["N1"]).any()
    if edition == 8 and not coarse:
        return
    attrs = dict(table.attrs)
    result.table, issues, notes = restage(table, edition)
    result.table.attrs.update(attrs)
    result.notes += notes
    _add_warnings(result, issues)
