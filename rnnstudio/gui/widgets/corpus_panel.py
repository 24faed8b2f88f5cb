"""The Corpus dock: search a corpus index for every span where chosen units fire, pick
the units from a brushed span (LSTMVis's rule), and list a unit's top-activating tokens.

The header says which corpus is open and whether the open model made it. Queries run in
the session's :class:`~rnnstudio.gui.corpus_query_job.CorpusQueries` worker; a click on a
result opens its document in the main view (refused for another model's corpus). The
corpus is read through the injected ``opener`` (the window passes the index reader,
:func:`rnnstudio.io.corpus_reader.open_corpus`; tests pass an in-memory corpus).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...errors import RnnStudioError
from ...view.corpus import (
    BRUSH_AFTER,
    BRUSH_BEFORE,
    BRUSH_THRESHOLD,
    RANKING,
    CorpusSource,
    ResultRow,
    brush_rule,
    counted,
    describe_corpus,
    top_rule,
)
from ..corpus_query_job import Where
from ..session import Session
from .corpus_results import PlaceBox, ResultTable
from .hover import wrapped_label

#: Spans listed at most by default: a table of thousands is scrolled, not read.
DEFAULT_LIMIT = 200
#: The form column's width: its fields stay legible (the brush rule's spin boxes were
#: squashed to 40 px in a shared row at 1280 x 720, seen under Xvfb).
_FORM_WIDTH = 250
_THRESHOLD_RANGE = 1e6


def _number_box(value: float, low: float = -_THRESHOLD_RANGE,
                high: float = _THRESHOLD_RANGE) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(3)
    box.setSingleStep(0.05)
    box.setValue(value)
    return box


def _count_box(value: int, low: int, high: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    return box


def parse_units(text: str) -> list[int]:
    """``"3, 17"`` -> [3, 17]; a ValueError with a message saying what is wrong."""
    parts = [part.strip() for part in text.replace(" ", ",").split(",") if part.strip()]
    if not parts or not all(part.isdigit() for part in parts):
        raise ValueError(f"Units: give unit numbers separated by commas, e.g. 3,17 (got "
                         f"{text.strip()!r})")
    return [int(part) for part in parts]


class CorpusPanel(QWidget):
    """The dock's widget; ``opener(path)`` reads a corpus index."""

    def __init__(self, session: Session, opener: Callable[[Path], CorpusSource],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.opener = session, opener
        self.queries = session.corpus_queries
        self.header = wrapped_label("No corpus open: index a text with Models › Index a "
                                    "corpus… (or `rnnstudio corpus index`), or open one here.")
        self.open_button = QPushButton("Open corpus…")
        self.open_button.setToolTip("Open a corpus index (.rscorpus) made with a model")
        self.open_button.clicked.connect(self.choose_file)
        self.message = wrapped_label()
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running query; the results shown stay")
        self.cancel_button.clicked.connect(self.queries.cancel)
        self.tabs = QTabWidget()
        self.tabs.setUsesScrollButtons(False)  # two tabs: they always fit
        for arrow in self.tabs.tabBar().findChildren(QToolButton):  # Qt's, kept hidden
            arrow.setToolTip("Scroll the tabs")
        self.tabs.addTab(self._search_tab(), "Search")
        self.tabs.addTab(self._top_tab(), "Top activations")
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.progress)
        top.addWidget(self.cancel_button)
        top.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)
        self.message.hide()
        self.queries.changed.connect(self._on_corpus)
        self.queries.results_changed.connect(self._on_results)
        self.queries.progressed.connect(self._on_progress)
        self.queries.brush_changed.connect(self._on_brush)
        session.model_changed.connect(self._on_corpus)
        session.unit_changed.connect(self._follow_unit)
        self._on_corpus()
        self._on_brush()
        self._on_results()  # no query yet: no progress bar, no Cancel

    # --- building -----------------------------------------------------------------------

    def _search_tab(self) -> QWidget:
        self.units_edit = QLineEdit()
        self.units_edit.setPlaceholderText("e.g. 3,17")
        self.units_edit.setToolTip("Units that must all be on together")
        self.threshold_box = _number_box(0.5)
        self.threshold_box.setToolTip("A unit is on at a token when its value is >= this")
        self.search_place = PlaceBox()
        self.search_place.setToolTip("Which stored values to search: quantity, layer and "
                                     "direction")
        self.min_length_box = _count_box(1, 1, 1_000_000)
        self.min_length_box.setToolTip("The shortest span listed, in tokens")
        self.limit_box = _count_box(DEFAULT_LIMIT, 1, 100_000)
        self.limit_box.setToolTip("List this many spans, the best ranked first")
        self.search_button = QPushButton("Search")
        self.search_button.setToolTip("Find every span of the corpus where all the units "
                                      "are on together")
        self.search_button.clicked.connect(self.search)
        self.brush_button = QPushButton("Units from selection")
        self.brush_button.setToolTip("Shift+click or drag on the tokens above to select a "
                                     "span; the units on over it and off around it fill in")
        self.brush_button.clicked.connect(self.units_from_selection)
        self.brush_threshold = _number_box(BRUSH_THRESHOLD)
        self.brush_threshold.setToolTip("The rule's threshold: on at >= this (LSTMVis: 0.3)")
        self.brush_before = _count_box(BRUSH_BEFORE, 0, 1000)
        self.brush_before.setToolTip("Tokens just before the span where a unit must be off "
                                     "(LSTMVis: 1)")
        self.brush_after = _count_box(BRUSH_AFTER, 0, 1000)
        self.brush_after.setToolTip("Tokens just after the span where a unit must be off "
                                    "(LSTMVis: 0)")
        for box in (self.brush_threshold, self.brush_before, self.brush_after):
            box.valueChanged.connect(self._on_brush)
        self.brush_label = wrapped_label()
        form = QFormLayout()
        form.addRow("Units", self.units_edit)
        form.addRow("On at ≥", self.threshold_box)
        form.addRow("Values", self.search_place)
        form.addRow("Min length", self.min_length_box)
        form.addRow("Show first", self.limit_box)
        form.addRow(self.search_button)
        form.addRow(self.brush_button)
        form.addRow("Rule: on ≥", self.brush_threshold)
        form.addRow("Off before", self.brush_before)
        form.addRow("Off after", self.brush_after)
        form.addRow(self.brush_label)
        self.search_rule = wrapped_label(f"Ranked {RANKING}.")
        self.search_table = ResultTable("Floor", True, self.open_row)
        return self._tab(form, [self.search_rule, self.search_table])

    def _top_tab(self) -> QWidget:
        self.top_place = PlaceBox()
        self.top_place.setToolTip("Which stored values: quantity, layer and direction")
        self.unit_box = _count_box(0, 0, 0)
        self.unit_box.setToolTip("The unit (follows the unit selected in the main view)")
        self.k_box = _count_box(20, 1, 10_000)
        self.k_box.setToolTip("How many tokens each table lists")
        self.top_button = QPushButton("List")
        self.top_button.setToolTip("The tokens of the corpus where the unit is highest and "
                                   "lowest")
        self.top_button.clicked.connect(self.top)
        self.saturation_label = wrapped_label()
        form = QFormLayout()
        form.addRow("Values", self.top_place)
        form.addRow("Unit", self.unit_box)
        form.addRow("Tokens (k)", self.k_box)
        form.addRow(self.top_button)
        form.addRow(self.saturation_label)
        self.top_place.currentIndexChanged.connect(self._fit_unit_range)
        self.highest_table = ResultTable("Value", False, self.open_row)
        self.lowest_table = ResultTable("Value", False, self.open_row)
        self.highest_label, self.lowest_label = wrapped_label(), wrapped_label()
        # One table at a time, each the full width: side by side at 1280 x 720 their
        # context columns were scrolled out of view (seen under Xvfb).
        self.top_tables = QTabWidget()
        self.top_tables.setUsesScrollButtons(False)
        for title, label, table in (("Highest", self.highest_label, self.highest_table),
                                    ("Lowest", self.lowest_label, self.lowest_table)):
            page = QWidget()
            column = QVBoxLayout(page)
            column.setContentsMargins(2, 2, 2, 2)
            column.addWidget(label)
            column.addWidget(table, 1)
            self.top_tables.addTab(page, title)
        for arrow in self.top_tables.tabBar().findChildren(QToolButton):
            arrow.setToolTip("Scroll the tabs")
        return self._tab(form, [self.top_tables])

    @staticmethod
    def _tab(form: QFormLayout, right: list[QWidget]) -> QWidget:
        """The form on the left (fixed width), results on the right (the rest)."""
        inner = QWidget()
        inner.setLayout(form)
        # A fixed column that scrolls: at 1280 x 720 the dock is about 600 x 300 px, and
        # the results (their context) need the width more than the form does.
        left = QScrollArea()
        left.setWidget(inner)
        left.setWidgetResizable(True)
        left.setFrameShape(QFrame.Shape.NoFrame)
        left.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        left.setFixedWidth(_FORM_WIDTH)
        column = QVBoxLayout()
        for widget in right:  # the last (the results) takes the height
            column.addWidget(widget, 1 if widget is right[-1] else 0)
        tab = QWidget()
        layout = QHBoxLayout(tab)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(left)
        layout.addLayout(column, 1)
        return tab

    # --- actions ------------------------------------------------------------------------

    def choose_file(self) -> None:
        # An index is a folder (NAME.rscorpus), so a file chooser could not pick it.
        path = QFileDialog.getExistingDirectory(self, "Open a corpus index (a .rscorpus folder)")
        if path:
            self.open_path(Path(path))

    def open_path(self, path: Path) -> None:
        """Read ``path`` with the opener and show it; a bad file is a message."""
        try:
            source = self.opener(path)
        except RnnStudioError as error:
            self.say(str(error))
            return
        self.session.open_corpus(source, path.name, path)

    def search(self) -> None:
        place, source = self.search_place.place(), self.queries.source
        if place is None or source is None:
            return
        try:
            units = parse_units(self.units_edit.text())
            count = source.unit_count(place[0])
            wrong = [unit for unit in units if unit >= count]
            if wrong:
                raise ValueError(f"Units: {place[0]} has units 0 to {count - 1}; "
                                 f"{wrong[0]} is not one of them")
            if len(set(units)) != len(units):
                raise ValueError("Units: name each unit once")
        except ValueError as error:
            self.say(str(error))
            return
        self.say("")
        self.queries.search(Where(*place), units, self.threshold_box.value(),
                            self.min_length_box.value(), self.limit_box.value())

    def top(self) -> None:
        place = self.top_place.place()
        if place is not None:
            self.say("")
            self.queries.top(Where(*place), self.unit_box.value(), self.k_box.value())

    def units_from_selection(self) -> None:
        """LSTMVis's rule over the brushed span of the shown trace, into the Units box."""
        place = self.search_place.place()
        if self.queries.brushed is None or place is None:
            self.say("Select a span first: shift+click or drag on the tokens "
                                 "above the heatmaps.")
            return
        units = self.queries.units_from_brush(Where(*place), self.brush_threshold.value(),
                                              self.brush_before.value(),
                                              self.brush_after.value())
        self.units_edit.setText(",".join(map(str, units)))
        self.threshold_box.setValue(self.brush_threshold.value())
        self.say(f"{counted(len(units), 'unit')} selected by the rule" if units else
                             "No unit is on over the whole span and off around it: try a "
                             "lower threshold, a shorter span or fewer 'off' tokens.")

    def open_row(self, row: ResultRow) -> None:
        self.say(self.queries.show_hit(row.document, row.position))

    def say(self, text: str) -> None:
        """One message above the tabs (hidden when empty: the dock is short)."""
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # --- observing ----------------------------------------------------------------------

    def _on_corpus(self) -> None:
        source = self.queries.source
        has = source is not None
        for widget in (self.search_button, self.top_button, self.brush_button):
            widget.setEnabled(has)
        if source is None:
            return
        self.header.setText(" · ".join(describe_corpus(source, self.queries.name,
                                                       self.queries.model_fingerprint())))
        self.search_place.fill(source)
        self.top_place.fill(source)
        self._fit_unit_range()

    def _fit_unit_range(self) -> None:
        place = self.top_place.place()
        if place is not None and self.queries.source is not None:
            self.unit_box.setMaximum(self.queries.source.unit_count(place[0]) - 1)

    def _follow_unit(self, unit: int) -> None:
        if unit <= self.unit_box.maximum():
            self.unit_box.setValue(unit)

    def _on_brush(self) -> None:
        span = self.queries.brushed
        rule = brush_rule(self.brush_threshold.value(), self.brush_before.value(),
                          self.brush_after.value())
        where = ("no span selected (shift+click or drag on the tokens)" if span is None
                 else f"selected tokens {span[0]}–{span[1] - 1}")
        self.brush_label.setText(f"{where}; LSTMVis's rule (hover for it).")
        self.brush_label.setToolTip(f"The rule: {rule}")

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _on_results(self) -> None:
        running = bool(self.queries.running)
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        if self.queries.error:
            self.say(self.queries.error)
        found = self.queries.search_result
        if found is not None:
            shown = counted(found.total, "span")
            if len(found.rows) < found.total:
                shown = f"The first {len(found.rows):,} of {shown}"
            self.search_rule.setText(f"{shown} of {found.where}; ranked {RANKING}. "
                                     "Click a row to open it.")
            self.search_rule.setToolTip(found.rule)
            self.search_table.show_rows(found.rows)
        listed = self.queries.top_result
        if listed is not None:
            for label, table, rows, lowest in (
                    (self.highest_label, self.highest_table, listed.highest, False),
                    (self.lowest_label, self.lowest_table, listed.lowest, True)):
                label.setText(f"{'Lowest' if lowest else 'Highest'}: unit {listed.unit} of "
                              f"{listed.where}")
                label.setToolTip(top_rule(listed.unit, lowest))
                table.show_rows(rows)
            self.saturation_label.setText(listed.saturation or "")
