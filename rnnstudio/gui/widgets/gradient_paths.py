"""The "Gradient paths" panel: how much of the gradient travels along the cell state
(LSTM ∏ f, GRU ∏ z) and how much through h, or, for an RNN, the step Jacobians'
singular values and the bounds their products set. What it draws is
:func:`rnnstudio.view.decomposition.paths_view`, computed by the session's
:class:`~rnnstudio.gui.decomposition_job.DecompositionJob` while the panel is shown.

Values are log10 on linear axes whose ticks read ``10ⁿ`` (set by hand, so no SI
prefix, and products below float64's range still have a place).
"""

from __future__ import annotations

from html import escape

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from ...view.decomposition import (
    BOUND_MAX,
    BOUND_MIN,
    FULL_C,
    FULL_H,
    HIGHWAY_F,
    HIGHWAY_Z,
    SPECTRAL,
    STEP_MAX,
    STEP_MIN,
    PathsView,
    decade_ticks,
    describe_paths_step,
    paths_view,
)
from ...view.gradients import power_label
from ..session import Session
from ..theme import configure_pyqtgraph, cursor_pen
from .token_axis import TokenAxis

#: Curve colours (Okabe-Ito); a bound dashed, the actual norm solid and thicker.
_PENS = {FULL_C: ("#0072B2", 2.5, False), FULL_H: ("#0072B2", 2.5, False),
         HIGHWAY_F: ("#E69F00", 2, True), HIGHWAY_Z: ("#E69F00", 2, True),
         STEP_MAX: ("#D55E00", 2, False), STEP_MIN: ("#009E73", 2, False),
         BOUND_MAX: ("#D55E00", 2, True), BOUND_MIN: ("#009E73", 2, True),
         SPECTRAL: ("#0072B2", 2.5, False)}
#: Retention colours: dark (nothing kept) to bright (all kept), perceptually ordered.
_RETENTION_MAP = "viridis"


def _pen(name: str) -> pg.QtGui.QPen:
    colour, width, dashed = _PENS[name]
    style = pg.QtCore.Qt.PenStyle.DashLine if dashed else pg.QtCore.Qt.PenStyle.SolidLine
    return pg.mkPen(colour, width=width, style=style)


def _legend_entry(name: str) -> str:
    """A legend item as rich text: a line in the curve's colour (dashed or solid), its name."""
    colour, _, dashed = _PENS[name]
    line = "╌╌" if dashed else "━━"
    return f'<span style="color:{colour}"><b>{line}</b></span>&nbsp;{escape(name)}'


def _decade_axis(axis: pg.AxisItem, low: float, high: float) -> None:
    """Ticks at whole decades labelled 10ⁿ on an axis of log10 values."""
    axis.enableAutoSIPrefix(False)
    axis.setTicks([decade_ticks(low, high, most=5), []])


class GradientPathsPanel(QWidget):
    """``view`` is what is drawn (None while computing); ``curves[name].yData`` hold the
    engine's log10 values (NaN where exactly 0)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        configure_pyqtgraph()
        self.session = session
        self.job = session.decomposition_job
        self.view: PathsView | None = None
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.readout = QLabel()
        self.readout.setWordWrap(True)
        self.graphics = pg.GraphicsLayoutWidget()
        self.top = self.graphics.addPlot(row=0, col=0)
        self.token_axis = TokenAxis("bottom", may_rotate=False)
        self.bottom = self.graphics.addPlot(row=1, col=0, axisItems={"bottom": self.token_axis})
        self.bottom.setXLink(self.top)
        for plot in (self.top, self.bottom):
            plot.getAxis("left").setWidth(56)
            plot.getViewBox().setMouseEnabled(x=True, y=False)
        self.top.hideAxis("bottom")  # the plot below names the steps
        self.image = pg.ImageItem(axisOrder="row-major")
        self.top.addItem(self.image)
        self.colour_bar = pg.ColorBarItem(values=(-1.0, 0.0), colorMap=_RETENTION_MAP,
                                          width=14, interactive=False)
        self.colour_bar.setImageItem(self.image)
        # In the layout's own column, not the plot's: both plots keep one width, so a
        # step is at the same x above and below.
        self.graphics.addItem(self.colour_bar, row=0, col=1)
        self.colour_bar.axis.enableAutoSIPrefix(False)
        self.cursor_lines = [pg.InfiniteLine(angle=90, movable=False, pen=cursor_pen())
                             for _ in range(2)]
        for plot, line in zip((self.top, self.bottom), self.cursor_lines, strict=True):
            plot.addItem(line, ignoreBounds=True)
        # The legend is a line of text under the plots: inside a 120 px plot pyqtgraph's
        # legend took a third of its height.
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        # On demand: at 1280 x 720 the four lines of explanation left the plots 20 px.
        self.explain_button = QToolButton()
        self.explain_button.setText("What does this show?")
        self.explain_button.setCheckable(True)
        self.explain_button.setToolTip("Show or hide what the two plots mean")
        self.explain_button.toggled.connect(self.explanation.setVisible)
        self.explanation.hide()
        top_row = QHBoxLayout()
        top_row.addWidget(self.title, 1)
        top_row.addWidget(self.explain_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addLayout(top_row)
        for widget, stretch in ((self.explanation, 0), (self.graphics, 1), (self.legend, 0),
                                (self.readout, 0)):
            layout.addWidget(widget, stretch)
        self.job.changed.connect(self.refresh)
        self.job.progressed.connect(self._on_progress)
        session.cursor_changed.connect(self._on_cursor)
        session.unit_changed.connect(lambda _unit: self._show_readout())
        self.refresh()

    # --- visibility: compute only for a panel on screen ------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        self.job.set_wanted(True)

    def hideEvent(self, event: object) -> None:  # noqa: N802 (Qt API)
        super().hideEvent(event)  # type: ignore[arg-type]
        self.job.set_wanted(False)

    # --- drawing ----------------------------------------------------------------------

    def refresh(self) -> None:
        """Draw the job's result, or say why there is none."""
        found, trace = self.job.result, self.job.trace
        if found is None or trace is None:
            self.view = None
            self._clear()
            self.title.setText(self._waiting_text())
            return
        view = paths_view(trace, found)
        self.view = view
        self.title.setText(f"<b>{escape(view.title)}</b> (log scales) · top: "
                           f"{escape(view.top_title)} · bottom: {escape(view.bottom_title)}")
        self.explanation.setText(view.explanation)
        self.token_axis.set_tokens(trace.tokens)
        self._draw_top(view, trace.steps)
        self._draw_curves(self.bottom, view.bottom, view.bottom_range)
        # The note under the plots, with the legend: above them its two lines left the
        # plots of an RNN at 1280 x 720 too short for their decade labels.
        entries = " ".join(_legend_entry(name) for name in {**view.top, **view.bottom})
        self.legend.setText(entries + (f"<br><i>{escape(view.note)}</i>" if view.note else ""))
        self.top.setXRange(-0.5, trace.steps - 0.5, padding=0)
        self._on_cursor(self.session.cursor)

    def _waiting_text(self) -> str:
        if self.job.error:
            return escape(self.job.error)
        if self.session.model is None:
            return "Open the model of this trace to see its gradient paths."
        return "Computing the gradient paths…" if self.job.running else ""

    def _clear(self) -> None:
        self.image.clear()
        self._draw_curves(self.top, {}, (0.0, 1.0))
        self._draw_curves(self.bottom, {}, (0.0, 1.0))
        self.legend.setText("")
        self.explanation.setText("")
        self.readout.setText("")

    def _draw_top(self, view: PathsView, steps: int) -> None:
        if view.image is None:
            self.image.clear()
            self.image.hide()
            self.colour_bar.hide()
            self.top.invertY(False)
            self._draw_curves(self.top, view.top, view.top_range)
            return
        self._draw_curves(self.top, {}, (0.0, 1.0))
        units = view.image.shape[0]
        self.image.show()
        self.colour_bar.show()
        self.image.setImage(view.image, autoLevels=False)
        self.image.setRect(pg.QtCore.QRectF(-0.5, -0.5, steps, units))
        low, high = view.levels
        self.colour_bar.setLevels((low, high))
        # Its two ends only: a 90 px bar had room for no more labels.
        self.colour_bar.axis.setTicks([[(low, power_label(low)), (high, power_label(high))], []])
        self.top.invertY(True)  # unit 0 at the top, as in the heatmaps above
        self.top.setYRange(-0.5, units - 0.5, padding=0)
        self.top.getAxis("left").setTicks(None)
        self.top.setLabel("left", "unit")
        self.top.getAxis("left").setWidth(56)

    def _draw_curves(self, plot: pg.PlotItem, curves: dict[str, np.ndarray],
                     decades: tuple[float, float]) -> None:
        for name in [n for n, c in self.curves.items() if c.getViewBox() is plot.vb]:
            plot.removeItem(self.curves.pop(name))
        for name, values in curves.items():
            self.curves[name] = plot.plot(np.arange(len(values), dtype=np.float64), values,
                                          connect="finite", pen=_pen(name))
        if curves:
            low, high = decades
            # No axis grid: with one, pyqtgraph drops a label that overhangs the axis, and
            # at 1280 x 720 those were the edge decades, often the only two.
            plot.setYRange(low, high, padding=0.05)
            _decade_axis(plot.getAxis("left"), low, high)
            plot.setLabel("left", "")

    # --- the cursor -------------------------------------------------------------------

    def _on_cursor(self, step: int) -> None:
        for line in self.cursor_lines:
            line.setPos(step)
        self._show_readout()

    def _show_readout(self) -> None:
        found, trace, view = self.job.result, self.job.trace, self.view
        if found is None or trace is None or view is None:
            return
        self.readout.setText(describe_paths_step(trace, view, found, self.session.cursor,
                                                 self.session.unit))

    def _on_progress(self, done: int, total: int) -> None:
        if self.view is None and total:
            self.title.setText(f"Computing the gradient paths… step {done} of {total}")
