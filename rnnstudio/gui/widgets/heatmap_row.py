"""One heatmap (units x steps) with its colour bar, step cursor and dimmed future."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from pyqtgraph import functions as fn
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QImage, QPixmap
from PySide6.QtWidgets import QGraphicsRectItem

from ...view.colours import (
    COLOUR_COUNT,
    NONFINITE_INDEX,
    NONFINITE_LABEL,
    NONFINITE_RGB,
    ColourScale,
    colour_indices,
)
from ...view.heatmaps import GATE_COLORMAP, HeatmapData
from ..scheme import DIM, tag
from ..theme import cursor_pen, dim_color
from .token_axis import TokenAxis

#: Rows of the non-finite band atop a colour bar of COLOUR_COUNT rows.
_BAND_ROWS = 64
#: Width of a colour bar's labels, the same for every row.
_BAR_LABEL_WIDTH = 58


class ScreenImage(pg.ImageItem):
    """An image coloured by our own lookup (:func:`colour_indices`), averaged down to at
    most the screen's pixel rows.

    pyqtgraph's render scans the data for NaN (a full min), downsamples with reshape and
    mean, rescales and looks colours up in more passes, and draws NaN transparent and inf
    in the top colour. Here one reduction of block sums, a multiply-add, a clip-and-cast
    and Qt's table lookup into an opaque RGB32 image do it, and non-finite cells get
    their own colour. With the opaque cursor halo, the redraw budget (H = 512, T = 2000,
    ``bench_gui.py --redraw N``) went from 43 to 72 fps (medians of three runs
    alternating with a49fb57 at load 3 on 2 cores; 18 to 30 at load 6).

    Units are averaged rounding the factor up: rounding down (pyqtgraph's) kept 170 rows
    of 512 units in 150 pixels, and Qt dropped 20 of them on every draw. Steps keep
    pyqtgraph's rounding down.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale: ColourScale | None = None
        self._colours = _qt_colours(GATE_COLORMAP)
        self._nonfinite = True

    def show_values(self, values: np.ndarray, scale: ColourScale, nonfinite: bool) -> None:
        """New (units, T) ``values`` coloured by ``scale``; ``nonfinite`` says whether
        some are NaN or inf."""
        self.scale = scale
        self._colours = _qt_colours(scale.colormap)
        self._nonfinite = nonfinite
        self.setImage(values, autoLevels=False)

    def _computeDownsampleFactors(self) -> tuple[int, int]:  # noqa: N802 (pyqtgraph API)
        origin = self.mapToDevice(QPointF(0, 0))
        across, down = self.mapToDevice(QPointF(1, 0)), self.mapToDevice(QPointF(0, 1))
        if origin is None or across is None or down is None:  # not on a scene yet
            return 1, 1
        width, height = pg.Point(across - origin).length(), pg.Point(down - origin).length()
        if width == 0 or height == 0:
            return 1, 1
        return max(1, int(1.0 / width)), max(1, math.ceil(1.0 / height - 1e-9))

    def render(self) -> None:
        """Colour the image at the screen's resolution (pyqtgraph calls this on paint)."""
        if self.scale is None or self.image is None or self.image.size == 0:
            super().render()
            return
        step_block, unit_block = self._computeDownsampleFactors()
        indices = colour_indices(self.image, self.scale, unit_block, step_block,
                                 self._nonfinite)
        self._lastDownsample = (step_block, unit_block)
        # Qt looks the colours up (numpy's take first widens every uint8 index to 64
        # bits) and the opaque RGB32 result is what a painter draws fastest. Per 128 x
        # 2000 image: 0.23 + 0.14 ms, against 0.37 + 0.14 (take) or 0.75 (drawing the
        # indexed image as it is).
        indexed = fn.ndarray_to_qimage(indices, QImage.Format.Format_Indexed8)
        indexed.setColorTable(self._colours)
        self.qimage = indexed.convertToFormat(QImage.Format.Format_RGB32)
        self._renderRequired = False
        self._unrenderable = False


@functools.cache
def colour_table(colormap: str) -> np.ndarray:
    """(256,) uint32 0xffRRGGBB: ``colormap``'s COLOUR_COUNT colours from the low end, then
    the non-finite colour at NONFINITE_INDEX."""
    rgb = pg.colormap.get(colormap).getLookupTable(nPts=COLOUR_COUNT, alpha=False)
    rgb = np.vstack([rgb.astype(np.uint32), np.array([NONFINITE_RGB], dtype=np.uint32)])
    return (0xFF000000 | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]).astype(np.uint32)


@functools.cache
def _qt_colours(colormap: str) -> list[int]:
    """:func:`colour_table` as the list QImage.setColorTable takes."""
    return [int(colour) for colour in colour_table(colormap)]


def _bar_image(scale: ColourScale, nonfinite: bool) -> QImage:
    """The colour bar, low values at the bottom row, with a band of the non-finite
    colour on top when there are non-finite cells."""
    colours = colour_table(scale.colormap)
    rows = colours[:COLOUR_COUNT] if not nonfinite else np.concatenate(
        [colours[:COLOUR_COUNT], np.full(_BAND_ROWS, colours[NONFINITE_INDEX])])
    return fn.ndarray_to_qimage(np.ascontiguousarray(rows[:, None]), QImage.Format.Format_RGB32)


class HeatmapRow:
    """A PlotItem showing ``HeatmapData.values`` (units, T) in the data's colour scale.

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
        # Opaque: a 90 % white halo was alpha-blended at 1.1 ms a row per frame, opaque
        # it takes 0.08 ms (QPainter.drawLine, 512 x 2000 redraw benchmark).
        self.cursor_halo = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(
            (255, 255, 255), width=6))
        self.cursor_halo.setZValue(9)
        self.plot.addItem(self.cursor_halo)
        self.cursor = pg.InfiniteLine(angle=90, movable=True, pen=cursor_pen())
        self.cursor.setZValue(10)
        self.plot.addItem(self.cursor)
        # Without its own bar the row is drawn in its data's scale beside a bar shared by
        # several rows (Compare's).
        self.color_bar: pg.ColorBarItem | None = None
        if color_bar:
            self.color_bar = _scale_bar(self.plot)
        self.name = ""
        self.data: HeatmapData | None = None
        self.scale: ColourScale | None = None
        self._shape = (0, 0)
        self._bar_shows: tuple[ColourScale, bool] | None = None
        #: (position, label) of the colour bar's ticks: 0..1 is the colour map, above
        #: it the inf/NaN band.
        self.bar_ticks: list[tuple[float, str]] = []
        #: The (room, shape, bar ticks) the tick labels were last fitted to.
        self._ticks_fitted: tuple[str, tuple[int, int], tuple[tuple[float, str], ...]] | None = None
        self._title = ""
        #: Outlines of edited cells (Interventions): a white and a dashed black frame,
        #: so they read on every colour map.
        self.edit_marks: list[QGraphicsRectItem] = []
        #: (first step, first unit, steps, units) of each outlined block.
        self.marked: list[tuple[int, int, int, int]] = []

    def show(self, data: HeatmapData, mode: str = "auto") -> None:
        """Put new values in, coloured by ``data.scale_for(mode)``, never autoscaled."""
        self.data = data
        self.name = data.name
        self.scale = data.scale_for(mode)
        self.image.show_values(data.values, self.scale, data.nonfinite > 0)
        # Touch the bar only on change: each change makes pyqtgraph lay out the axis
        # again (12 axes cost about 11 ms a frame at 512 x 2000).
        if self.color_bar is not None and (self.scale, data.nonfinite > 0) != self._bar_shows:
            self._bar_shows = (self.scale, data.nonfinite > 0)
            self.bar_ticks = _show_scale(self.color_bar, self.scale, data.nonfinite > 0)
        units, steps = data.values.shape
        if (units, steps) != self._shape:
            self._shape = (units, steps)
            self.image.setRect(QRectF(-0.5, -0.5, steps, units))
            self.plot.getViewBox().setLimits(xMin=-0.5, xMax=steps - 0.5, yMin=-0.5,
                                             yMax=units - 0.5)
            self.plot.setRange(xRange=(-0.5, steps - 0.5), yRange=(-0.5, units - 0.5),
                               padding=0)
        self.fit_ticks()
        if data.title != self._title:
            self._title = data.title
            self.plot.setLabel("left", data.title, **{"font-size": "9pt"})

    def fit_ticks(self) -> None:
        """Tick labels the row's height holds: all of them, the two ends, or none. On a
        short row (six LSTM rows above Training at 720p are ~15 px) pyqtgraph printed
        "0 10 20 30" and the bar's "1 0.5 0" over each other."""
        if self.data is None:
            return
        lines = self.plot.getViewBox().height() / QFontMetricsF(QFont()).height()
        room = "all" if lines >= 3.5 else "ends" if lines >= 1.8 else "none"
        if (room, self._shape, tuple(self.bar_ticks)) == self._ticks_fitted:
            return
        self._ticks_fitted = (room, self._shape, tuple(self.bar_ticks))
        last = self._shape[0] - 1
        units: dict[str, list[list[tuple[float, str]]] | None] = {
            "all": None, "ends": [[(0, "0"), (last, str(last))]], "none": [[]]}
        self.plot.getAxis("left").setTicks(units[room])
        if self.color_bar is not None:
            ends = [min(self.bar_ticks), max(self.bar_ticks)] if self.bar_ticks else []
            shown = {"all": self.bar_ticks, "ends": ends, "none": []}[room]
            self.color_bar.axis.setTicks([shown])

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

    def mark_cells(self, blocks: list[tuple[int, int, int, int]]) -> None:
        """Outline each (first step, first unit, steps, units) block of edited cells."""
        if blocks == self.marked:
            return
        for item in self.edit_marks:
            self.plot.removeItem(item)
        self.edit_marks, self.marked = [], list(blocks)
        for step, unit, steps, units in blocks:
            for colour, width, style in (((255, 255, 255), 3, Qt.PenStyle.SolidLine),
                                         ((0, 0, 0), 1.5, Qt.PenStyle.DashLine)):
                item = QGraphicsRectItem(QRectF(step - 0.5, unit - 0.5, steps, units))
                item.setPen(pg.mkPen(colour, width=width, style=style, cosmetic=True))
                item.setZValue(6)  # above the dimmed future, under the cursor
                self.plot.addItem(item)
                self.edit_marks.append(item)

    def set_title(self, title: str) -> None:
        self.plot.setTitle(title, size="9pt")

    def value_at(self, step: int, unit: int) -> float | None:
        if self.data is None:
            return None
        units, steps = self._shape
        if 0 <= unit < units and 0 <= step < steps:
            return float(self.data.values[unit, step])
        return None


def _scale_bar(plot: pg.PlotItem) -> pg.ColorBarItem:
    """A colour bar right of ``plot`` that only shows a scale: the row colours its image
    itself, so the bar is not linked to it (linked, it would set levels and a lookup
    table the image no longer uses)."""
    bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=GATE_COLORMAP, width=14,
                          interactive=False)
    plot.layout.addItem(bar, 2, 5)  # where ColorBarItem.setImageItem(insert_in=) puts it
    plot.layout.setColumnFixedWidth(4, 5)
    # Every view must be equally wide for one time axis, so the bar's labels ("-0.5",
    # "5e+38", "inf/NaN") must not change its width.
    bar.axis.setWidth(_BAR_LABEL_WIDTH)
    return bar


def _show_scale(bar: pg.ColorBarItem, scale: ColourScale,
                nonfinite: bool) -> list[tuple[float, str]]:
    """The colour map from the bottom, the non-finite band on top; ticks at the real
    values of :meth:`ColourScale.ticks` (a symmetric-log bar is not evenly spaced)."""
    image = _bar_image(scale, nonfinite)
    bar.bar.setPixmap(QPixmap.fromImage(image))
    bar.setRange(yRange=(0, image.height()), padding=0)
    bar.setLevels((0.0, image.height() / COLOUR_COUNT))
    ticks = list(scale.ticks())
    if nonfinite:
        ticks.append(((COLOUR_COUNT + _BAND_ROWS / 2) / COLOUR_COUNT, NONFINITE_LABEL))
    bar.axis.setTicks([ticks])
    bar.setToolTip(scale.describe().capitalize() + (
        f"; {NONFINITE_LABEL} cells in the top band's colour" if nonfinite else ""))
    return ticks


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
