"""Run engine work off the GUI thread: latest request wins, stale results are dropped.

Each request gets a generation number. Starting a new request makes the previous one's
``should_stop()`` return True (the engine then raises ``Cancelled``), requests still
waiting are skipped when their turn comes, and a result whose generation is no longer
the latest is never delivered. The work itself is a plain function of
``(should_stop, on_progress)``, so it is tested without any widget (as in Orange3).
It runs with BLAS held to one thread (:func:`rnnstudio.blas_threads.one_blas_thread`): a
worker uses one core and leaves the other to the GUI thread's paint.
"""

from __future__ import annotations

import threading
import time
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ..blas_threads import one_blas_thread
from ..errors import Cancelled, RnnStudioError

_PROGRESS_INTERVAL = 0.1
Work = Callable[[Callable[[], bool], Callable[[int, int], None]], Any]

_live_runners: weakref.WeakSet[JobRunner] = weakref.WeakSet()


def live_runners() -> list[JobRunner]:
    """Every runner not yet garbage collected (tests check none is left busy)."""
    return list(_live_runners)


@dataclass(frozen=True)
class JobResult:
    """What came back: ``value`` or ``error`` (a user-facing message), with timing."""

    generation: int
    label: str
    value: Any = None
    error: str | None = None
    seconds: float = 0.0


class _Bridge(QObject):
    """Lives on the GUI thread; signals emitted from workers are queued to it."""

    finished = Signal(object)
    progressed = Signal(int, int, int)


class _Job(QRunnable):
    def __init__(self, runner: JobRunner, generation: int, label: str, work: Work) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._runner = runner
        self._bridge = runner._bridge
        self._generation = generation
        self._label = label
        self._work = work
        self._last_progress = 0.0

    def _stale(self) -> bool:
        return self._runner.is_stale(self._generation)

    def run(self) -> None:
        if self._stale():
            return
        started = time.perf_counter()
        try:
            with one_blas_thread():
                value = self._work(self._stale, self._progress)
        except Cancelled:
            return
        except RnnStudioError as error:
            result = JobResult(self._generation, self._label, error=str(error))
        except Exception as error:  # a bug, but the GUI must survive and say so
            traceback.print_exc()
            result = JobResult(self._generation, self._label,
                               error=f"{type(error).__name__}: {error}")
        else:
            result = JobResult(self._generation, self._label, value=value,
                               seconds=time.perf_counter() - started)
        if not self._stale():
            self._bridge.finished.emit(result)

    def _progress(self, done: int, total: int) -> None:
        # At most ten reports a second: one queued signal per token woke the GUI thread
        # 200 times per trace and doubled the worker's time through GIL hand-offs.
        now = time.perf_counter()
        if now - self._last_progress < _PROGRESS_INTERVAL and done < total:
            return
        self._last_progress = now
        if not self._stale():
            self._bridge.progressed.emit(self._generation, done, total)


class JobRunner(QObject):
    """One worker thread; ``submit`` supersedes whatever was submitted before.

    Signals: ``finished(JobResult)`` only for the latest generation, on the GUI thread;
    ``progressed(done, total)`` for the latest generation.
    """

    finished = Signal(object)
    progressed = Signal(int, int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        # Idle worker threads exit at once, so "no thread left running" is observable.
        self._pool.setExpiryTimeout(0)
        self._bridge = _Bridge(self)
        self._bridge.finished.connect(self._deliver)
        self._bridge.progressed.connect(self._relay_progress)
        self._lock = threading.Lock()
        self._generation = 0
        self._closed = False
        #: The label of the latest request (what ``progressed`` reports are about).
        self.label = ""
        _live_runners.add(self)

    @property
    def generation(self) -> int:
        return self._generation

    def is_stale(self, generation: int) -> bool:
        with self._lock:
            return generation != self._generation

    def submit(self, label: str, work: Work) -> int:
        """Queue ``work``; earlier requests are cancelled. Returns the new generation.
        After :meth:`shutdown` nothing starts (a timer may still fire on quit)."""
        with self._lock:
            self._generation += 1
            generation = self._generation
        self.label = label
        if not self._closed:
            self._pool.start(_Job(self, generation, label, work))
        return generation

    def cancel(self) -> None:
        """Make every queued or running request stale."""
        with self._lock:
            self._generation += 1

    def is_busy(self) -> bool:
        # A deleted pool waited for its threads in its destructor, so it is idle.
        return shiboken6.isValid(self._pool) and self._pool.activeThreadCount() > 0

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the worker is idle (used on quit and in tests)."""
        return self._pool.waitForDone(timeout_ms)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel everything, start nothing more, and wait for the worker thread."""
        self._closed = True
        self.cancel()
        if not shiboken6.isValid(self._pool):
            return True
        self._pool.clear()
        return self._pool.waitForDone(timeout_ms)

    def _deliver(self, result: JobResult) -> None:
        if not self.is_stale(result.generation):
            self.finished.emit(result)

    def _relay_progress(self, generation: int, done: int, total: int) -> None:
        if not self.is_stale(generation):
            self.progressed.emit(done, total)
