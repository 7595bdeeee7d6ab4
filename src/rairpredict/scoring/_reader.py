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
_CSV = {".csv", ".tsv", ".txt", ".tab"}
_READ_BUFFER = 8 << 20


# ---------------------------------------------------------------- reading
def _csv_chunks(path: Path, chunk_size: int, encoding: str | None, notes: list):
    """("canonical", (text chunk, source rows, reader rejects), offset, rows): one CSV reader for import and scoring."""
    from rairpredict.cohort.io import csv_chunks

    sep = "\t" if path.suffix.lower() == ".tsv" else None
    for frame, rows, rejects, offset, n in csv_chunks(path, chunk_size, delimiter=sep, encoding=encoding,
                                                      notes=notes):
        yield "canonical", (frame, rows, rejects), offset, n


def _open_parquet(path: Path):
    """The ParquetFile every chunk of ``path`` is read from (the same options wherever it is read)."""
    import pyarrow.parquet as pq

    from rairpredict.cohort.io import _check_parquet

    _check_parquet(path)  # a CSV named .parquet is one line, not an Arrow error
    try:
        schema = pq.ParquetFile(path).schema_arrow
        # Text columns of coded fields arrive as pandas Categoricals: a few distinct
        # values per chunk, so neither Arrow nor validation touches a Python str per cell.
        contract = load_contract()
        coded = [f.name for f in schema if (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))
                 and not (f.name in contract and contract[f.name].dtype == "string")]
        # buffer_size: pages are read as needed, so a huge row group is not read whole
        return pq.ParquetFile(path, read_dictionary=coded, buffer_size=_READ_BUFFER)
    except Exception as exc:  # a user file that is not Parquet
        raise CohortFileError(path, f"unreadable Parquet: {type(exc).__name__}") from None


def _group_batches(pf, group: int, chunk_size: int):
    # One reader per row group: a single iter_batches over the whole file keeps ~64 bytes
    # per row it has read in the Arrow pool (measured, pyarrow 25), so memory grew with the file.
    return pf.iter_batches(batch_size=chunk_size, row_groups=[group])


def _parquet_chunks(path: Path, chunk_size: int):
    pf = _open_parquet(path)
    for group in range(pf.metadata.num_row_groups):
        # RecordBatches: converted to pandas where the chunk is scored (maybe a worker process)
        yield from _group_batches(pf, group, chunk_size)


#: A row group of at most this many chunks is read by the worker process that scores its chunks
#: (chunk k decodes the k chunks before it in its group too; larger groups are read here).
SELF_READ_CHUNKS = 4


class ParquetSlice:
    """Chunk ``index`` of row group ``group`` of a Parquet file: read where it is scored.

    With ``score --jobs N`` a worker reads its own chunk instead of this process
    reading it and sending it over a pipe: the caller neither decodes, pickles
    nor holds the input (memory) and the workers read in parallel (speed).
    The chunk is the very batch :func:`_parquet_chunks` yields, so the output
    bytes do not change.
    """

    _OPEN: dict = {}  # per process: (path, size, mtime, inode) -> ParquetFile (footer read once per worker)

    def __init__(self, path: Path, group: int, index: int, chunk_size: int, rows: int):
        self.path, self.group, self.index, self.chunk_size, self.rows = path, group, index, chunk_size, rows

    def __len__(self) -> int:
        return self.rows

    def read(self) -> pa.RecordBatch:
        st = self.path.stat()
        key = (str(self.path), st.st_size, st.st_mtime_ns, st.st_ino)  # a rewritten file is opened anew
        pf = self._OPEN.get(key)
        if pf is None:
            self._OPEN.clear()  # one file at a time: no stale footers, no open handles piling up
            pf = self._OPEN[key] = _open_parquet(self.path)
        batches = _group_batches(pf, self.group, self.chunk_size)
        for _ in range(self.index):
            next(batches)
        batch = next(batches)
        if batch.num_rows != self.rows:  # the file changed while it was being scored
            raise CohortFileError(self.path, f"row group {self.group} changed while it was read: expected "
                                             f"{self.rows} rows in chunk {self.index}, got {batch.num_rows}")
        return batch


def _parquet_slices(path: Path, chunk_size: int):
    """:class:`ParquetSlice` items for every chunk, or None when a row group is too large to self-read."""
    pf = _open_parquet(path)
    sizes = [pf.metadata.row_group(g).num_rows for g in range(pf.metadata.num_row_groups)]
    if any(n > SELF_READ_CHUNKS * chunk_size for n in sizes):
        return None
    return (ParquetSlice(path, g, i, chunk_size, min(chunk_size, n - i * chunk_size))
            for g, n in enumerate(sizes) for i in range(-(-n // chunk_size)))


def _count_rows(path: Path) -> int | None:
    if path.suffix.lower() in _PARQUET:
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(path).metadata.num_rows
        except Exception:  # not Parquet after all: the reader says so in one line
            return None
    return None


def _canonical_chunks(path: Path, chunk_size: int, encoding: str | None = None, notes: list | None = None,
                      self_read: bool = False):
    """Yield ("canonical", raw chunk, row offset, rows in): validated where it is scored.

    For CSV the raw chunk is (text frame, source rows, rows the reader rejected).
    ``self_read``: Parquet chunks as :class:`ParquetSlice` (read where scored) when the row groups allow.
    """
    suffix = path.suffix.lower()
    if suffix in _CSV:
        yield from _csv_chunks(path, chunk_size, encoding, [] if notes is None else notes)
        return
    if suffix in _PARQUET:
        chunks = (self_read and _parquet_slices(path, chunk_size)) or _parquet_chunks(path, chunk_size)
    else:  # Excel and friends cannot be streamed
        from rairpredict.cohort.io import read_table

        whole = read_table(path)
        chunks = (whole.iloc[i:i + chunk_size] for i in range(0, len(whole), chunk_size))
    offset = 0
    for raw in chunks:
        yield "canonical", raw, offset, len(raw)
        offset += len(raw)


def _mapped_chunks(path: Path, config, chunk_size: int, encoding: str | None = None, notes: list | None = None):
    from rairpredict.cohort.importer import import_cohort

    result = import_cohort(path, config, encoding=encoding)
    if notes is not None:
        notes.extend(n for n in result.notes if n.startswith("note: ") and "read as" in n)
    table, n = result.table, result.n_in
    if len(table) == 0:
        yield "mapped", (table, result.rejects), 0, n
        return
    for i in range(0, len(table), chunk_size):
        first = i == 0
        rejects = result.rejects if first else result.rejects.iloc[:0]
        yield "mapped", (table.iloc[i:i + chunk_size], rejects), i, n if first else 0


# ---------------------------------------------------------------- one chunk
