"""What was checked against PyTorch for the open model, and checking it off the GUI thread.

A shipped model is checked against its stored references as soon as it opens: 10 to 60 ms
measured (the reviews models load a 400 KB file), so in this job's worker, not on the GUI
thread. Any model can be recomputed live with torch on the current text (Help › Check
against PyTorch). A report is kept only for the model it was computed from: the Model
dock's badge never describes another model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ..engine.model import Model
from ..engine.tokenizers import Tokens
from ..io.torch_parity import torch_available
from ..view.parity import (
    REFERENCES,
    ParityReport,
    badge_text,
    check_live,
    check_shipped,
    verdict_text,
)
from .jobs import JobResult, JobRunner, Work

if TYPE_CHECKING:
    from .session import Session

#: Why the live button is disabled without torch (one line, shown under it).
NO_TORCH = "PyTorch is not installed here: pip install torch to recompute live."


class ParityCheck(QObject):
    """Part of the :class:`Session`. ``changed``: ``report``, ``running`` or ``error``
    changed. ``report`` is the last finished check of the open model, or None."""

    changed = Signal()
    #: A running check's progress: steps done, steps in all.
    progressed = Signal(int, int)

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.session = session
        self.report: ParityReport | None = None
        self.model: Model | None = None
        self.error = ""
        self.running = ""  # "" or what runs: REFERENCES or "live"
        self.runner = JobRunner(self)
        self.runner.finished.connect(self._on_finished)
        self.runner.progressed.connect(self.progressed)
        session.model_changed.connect(self._on_model_changed)

    @property
    def torch_installed(self) -> bool:
        return torch_available()

    @property
    def shipped_key(self) -> str | None:
        source = self.session.source
        return source.key if source.kind == "shipped" else None

    def badge(self) -> str:
        """The Model dock's line for the open model (see :func:`badge_text`)."""
        if self.session.model is None:
            return "PyTorch parity: no model open (a saved trace)"
        if self.running:
            return "PyTorch parity: checking…"
        if self.error:
            return "✗ PyTorch check could not run: Help › Check against PyTorch says why"
        return badge_text(self.report, self.session.source.kind)

    def verdict(self) -> str:
        """The last report's verdict in words (the badge's tooltip), or ""."""
        return "" if self.report is None else verdict_text(self.report)

    def check_references(self) -> None:
        """Check the open shipped model against its stored references (in the worker)."""
        key, model = self.shipped_key, self.session.model
        if key is None or model is None:
            return
        self._start(REFERENCES, model, lambda stop, progress: check_shipped(key))

    def check_live(self) -> None:
        """Recompute the open model on the current text with torch (in the worker)."""
        session = self.session
        model, trace, loss = session.model, session.trace, session.loss
        if model is None or trace is None or loss is None:
            return
        tokens = Tokens(list(trace.tokens), trace.token_ids, list(trace.unknown))
        title = session.source.title
        self._start("live", model, lambda stop, progress: check_live(
            model, tokens, loss, title, stop, progress))

    def cancel(self) -> None:
        """Drop the running check (the worker stops at its next step)."""
        if self.running:
            self.runner.cancel()
            self.running = ""
            self.changed.emit()

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the worker is idle (tests)."""
        return self.runner.wait(timeout_ms)

    def _start(self, kind: str, model: Model, work: Work) -> None:
        self.running, self.error = kind, ""
        self.runner.submit("checking the model against PyTorch",
                           lambda stop, progress: (model, work(stop, progress)),
                           self.session.source.title)
        self.changed.emit()

    def _on_model_changed(self) -> None:
        self.runner.cancel()
        self.report, self.model, self.running, self.error = None, None, "", ""
        self.changed.emit()
        if self.shipped_key is not None:
            self.check_references()

    def _on_finished(self, result: JobResult) -> None:
        self.running = ""
        if result.error is not None:
            self.error = result.error
        else:
            model, report = result.value
            if model is self.session.model:
                self.report, self.model = report, model
        self.changed.emit()
