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

from ..engine.attribution import Attribution
from ..engine.tokenizers import Tokens
from ..view.attribution import COMPUTED, strip_attribution
from .trace_job import TraceJob

if TYPE_CHECKING:
    from .session import Session


class AttributionJob(TraceJob):
    """Part of the :class:`Session`. ``changed``: ``result`` is new (or gone);
    ``result`` is the attribution of ``trace`` by the chosen method, or None."""

    result: Attribution | None

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        session.trace_changed.connect(self.request)
        session.options_changed.connect(self.request)

    def request(self) -> None:
        """Compute the chosen method for the shown trace, unless it is shown already."""
        session = self.session
        method, model, trace = session.options.attribution, session.model, session.trace
        if method not in COMPUTED or model is None or trace is None:
            self.runner.cancel()
            self.show(None, None, "")
            return
        if self.result is not None and self.trace is trace and self.result.method == method:
            return
        tokens = Tokens(list(trace.tokens), trace.token_ids, list(trace.unknown))
        loss = session.loss
        self.submit("attribution", trace, lambda stop, progress: strip_attribution(
            model, tokens, method, loss, stop, progress))

    def still_wanted(self, value: Attribution) -> bool:
        return value.method == self.session.options.attribution
