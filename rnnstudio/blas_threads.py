"""Hold BLAS to one thread while worker threads compute, so workers never fight the paint.

NumPy's wheels ship OpenBLAS, which splits even an H = 256 LSTM's small matrix products over
every core and lets its threads spin between calls. On a busy 2-core machine that made
||dh_T/dh_t|| at T = 200, H = 256 take 6.4 s in a worker instead of 0.38 s on one thread,
and 300 training steps 7.6 s instead of 1.7 s (issue 9), while the GUI thread waited for a
core to paint on.

BLAS thread limits are process-wide, not per thread, and two workers (a trace and a training
run) may overlap. So the workers inside :func:`one_blas_thread` are counted: the first one in
sets the limit to 1, the last one out restores what was there before. While any worker is
inside, the GUI thread's own BLAS calls run on one thread too (they are small). Every thread
that enters sets the limit again: where BLAS is threaded with OpenMP, the limit is per thread.

threadpoolctl finds whichever BLAS NumPy loaded (OpenBLAS, MKL, BLIS, FlexiBLAS) and is a
no-op where none is loaded. Since version 3.8 it lets only one "controlling" Python thread
change OpenBLAS's limit and silently ignores the others; the first worker in is often not the
last one out, so every change here is made under this module's lock with that claim released
before and after.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class _SharedLimit:
    """The process-wide limit: how many workers hold it, and what to restore."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holders = 0
        self.limiter: Any = None  # threadpoolctl's limiter; it remembers the previous limits

    def enter(self) -> None:
        with self.lock:
            limiter = _as_controlling_thread(_limit_to_one)
            if self.holders == 0:  # the first one in holds the limits to restore
                self.limiter = limiter
            self.holders += 1

    def leave(self) -> None:
        with self.lock:
            self.holders -= 1
            if self.holders == 0:
                _as_controlling_thread(self.limiter.restore_original_limits)
                self.limiter = None


_shared_limit = _SharedLimit()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the ``with`` block with BLAS limited to one thread (see the module docstring).

    Safe to nest and to use from several threads at once; the previous limit comes back
    when the last block is left, also when it raises. Where no BLAS library is loaded,
    nothing is limited and nothing fails.
    """
    _shared_limit.enter()
    try:
        yield
    finally:
        _shared_limit.leave()


def blas_thread_limit() -> int | None:
    """The thread limit of the loaded BLAS (the largest if several), None if none is loaded."""
    from threadpoolctl import threadpool_info

    limits = [library["num_threads"] for library in threadpool_info()
              if library["user_api"] == "blas"]
    return max(limits, default=None)


def _limit_to_one() -> Any:
    # Imported here, on the worker's first job: 6 ms that the first paint does not pay.
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def _as_controlling_thread(change: Callable[[], Any]) -> Any:
    """Call ``change()`` as the one thread threadpoolctl lets set OpenBLAS's limit, then
    give the claim back (a pool thread that kept it would block every later change)."""
    _release_openblas_claim()
    try:
        return change()
    finally:
        _release_openblas_claim()


def _release_openblas_claim() -> None:
    import threadpoolctl

    # Absent before threadpoolctl 3.8, which had no controlling thread to release.
    openblas = getattr(threadpoolctl, "OpenBLASController", None)
    release = getattr(openblas, "clear_controlling_thread", None)
    if release is not None:
        release(force=True)
