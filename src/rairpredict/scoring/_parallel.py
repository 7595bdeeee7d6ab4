"""Score chunks in worker processes, results in input order, memory bounded.

The per-chunk work of batch scoring (validation, derived fields, the feature
pipeline, exact TreeSHAP, reasons, conversion to Arrow) is mostly
single-threaded pandas/NumPy, so on a machine with several cores the chunks
are scored by ``jobs`` worker processes while the calling process reads the
input and writes the output.

* Each worker gets the model once (pool initializer), so the cached
  :class:`~rairpredict.explain.PatternTreeShap` tables serve all its chunks
  (and ``worker_context`` can hand it the caller's tables, warm from the first chunk);
  its explainer, BLAS and OpenMP threads are ``cores // jobs`` so the cores are not oversubscribed.
* At most ``jobs + 1`` chunks are in flight (submitted and not yet taken back):
  memory is bounded by the chunk size whatever the file size. Results come
  back in submission order, so the output is identical to a single process.
* Workers start from a ``forkserver`` (never ``fork`` from a process whose
  OpenMP / Arrow threads may be running); the server and the workers block
  and ignore SIGINT from their first instruction (the caller handles it:
  Ctrl-C reaches the whole process group) and are terminated when the
  caller stops early (error, Ctrl-C, SIGTERM).
* Workers die with the caller even when it cannot clean up (SIGKILL, a
  crash): each asks the kernel to kill it when its parent (the worker
  server) dies (Linux ``PR_SET_PDEATHSIG``), and a watcher thread ends it as
  soon as the caller is gone (a pidfd, else polling). The worker server
  itself exits when the caller's end of its pipe closes, and then removes
  its socket directory (``TMPDIR/pymp-*``), which the caller cannot do after
  SIGKILL.
* An exception raised in a worker is raised again in the caller with its own
  type and message (user errors such as ``CohortFileError`` stay one-line
  CLI errors).
"""
from __future__ import annotations

import multiprocessing as mp
import signal
import threading
from collections import deque
from concurrent.futures import ProcessPoolExecutor

__all__ = ["ordered_map", "n_cores", "trim_heap"]

_STATE: dict = {}


def n_cores() -> int:
    """CPU cores this process may run on."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


_PR_SET_PDEATHSIG = 1
# Set by the caller while it starts the worker server: the server's temporary directory.
_SERVER_TMP = "RAIRPREDICT_WORKER_SERVER_TMPDIR"


def _die_with_parent() -> None:
    """Linux: the kernel sends SIGKILL to this process when its parent dies."""
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed caller not yet reaped by its shell is a zombie: dead for us
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return True


def _watch_caller(caller: int) -> None:
    """End this worker as soon as the caller is gone (it may have been killed, unable to stop us)."""
    import os
    import select
    import threading

    def watch():
        try:
            fd = os.pidfd_open(caller)  # readable when the caller ends
        except (AttributeError, OSError):
            fd = None
        while True:
            if fd is not None:
                select.select([fd], [], [], 1.0)
            else:
                import time

                time.sleep(0.2)
            if not _alive(caller):
                os._exit(1)

    if not _alive(caller):
        os._exit(1)
    threading.Thread(target=watch, name="caller-watch", daemon=True).start()


def _quiet_when_caller_left(kind, value, tb) -> None:
    """A worker that was still starting when the caller stopped finds its pipe cut: nothing to report."""
    import pickle
    import sys

    if issubclass(kind, (EOFError, pickle.UnpicklingError, ConnectionError)):
        return
    sys.__excepthook__(kind, value, tb)


def _server_setup() -> None:
    """In the worker server only: remove its socket directory when it exits (also after the caller's
    SIGKILL), and no traceback from a worker whose start was cut short by a stopping caller."""
    import atexit
    import os
    import sys

    tmp = os.environ.pop(_SERVER_TMP, None)
    if tmp and os.path.basename(tmp).startswith("pymp-"):
        import shutil

        atexit.register(shutil.rmtree, tmp, True)
        sys.excepthook = _quiet_when_caller_left  # the server prints a failed start with it


_server_setup()  # a no-op unless this module is being preloaded by a starting worker server


def _init_worker(fn, context, threads: int, caller: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the caller, which terminates us
    _die_with_parent()
    _watch_caller(caller)
    import gc

    from rairpredict.scoring import _frame

    _frame._THREADS = threads
    # BLAS (the contributions' grouping product) and OpenMP (XGBoost) too: by default each
    # worker's pools take every core, and jobs x cores spinning threads fight over the cores.
    # Threads split a product by output blocks, so the numbers do not depend on them.
    from threadpoolctl import threadpool_limits

    _STATE["limits"] = threadpool_limits(threads)
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
        p.join(2)
        if p.is_alive():  # stuck in native code: SIGTERM is not enough
            p.kill()
            p.join(2)


def _start_server(ctx, preload) -> None:
    """Start the worker server now, telling it its socket directory to remove when it exits."""
    import os
    import tempfile
    from multiprocessing import forkserver, process, util

    ctx.set_forkserver_preload(preload)
    config = process.current_process()._config
    if config.get("tempdir") is None and len(tempfile.gettempdir()) > 60:
        # The server's socket lives there, and a socket path has at most 107 bytes:
        # a long TMPDIR would make starting the workers fail.
        import shutil

        short = tempfile.mkdtemp(prefix="pymp-", dir="/tmp" if os.path.isdir("/tmp") else None)
        util.Finalize(None, shutil.rmtree, args=(short, True), exitpriority=-100)
        config["tempdir"] = short
    # The resource tracker first: starting it unblocks SIGINT in this thread (it blocks and
    # unblocks around its own spawn), which would undo the block below.
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    os.environ[_SERVER_TMP] = util.get_temp_dir()
    # The server starts by importing the scoring stack (about a second). A Ctrl-C in that
    # window would reach it (same process group) before it ignores SIGINT, and it would print
    # a KeyboardInterrupt traceback. So it starts with SIGINT blocked, as CPython's resource
    # tracker does (multiprocessing/resource_tracker.py): the mask is inherited through
    # fork and exec, and stays on in the server and in the workers it forks (the caller
    # handles Ctrl-C and stops them). Blocked here in this thread only, for the spawn: a
    # Ctrl-C meanwhile is held pending and raised in the caller as soon as it is unblocked.
    # (forkserver exists on POSIX only, where pthread_sigmask does too)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        forkserver.ensure_running()
    finally:
        os.environ.pop(_SERVER_TMP, None)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


_LIBC: list = []


def trim_heap() -> None:
    """Collect, then give the C heap's free pages back to the OS (glibc ``malloc_trim``; elsewhere nothing).

    glibc keeps freed memory in its heap: once a large block has been freed, its
    mmap threshold rises and later large arrays come from the heap too, so a
    process that scored a chunk stays near its peak. Called after every chunk
    (a worker's resident memory between chunks, measured on 100 000 rows:
    ~480 -> ~390 MB) and by the caller once it stops scoring chunks itself.
    """
    import gc
    import sys

    gc.collect()
    if not sys.platform.startswith("linux"):
        return
    if not _LIBC:  # find_library runs ldconfig: once per process
        import ctypes
        import ctypes.util

        try:
            _LIBC.append(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim)
        except (OSError, AttributeError):  # not glibc
            _LIBC.append(None)
    if _LIBC[0] is not None:
        _LIBC[0](0)


def _ready() -> bool:
    """A no-op task: its result tells the caller that a worker has started."""
    return True


#: While no worker has started yet (the worker server imports the scoring stack, each
#: worker unpickles the model: seconds), the caller scores the first items itself instead
#: of waiting. Tests set it to False to send every item through the workers.
HELP_WHILE_STARTING = True


def ordered_map(fn, context, items, *, jobs: int = 1, preload=(), worker_context=None):
    """Yield ``fn(context, item)`` for every item, in order, computed by ``jobs`` processes.

    ``fn`` must be a module-level function; ``context`` (e.g. the model) is sent
    once to each worker. ``jobs <= 1`` computes in this process, lazily.
    ``preload``: modules the worker server imports once (e.g. the model's).
    Until the first worker is ready, items are computed in this process (see
    :data:`HELP_WHILE_STARTING`): the start-up costs no idle seconds, and an
    input of a few small items never waits for the workers at all.
    ``worker_context``: optional ``callable(context) -> context``. When given
    (and this process helps while the workers start), the workers are started
    only once this process has computed the first item, and get the context
    the callable returns then (e.g. with caches that item warmed, which the
    workers would otherwise each build again). The worker server is started
    at once either way, so its imports overlap that first item.
    Close the generator (or exhaust it) to release the workers.

    Examples
    --------
    >>> from operator import add
    >>> list(ordered_map(add, 10, iter([1, 2, 3])))
    [11, 12, 13]
    """
    if jobs <= 1:
        for item in items:
            yield fn(context, item)
        return
    threads = max(1, n_cores() // jobs)
    ctx = mp.get_context("forkserver")
    # The server imports the scoring stack once; every worker forked from it starts ready
    # (only the model itself is unpickled per worker).
    _start_server(ctx, [__name__, fn.__module__, *preload])
    import os

    executor = starter = None  # set once the workers are being started
    pending: deque = deque()
    pings: list = []
    failed: list = []

    def start_workers():
        # One no-op per worker: the pool starts them (it spawns on submit), and the first one
        # done says a worker is ready for real work. In a thread: a submit that spawns waits
        # until the server has imported the scoring stack.
        try:
            pings.extend(executor.submit(_ready) for _ in range(jobs))
        except BaseException as exc:  # noqa: BLE001 - e.g. a worker killed by Ctrl-C as it started
            failed.append(exc)  # raised by the caller if it needs the workers, never printed here

    def launch(shipped):
        nonlocal executor, starter
        executor = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                                       initargs=(fn, shipped, threads, os.getpid()))
        starter = threading.Thread(target=start_workers, name="start-workers", daemon=True)
        starter.start()

    helping = HELP_WHILE_STARTING
    if not (helping and worker_context is not None):
        launch(context)
    finished = False
    started = not helping
    try:
        helped = False
        for item in items:
            started = started or (starter is not None and not starter.is_alive() and any(p.done() for p in pings))
            if not started:  # nothing submitted yet, so this result is next in order
                helped = True
                result = fn(context, item)
                if executor is None:  # after the first item: its warm caches go to the workers
                    launch(worker_context(context))
                yield result
                continue
            if helped:
                helped = False
                trim_heap()
            starter.join()
            if failed:
                raise failed[0]
            pending.append(executor.submit(_run, item))
            if len(pending) > jobs:  # jobs busy + 1 queued: bounded memory, no idle worker
                yield _unwrap(pending.popleft().result())
        while pending:
            yield _unwrap(pending.popleft().result())
        finished = True
    finally:
        if executor is not None:
            starter.join()  # (the pool's processes are all known only once it is done)
            if finished and started:
                executor.shutdown(wait=True)
            else:
                _stop(executor)
