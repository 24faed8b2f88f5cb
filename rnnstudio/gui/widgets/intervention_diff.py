"""The diff of the edited and the original trace, per step: ||Δh_t||, ||Δc_t|| (LSTM)
above, the change of the head's answer below, the edited steps shaded in both."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ...view.interventions import TraceDiff, diff_summary, step_runs
from ..session import Session
from ..theme import SERIES_COLORS, configure_pyqtgraph, cursor_pen, legend_brush
from .hover import hover_label
from .token_axis import TokenAxis

#: The edited steps' band: a light wash that leaves the curves readable on it.
_EDITED_BRUSH = (213, 94, 0, 45)
_FLIP_COLOR = "#D55E00"
_NO_EDITS = ("No edits: add one on the left, or right-click a heatmap cell. The diff "
             "of the edited and the original trace appears here.")


class DiffPlot(QWidget):
    """``diff`` is what it draws (None: no edits on); ``bands`` the shaded step runs."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        configure_pyqtgraph()
        self.session = session
        self.diff: TraceDiff | None = None
        self.bands: list[tuple[pg.PlotItem, pg.LinearRegionItem]] = []
        self.summary = hover_label(_NO_EDITS)
        self.summary.setWordWrap(True)
        self.graphics = pg.GraphicsLayoutWidget()
        self.norms = self.graphics.addPlot(row=0, col=0)
        # Short axis titles: two plots share about 200 px at 1280 x 720, and the long
        # "‖edited − original‖" ran into the plot below (seen under Xvfb).
        self.norms.setLabel("left", "‖Δ‖")
        self.norms.hideAxis("bottom")
        self.token_axis = TokenAxis("bottom", may_rotate=False)
        self.readout = self.graphics.addPlot(row=1, col=0,
                                             axisItems={"bottom": self.token_axis})
        self.readout.setLabel("left", "Δp")
        self.readout.setLabel("bottom", "step (token read)")
        self.readout.setXLink(self.norms)
        for plot in (self.norms, self.readout):
            plot.getAxis("left").setWidth(64)
            plot.getViewBox().setMouseEnabled(x=True, y=False)
            plot.hideButtons()
        self.readout.addItem(pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen("#999")))
        self.curves = {name: self.norms.plot(pen=pg.mkPen(SERIES_COLORS[name], width=2))
                       for name in ("h", "c")}
        self.readout_curve = self.readout.plot(pen=pg.mkPen(SERIES_COLORS["i"], width=2))
        self.flips = self.readout.plot(pen=None, symbol="x", symbolSize=9,
                                       symbolPen=pg.mkPen(_FLIP_COLOR, width=1.5))
        # Beside the plots, never over the curves.
        self.legend = pg.LegendItem(labelTextSize="8pt", brush=legend_brush())
        self.graphics.addItem(self.legend, row=0, col=1, rowspan=2)
        for name, curve in self.curves.items():
            self.legend.addItem(curve, f"‖Δ{name}‖")
        self.legend.addItem(self.readout_curve, "Δp(top)")
        self.legend.addItem(self.flips, "top flips")
        self.cursors = [pg.InfiniteLine(angle=90, movable=False, pen=cursor_pen())
                        for _ in range(2)]
        for plot, line in zip((self.norms, self.readout), self.cursors, strict=True):
            plot.addItem(line, ignoreBounds=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.graphics, 1)
        session.trace_changed.connect(self.refresh)
        session.layer_changed.connect(self.refresh)
        session.cursor_changed.connect(self._on_cursor)
        self.refresh()

    def refresh(self) -> None:
        """Draw the session's diff of the shown layer and direction, or say there is none."""
        diff, trace = self.session.edits.diff, self.session.trace
        self.diff = diff
        for plot, band in self.bands:
            plot.removeItem(band)
        self.bands = []
        if diff is None or trace is None:
            for curve in (*self.curves.values(), self.readout_curve, self.flips):
                curve.setData([], [])
            self.summary.setText(_NO_EDITS)
            return
        steps = np.arange(len(diff.hidden))
        self.curves["h"].setData(steps, diff.hidden)
        self.curves["c"].setData(steps, diff.cell if diff.cell is not None else [])
        self.curves["c"].setVisible(diff.cell is not None)
        change = diff.readout
        self.readout.setVisible(change is not None)
        self.norms.showAxis("bottom", change is None)
        if change is not None:
            self.readout_curve.setData(steps, change.delta)
            flipped = np.flatnonzero(change.flipped)
            self.flips.setData(flipped, change.delta[flipped])
            self.readout.setYRange(-1, 1, padding=0.05)
        for first, count in step_runs(diff.edited):
            for plot in (self.norms, self.readout):
                band = pg.LinearRegionItem((first - 0.5, first + count - 0.5), movable=False,
                                           brush=pg.mkBrush(*_EDITED_BRUSH),
                                           pen=pg.mkPen(None))
                band.setZValue(-10)
                plot.addItem(band, ignoreBounds=True)
                self.bands.append((plot, band))
        self.norms.setXRange(-0.5, len(steps) - 0.5, padding=0)
        self.token_axis.set_tokens(trace.tokens)
        self.summary.setText(f"Layer {diff.layer} {diff.direction}: "
                             f"{diff_summary(diff, trace.tokens)} (edited steps shaded; Δp: "
                             "change of the probability of the original's top choice)")
        self._on_cursor(self.session.cursor)

    def _on_cursor(self, step: int) -> None:
        for line in self.cursors:
            line.setPos(step)
