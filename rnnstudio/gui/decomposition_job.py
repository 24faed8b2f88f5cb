"""The Gradient paths panel's decomposition, computed off the GUI thread for the shown
trace, layer and direction, and only while the panel is on screen.

Measured with one BLAS thread, T = 300: an LSTM of 128 units 0.2 s, of 256 units 1.1 s;
a GRU of 256 units 0.3 s; an RNN of 256 units 3.6 s (two SVDs a step); the retention
alone 2-4 ms. So all of it runs in this job's worker (latest request wins), and a result
is kept only for the trace, layer and direction it was computed from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ..engine.decomposition import Decomposition, decompose
from ..engine.trace import Trace
from .jobs import JobResult, JobRunner

if TYPE_CHECKING:
    from .session import Session


class DecompositionJob(QObject):
    """Part of the :class:`Session`. ``changed``: ``result`` is new (or gone);
    ``progressed(done, total)``: steps of the running computation."""

    changed = Signal()
    progressed = Signal(int, int)

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.session = session
        self.result: Decomposition | None = None
        self.trace: Trace | None = None
        self.error = ""
        #: Whether a panel shows the result (nothing is computed for no one).
        self.wanted = False
        self.runner = JobRunner(self)
        self.runner.finished.connect(self._on_finished)
        self.runner.progressed.connect(self.progressed)
        session.trace_changed.connect(self.request)
        session.layer_changed.connect(self.request)

    @property
    def running(self) -> bool:
        return self.runner.is_busy()

    def set_wanted(self, wanted: bool) -> None:
        """A panel appeared (compute what it should show) or went away (stop)."""
        self.wanted = wanted
        self.request()

    def request(self) -> None:
        """Decompose the shown trace's layer and direction, unless it is shown already."""
        session = self.session
        model, trace = session.model, session.trace
        if not self.wanted:
            self.runner.cancel()
            return
        if model is None or trace is None or not trace.steps:
            self.runner.cancel()
            self._show(None, None, "")
            return
        if self.result is not None and self.trace is trace and self._is_shown_view(self.result):
            return
        self._show(None, None, "")  # never the last trace's paths on this one
        layer, direction = session.layer, session.direction
        self.runner.submit(
            "decomposition", lambda stop, progress: (trace, decompose(
                model, trace, layer, direction, should_stop=stop,
                on_step=lambda done: progress(done, trace.steps))), session.source.title)

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the worker is idle (tests)."""
        return self.runner.wait(timeout_ms)

    def _on_finished(self, result: JobResult) -> None:
        if result.error is not None:
            self._show(None, None, result.error)
            return
        trace, found = result.value
        if trace is self.session.trace and self._is_shown_view(found):
            self._show(found, trace, "")

    def _is_shown_view(self, found: Decomposition) -> bool:
        return (found.layer, found.direction) == (self.session.layer, self.session.direction)

    def _show(self, found: Decomposition | None, trace: Trace | None, error: str) -> None:
        if found is self.result and trace is self.trace and error == self.error:
            return
        self.result, self.trace, self.error = found, trace, error
        self.changed.emit()
