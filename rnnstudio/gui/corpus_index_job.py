"""Index a corpus with the open model off the GUI thread (Models › Index a corpus…).

The work is :func:`rnnstudio.io.corpus_index.index_corpus` in this job's worker, BLAS on
one thread (:mod:`.jobs`). Cancel makes ``should_stop()`` true: the index stops between
batches and keeps its finished shards, so starting again with the same source, output
and settings continues after them. The job is part of the session, which waits for it on
quit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ..io.corpus_index import IndexReport, index_corpus
from ..io.corpus_settings import CorpusSettings
from .jobs import JobResult, JobRunner

if TYPE_CHECKING:
    from .session import Session

LABEL = "corpus index"


@dataclass
class IndexProgress:
    """What the worker last reported (written by the worker, read by the GUI thread)."""

    tokens: int = 0
    bytes_read: int = 0
    total_bytes: int = 0
    first_tokens: int = 0  # tokens already indexed when this run started (a resume)
    started: float = 0.0

    def rate(self) -> float:
        """This run's tokens per second."""
        elapsed = time.perf_counter() - self.started
        return (self.tokens - self.first_tokens) / elapsed if elapsed > 0 else 0.0

    def eta_seconds(self) -> float | None:
        """Seconds left, from the bytes read so far; None before the first report."""
        if not self.total_bytes or not self.bytes_read:
            return None
        fraction = self.bytes_read / self.total_bytes
        return (time.perf_counter() - self.started) * (1 - fraction) / fraction


class CorpusIndexJob(QObject):
    """Part of the :class:`Session`. ``progressed()`` after each batch (read
    :attr:`progress`); ``finished(report)`` when a run ends (``report.complete`` False
    after a stop); ``failed(message)`` on an error."""

    progressed = Signal()
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.session = session
        self.progress = IndexProgress()
        self.running = False
        self.runner = JobRunner(self)
        self.runner.finished.connect(self._on_finished)
        self.runner.progressed.connect(lambda *_: self.progressed.emit())

    def start(self, source: str, out: str, settings: CorpusSettings,
              jobs: int | None = None) -> bool:
        """Index ``source`` into ``out`` with the open model, ``jobs`` shards at once
        (default: the cores, at most 4); False without a model."""
        model = self.session.model
        if model is None:
            return False
        title = self.session.source.title
        self.progress = IndexProgress(started=time.perf_counter())
        progress = self.progress

        def work(stop: Callable[[], bool], report: Callable[[int, int], None]) -> IndexReport:
            def on_progress(tokens: int, bytes_read: int, total_bytes: int) -> None:
                if not progress.tokens and not progress.bytes_read:
                    progress.first_tokens = tokens
                progress.tokens, progress.bytes_read = tokens, bytes_read
                progress.total_bytes = total_bytes
                report(bytes_read, max(total_bytes, 1))

            return index_corpus(model, source, out, settings, on_progress, stop, title=title,
                                jobs=jobs)

        self.running = True
        self.runner.submit(LABEL, work, source)
        return True

    def cancel(self) -> None:
        """Stop between batches; finished shards stay (the same run continues them)."""
        if self.running:
            self.running = False
            self.runner.cancel()

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the worker is idle (tests)."""
        return self.runner.wait(timeout_ms)

    def _on_finished(self, result: JobResult) -> None:
        self.running = False
        if result.error is not None:
            self.failed.emit(result.error)
        else:
            self.finished.emit(result.value)
