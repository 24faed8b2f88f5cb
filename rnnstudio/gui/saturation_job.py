"""Saturation statistics over a text file, counted off the GUI thread.

A file of megabytes takes minutes (the char LSTM read 44,000 tokens a second), so it runs
in this job's worker with BLAS on one thread (:mod:`.jobs`), reports the bytes read and
stops on Cancel. The result belongs to the model it was counted with: another model
drops it (the dock goes back to the shown text).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ..engine.saturation import DEFAULT_LEFT, DEFAULT_RIGHT, Saturation, saturation
from ..io.text_stream import read_paragraphs
from .jobs import JobResult, JobRunner

if TYPE_CHECKING:
    from .session import Session

#: The job's label, as a bug message names what failed.
LABEL = "counting gate saturation"


class SaturationJob(QObject):
    """Part of the :class:`Session`. ``changed``: ``path``, ``result``, ``error`` or
    ``running`` changed; ``progressed(bytes read, file size)`` while counting."""

    changed = Signal()
    progressed = Signal(int, int)

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.session = session
        #: The file counted (or being counted); empty: the dock shows the shown text.
        self.path = ""
        self.result: Saturation | None = None
        self.error = ""
        self.runner = JobRunner(self)
        self.runner.finished.connect(self._on_finished)
        self.runner.progressed.connect(self.progressed)
        session.model_changed.connect(self.clear)

    @property
    def running(self) -> bool:
        return bool(self.path) and self.result is None and not self.error

    def count_file(self, path: str | Path, left: float = DEFAULT_LEFT,
                   right: float = DEFAULT_RIGHT) -> None:
        """Count over the paragraphs of ``path`` with the shown model, in the worker."""
        model = self.session.model
        if model is None:
            return
        path = str(path)
        self.path, self.result, self.error = path, None, ""
        self.runner.submit(LABEL, lambda stop, progress: saturation(
            model, read_paragraphs(path, on_progress=progress), left, right, stop), path)
        self.changed.emit()

    def clear(self) -> None:
        """Stop counting (Cancel) or forget the file's counts: back to the shown text."""
        self.runner.cancel()
        if self.path or self.result is not None or self.error:
            self.path, self.result, self.error = "", None, ""
            self.changed.emit()

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the worker is idle (tests)."""
        return self.runner.wait(timeout_ms)

    def _on_finished(self, result: JobResult) -> None:
        if result.error is not None:
            self.error = result.error
            self.session.error_raised.emit(result.error)
        else:
            self.result = result.value
        self.changed.emit()
