"""Paint a heatmap figure with QPainter, the same way on a PNG image, an SVG drawing and a
PDF page: title lines with the figure's context, one heatmap per quantity with its label
and colour bar in real values, optionally the gradient curves on the same time axis, and
every token under them.

Heatmap cells are vector rectangles in SVG and PDF (sharp at any zoom in librsvg,
Inkscape, browsers and PDF viewers); a heatmap with more than
:data:`MAX_VECTOR_CELLS` cells (a long text, a wide layer) becomes an image already
scaled to its size on the page, nearest-neighbour, so no viewer has to stretch it.
pyqtgraph's own exporters are not used here: its SVG heatmaps were tiny stretched
rasters that blurred, and its PNG scaled the dock's layout.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QLineF,
    QMarginsF,
    QPointF,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import (
    QColor,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPainterPath,
    QPdfWriter,
    QPen,
)
from PySide6.QtSvg import QSvgGenerator

from ..view.colours import COLOUR_COUNT, NONFINITE_RGB, colour_indices
from ..view.gradients import EXPLODED_FACTOR, STEPS_WITH_DOTS, VANISHED_FRACTION, power_label
from ..view.heatmaps import HeatmapData
from .figure_layout import (
    FIGURE_DPI,
    GRADIENT_AXIS_TITLE,
    LABEL_POINTS,
    TIME_AXIS_TITLE,
    TITLE_POINTS,
    FigureContent,
    FigureLayout,
    TitleLine,
    bar_labels,
    figure_font,
    layout_figure,
)
from .theme import CURSOR_COLOR, DIM_COLOR, FOREGROUND, SERIES_COLORS
from .widgets.heatmap_row import colour_table

#: Above this many cells per heatmap, SVG and PDF get an image at the page's resolution
#: (a 512 x 2000 layer as rectangles would be a 100 MB SVG).
MAX_VECTOR_CELLS = 20_000
_ALARM_COLOR = "#b00020"
_FRAME = QColor("#9a9a9a")
#: The share of a colour bar's height the non-finite band takes.
_BAND_SHARE = 0.15
_CRISP_RECTS = b'<style type="text/css">rect { shape-rendering: crispEdges; }</style>\n'


def cell_colors(data: HeatmapData) -> np.ndarray:
    """RGBA (units, T, 4) uint8 of ``data.values`` through its colour scale, inf and NaN
    in the non-finite colour: the window's own mapping (:func:`.colour_indices` and
    :func:`.colour_table`), so a figure shows what the heatmap shows."""
    table = colour_table(data.colormap)
    packed = table[colour_indices(np.asarray(data.values), data.scale)]
    channels = (packed[..., None] >> np.array([16, 8, 0, 24], dtype=np.uint32)) & 0xFF
    return np.ascontiguousarray(channels.astype(np.uint8))


def _image_of(colors: np.ndarray, size: QSize) -> QImage:
    """The (units, T) colours as an image of ``size`` pixels: nearest-neighbour when
    cells grow, averaged when several units share a pixel row (none is dropped)."""
    rows, columns = colors.shape[:2]
    image = QImage(colors.data, columns, rows, 4 * columns,
                   QImage.Format.Format_RGBA8888).copy()
    grows = size.width() >= columns and size.height() >= rows
    mode = (Qt.TransformationMode.FastTransformation if grows
            else Qt.TransformationMode.SmoothTransformation)
    return image.scaled(size, Qt.AspectRatioMode.IgnoreAspectRatio, mode)


def _paint_cells(painter: QPainter, data: HeatmapData, rect: QRectF, vector: bool) -> None:
    colors = cell_colors(data)
    units, steps = colors.shape[:2]
    if vector and units * steps <= MAX_VECTOR_CELLS:
        width, height = rect.width() / steps, rect.height() / units
        for unit in range(units):
            for step in range(steps):
                painter.fillRect(QRectF(rect.left() + step * width, rect.top() + unit * height,
                                        width, height), QColor(*colors[unit, step]))
    else:
        painter.drawImage(rect.topLeft(), _image_of(colors, rect.size().toSize()))
    painter.setPen(QPen(_FRAME, 0.8))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(rect)


def _paint_bar(painter: QPainter, data: HeatmapData, rect: QRectF) -> None:
    """The colour bar: 64 bands from the high end (top) to the low one, with inf or NaN
    cells a band of the non-finite colour at the bottom (as on the window's bar), and
    the ticks."""
    band = QRectF(rect.left(), rect.bottom() - rect.height() * _BAND_SHARE, rect.width(),
                  rect.height() * _BAND_SHARE) if data.nonfinite else None
    colours = rect.adjusted(0, 0, 0, -band.height()) if band is not None else rect
    table = colour_table(data.colormap)[:COLOUR_COUNT]
    steps = table[np.linspace(0, COLOUR_COUNT - 1, 64).round().astype(np.intp)]
    height = colours.height() / len(steps)
    for index, color in enumerate(reversed(steps)):
        painter.fillRect(QRectF(colours.left(), colours.top() + index * height,
                                colours.width(), height + 0.3), QColor.fromRgb(int(color)))
    if band is not None:
        painter.fillRect(band, QColor(*NONFINITE_RGB))
    painter.setPen(QPen(_FRAME, 0.8))
    painter.drawRect(rect)
    painter.setPen(QColor(FOREGROUND))
    ticks = [(band.center().y() if band is not None and position < 0
              else colours.bottom() - position * colours.height(), text)
             for position, text in bar_labels(data)]
    _paint_ticks(painter, QRectF(rect.right() + 4, rect.top(), 80, rect.height()), ticks,
                 Qt.AlignmentFlag.AlignLeft)


def _paint_ticks(painter: QPainter, column: QRectF, ticks: list[tuple[float, str]],
                 side: Qt.AlignmentFlag) -> None:
    """Tick labels at their y in ``column``, the top and bottom ones kept inside it so
    neighbouring rows' labels never touch."""
    height = painter.fontMetrics().height()
    last = None
    for y, text in ticks:
        top = min(max(y - height / 2, column.top() - 2), column.bottom() + 2 - height)
        if last is not None and abs(top - last) < height:  # would touch the one drawn
            continue
        last = top
        painter.drawText(QRectF(column.left(), top, column.width(), height),
                         side | Qt.AlignmentFlag.AlignVCenter, text)


def _paint_row_labels(painter: QPainter, layout: FigureLayout, title: str, rect: QRectF,
                      ticks: list[tuple[float, str]]) -> None:
    """The quantity's name, right-aligned in the label column, and its axis's ticks."""
    painter.setPen(QColor(FOREGROUND))
    painter.drawText(QRectF(0, rect.top(), layout.label_right, rect.height()),
                     Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, title)
    column = QRectF(layout.label_right, rect.top(), rect.left() - layout.label_right - 4,
                    rect.height())
    _paint_ticks(painter, column, ticks, Qt.AlignmentFlag.AlignRight)


def _paint_heatmaps(painter: QPainter, content: FigureContent, layout: FigureLayout,
                    vector: bool) -> None:
    for data, rect, bar in zip(content.heatmaps, layout.cells, layout.bars, strict=True):
        _paint_cells(painter, data, rect, vector)
        _paint_bar(painter, data, bar)
        units = data.values.shape[0]
        half = rect.height() / units / 2
        ticks = [(rect.top() + half, "0")]
        if units > 1:
            ticks.append((rect.bottom() - half, str(units - 1)))
        _paint_row_labels(painter, layout, data.title, rect, ticks)


def _log_y(plot: QRectF, decades: tuple[float, float], value: float) -> float:
    low, high = decades
    return plot.bottom() - (np.log10(value) - low) / (high - low) * plot.height()


def _paint_gradients(painter: QPainter, content: FigureContent, layout: FigureLayout) -> None:
    """Curves on a log axis labelled in plain powers of ten, with the panel's markers."""
    curves, plot = content.gradients, layout.plot
    assert curves is not None and plot is not None
    painter.setPen(QPen(_FRAME, 0.8))
    painter.drawRect(plot)
    ticks = []
    if curves.decades is not None:
        for exponent in curves.decade_lines:
            y = _log_y(plot, curves.decades, 10.0**exponent)
            painter.setPen(QPen(QColor("#dddddd"), 0.8))
            painter.drawLine(QLineF(plot.left(), y, plot.right(), y))
            ticks.append((y, power_label(exponent)))
    _paint_row_labels(painter, layout, GRADIENT_AXIS_TITLE, plot, ticks)
    if curves.undefined:  # a non-finite loss: say why the plot is empty, as the panel does
        painter.setPen(QColor(_ALARM_COLOR))
        painter.drawText(plot, int(Qt.AlignmentFlag.AlignCenter), curves.undefined)
    if curves.decades is None:
        return
    painter.save()
    painter.setClipRect(plot)
    for name, norm in curves.norms.items():
        _paint_curve(painter, layout, curves.decades, norm, QColor(SERIES_COLORS[name]))
    half = 5.0 if layout.steps <= STEPS_WITH_DOTS else 2.5
    for kind, color in (("vanished", FOREGROUND), ("exploded", _ALARM_COLOR)):
        steps, values = curves.marked(kind)
        painter.setPen(QPen(QColor(color), 1.5 if half > 3 else 1.0))
        for step, value in zip(steps, values, strict=True):
            _paint_marker(painter, QPointF(layout.step_x(step),
                                           _log_y(plot, curves.decades, value)), kind, half)
    painter.restore()


def _paint_curve(painter: QPainter, layout: FigureLayout, decades: tuple[float, float],
                 norm: np.ndarray, color: QColor) -> None:
    """One polyline per run of finite positive values (a gap at 0 or NaN), dots on
    short texts, as in the panel."""
    assert layout.plot is not None
    path = QPainterPath()
    points = []
    drawing = False
    for step, value in enumerate(norm):
        if not (np.isfinite(value) and value > 0):
            drawing = False
            continue
        point = QPointF(layout.step_x(step), _log_y(layout.plot, decades, float(value)))
        points.append(point)
        path.lineTo(point) if drawing else path.moveTo(point)
        drawing = True
    painter.setPen(QPen(color, 2))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(path)
    if len(norm) <= STEPS_WITH_DOTS:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        for point in points:
            painter.drawEllipse(point, 2.2, 2.2)


def _paint_marker(painter: QPainter, at: QPointF, kind: str, size: float) -> None:
    """× for vanished, an open triangle for exploded (the panel's markers), ``size`` px
    from the centre."""
    painter.setBrush(Qt.BrushStyle.NoBrush)
    if kind == "vanished":
        painter.drawLine(QLineF(at.x() - size, at.y() - size, at.x() + size, at.y() + size))
        painter.drawLine(QLineF(at.x() - size, at.y() + size, at.x() + size, at.y() - size))
    else:
        painter.drawPolygon([QPointF(at.x(), at.y() - size), QPointF(at.x() + size, at.y()
                             + size), QPointF(at.x() - size, at.y() + size)])


def _paint_legend(painter: QPainter, content: FigureContent, layout: FigureLayout) -> None:
    """Which colour is which measure, and what the markers mean."""
    assert content.gradients is not None and layout.legend is not None
    x, y = layout.legend.left(), layout.legend.top()
    line = layout.legend.height() / 2
    for name in content.gradients.norms:
        painter.fillRect(QRectF(x, y + line / 2 - 5, 10, 10), QColor(SERIES_COLORS[name]))
        text = f"||{name}||"
        painter.setPen(QColor(FOREGROUND))
        painter.drawText(QPointF(x + 14, y + line * 0.75), text)
        x += 14 + painter.fontMetrics().horizontalAdvance(text) + 16
    painter.drawText(QRectF(layout.legend.left(), y + line, layout.legend.width(), line),
                     Qt.AlignmentFlag.AlignLeft,
                     f"× vanished below {VANISHED_FRACTION:g}, △ exploded above "
                     f"{EXPLODED_FACTOR:g} times the curve's value at the loss's step")


def _paint_cursor(painter: QPainter, content: FigureContent, layout: FigureLayout) -> None:
    """Unread steps of the heatmaps washed out (as in the window; gradients come from the
    whole text, so they are not), and the cursor's line on each plot."""
    x = layout.step_x(content.cursor)
    half = layout.step_width / 2
    for rect in layout.cells:
        unread = (QRectF(rect.left(), rect.top(), x - half - rect.left(), rect.height())
                  if content.reads_backward else
                  QRectF(x + half, rect.top(), rect.right() - x - half, rect.height()))
        if unread.width() > 0:
            painter.fillRect(unread, QColor(*DIM_COLOR))
    painter.setPen(QPen(QColor(CURSOR_COLOR), 2))
    for rect in (*layout.cells, *([layout.plot] if layout.plot is not None else [])):
        painter.drawLine(QLineF(x, rect.top(), x, rect.bottom()))


def _paint_tokens(painter: QPainter, layout: FigureLayout) -> None:
    painter.setPen(QColor(FOREGROUND))
    labels = layout.tokens
    for text, rect in zip(labels.texts, labels.rects, strict=True):
        if not labels.rotated:
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
            continue
        painter.save()  # reads upwards, its end against the axis
        painter.translate(rect.left(), rect.top())
        painter.rotate(-90)
        painter.drawText(QRectF(-rect.height(), 0, rect.height(), rect.width()),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
        painter.restore()
    painter.drawText(layout.axis_title, Qt.AlignmentFlag.AlignCenter, TIME_AXIS_TITLE)


def paint_title(painter: QPainter, lines: tuple[TitleLine, ...]) -> None:
    """The title, wrapped to the page (:func:`title_lines`)."""
    painter.setPen(QColor(FOREGROUND))
    for line in lines:
        painter.setFont(figure_font(TITLE_POINTS if line.bold else LABEL_POINTS, line.bold))
        painter.drawText(line.rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         line.text)
    painter.setFont(figure_font())


def paint_figure(painter: QPainter, content: FigureContent, layout: FigureLayout,
                 vector: bool) -> None:
    """Everything, on a white page; ``vector``: cells as rectangles when few enough."""
    painter.fillRect(QRectF(0, 0, layout.width, layout.height), QColor("white"))
    paint_title(painter, layout.title)
    _paint_heatmaps(painter, content, layout, vector)
    if layout.plot is not None:
        _paint_gradients(painter, content, layout)
        _paint_legend(painter, content, layout)
    _paint_cursor(painter, content, layout)
    _paint_tokens(painter, layout)


#: Draws a figure on a painter whose coordinates are the page's pixels at 96 dpi.
Paint = Callable[[QPainter], None]


def _painted(device: object, paint: Paint) -> None:
    painter = QPainter(device)  # type: ignore[call-overload]
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        paint(painter)
    finally:
        painter.end()


def heatmap_drawing(content: FigureContent, width: int) -> tuple[QSize, Paint, Paint]:
    """The page size of ``content`` laid out for ``width`` px and how to paint it as an
    image (cells as pixels) and as vectors (cells as rectangles when few enough).
    Figures narrower than the smallest layout are that layout scaled down."""
    layout = layout_figure(content, width)
    scale = width / layout.width

    def paint(vector: bool) -> Paint:
        def draw(painter: QPainter) -> None:
            painter.scale(scale, scale)
            paint_figure(painter, content, layout, vector)
        return draw

    return QSize(width, max(1, round(layout.height * scale))), paint(False), paint(True)


def png_image(size: QSize, paint: Paint) -> QImage:
    """A white ``size`` image at 96 dpi with ``paint`` drawn on it."""
    image = QImage(size, QImage.Format.Format_ARGB32)
    dots_per_meter = round(FIGURE_DPI / 0.0254)
    image.setDotsPerMeterX(dots_per_meter)
    image.setDotsPerMeterY(dots_per_meter)
    image.fill(QColor("white"))
    _painted(image, paint)
    return image


def _buffer() -> tuple[QByteArray, QBuffer]:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    return data, buffer


def svg_document(size: QSize, paint: Paint, title: tuple[str, str]) -> bytes:
    """An SVG drawing of ``size`` px (text stays text) with the title as its metadata."""
    data, buffer = _buffer()
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(size)
    generator.setViewBox(QRectF(0, 0, size.width(), size.height()))
    generator.setResolution(FIGURE_DPI)
    generator.setTitle(title[0])
    generator.setDescription(title[1])
    _painted(generator, paint)
    buffer.close()
    # Neighbouring cells at fractional x would each be antialiased at their shared edge,
    # and browsers then show a hairline of background between them.
    return bytes(data.data()).replace(b"<defs>", _CRISP_RECTS + b"<defs>", 1)


def pdf_document(size: QSize, paint: Paint, title: tuple[str, str]) -> bytes:
    """A one-page PDF whose page is the figure: ``size`` px at 96 dpi, i.e. 0.75 points
    a pixel (1600 px = 1200 pt), no margins."""
    data, buffer = _buffer()
    writer = QPdfWriter(buffer)
    writer.setResolution(FIGURE_DPI)
    page = QPageSize(size.toSizeF() * (72.0 / FIGURE_DPI), QPageSize.Unit.Point, "figure",
                     QPageSize.SizeMatchPolicy.ExactMatch)
    writer.setPageLayout(QPageLayout(page, QPageLayout.Orientation.Portrait,
                                     QMarginsF(0, 0, 0, 0)))
    writer.setTitle(" · ".join(title))
    _painted(writer, paint)
    buffer.close()
    return bytes(data.data())
