"""The Trajectory dock's plot: a text's path through two principal components (or three,
seen orthographically), a token label per point, the cursor's token highlighted, and a
second text in the same basis.

The path is a line in a colour ramp from the first token to the last (its segments drawn
in at most :data:`_RAMP_GROUPS` items, one colour each: one item a segment cost 2,000
items at T = 2,000); ``points.data`` holds exactly the figure's coordinates, and clicking
a point reports its step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont

from ...view.trajectory import TrajectoryFigure, TrajectoryPlot
from ..theme import CURSOR_COLOR, is_dark, text_color

#: Colour groups of the path's segments (ramp steps the eye can tell apart).
_RAMP_GROUPS = 24
#: The second text's colour (Okabe-Ito vermillion: not in the viridis ramp).
OVERLAY_COLOR = "#D55E00"
_LABEL_POINT_SIZE = 9
#: The path's line: under its points and labels, which carry the reading.
_LINE_ALPHA = 150


def _backing(alpha: int) -> pg.QtGui.QBrush:
    """A label's faint backing in the theme's background colour (a dark plot is grey,
    not black: at the light theme's opacity the backings stood out as black boxes)."""
    if is_dark():
        return pg.mkBrush(40, 40, 40, alpha // 2)
    return pg.mkBrush(255, 255, 255, alpha)


def _segments(xy: np.ndarray, groups: int) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """The path's segments split into ``groups`` runs: (x pairs, y pairs, first step)."""
    count = len(xy) - 1
    if count < 1:
        return []
    bounds = np.linspace(0, count, min(groups, count) + 1).round().astype(int)
    runs = []
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        steps = np.arange(start, stop)
        pairs = np.stack([steps, steps + 1], axis=1).ravel()
        runs.append((xy[pairs, 0], xy[pairs, 1], int(start)))
    return runs


class TrajectoryPlot2D:
    """Draws a :class:`TrajectoryFigure` into ``plot``; ``on_click(step)`` on a click."""

    def __init__(self, plot: pg.PlotItem, on_click: Callable[[int], None]) -> None:
        self.plot = plot
        self.figure: TrajectoryFigure | None = None
        self._items: list[pg.GraphicsObject] = []
        self.points = pg.ScatterPlotItem(size=9, pen=pg.mkPen("w", width=0.8), hoverable=True,
                                         tip=self.describe_point)
        self.points.sigClicked.connect(
            lambda _item, spots, *_: on_click(int(spots[0].index())) if len(spots) else None)
        self.overlay_points = pg.ScatterPlotItem(size=8, symbol="t", brush=None,
                                                 pen=pg.mkPen(OVERLAY_COLOR, width=1.5))
        self.cursor_point = pg.ScatterPlotItem(size=17, brush=None,
                                               pen=pg.mkPen(CURSOR_COLOR, width=2.5))
        self.cursor_label = pg.TextItem(color=CURSOR_COLOR, anchor=(0.5, 1.25),
                                        fill=_backing(215))
        font = QFont()
        font.setPointSize(_LABEL_POINT_SIZE + 1)
        font.setBold(True)
        self.cursor_label.setFont(font)
        for item in (self.overlay_points, self.points, self.cursor_point):
            item.setZValue(5)
            plot.addItem(item)
        self.cursor_label.setZValue(10)
        plot.addItem(self.cursor_label, ignoreBounds=True)

    def draw(self, figure: TrajectoryFigure | None, cursor: int) -> None:
        """Replace what is drawn with ``figure``, the cursor on step ``cursor``."""
        for item in self._items:
            self.plot.removeItem(item)
        self._items = []
        self.figure = figure
        self.cursor_label.fill = _backing(215)  # the theme may have changed since
        if figure is None:
            self.points.setData([], [])
            self.overlay_points.setData([], [])
            self.show_cursor(0)
            return
        self._path(figure.main, None)
        self.points.setData(x=figure.main.xy[:, 0], y=figure.main.xy[:, 1],
                            brush=[pg.mkBrush(*colour) for colour in figure.main.colours],
                            data=np.arange(len(figure.main.xy)))
        overlay = figure.overlay
        if overlay is not None:
            self._path(overlay, OVERLAY_COLOR)
            self.overlay_points.setData(x=overlay.xy[:, 0], y=overlay.xy[:, 1])
        else:
            self.overlay_points.setData([], [])
        if figure.axes is not None:
            self._axes(figure)
        self.show_cursor(cursor)
        self.plot.getViewBox().autoRange(padding=0.08)

    def describe_point(self, x: float, y: float, data: object) -> str:
        """The hovered point's token, step and coordinates (click: the cursor goes there)."""
        figure = self.figure
        if figure is None or not isinstance(data, (int, np.integer)) \
                or not 0 <= data < len(figure.main.tokens):
            return ""
        return (f"“{figure.main.tokens[data]}”, step {data}: ({x:.3g}, {y:.3g})\n"
                "click to move the cursor here")

    def show_cursor(self, step: int) -> None:
        """Ring and name the point of step ``step`` (nothing else is redrawn)."""
        figure = self.figure
        if figure is None or not 0 <= step < len(figure.main.xy):
            self.cursor_point.setData([], [])
            self.cursor_label.setText("")
            return
        x, y = figure.main.xy[step]
        self.cursor_point.setData([x], [y])
        self.cursor_label.setText(f"{figure.main.tokens[step]} ({step})")
        self.cursor_label.setPos(float(x), float(y))

    def _path(self, path: TrajectoryPlot, colour: str | None) -> None:
        """The line (ramp, or one ``colour`` dashed) and the labels of ``path``."""
        for xs, ys, start in _segments(path.xy, _RAMP_GROUPS if colour is None else 1):
            shade = pg.mkColor(colour) if colour else \
                pg.mkColor(*path.colours[min(start + 1, len(path.xy) - 1)])
            shade.setAlpha(_LINE_ALPHA)
            pen = pg.mkPen(shade, width=1.5)
            if colour is not None:
                pen.setStyle(pg.QtCore.Qt.PenStyle.DashLine)
            self._add(pg.PlotCurveItem(xs, ys, pen=pen, connect="pairs"))
        font = QFont()
        font.setPointSize(_LABEL_POINT_SIZE)
        for step in path.labelled:
            # A faint backing: over a char LM's tangle of lines a bare label was lost.
            label = pg.TextItem(path.tokens[step], color=colour or text_color(),
                                anchor=(-0.2, 0.5), fill=_backing(140))
            label.setFont(font)
            label.setZValue(6)  # over the points: a label under its neighbour's dot was lost
            label.setPos(float(path.xy[step, 0]), float(path.xy[step, 1]))
            self._add(label, bounded=False)

    def _axes(self, figure: TrajectoryFigure) -> None:
        """3-D: each component's direction from the origin, half as long as the data
        reaches, named with its share of variance."""
        assert figure.axes is not None
        reach = 0.5 * (float(np.abs(figure.main.xy).max()) or 1.0)
        for direction, name in zip(figure.axes, figure.axis_names, strict=True):
            end = direction * reach
            self._add(pg.PlotCurveItem([0.0, end[0]], [0.0, end[1]],
                                       pen=pg.mkPen("#888", width=1.5)))
            label = pg.TextItem(name.replace(" of variance", ""), color="#666",
                                anchor=(0.5, 0.5))
            label.setPos(float(end[0]) * 1.15, float(end[1]) * 1.15)
            self._add(label, bounded=False)

    def _add(self, item: pg.GraphicsObject, bounded: bool = True) -> None:
        self.plot.addItem(item, ignoreBounds=not bounded)
        self._items.append(item)
