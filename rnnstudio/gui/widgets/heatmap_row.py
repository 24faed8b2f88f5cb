"""One heatmap (units x steps) with its colour bar, step cursor and dimmed future."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtWidgets import QGraphicsRectItem

from ...view.heatmaps import HeatmapData
from ..scheme import DIM, tag
from ..theme import cursor_pen, dim_color
from .token_axis import TokenAxis


class ScreenImage(pg.ImageItem):
    """An image whose units are averaged down to at most the screen's pixel rows.

    pyqtgraph rounds the factor down: 512 units shown in 150 pixels kept 170 rows, and Qt
    dropped 20 of them on every draw. Rounding up averages four units a row (every unit
    counts) and colours and draws a quarter fewer pixels: redraw at H = 512, T = 2000 went
    from 49 to 53 fps (means of seven alternating runs). Steps keep pyqtgraph's rounding:
    averaging pairs of steps (the contiguous axis) dropped the redraw to 15 fps.
    """

    def _computeDownsampleFactors(self) -> tuple[int, int]:  # noqa: N802 (pyqtgraph API)
        origin = self.mapToDevice(QPointF(0, 0))
        across, down = self.mapToDevice(QPointF(1, 0)), self.mapToDevice(QPointF(0, 1))
        if origin is None or across is None or down is None:  # not on a scene yet
            return 1, 1
        width, height = pg.Point(across - origin).length(), pg.Point(down - origin).length()
        if width == 0 or height == 0:
            return 1, 1
        return max(1, int(1.0 / width)), max(1, math.ceil(1.0 / height - 1e-9))


class HeatmapRow:
    """A PlotItem showing ``HeatmapData.values`` (units, T) with fixed levels.

    Pixels are shifted by half a cell (``setRect``) so step t and unit u sit on integer
    coordinates: ticks, cursor and clicks then need no offsets.
    """

    def __init__(self, layout: pg.GraphicsLayout, row: int, show_time_axis: bool,
                 color_bar: bool = True) -> None:
        axis = TokenAxis("bottom") if show_time_axis else None
        self.plot: pg.PlotItem = layout.addPlot(row=row, col=0,
                                                axisItems={"bottom": axis} if axis else None)
        self.token_axis = axis
        self.plot.setMenuEnabled(True)
        self.plot.hideButtons()
        self.plot.getViewBox().invertY(True)
        self.plot.getViewBox().setMouseEnabled(x=True, y=False)
        self.plot.showAxis("bottom", show_time_axis)
        if show_time_axis:
            self.plot.setLabel("bottom", "step (token read)")
        self.plot.getAxis("left").setWidth(64)
        # No tick per unit: 6 axes x 256 tiny ticks cost several ms on every paint.
        self.plot.getAxis("left").setStyle(maxTickLevel=1)
        # autoDownsample: a 512 x 2000 heatmap shown in ~150 x 1400 pixels is reduced to
        # the screen before the colour lookup, which is what a redraw spends its time on.
        self.image = ScreenImage(axisOrder="row-major", autoDownsample=True)
        self.plot.addItem(self.image)
        self.dim = QGraphicsRectItem()
        self.dim.setBrush(pg.mkBrush(dim_color()))
        tag(self.dim, DIM)
        self.dim.setPen(pg.mkPen(None))
        self.dim.setZValue(5)
        self.plot.addItem(self.dim)
        # A white halo under the red line keeps the cursor visible on grey-yellow cividis.
        self.cursor_halo = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(
            (255, 255, 255, 230), width=6))
        self.cursor_halo.setZValue(9)
        self.plot.addItem(self.cursor_halo)
        self.cursor = pg.InfiniteLine(angle=90, movable=True, pen=cursor_pen())
        self.cursor.setZValue(10)
        self.plot.addItem(self.cursor)
        # Without its own bar the row takes its colours from a bar shared by several rows.
        self.color_bar: pg.ColorBarItem | None = None
        if color_bar:
            self.color_bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap="cividis", width=14,
                                             interactive=False)
            self.color_bar.setImageItem(self.image, insert_in=self.plot)
            # Every view must be equally wide for one time axis, so the colour bar's
            # labels ("-0.5" vs "1.0") must not change its width.
            self.color_bar.axis.setWidth(42)
        self.name = ""
        self.data: HeatmapData | None = None
        self._colormap = "cividis"
        self._shape = (0, 0)
        self._levels: tuple[float, float] | None = None
        self._title = ""

    def show(self, data: HeatmapData) -> None:
        """Put new values in; levels and colour map come with the data, never autoscaled."""
        self.data = data
        self.name = data.name
        if data.colormap != self._colormap:
            self._colormap = data.colormap
            if self.color_bar is not None:
                self.color_bar.setColorMap(pg.colormap.get(data.colormap))
        if self.color_bar is None:
            self.image.setLookupTable(pg.colormap.get(self._colormap).getLookupTable(nPts=256))
        self.image.setImage(data.values, autoLevels=False)
        # Touch levels and labels only on change: each call makes pyqtgraph lay out the
        # axis again (12 axes cost about 11 ms a frame at 512 x 2000).
        if self.color_bar is None:
            self.image.setLevels(data.levels)
        elif data.levels != self._levels:
            self._levels = data.levels
            self.color_bar.setLevels(data.levels)
            low, high = data.levels
            # Three labels (ends and middle) stay legible on a short row.
            self.color_bar.axis.setTicks([[(value, f"{value:g}")
                                           for value in (low, (low + high) / 2, high)]])
        else:
            self.image.setLevels(data.levels)
        units, steps = data.values.shape
        if (units, steps) != self._shape:
            self._shape = (units, steps)
            self.image.setRect(QRectF(-0.5, -0.5, steps, units))
            self.plot.getViewBox().setLimits(xMin=-0.5, xMax=steps - 0.5, yMin=-0.5,
                                             yMax=units - 0.5)
            self.plot.setRange(xRange=(-0.5, steps - 0.5), yRange=(-0.5, units - 0.5),
                               padding=0)
        if data.title != self._title:
            self._title = data.title
            self.plot.setLabel("left", data.title, **{"font-size": "9pt"})

    def set_cursor(self, step: int, reverse: bool = False) -> None:
        """Move the cursor and dim the steps not read yet: those after ``step``, or for a
        backward direction (which reads from the end) those before it."""
        units, steps = self._shape
        self.cursor.blockSignals(True)
        self.cursor.setPos(step)
        self.cursor.blockSignals(False)
        self.cursor_halo.setPos(step)
        if reverse:
            self.dim.setRect(QRectF(-0.5, -0.5, max(step, 0), units))
        else:
            self.dim.setRect(QRectF(step + 0.5, -0.5, max(steps - step - 1, 0), units))

    def set_title(self, title: str) -> None:
        self.plot.setTitle(title, size="9pt")

    def value_at(self, step: int, unit: int) -> float | None:
        if self.data is None:
            return None
        units, steps = self._shape
        if 0 <= unit < units and 0 <= step < steps:
            return float(self.data.values[unit, step])
        return None


def share_x_range(views: list[pg.ViewBox]) -> None:
    """Keep the x ranges of ``views`` equal by value. (pyqtgraph's setXLink lines views
    up by screen position, which shifted them while the layout was still settling.)"""
    syncing = False

    def follow(source: pg.ViewBox, x_range: tuple[float, float]) -> None:
        nonlocal syncing
        if syncing:
            return
        syncing = True
        try:
            for view in views:
                if view is not source:
                    view.setXRange(*x_range, padding=0)
        finally:
            syncing = False

    for view in views:
        view.sigXRangeChanged.connect(follow)
