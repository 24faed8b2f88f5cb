"""The open corpus and its queries (search, top activations), run off the GUI thread.

Part of the :class:`Session`: it holds the corpus (any
:class:`~rnnstudio.engine.corpus_source.CorpusSource`: the on-disk index or an
ArrayCorpus), runs queries in its worker (:mod:`.jobs`: BLAS on one thread, progress,
cancel, latest request wins) and keeps their result rows. It also holds the span of
tokens brushed in the main view (shift+click or drag on the token strip), from which
:meth:`CorpusQueries.units_from_brush` picks units by LSTMVis's rule.

A result opens in the main view only with the corpus's own model (the fingerprint): the
document's text goes into the text box as an edit (Edit › Undo gives the previous text
back) and the cursor moves to the hit once the trace arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ..engine.corpus_query import search_spans, top_activations
from ..engine.corpus_query_brush import brush_units
from ..engine.corpus_source import CorpusSource
from ..view.corpus import (
    PANEL_AFTER,
    PANEL_BEFORE,
    ResultRow,
    activation_rows,
    model_matches,
    saturation_line,
    search_rule,
    span_rows,
)
from ..view.trajectory_fit import fingerprint_of
from .jobs import JobResult, JobRunner, Work

if TYPE_CHECKING:
    from .session import Session

#: The jobs' labels, as a bug message names what failed.
SEARCH, TOP = "searching the corpus", "listing top activations"


@dataclass(frozen=True)
class Where:
    """Which stored values a query reads."""

    quantity: str
    layer: int
    direction: str

    def __str__(self) -> str:
        return f"{self.quantity} of layer {self.layer} {self.direction}"


@dataclass(frozen=True)
class SearchResult:
    rule: str
    where: Where
    rows: list[ResultRow]
    #: Spans found in all (``rows`` holds the first of them).
    total: int


@dataclass(frozen=True)
class TopResult:
    unit: int
    where: Where
    highest: list[ResultRow]
    lowest: list[ResultRow]
    saturation: str | None


class CorpusQueries(QObject):
    """``changed``: the corpus was opened or closed; ``results_changed``: a result, an
    error or a start; ``brush_changed``: the brushed span; ``progressed(done, total)``."""

    changed = Signal()
    results_changed = Signal()
    brush_changed = Signal()
    progressed = Signal(int, int)

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.session = session
        self.source: CorpusSource | None = None
        self.name = ""
        #: The index folder the source was read from (None: an in-memory corpus).
        self.path: Path | None = None
        self.search_result: SearchResult | None = None
        self.top_result: TopResult | None = None
        self.error = ""
        #: The query running ("" when none).
        self.running = ""
        #: Tokens [start, stop) of the shown trace brushed in the main view.
        self.brushed: tuple[int, int] | None = None
        self._pending: tuple[str, int] | None = None
        self.runner = JobRunner(self)
        self.runner.finished.connect(self._on_finished)
        self.runner.progressed.connect(self.progressed)
        session.trace_changed.connect(self._on_trace_changed)

    # --- the corpus -------------------------------------------------------------------

    def open(self, source: CorpusSource, name: str, path: Path | None = None) -> None:
        """Show ``source`` (its results start empty), read from the folder ``path``."""
        self.runner.cancel()
        self.source, self.name, self.path = source, name, path
        self.search_result = self.top_result = None
        self.error, self.running = "", ""
        self.changed.emit()
        self.results_changed.emit()

    def model_fingerprint(self) -> str | None:
        model = self.session.model
        return None if model is None else fingerprint_of(model)

    def made_with_open_model(self) -> bool:
        return self.source is not None and model_matches(self.source,
                                                         self.model_fingerprint())

    # --- queries ----------------------------------------------------------------------

    def search(self, where: Where, units: Sequence[int], threshold: float, min_length: int,
               limit: int) -> None:
        """Find the spans in the worker; the rows land in ``search_result``."""
        source = self.source
        if source is None:
            return

        def work(stop: Callable[[], bool], progress: Callable[[int, int], None]
                 ) -> SearchResult:
            found = search_spans(source, where.quantity, where.layer, where.direction,
                                 units, threshold, min_length, limit, should_stop=stop,
                                 on_progress=progress)
            return SearchResult(search_rule(units, threshold, min_length), where,
                                span_rows(source, found.spans, PANEL_BEFORE, PANEL_AFTER),
                                found.total)

        self._start(SEARCH, work)

    def top(self, where: Where, unit: int, k: int) -> None:
        """The k highest and k lowest tokens of ``unit``, in the worker."""
        source = self.source
        if source is None:
            return

        def work(stop: Callable[[], bool], progress: Callable[[int, int], None]
                 ) -> TopResult:
            def halves(half: int) -> Callable[[int, int], None]:
                return lambda done, total: progress(done + half * total, 2 * total)

            found = [top_activations(source, where.quantity, where.layer, where.direction,
                                     unit, k, lowest, should_stop=stop,
                                     on_progress=halves(half))
                     for half, lowest in enumerate((False, True))]
            return TopResult(unit, where,
                             activation_rows(source, found[0], PANEL_BEFORE, PANEL_AFTER),
                             activation_rows(source, found[1], PANEL_BEFORE, PANEL_AFTER),
                             saturation_line(source, where.quantity, where.layer,
                                             where.direction, unit))

        self._start(TOP, work)

    def cancel(self) -> None:
        self.runner.cancel()
        if self.running:
            self.running = ""
            self.results_changed.emit()

    def _start(self, label: str, work: Work) -> None:
        self.error, self.running = "", label
        self.runner.submit(label, work, self.name)
        self.results_changed.emit()

    def _on_finished(self, result: JobResult) -> None:
        self.running = ""
        if result.error is not None:
            self.error = result.error
        elif isinstance(result.value, SearchResult):
            self.search_result = result.value
        else:
            self.top_result = result.value
        self.results_changed.emit()

    # --- the main view ----------------------------------------------------------------

    def show_hit(self, document: int, position: int) -> str:
        """Put ``document``'s text in the text box (an undoable edit) and the cursor on
        token ``position`` once it is traced; "" when done, else why it was refused."""
        if self.source is None:
            return "no corpus is open"
        if not self.made_with_open_model():
            return (f"this corpus was made with another model ({self.source.fingerprint}): "
                    "open that model to read its documents in the main view")
        text = self.source.document_text(document)
        self._pending = (text, position)
        if text == self.session.text and self.session.trace is not None:
            self._on_trace_changed()
        else:
            self.session.propose_text(text)
        return ""

    def _on_trace_changed(self) -> None:
        if self.brushed is not None:
            self.brushed = None
            self.brush_changed.emit()
        pending, trace = self._pending, self.session.trace
        if pending is not None and trace is not None and self.session.text == pending[0]:
            self._pending = None
            self.session.set_cursor(pending[1])

    def set_brush(self, start: int, stop: int) -> None:
        """Brush tokens ``[start, stop)`` of the shown trace (ends in either order)."""
        start, stop = sorted((start, stop))
        start, stop = max(start, 0), min(stop, self.session.step_count)
        span = (start, stop) if start < stop else None
        if span != self.brushed:
            self.brushed = span
            self.brush_changed.emit()

    def units_from_brush(self, where: Where, threshold: float, before: int,
                         after: int) -> list[int]:
        """LSTMVis's rule on the shown trace's ``where`` values over the brushed span."""
        trace = self.session.trace
        if trace is None or self.brushed is None or (where.layer, where.direction) not in \
                trace.layers:
            return []
        recorded = trace.layers[where.layer, where.direction].quantities()
        if where.quantity not in recorded:
            return []
        values = recorded[where.quantity]
        return brush_units(values, *self.brushed, threshold, before, after)
