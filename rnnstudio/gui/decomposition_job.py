"""The Gradient paths panel's decomposition, computed off the GUI thread for the shown
trace, layer and direction, and only while the panel is on screen.

Measured with one BLAS thread, T = 300: an LSTM of 128 units 0.2 s, of 256 units 1.1 s;
a GRU of 256 units 0.3 s; an RNN of 256 units 3.6 s (two SVDs a step); the retention
alone 2-4 ms. So all of it runs in this job's worker (latest request wins), and a result
is kept only for the trace, layer and direction it was computed from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal

from ..engine.decomposition import Decomposition, decompose
from .trace_job import TraceJob

if TYPE_CHECKING:
    from .session import Session


class DecompositionJob(TraceJob):
    """Part of the :class:`Session`. ``changed``: ``result`` is new (or gone);
    ``progressed(done, total)``: steps of the running computation."""

    progressed = Signal(int, int)
    result: Decomposition | None

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        #: Whether a panel shows the result (nothing is computed for no one).
        self.wanted = False
        self.runner.progressed.connect(self.progressed)
        session.trace_changed.connect(self.request)
        session.layer_changed.connect(self.request)

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
            self.show(None, None, "")
            return
        if self.result is not None and self.trace is trace and self.still_wanted(self.result):
            return
        layer, direction = session.layer, session.direction
        self.submit("decomposition", trace, lambda stop, progress: decompose(
            model, trace, layer, direction, should_stop=stop,
            on_step=lambda done: progress(done, trace.steps)))

    def still_wanted(self, value: Decomposition) -> bool:
        return (value.layer, value.direction) == (self.session.layer, self.session.direction)
