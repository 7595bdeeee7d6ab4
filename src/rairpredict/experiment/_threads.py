"""One BLAS thread while training: the matrices of a cohort are small, so BLAS threads only contend.

Measured on 2 cores (demo, main process): 39 s of CPU with OpenBLAS's default
threads, 19 s with one; worker processes are limited by joblib already.
"""
from __future__ import annotations

import functools

__all__ = ["single_blas_thread"]


def single_blas_thread(fn):
    """Decorator: run ``fn`` with BLAS limited to one thread (restored afterwards).

    A plain wrapper rather than threadpoolctl's own decorator so that warnings
    raised by ``fn`` with ``stacklevel=2`` are still attributed to this package.

    Examples
    --------
    >>> @single_blas_thread
    ... def f():
    ...     from threadpoolctl import threadpool_info
    ...     return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"} <= {1}
    >>> f()
    True
    """
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)
    return wrapper
