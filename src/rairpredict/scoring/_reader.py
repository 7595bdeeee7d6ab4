"""Read a cohort file as a stream of chunks (CSV, Parquet; mapped files whole).

Parquet is read one row group at a time with a bounded buffer, so memory
follows the chunk size, not the file (see :mod:`rairpredict.scoring._file`).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from rairpredict.cohort.contract import load_contract
from rairpredict.errors import CohortFileError

_PARQUET = {".parquet", ".pq"}
_CSV = {".csv", ".tsv", ".txt"}
_READ_BUFFER = 8 << 20


# ---------------------------------------------------------------- reading
def _csv_chunks(path: Path, chunk_size: int):
    from rairpredict.cohort.io import _sniff_delimiter  # one sniffing rule for import and scoring

    with open(path, encoding="utf-8-sig", newline="") as fh:
        sample = fh.read(64 * 1024)
    if not sample.strip():
        raise CohortFileError(path, "empty file (no header, no rows)")
    sep = "\t" if path.suffix.lower() == ".tsv" else _sniff_delimiter(sample)
    reader = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_filter=False,
                         encoding="utf-8-sig", chunksize=chunk_size)
    done = 0
    while True:
        try:
            chunk = next(reader)
        except StopIteration:
            return
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
            raise CohortFileError(path, f"unreadable CSV after data row {done}: "
                                  f"{str(exc).splitlines()[0]}") from None
        chunk.columns = [str(c).strip() for c in chunk.columns]
        done += len(chunk)
        yield chunk


def _parquet_chunks(path: Path, chunk_size: int):
    import pyarrow.parquet as pq

    try:
        schema = pq.ParquetFile(path).schema_arrow
        # Text columns of coded fields arrive as pandas Categoricals: a few distinct
        # values per chunk, so neither Arrow nor validation touches a Python str per cell.
        contract = load_contract()
        coded = [f.name for f in schema if (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))
                 and not (f.name in contract and contract[f.name].dtype == "string")]
        # buffer_size: pages are read as needed, so a huge row group is not read whole
        pf = pq.ParquetFile(path, read_dictionary=coded, buffer_size=_READ_BUFFER)
    except Exception as exc:  # a user file that is not Parquet
        raise CohortFileError(path, f"unreadable Parquet: {type(exc).__name__}") from None
    # One reader per row group: a single iter_batches over the whole file keeps ~64 bytes
    # per row it has read in the Arrow pool (measured, pyarrow 25), so memory grew with the file.
    for group in range(pf.metadata.num_row_groups):
        # RecordBatches: converted to pandas where the chunk is scored (maybe a worker process)
        yield from pf.iter_batches(batch_size=chunk_size, row_groups=[group])


def _count_rows(path: Path) -> int | None:
    if path.suffix.lower() in _PARQUET:
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    return None


def _canonical_chunks(path: Path, chunk_size: int):
    """Yield ("canonical", raw chunk, row offset, rows in): validated where it is scored."""
    suffix = path.suffix.lower()
    if suffix in _PARQUET:
        chunks = _parquet_chunks(path, chunk_size)
    elif suffix in _CSV:
        chunks = _csv_chunks(path, chunk_size)
    else:  # Excel and friends cannot be streamed
        from rairpredict.cohort.io import read_table

        whole = read_table(path)
        chunks = (whole.iloc[i:i + chunk_size] for i in range(0, len(whole), chunk_size))
    offset = 0
    for raw in chunks:
        yield "canonical", raw, offset, len(raw)
        offset += len(raw)


def _mapped_chunks(path: Path, config, chunk_size: int):
    from rairpredict.cohort.importer import import_cohort

    result = import_cohort(path, config)
    table, n = result.table, result.n_in
    if len(table) == 0:
        yield "mapped", (table, result.rejects), 0, n
        return
    for i in range(0, len(table), chunk_size):
        first = i == 0
        rejects = result.rejects if first else result.rejects.iloc[:0]
        yield "mapped", (table.iloc[i:i + chunk_size], rejects), i, n if first else 0


# ---------------------------------------------------------------- one chunk
