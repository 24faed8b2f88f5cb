"""The token strip's attribution, computed off the GUI thread for the shown trace.

Occlusion reads T + 1 texts and integrated gradients at least 66 (:mod:`rnnstudio.view.
attribution`); measured on the default sentiment LSTM with the 32-token cereal review:
gradient x input 1 ms, occlusion 9 ms, integrated gradients 20 ms at 64 steps and 250 ms
at the 1,024 its completeness needs; a 2,000-token text takes seconds. So every method
runs in this job's worker (latest request wins), and the strip shows nothing stale: a
result is kept only for the trace it was computed from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ..engine.attribution import Attribution
from ..engine.tokenizers import Tokens
from ..engine.trace import Trace
from ..view.attribution import COMPUTED, strip_attribution
from .jobs import JobResult, JobRunner

if TYPE_CHECKING:
    from .session import Session


class AttributionJob(QObject):
    """Part of the :class:`Session`. ``changed``: ``result`` is new (or gone);
    ``result`` is the attribution of ``trace`` by the chosen method, or None."""

    changed = Signal()

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.session = session
        self.result: Attribution | None = None
        self.trace: Trace | None = None
        self.error = ""
        self.runner = JobRunner(self)
        self.runner.finished.connect(self._on_finished)
        session.trace_changed.connect(self.request)
        session.options_changed.connect(self.request)

    @property
    def running(self) -> bool:
        return self.runner.is_busy()

    def request(self) -> None:
        """Compute the chosen method for the shown trace, unless it is shown already."""
        session = self.session
        method, model, trace = session.options.attribution, session.model, session.trace
        if method not in COMPUTED or model is None or trace is None:
            self.runner.cancel()
            self._show(None, None, "")
            return
        if self.result is not None and self.trace is trace and self.result.method == method:
            return
        tokens = Tokens(list(trace.tokens), trace.token_ids, list(trace.unknown))
        loss = session.loss
        self._show(None, None, "")  # never the last trace's colours on this one
        self.runner.submit("attribution", lambda stop, progress: (trace, strip_attribution(
            model, tokens, method, loss, stop, progress)), session.source.title)

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the worker is idle (tests)."""
        return self.runner.wait(timeout_ms)

    def _on_finished(self, result: JobResult) -> None:
        if result.error is not None:
            self._show(None, None, result.error)
            return
        trace, attribution = result.value
        if trace is self.session.trace and attribution.method == self.session.options.attribution:
            self._show(attribution, trace, "")

    def _show(self, result: Attribution | None, trace: Trace | None, error: str) -> None:
        if result is self.result and trace is self.trace and error == self.error:
            return
        self.result, self.trace, self.error = result, trace, error
        self.changed.emit()
        if error:
            self.session.error_raised.emit(error)
