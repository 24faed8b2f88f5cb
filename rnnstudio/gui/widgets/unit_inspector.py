"""One unit over time: h, c and every gate together, on the shared token axis."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ..session import Session
from ..theme import (
    SERIES_COLORS,
    configure_pyqtgraph,
    cursor_pen,
    smooth_curves,
)
from .hover import follow_steps, hover_label
from .legends import data_width, fit_columns, legend_under
from .token_axis import TokenAxis


class UnitInspector(QWidget):
    """``curves[name].yData`` is column ``session.unit`` of that quantity."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        configure_pyqtgraph()
        self.session = session
        # Upright labels would take half of the dock's small plot: thinned ones stay flat.
        self.token_axis = TokenAxis("bottom", may_rotate=False)
        self.plot_widget = pg.PlotWidget(axisItems={"bottom": self.token_axis})
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setLabel("left", "value")
        self.plot.setLabel("bottom", "step (token read)")
        # A zero line, not a grid: the axis grid cost 14 ms per repaint at T = 200.
        self.zero_line = pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen("#bbb"))
        # Wide enough for "6e+07" beside the axis title (02-squashing's ReLU at gain 6:
        # at 48 px the labels ran over "value").
        self.plot.getAxis("left").setWidth(60)
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.getViewBox().setMouseEnabled(x=True, y=False)
        self.legend = legend_under(self.plot)  # under the plot, never over h and c
        self.cursor_line = pg.InfiniteLine(angle=90, pen=cursor_pen())
        self.plot.addItem(self.cursor_line, ignoreBounds=True)
        self.plot.addItem(self.zero_line, ignoreBounds=True)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.hover_label = hover_label("Hover the plot for the values at a step")
        self.hover = follow_steps(self.plot_widget, self.hover_label, self.describe_step)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.plot_widget)
        layout.addWidget(self.hover_label)
        session.trace_changed.connect(self.refresh)
        session.layer_changed.connect(self.refresh)
        session.unit_changed.connect(self.refresh)
        session.cursor_changed.connect(self.cursor_line.setPos)
        if session.view is not None:
            self.refresh()

    def describe_step(self, step: int) -> str | None:
        """Token, step, unit and every quantity's value there, for the hover label."""
        trace = self.session.trace
        if trace is None or not 0 <= step < len(trace.tokens):
            return None
        values = " · ".join(f"{name} = {curve.yData[step]:.3f}"
                            for name, curve in self.curves.items())
        return f"step {step} “{trace.tokens[step]}” · unit {self.session.unit} · {values}"

    def refresh(self) -> None:
        """Row ``session.unit`` of each of the view's heatmaps, as curves over time."""
        session = self.session
        view = session.view
        if view is None:
            return
        data = view.layer.heatmaps
        names = [item.name for item in data]
        if names != list(self.curves):
            self.plot.clear()
            self.legend.clear()
            self.plot.addItem(self.cursor_line, ignoreBounds=True)
            self.plot.addItem(self.zero_line, ignoreBounds=True)
            self.curves = {}
            for name in names:
                width = 2.5 if name in ("h", "c") else 1.5
                self.curves[name] = self.plot.plot(
                    pen=pg.mkPen(SERIES_COLORS[name], width=width))
                self.legend.addItem(self.curves[name], name)
            fit_columns(self.legend, data_width(self.plot))
        steps = np.arange(view.steps)
        for item in data:
            curve = self.curves[item.name]
            unit = min(session.unit, item.values.shape[0] - 1)
            curve.opts["antialias"] = smooth_curves(len(steps))
            curve.setData(steps, item.values[unit].astype(np.float64))
        self.token_axis.set_tokens(view.trace.tokens)
        self.plot.setXRange(-0.5, view.steps - 0.5, padding=0)
        # Short: a title is as wide as its text at least, and "unit 0 over time · layer
        # 0 fwd" made the plot wider than the 232-px dock of a 1280 x 720 window (the
        # last token and the legend's right end were cut off).
        self.plot.setTitle(f"unit {session.unit} · layer {session.layer} "
                           f"{session.direction}", size="9pt")
        self.cursor_line.setPos(session.cursor)
        self.hover.refresh()
