"""Score a cohort file in bounded memory: stream chunks, validate, score, write atomically.

* Canonical CSV and Parquet inputs are streamed (``pandas.read_csv(chunksize=)``,
  ``pyarrow.parquet.ParquetFile.iter_batches`` row group by row group, coded
  text as dictionaries): memory is bounded by ``chunk_size``, not by the file
  (10M rows: peak RSS 0.9 GB with one process, flat after the first chunk). Each chunk is validated with
  :func:`rairpredict.cohort.validate_canonical` and gets the derived fields the
  model reads. With ``jobs > 1`` chunks are validated and scored in worker
  processes (:mod:`rairpredict.scoring._parallel`) while this process reads and
  writes (it scores the first chunks itself while the workers start); a Parquet
  input whose row groups hold at most a few chunks is read by the workers
  themselves (:class:`~rairpredict.scoring._reader.ParquetSlice`), so this
  process neither decodes, sends nor holds the input. The output bytes do not
  depend on ``jobs``.
* Inputs mapped by a cohort config go through
  :func:`rairpredict.cohort.import_cohort`, which reads the whole file (recodes
  and ``any_of`` columns are not chunk-aware); it is then scored in chunks.
  Excel inputs are read whole too.
* Duplicate ``patient_id`` across chunks is checked only with
  ``check_duplicates=True`` (it keeps every id in memory); within a chunk it
  is always checked.
* Output (Parquet or CSV) is written chunk by chunk into a temporary file in
  the output's directory and renamed into place at the end: a killed job
  leaves no file that looks complete, and an existing OUT is replaced only by
  a complete one; SIGTERM (a scheduler stopping the job) raises
  ``SystemExit(143)`` so the temporary files are removed too. The input is only read.
* Rows that fail validation go to ``<OUT stem>.rejects.csv`` beside OUT, one
  line per problem with its rule; ``rows_in == rows_scored + rows_rejected``.
"""
from __future__ import annotations

import contextlib
import gc
import itertools
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from rairpredict.cohort.contract import load_contract
from rairpredict.cohort.contract import schema_of
from rairpredict.cohort.io import MISSING_TOKENS, atomic_path, check_paths
from rairpredict.cohort.validate import REJECT_COLUMNS, validate_canonical
from rairpredict.errors import CohortFileError
from rairpredict.models._plan import scoring_modules
from rairpredict.scoring._frame import score_frame_checked, tree_explainer
from rairpredict.scoring._parallel import ordered_map, trim_heap
from rairpredict.scoring._reader import _PARQUET, ParquetSlice, _canonical_chunks, _count_rows, _mapped_chunks
from rairpredict.scoring._writer import _arrow_table, _Writer
from rairpredict.scoring.shift import ShiftCounts, format_summary, shift_summary, summary_path, write_summary

__all__ = ["score_file", "ScoreSummary", "rejects_path"]

_EMPTY_REJECTS = pd.DataFrame({c: pd.Series(dtype="int64" if c == "source_row" else "string")
                               for c in REJECT_COLUMNS})


@dataclass(frozen=True)
class ScoreSummary:
    """Outcome of :func:`score_file` (aggregates only, no patient data)."""

    rows_in: int
    rows_scored: int
    rows_rejected: int
    seconds: float
    output: Path
    rejects: Path
    input_shift: dict | None = None
    input_shift_path: Path | None = None
    notes: tuple = ()

    def line(self) -> str:
        return f"rows in = {self.rows_in}, scored = {self.rows_scored}, rejected = {self.rows_rejected}"


def rejects_path(output) -> Path:
    """``<OUT stem>.rejects.csv`` beside ``output``."""
    output = Path(output)
    return output.with_name(output.stem + ".rejects.csv")


def _score_chunk(context: dict, item):
    """Validate (canonical input), derive, score and encode one chunk.

    Returns (kind, row offset, rows in, scores, rejects, input-shift counts); scores are an Arrow
    table for a Parquet output, else a DataFrame.

    Runs in this process or in a worker (:func:`rairpredict.scoring._parallel.ordered_map`);
    depends on nothing but its arguments, so both give the same bytes.
    """
    from rairpredict.cohort.derive import add_derived

    kind, payload, offset, rows = item
    model = context["model"]
    _adopt_tables(context)
    if kind == "canonical":
        source_rows, read_rejects = None, None
        if isinstance(payload, tuple):  # CSV: rows the reader left out are rejects already
            payload, source_rows, read_rejects = payload
        if isinstance(payload, ParquetSlice):  # read here, in the process that scores it
            payload = payload.read()
        raw = payload.to_pandas() if isinstance(payload, pa.RecordBatch) else payload
        result = validate_canonical(raw, file=context["path"], row_offset=offset, source_rows=source_rows,
                                    check_duplicates=True, missing_tokens=MISSING_TOKENS,
                                    schema=context.get("schema"))
        table, rejects = add_derived(result.table, only=context["derived"]), result.rejects
        if read_rejects is not None and len(read_rejects):
            rejects = (pd.concat([read_rejects, rejects], ignore_index=True)
                       .sort_values("source_row", kind="stable").reset_index(drop=True)[REJECT_COLUMNS])
        del raw, result
    else:
        table, rejects = payload
    scored, shift = score_frame_checked(model, table, explain=context["explain"],
                                        with_inputs=context["with_inputs"],
                                        strict_inputs=context.get("strict_inputs", False))
    del table
    out = _arrow_table(scored) if context["parquet"] else scored
    del scored
    # Chunk frames form reference cycles; without a collection per chunk the
    # RSS creeps up ~15 MB per 100k rows (measured), breaking the memory bound.
    trim_heap()  # collect, and hand the freed C heap back to the OS
    pa.default_memory_pool().release_unused()  # hand freed Arrow pages back to the OS
    return kind, offset, rows, out, rejects, shift


def _with_tables(context: dict) -> dict:
    """The workers' context: this process's warm pattern tables added, once it has scored a chunk.

    Building the XGBoost explainer's tables costs ~2 s of CPU per process
    (300 trees, depth 4); shipped, they are built once per run instead of once
    per worker. A few MB pickled, far less than a chunk.
    """
    explainer = tree_explainer(context["model"])
    return {**context, "tables": explainer.tables_state()}


def _adopt_tables(context: dict) -> None:
    """In a worker, before its first chunk: install the caller's tables in this process's explainer."""
    state = context.pop("tables", None)  # the worker's own copy of the context: adopted once
    if state is not None:
        tree_explainer(context["model"]).adopt_tables(state)


def _ships_tables(model, explain: int) -> bool:
    """Tables are worth shipping: reasons by PatternTreeShap (an XGBoost model), none for logistic models."""
    return explain > 0 and tree_explainer(model) is not None


def _drop_seen(out, rejects: pd.DataFrame, rows: int, offset: int, seen: set):
    """Reject scored rows whose ``patient_id`` was seen in an earlier chunk (``check_duplicates``)."""
    ids = (out.column("patient_id").to_numpy(zero_copy_only=False) if isinstance(out, pa.Table)
           else out["patient_id"].to_numpy(object))
    ids = pd.Series(ids, dtype="string")
    dup = ids.isin(seen).to_numpy(bool)
    if dup.any():
        accepted = np.setdiff1d(np.arange(rows), rejects["source_row"].to_numpy() - offset - 1)
        extra = pd.DataFrame({"source_row": accepted[dup] + offset + 1,
                              "patient_id": ids[dup].to_numpy(object),
                              "column": "patient_id", "value": "", "rule": "duplicate_id",
                              "message": "patient_id seen in an earlier chunk"})
        rejects = pd.concat([rejects, extra], ignore_index=True)[REJECT_COLUMNS]
        out = out.filter(pa.array(~dup)) if isinstance(out, pa.Table) else out[~dup].reset_index(drop=True)
        ids = ids[~dup]
    seen.update(ids.dropna())
    return out, rejects


# ---------------------------------------------------------------- writing
# ---------------------------------------------------------------- entry point
@contextlib.contextmanager
def _sigterm_raises():
    """While scoring, SIGTERM raises ``SystemExit(143)`` so the temporary files are removed.

    SIGTERM's default action ends the process at once, leaving the hidden
    ``.tmp`` files behind. The handler is installed only in the main thread
    (Python's rule) and only over the default action, so an application's own
    SIGTERM handling is left alone; the previous handler is restored after.
    """
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def handler(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: a second one must not break the clean-up
        raise SystemExit(128 + signum)  # what a shell reports for a job ended by the signal

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _derived_inputs(model) -> list[str]:
    """Derived contract fields the model reads (the others are not computed)."""
    contract = load_contract()
    return [f for f in model.features if f in contract and contract[f].derived]


def _peek(chunks, jobs: int):
    """(all chunks, jobs), with jobs = 1 when the input is a single chunk (processes would only cost time)."""
    if jobs <= 1:
        return chunks, 1
    head = list(itertools.islice(chunks, 2))
    return itertools.chain(head, chunks), jobs if len(head) > 1 else 1


def _progress_bar(progress, total):
    if callable(progress):
        return progress, None
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return None, None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="rows", unit_scale=True, desc="scoring", file=sys.stderr)
    return bar.update, bar


def score_file(model_ref, input, output, *, explain: int = 0, cohort_config=None, chunk_size: int = 100_000,
               progress=None, report=print, with_inputs: bool = False,
               check_duplicates: bool = False, jobs: int = 1, strict_inputs: bool = False,
               encoding: str | None = None) -> ScoreSummary:
    """Score a cohort file into ``output`` (+ rejects beside it).

    Parameters
    ----------
    model_ref : RiskModel, str, Path or None
        A model, or a reference for :func:`rairpredict.scoring.load_model_ref`.
    input, output : str or Path
        ``input``: CSV (any of ``, ; TAB |``), Parquet or Excel. ``output``:
        ``.parquet`` or ``.csv``. ``input`` is never modified.
    explain : int
        Reasons per patient (0: none, prediction speed).
    cohort_config : CohortConfig, str, Path or None
        Map a non-canonical file (read whole); ``None``: canonical, streamed.
    chunk_size : int
        Rows per chunk; bounds memory.
    progress : bool, callable or None
        tqdm bar on stderr (``None``: only when stderr is a terminal), or a
        callable called with the number of input rows of each finished chunk.
    report : callable or None
        Called with the final ``"rows in = N, scored = S, rejected = R"`` line.
    with_inputs : bool
        Add ``input__<field>`` columns.
    check_duplicates : bool
        Reject a ``patient_id`` already seen in an earlier chunk (memory grows
        with the number of ids, hence off by default).
    jobs : int
        Worker processes scoring chunks while this process reads and writes
        (1: all in this process). The output is identical whatever ``jobs``;
        at most ``jobs + 1`` chunks are in flight, so memory grows with
        ``jobs * chunk_size``, not with the file. An input of one chunk is
        always scored in this process.
    strict_inputs : bool
        Refuse to score when a model input is absent or entirely missing
        (:class:`~rairpredict.scoring.shift.InputShiftError`) instead of
        warning. Either way the batch's input-shift summary
        (:mod:`rairpredict.scoring.shift`) is passed to ``report`` and written
        beside ``output`` as ``<OUT stem>.input_shift.json``.
    encoding : str, optional
        Text encoding of a CSV input (default: detected, see
        :func:`rairpredict.cohort.io.detect_encoding`; a guess is noted on stderr).

    Returns
    -------
    ScoreSummary
    """
    from rairpredict.scoring._refs import load_model_ref

    start = time.perf_counter()
    input, output = Path(input), Path(output)
    rej_path = rejects_path(output)
    config_path = cohort_config if isinstance(cohort_config, (str, Path)) else None
    check_paths(inputs={"input": input, "cohort config": config_path,
                        "model": model_ref if isinstance(model_ref, (str, Path)) else None},
                outputs={"scores": output, "rejects": rej_path, "input-shift summary": summary_path(output)})
    if not input.is_file():
        raise CohortFileError(input, "unreadable file: does not exist or is not a file", usage=True)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    if int(jobs) < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    model = load_model_ref(model_ref)
    notes: list = []
    chunks = (_mapped_chunks(input, cohort_config, chunk_size, encoding, notes) if cohort_config is not None
              else _canonical_chunks(input, chunk_size, encoding, notes, self_read=int(jobs) > 1))
    update, bar = _progress_bar(progress, _count_rows(input) if cohort_config is None else None)
    n_in = n_scored = n_rejected = 0
    seen: set = set()
    context = {"model": model, "path": input, "explain": int(explain), "with_inputs": with_inputs,
               "parquet": output.suffix.lower() in _PARQUET, "derived": _derived_inputs(model),
               "strict_inputs": bool(strict_inputs),
               # a model trained with a cohort config's extra columns validates them by their stored types
               "schema": schema_of(extras=model.metadata.get("extra_fields"))}
    shift = ShiftCounts()
    results = None
    # The per-chunk collections then scan only what scoring creates, not every object
    # alive before (imports, the model): 58 -> ~10 ms per chunk of 100 000 (measured).
    gc.freeze()
    try:
        # rejects are renamed into place first, OUT last: a present OUT means a finished job
        with _sigterm_raises(), atomic_path(output) as tmp, atomic_path(rej_path) as rej_tmp:
            writer, rej_writer = _Writer(tmp, output), _Writer(rej_tmp, rej_path)
            try:
                rej_writer.write(_EMPTY_REJECTS)
                items, jobs = _peek(chunks, int(jobs))
                results = ordered_map(_score_chunk, context, items, jobs=jobs,
                                      preload=scoring_modules(model),
                                      worker_context=_with_tables if jobs > 1 and _ships_tables(model, explain) else None)
                for kind, offset, rows, out, rej, chunk_shift in results:
                    if chunk_shift is not None:
                        shift = shift + chunk_shift
                    if check_duplicates and kind == "canonical":
                        out, rej = _drop_seen(out, rej, rows, offset, seen)
                    scored = len(out)
                    if scored or writer.schema is None:
                        writer.write(out)
                    if len(rej):
                        rej_writer.write(rej)
                    n_in += rows
                    n_scored += scored
                    n_rejected += int(rej["source_row"].nunique())
                    del out, rej
                    if jobs > 1:  # this process only reads and writes; the workers release their own
                        trim_heap()
                        pa.default_memory_pool().release_unused()
                    if update is not None:
                        update(rows)
            finally:
                if results is not None:
                    results.close()  # an early stop ends the worker processes
                writer.close()
                rej_writer.close()
    finally:
        gc.unfreeze()
        if bar is not None:
            bar.close()
    shift_doc = shift_summary(model, shift)
    shift_file = write_summary(shift_doc, output)
    summary = ScoreSummary(n_in, n_scored, n_rejected, time.perf_counter() - start, output, rej_path,
                           shift_doc, shift_file, tuple(notes))
    # The accounting invariant: every input row is scored or rejected, never both, never lost.
    assert n_in == n_scored + n_rejected, f"row accounting broken: {summary.line()}"
    if report is not None:
        for note in notes:
            print(note, file=sys.stderr)
        report(summary.line())
        if shift_doc["message"]:
            report(format_summary(shift_doc))
    return summary
