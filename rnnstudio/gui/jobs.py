"""Run engine work off the GUI thread: latest request wins, stale results are dropped.

Each request gets a generation number. Starting a new request makes the previous one's
``should_stop()`` return True (the engine then raises ``Cancelled``), requests still
waiting are skipped when their turn comes, and a result whose generation is no longer
the latest is never delivered. The work itself is a plain function of
``(should_stop, on_progress)``, so it is tested without any widget (as in Orange3).
It runs with BLAS held to one thread (:func:`rnnstudio.blas_threads.one_blas_thread`): a
worker uses one core and leaves the other to the GUI thread's paint.

Errors come back as one message. ``RnnStudioError`` is bad input and says itself what to
do. Any other exception is a bug in RNN Studio: its traceback goes to ``crash.log`` and
the message names what the job was doing (its label and ``subject``, e.g. the file) and
where the details are, never a bare ``TypeError: ...``.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ..blas_threads import one_blas_thread
from ..errors import Cancelled, RnnStudioError
from .desktop.crash import log_bug

_PROGRESS_INTERVAL = 0.1
#: What a job of each label is doing, as a bug message says it.
JOB_ACTIVITIES = {"trace": "reading the text", "jacobian": "computing ||dh_T/dh_t||",
                  "save": "saving the trace", "compare": "comparing the models",
                  "train": "training the model", "open": "opening the file",
                  "export": "exporting"}
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


def bug_message(label: str, subject: str, error: Exception) -> str:
    """Log ``error`` (a bug met by the job ``label`` on ``subject``) to the crash log and
    say so in one line: what failed, that it is a bug, where the details are."""
    activity = JOB_ACTIVITIES.get(label, label or "a background job")
    what = f"{activity} ({subject})" if subject else activity
    log = log_bug(error, what)
    where = f"details in {log}" if log is not None else (
        "the log folder could not be written, so the details went to the terminal")
    return (f"{what} failed: this is a bug in RNN Studio "
            f"({type(error).__name__}); {where}. Please report it; your text and the "
            "model shown are unchanged.")


class _Bridge(QObject):
    """Lives on the GUI thread; signals emitted from workers are queued to it."""

    finished = Signal(object)
    progressed = Signal(int, int, int)


class _Job(QRunnable):
    def __init__(self, runner: JobRunner, generation: int, label: str, subject: str,
                 work: Work) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._runner = runner
        self._bridge = runner._bridge
        self._generation = generation
        self._label = label
        self._subject = subject
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
            result = JobResult(self._generation, self._label,
                               error=bug_message(self._label, self._subject, error))
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

    def submit(self, label: str, work: Work, subject: str = "") -> int:
        """Queue ``work``; earlier requests are cancelled. Returns the new generation.
        ``subject`` (a file name, a model's title) is what a bug message names besides
        the label. After :meth:`shutdown` nothing starts (a timer may still fire on quit)."""
        with self._lock:
            self._generation += 1
            generation = self._generation
        self.label = label
        if not self._closed:
            self._pool.start(_Job(self, generation, label, subject, work))
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
