"""Worker processes for training and validation that leave Ctrl-C to the caller.

Ctrl-C sends SIGINT to the whole foreground process group. joblib's worker
processes (loky) would each raise KeyboardInterrupt in the middle of a fit
and print its traceback under the CLI's one-line "interrupted" message. The
workers made here ignore SIGINT from their start (loky runs the initializer
before it unpickles any task); the caller gets the KeyboardInterrupt and
joblib ends its workers. (Batch scoring has its own pool:
:mod:`rairpredict.scoring._parallel`.)

Examples
--------
>>> from joblib import delayed
>>> run_in_workers(2, (delayed(pow)(x, 2) for x in range(4)))
[0, 1, 4, 9]
"""
from __future__ import annotations

import signal

__all__ = ["run_in_workers"]


def run_in_workers(n_jobs: int, calls) -> list:
    """``joblib.Parallel(n_jobs)(calls)`` in worker processes that ignore Ctrl-C (SIGINT)."""
    from joblib import Parallel, parallel_config

    # signal.signal itself is the initializer: nothing of this package is imported for it
    with parallel_config(backend="loky", initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN)):
        return Parallel(n_jobs=n_jobs)(calls)
