"""What the attribution and decomposition jobs share: a result computed off the GUI
thread for the session's shown trace, kept only for that trace, and never a stale one.

A subclass starts work with :meth:`TraceJob.submit` (its work returns ``(trace,
value)``) and says in :meth:`TraceJob.still_wanted` whether a finished value is still
what the session shows (the method chosen, the layer and direction shown).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from ..engine.trace import Trace
from .jobs import JobResult, JobRunner

if TYPE_CHECKING:
    from .session import Session


class TraceJob(QObject):
    """``changed``: ``result`` is new (or gone); ``result`` belongs to ``trace``."""

    changed = Signal()

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.session = session
        self.result: Any = None
        self.trace: Trace | None = None
        self.error = ""
        self.runner = JobRunner(self)
        self.runner.finished.connect(self._on_finished)

    @property
    def running(self) -> bool:
        return self.runner.is_busy()

    def still_wanted(self, value: Any) -> bool:
        """Whether ``value``, computed for the shown trace, is still what it should show."""
        raise NotImplementedError

    def submit(self, label: str, trace: Trace,
               work: Callable[[Callable[[], bool], Callable[[int, int], None]], Any]) -> None:
        """Show nothing (never the last trace's result on this one), then run ``work``
        ``(should_stop, on_progress) -> value`` for ``trace`` in the worker."""
        self.show(None, None, "")
        self.runner.submit(label, lambda stop, progress: (trace, work(stop, progress)),
                           self.session.source.title)

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the worker is idle (tests)."""
        return self.runner.wait(timeout_ms)

    def _on_finished(self, result: JobResult) -> None:
        if result.error is not None:
            self.show(None, None, result.error)
            return
        trace, value = result.value
        if trace is self.session.trace and self.still_wanted(value):
            self.show(value, trace, "")

    def show(self, value: Any, trace: Trace | None, error: str) -> None:
        """Keep ``value`` of ``trace`` (or None) and say so; an error is raised once."""
        if value is self.result and trace is self.trace and error == self.error:
            return
        self.result, self.trace, self.error = value, trace, error
        self.changed.emit()
        if error:
            self.session.error_raised.emit(error)
