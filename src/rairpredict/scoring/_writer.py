"""Write scored chunks into one Parquet or CSV file (Arrow types fixed per column).

Used by :func:`rairpredict.scoring.score_file` inside an atomic temporary path.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa

from rairpredict.cohort.contract import load_contract
from rairpredict.cohort.io import escape_formulas
from rairpredict.errors import CohortFileError
from rairpredict.scoring._frame import INPUT_PREFIX
from rairpredict.scoring._reader import _CSV, _PARQUET

_FLOAT_SUFFIXES = ("_log_odds", "_log_hazard", "_prob_change")
_HORIZON_RISK = re.compile(r"risk_\d+(\.\d+)?y")  # a time-to-event model's risk by a horizon (risk_1.5y)


def _arrow_type(column: str, dtype) -> pa.DataType:
    if column == "probability" or column.endswith(_FLOAT_SUFFIXES) or _HORIZON_RISK.fullmatch(column):
        return pa.float64()
    if column.startswith(INPUT_PREFIX):
        name = column[len(INPUT_PREFIX):]
        contract = load_contract()
        # a cohort config's extra column (not in the packaged contract): its type as scoring produced it
        kind = contract[name].dtype if name in contract else (
            "bool" if pd.api.types.is_bool_dtype(dtype) else "float" if pd.api.types.is_float_dtype(dtype)
            else "int" if pd.api.types.is_integer_dtype(dtype) else "string")
        return {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_()}.get(kind, pa.string())
    return pa.string()


def _arrow_table(frame: pd.DataFrame) -> pa.Table:
    """Scored frame -> Arrow table with the output schema (types follow from the column names)."""
    schema = pa.schema([(c, _arrow_type(c, frame[c].dtype)) for c in frame.columns])
    arrays = [pa.array(frame[c].astype(object).where(frame[c].notna(), None)
                       if isinstance(frame[c].dtype, pd.CategoricalDtype) else frame[c],
                       type=f.type, from_pandas=True) for c, f in zip(frame.columns, schema)]
    return pa.Table.from_arrays(arrays, schema=schema)


class _Writer:
    """Append scored chunks (DataFrames, or Arrow tables for Parquet) to a file; schema fixed by the first."""

    def __init__(self, path: Path, final: Path):
        self.path, self.final = path, final
        self.suffix = final.suffix.lower()
        if self.suffix not in _PARQUET | _CSV:
            raise CohortFileError(final, f"unknown output format {self.suffix!r} (use .parquet or .csv)")
        self.schema = None
        self._pq = None
        self._columns = None

    def write(self, frame) -> None:
        if self.suffix in _PARQUET:
            import pyarrow.parquet as pq

            table = frame if isinstance(frame, pa.Table) else _arrow_table(frame)
            if self._columns is None:
                self._columns, self.schema = table.column_names, table.schema
            table = table.select(self._columns)
            if self._pq is None:
                self._pq = pq.ParquetWriter(self.path, self.schema)
            self._pq.write_table(table)
        else:
            if self._columns is None:
                self._columns = list(frame.columns)
                self.schema = pa.schema([(c, _arrow_type(c, frame[c].dtype)) for c in self._columns])
            frame = frame[self._columns]
            first = self._pq is None
            escape_formulas(frame).to_csv(self.path, mode="w" if first else "a", header=first, index=False,
                                          sep="\t" if self.suffix == ".tsv" else ",", lineterminator="\n")
            self._pq = True

    def close(self) -> None:
        if self._pq is not None and self._pq is not True:
            self._pq.close()
