"""Score chunks in worker processes, results in input order, memory bounded.

The per-chunk work of batch scoring (validation, derived fields, the feature
pipeline, exact TreeSHAP, reasons, conversion to Arrow) is mostly
single-threaded pandas/NumPy, so on a machine with several cores the chunks
are scored by ``jobs`` worker processes while the calling process reads the
input and writes the output.

* Each worker gets the model once (pool initializer), so the cached
  :class:`~rairpredict.explain.PatternTreeShap` tables serve all its chunks;
  its explainer threads are ``cores // jobs`` so the cores are not oversubscribed.
* At most ``jobs + 1`` chunks are in flight (submitted and not yet taken back):
  memory is bounded by the chunk size whatever the file size. Results come
  back in submission order, so the output is identical to a single process.
* Workers start from a ``forkserver`` (never ``fork`` from a process whose
  OpenMP / Arrow threads may be running), ignore SIGINT (the caller handles
  it) and are terminated when the caller stops early (error, Ctrl-C, SIGTERM).
* An exception raised in a worker is raised again in the caller with its own
  type and message (user errors such as ``CohortFileError`` stay one-line
  CLI errors).
"""
from __future__ import annotations

import multiprocessing as mp
import signal
from collections import deque
from concurrent.futures import ProcessPoolExecutor

__all__ = ["ordered_map", "n_cores"]

_STATE: dict = {}


def n_cores() -> int:
    """CPU cores this process may run on."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _init_worker(fn, context, threads: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the caller, which terminates us
    import gc

    from rairpredict.scoring import _frame

    _frame._THREADS = threads
    gc.freeze()  # the per-chunk collections skip the imports and the model (see score_file)
    _STATE["fn"], _STATE["context"] = fn, context


def _run(item):
    try:
        return True, _STATE["fn"](_STATE["context"], item)
    except BaseException as exc:  # noqa: BLE001 - sent back and raised again in the caller
        # Sent as (class, args, attributes): exceptions whose __init__ takes other
        # arguments than their args (CohortFileError) cannot be unpickled as such.
        return False, (type(exc), exc.args, dict(vars(exc)))


def _unwrap(outcome):
    ok, value = outcome
    if ok:
        return value
    cls, args, attrs = value
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(attrs)
    raise exc


def _stop(executor: ProcessPoolExecutor) -> None:
    """Cancel queued chunks and end the workers now (a stopped job must not keep computing)."""
    processes = list((getattr(executor, "_processes", None) or {}).values())  # no public API before 3.14
    executor.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        if p.is_alive():
            p.terminate()
    for p in processes:
        p.join(10)


def ordered_map(fn, context, items, *, jobs: int = 1, preload=()):
    """Yield ``fn(context, item)`` for every item, in order, computed by ``jobs`` processes.

    ``fn`` must be a module-level function; ``context`` (e.g. the model) is sent
    once to each worker. ``jobs <= 1`` computes in this process, lazily.
    ``preload``: modules the worker server imports once (e.g. the model's).
    Close the generator (or exhaust it) to release the workers.
    """
    if jobs <= 1:
        for item in items:
            yield fn(context, item)
        return
    threads = max(1, n_cores() // jobs)
    ctx = mp.get_context("forkserver")
    # The server imports the scoring stack once; every worker forked from it starts ready
    # (only the model itself is unpickled per worker).
    ctx.set_forkserver_preload([fn.__module__, *preload])
    executor = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx,
                                   initializer=_init_worker, initargs=(fn, context, threads))
    pending: deque = deque()
    finished = False
    try:
        for item in items:
            pending.append(executor.submit(_run, item))
            if len(pending) > jobs:  # jobs busy + 1 queued: bounded memory, no idle worker
                yield _unwrap(pending.popleft().result())
        while pending:
            yield _unwrap(pending.popleft().result())
        finished = True
    finally:
        if finished:
            executor.shutdown(wait=True)
        else:
            _stop(executor)
