"""What the model says at the current step, in one line, then the vectors at that step
as bar charts, described in words; click a unit to see its equations with the numbers
plugged in.

A bar chart never gets shorter than :data:`CHART_MIN_HEIGHT`: the charts scroll instead
(squashed to 15 px in a 720p lesson layout, six charts printed their y labels over each
other, and those are the bars the lessons ask the student to watch).
"""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics, QWheelEvent
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ...errors import RnnStudioError
from ...view.attribution import current_shading, token_line
from ...view.colours import NONFINITE_RGB
from ...view.equations import unit_equations
from ...view.heatmaps import QUANTITY_DESCRIPTIONS, StepBars, step_bars
from ...view.interventions import cursor_note, equation_caveat
from ...view.model_reading import NO_VERDICT, recurrent_part_only
from ...view.readout import step_readout
from ..session import Session
from ..theme import SELECTION_COLOR, SERIES_COLORS, configure_pyqtgraph
from .plot_fit import title_never_widens

#: What the readout line's numbers are, by task.
_READOUT_TIPS = {
    "classify": "The head's class probabilities at this step: the answer the model would "
                "give if the text ended here. Its real answer is at the last token.",
    "tag": "The head's tag probabilities for this token (a bidirectional tagger has read "
           "the words after it too).",
    "next-token": "The head's most likely next tokens after this step, and the "
                  "probability it gave the token that really comes next.",
}

#: Pixels of a bar chart's data area, at least: three y labels 30 px apart stay apart.
CHART_MIN_HEIGHT = 60
_TITLE_HEIGHT = 16
_CHART_MARGINS = _TITLE_HEIGHT + 6  # and the plot's own margins
_BOTTOM_AXIS_HEIGHT = 50  # ticks and the "unit" label under the last chart
_TITLE_POINTS = 8


def _title_html(name: str, description: str) -> str:
    return f"<b>{escape(name)}</b> — {escape(description)}"


def fitted_title(name: str, description: str, width: float) -> str:
    """The chart title that fits ``width`` pixels: the whole description, else its part
    before the colon ("reset gate"), else that part elided; the full text is a tooltip."""
    plain, bold = QFont(), QFont()
    plain.setPointSizeF(_TITLE_POINTS)
    bold.setPointSizeF(_TITLE_POINTS)
    bold.setBold(True)
    room = width - QFontMetrics(bold).horizontalAdvance(name) - 4
    metrics = QFontMetrics(plain)
    for text in (f" — {description}", f" — {description.split(':')[0]}"):
        if metrics.horizontalAdvance(text) <= room:
            return _title_html(name, text[3:])
    short = metrics.elidedText(f" — {description.split(':')[0]}", Qt.TextElideMode.ElideRight,
                               max(int(room), 0))
    return f"<b>{escape(name)}</b>{escape(short)}"


def axis_ticks(levels: tuple[float, float]) -> list[tuple[float, str]]:
    """Three y labels, the fixed range's ends and zero (or the middle): pyqtgraph's own
    choice printed five labels over each other on a short chart."""
    low, high = levels
    middle = 0.0 if low < 0 < high else (low + high) / 2
    return [(value, f"{value:.3g}") for value in (low, middle, high)]


class _BarsView(pg.GraphicsLayoutWidget):
    """The charts' view inside a scroll area: the wheel scrolls the area (the charts
    neither pan nor zoom)."""

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt API)
        event.ignore()


class _BarRow:
    """One quantity: bars over units, fixed y range, the selected unit outlined."""

    def __init__(self, layout: pg.GraphicsLayout, row: int, name: str, last: bool) -> None:
        self.name = name
        self.plot: pg.PlotItem = layout.addPlot(row=row, col=0)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.description = QUANTITY_DESCRIPTIONS[name]
        self.plot.setTitle(_title_html(name, self.description), size=f"{_TITLE_POINTS}pt",
                           justify="left")
        self.plot.titleLabel.setMaximumHeight(_TITLE_HEIGHT)
        self.plot.layout.setRowFixedHeight(0, _TITLE_HEIGHT)  # setTitle made the row 30 px
        self.plot.titleLabel.setToolTip(f"{name} — {self.description}")
        # A long description must not widen the layout past the dock (the bars on the
        # right were cut off).
        title_never_widens(self.plot)
        self.plot.showAxis("bottom", last)
        if last:
            self.plot.setLabel("bottom", "unit")
        # A floor per chart: the layout shares out spare height, but never below this.
        self.plot.setMinimumHeight(CHART_MIN_HEIGHT + _CHART_MARGINS
                                   + (_BOTTOM_AXIS_HEIGHT if last else 0))
        self.plot.getAxis("left").setWidth(40)
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.getViewBox().sigResized.connect(self.fit_title)
        self.plot.addItem(pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen("#999")))
        color = SERIES_COLORS.get(name, "#0072B2")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=color, pen=None)
        self.plot.addItem(self.bars)
        # inf/NaN units: full-height bars in the heatmaps' non-finite colour, so a step
        # after an overflow is not an empty chart.
        self.nonfinite = pg.BarGraphItem(x=[], height=[], width=0.8, pen=None,
                                         brush=pg.mkColor(*NONFINITE_RGB))
        self.plot.addItem(self.nonfinite)
        self.marker = pg.BarGraphItem(x=[], height=[], width=0.9, brush=None,
                                      pen=pg.mkPen(SELECTION_COLOR, width=2))
        self.plot.addItem(self.marker)
        self.values = np.zeros(0)
        self._heights = np.zeros(0)  # the drawn bars: values, non-finite ones as 0
        self._units = np.arange(0)  # the x of each bar: unit indices
        self._levels: tuple[float, float] | None = None

    def show(self, values: np.ndarray, bars: StepBars, unit: int) -> None:
        """``values``: the trace's column as it is (inf and NaN included); ``bars``: how
        it is drawn."""
        # Ranges are set only when they change: a step must stay well under 16 ms.
        if values.size != self.values.size:
            self._units = np.arange(values.size)
            self.plot.setXRange(-0.5, values.size - 0.5, padding=0.01)
        levels = bars.levels
        if levels != self._levels:
            self._levels = levels
            self.plot.setYRange(*levels, padding=0.02)
            self.plot.getAxis("left").setTicks([axis_ticks(levels)])
        self.values, self._heights = values, bars.heights
        self.bars.setOpts(x=self._units, height=bars.heights)
        self.nonfinite.setOpts(x=bars.nonfinite,
                               height=np.full(bars.nonfinite.size, levels[1]))
        self.mark(unit)

    def fit_title(self, *_: Any) -> None:
        """Title text that fits the chart's width (it starts at the data area's left)."""
        title = self.plot.titleLabel
        text = fitted_title(self.name, self.description, self.plot.getViewBox().width())
        if text != title.text:
            title.setText(text)

    def mark(self, unit: int) -> None:
        if 0 <= unit < self._heights.size:
            self.marker.setOpts(x=[unit], height=[self._heights[unit]])


class StepView(QWidget):
    """``rows[name].values`` hold exactly the trace's row at ``session.cursor``;
    ``readout`` says what the model's head answers there (hidden without a head, or
    why there is no verdict when a file's head was left out)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        configure_pyqtgraph()
        self.session = session
        self.rows: dict[str, _BarRow] = {}
        self._shown: tuple[int, int, str, int, str] | None = None
        self.readout = QLabel()
        self.readout.setWordWrap(True)
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout.setContentsMargins(2, 0, 2, 4)  # apart from the first bar chart's title
        self.readout.hide()
        # The token strip's colouring, for the token at the cursor, in words and numbers.
        self.attribution = QLabel()
        self.attribution.setWordWrap(True)
        self.attribution.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.attribution.setContentsMargins(2, 0, 2, 4)
        self.attribution.hide()
        # With edits on: whether this step is edited, and the original values beside
        # the edited ones for the selected unit (the bars show the edited trace).
        self.edit_note = QLabel()
        self.edit_note.setWordWrap(True)
        self.edit_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.edit_note.setContentsMargins(2, 0, 2, 4)
        self.edit_note.setToolTip("Interventions: the bars show the edited trace; "
                                  "“was” is the same text read without the edits")
        self.edit_note.hide()
        self.graphics = _BarsView()
        self.graphics.ci.setSpacing(0)
        self.graphics.scene().sigMouseClicked.connect(self._on_clicked)
        self.bars_area = QScrollArea()
        self.bars_area.setWidget(self.graphics)
        self.bars_area.setWidgetResizable(True)  # taller than the charts need: they grow
        self.bars_area.setFrameShape(QFrame.Shape.NoFrame)
        self.bars_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.bars_area.setMinimumHeight(CHART_MIN_HEIGHT + _TITLE_HEIGHT)
        self.equations = QLabel("Click a bar to see that unit's equations at this step.")
        self.equations.setWordWrap(True)
        self.equations.setTextFormat(Qt.TextFormat.RichText)
        self.equations.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.equations.setAlignment(Qt.AlignmentFlag.AlignTop)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.bars_area)
        equations_area = QScrollArea()
        equations_area.setWidget(self.equations)
        equations_area.setWidgetResizable(True)
        equations_area.setFrameShape(QFrame.Shape.NoFrame)
        splitter.addWidget(equations_area)
        # The charts take what the equations (about 13 lines) leave: on a tall screen
        # the charts grow, not the empty space under the equations.
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setSizes([600, 230])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.readout)
        layout.addWidget(self.attribution)
        layout.addWidget(self.edit_note)
        layout.addWidget(splitter, 1)
        session.trace_changed.connect(self._on_view_changed)
        session.layer_changed.connect(self._on_view_changed)
        session.cursor_changed.connect(self.refresh)
        session.cursor_changed.connect(self._show_attribution)
        session.options_changed.connect(self._show_attribution)
        session.attribution_job.changed.connect(self._show_attribution)
        session.unit_changed.connect(self._on_unit_changed)
        for signal in (session.trace_changed, session.layer_changed, session.cursor_changed,
                       session.unit_changed):
            signal.connect(self._show_edit_note)
        session.options_changed.connect(self.refresh)  # the colour scale sets bar ranges
        if session.view is not None:
            self._on_view_changed()

    def _on_view_changed(self) -> None:
        view = self.session.view
        if view is None:
            return
        names = [item.name for item in view.layer.heatmaps]
        if names != list(self.rows):
            self.graphics.ci.clear()
            self.rows = {name: _BarRow(self.graphics.ci, index, name, index == len(names) - 1)
                         for index, name in enumerate(names)}
            self.graphics.setMinimumHeight(len(names) * (CHART_MIN_HEIGHT + _CHART_MARGINS)
                                           + _BOTTOM_AXIS_HEIGHT)
        self._shown = None
        # A file whose head was left out: say why there is no verdict where it would be.
        no_verdict = view.task is None and recurrent_part_only(self.session.loaded)
        self.readout.setVisible(view.task is not None or no_verdict)
        self.readout.setToolTip(_READOUT_TIPS.get(view.task or "", ""))
        if no_verdict:
            self.readout.setText(NO_VERDICT)
        self.refresh()
        self._show_attribution()

    def refresh(self, *_: Any) -> None:
        """Show the head's answer, the bars at the session's cursor and the selected
        unit's equations."""
        view, step = self.session.view, self.session.cursor
        if view is None:
            return
        mode = self.session.options.colour_scale
        shown = (id(view), view.layer.layer, view.layer.direction, step, mode)
        if shown == self._shown:
            return  # a new trace also moves the cursor: draw once, not twice
        self._shown = shown
        # The heatmaps' (units, T) arrays: column t is this step's vector, no copy.
        for item in view.layer.heatmaps:
            if item.values.shape[1] > step:
                self.rows[item.name].show(item.values[:, step], step_bars(item, step, mode),
                                          self.session.unit)
        if view.task is not None:
            answer = step_readout(view.trace, step)
            self.readout.setText("" if answer is None else answer.line(rich=True))
        self._show_equations()

    def _show_attribution(self, *_: Any) -> None:
        """The strip's colouring at the cursor's token (what the chip's tooltip says),
        hidden while the colouring is off or its job still runs."""
        view = self.session.view
        shading = current_shading(view, self.session.options.attribution,
                                  self.session.attribution_job.result)
        line = "" if shading is None or view is None else token_line(
            shading, view.trace.tokens, self.session.cursor)
        self.attribution.setText(line)
        self.attribution.setToolTip("" if shading is None else shading.caption)
        self.attribution.setVisible(bool(line))

    def _show_edit_note(self, *_: Any) -> None:
        session, state = self.session, self.session.edits
        note = ""
        if state.diff is not None and state.original is not None and session.trace is not None:
            note = cursor_note(state.active, session.trace, state.original, session.layer,
                               session.direction, session.cursor, session.unit)
        self.edit_note.setText(note)
        self.edit_note.setVisible(bool(note))

    def _on_unit_changed(self, unit: int) -> None:
        for row in self.rows.values():
            row.mark(unit)
        self._show_equations()

    def _on_clicked(self, event: Any) -> None:
        for row in self.rows.values():
            view = row.plot.getViewBox()
            if view.sceneBoundingRect().contains(event.scenePos()):
                unit = round(view.mapSceneToView(event.scenePos()).x())
                if 0 <= unit < row.values.size:
                    self.session.select_unit(unit)
                return

    def _show_equations(self) -> None:
        session = self.session
        if session.trace is None:
            return
        if session.model is None:
            self.equations.setText("Equations need the model: this trace was opened "
                                   "without it.")
            return
        try:
            lines = unit_equations(session.model, session.trace, session.layer,
                                   session.direction, session.cursor, session.unit)
        except (RnnStudioError, KeyError, IndexError, ValueError) as error:
            self.equations.setText(f"Equations unavailable for this model: {error}")
            return
        token = session.trace.tokens[session.cursor]
        header = (f"<b>Unit {session.unit}</b> at step {session.cursor} "
                  f"(“{escape(token)}”), layer {session.layer} {session.direction}:")
        caveat = equation_caveat(session.edits.active, session.layer, session.direction,
                                 session.cursor, session.unit)
        if caveat:
            header += f"<br><i>{escape(caveat)}</i>"
        body = "\n".join(f"{line.symbolic}\n    {line.numbers}" for line in lines)
        # pre-wrap: a line longer than the dock wraps instead of hiding its result.
        self.equations.setText(f"{header}<pre style='margin:4px 0; white-space:pre-wrap'>"
                               f"{escape(body)}</pre>")
