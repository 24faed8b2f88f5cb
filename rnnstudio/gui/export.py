"""Write figures: a panel as PNG at a chosen width, SVG or PDF, the heatmaps and the
combined heatmaps + gradients figure painted from the view data, the whole window as PNG;
and check a trace's file name before the session's worker writes it through
``rnnstudio.io``.

Every figure of a panel carries its context in two title lines (model, text excerpt, step
and token, layer and direction, loss: :mod:`rnnstudio.view.figure_context`) and is laid
out for the width it is exported at, not scaled from the dock.

Every file goes through ``rnnstudio.io.atomic`` (the one atomic writer): a failed or
interrupted export never leaves a half-written file where a good one was. Failures raise
``ExportError`` with the path and the reason; the window shows it and carries on.
"""

from __future__ import annotations

import re
from dataclasses import replace
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QIODevice, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QImageWriter, QPainter
from PySide6.QtWidgets import QApplication, QGraphicsScene, QWidget

from ..errors import ExportError
from ..io.atomic import write_bytes_atomic
from ..io.trace_export import TRACE_EXTENSIONS
from ..limits import (
    FIGURE_LAYOUT_WIDTHS,
    MAX_FIGURE_PIXELS,
    MAX_PNG_WIDTH,
    MIN_PNG_WIDTH,
    check_figure_size,
)
from ..view.figure_context import architecture, figure_context, figure_title
from .figure import Paint, heatmap_drawing, paint_title, pdf_document, png_image, svg_document
from .figure_layout import (
    FIGURE_DPI,
    LABEL_POINTS,
    TITLE_POINTS,
    FigureContent,
    title_lines,
)
from .theme import FOREGROUND

if TYPE_CHECKING:
    from .session import Session

#: Panels painted from the view data rather than drawn from their widget.
PAINTED_PANELS = ("heatmaps", "figure")

def _png_bytes(image: QImage) -> bytes:
    # QImageWriter rather than QImage.save: PySide6 6.10's save accepts only a str format
    # where its stubs allow only bytes, and the writer says why it failed.
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QImageWriter(buffer, b"PNG")
    if not writer.write(image):
        raise ExportError(f"could not encode the image as PNG: {writer.errorString()}")
    return bytes(buffer.data().data())


def render_png(item: Any, width: int) -> QImage:
    """A plot item, layout or scene rendered at ``width`` pixels (height keeps the aspect)."""
    if not MIN_PNG_WIDTH <= width <= MAX_PNG_WIDTH:
        raise ExportError(f"PNG width must be between {MIN_PNG_WIDTH} and {MAX_PNG_WIDTH} "
                          f"pixels, got {width}")
    from pyqtgraph.exporters import ImageExporter  # imported on first export: faster start

    exporter = ImageExporter(item)
    source = exporter.getSourceRect()
    exporter.parameters()["width"] = int(width)
    exporter.parameters()["height"] = max(1, round(width * source.height() / source.width()))
    image = exporter.export(toBytes=True)
    if image is None or image.isNull():
        raise ExportError("the plot rendered to an empty image")
    if image.width() != width:  # the exporter rounds via the aspect ratio
        image = image.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
    return image


def export_png(item: Any, path: str | Path, width: int) -> None:
    """Save a plot (``PlotItem``, ``GraphicsLayout`` or scene) as PNG, ``width`` px wide."""
    write_bytes_atomic(path, _png_bytes(render_png(item, width)))


def svg_text(item: Any) -> str:
    """A plot as SVG markup (text stays text, so labels are searchable and sharp)."""
    from pyqtgraph.exporters import SVGExporter

    data = SVGExporter(item).export(toBytes=True)
    if not data:
        raise ExportError("the plot produced no SVG")
    return data.decode("utf-8") if isinstance(data, bytes) else str(data)


def export_svg(item: Any, path: str | Path) -> None:
    write_bytes_atomic(path, svg_text(item).encode("utf-8"))


#: What a figure of a panel can be written as.
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def check_figure_path(path: str | Path, suffixes: tuple[str, ...] = FIGURE_SUFFIXES) -> None:
    """Refuse a suffix not in ``suffixes``, before any drawing."""
    suffix = Path(path).suffix.lower()
    if suffix not in suffixes:
        raise ExportError(f"cannot export a figure as {suffix or 'a file without suffix'}: "
                          f"use {', '.join(suffixes[:-1])} or {suffixes[-1]}")


def export_figure(item: Any, path: str | Path, width: int) -> None:
    """A plot as it is on screen (Compare), untitled: PNG or SVG through pyqtgraph's
    exporters, PDF drawn by QPainter; by the file's suffix."""
    check_figure_path(path)
    suffix = Path(path).suffix.lower()
    if suffix == ".svg":
        export_svg(item, path)
    elif suffix == ".pdf":
        export_scene(item, path, width, None)
    else:
        export_png(item, path, width)


def write_drawing(path: str | Path, size: QSize, image: Paint, vector: Paint,
                  title: tuple[str, str]) -> None:
    """``size`` px drawn by ``image`` as PNG, or by ``vector`` as SVG or PDF, by the
    file's suffix."""
    suffix = Path(path).suffix.lower()
    if suffix == ".png":
        _check_pixels(size.width(), size.height())
        data = _png_bytes(png_image(size, image))
    elif suffix == ".svg":
        data = svg_document(size, vector, title)
    else:
        data = pdf_document(size, vector, title)
    write_bytes_atomic(path, data)


def export_widget_png(widget: QWidget, path: str | Path, width: int | None = None) -> None:
    """The widget as it looks on screen (the whole window), optionally scaled to ``width``."""
    image = widget.grab().toImage()
    if width and image.width() != width:
        _check_pixels(width, round(image.height() * width / max(image.width(), 1)))
        image = image.scaledToWidth(int(width), Qt.TransformationMode.SmoothTransformation)
    write_bytes_atomic(path, _png_bytes(image))


def check_trace_path(path: str | Path) -> None:
    """Refuse a suffix io cannot write, before any work starts."""
    suffix = Path(path).suffix.lower()
    if suffix not in TRACE_EXTENSIONS:
        raise ExportError(f"cannot save a trace as {suffix or 'a file without suffix'}: "
                          "use .npz, .csv or .json")


def plot_items_of(widget: Any) -> Any:
    """What to export for a panel: its whole graphics layout or its single plot."""
    graphics = getattr(widget, "graphics", None)
    if isinstance(graphics, pg.GraphicsLayoutWidget):
        return graphics.scene()
    return widget.plot


def layout_width(width: int) -> int:
    """How wide a pyqtgraph panel is laid out for a ``width``-pixel figure: ``width``
    itself within the sizes a panel can take (a narrower figure is scaled down)."""
    low, high = FIGURE_LAYOUT_WIDTHS
    return min(max(width, low), high)


def _check_pixels(width: int, height: int) -> None:
    if width * height > MAX_FIGURE_PIXELS:
        raise ExportError(f"the picture would be {width} x {height} pixels, more than "
                          f"{MAX_FIGURE_PIXELS:,}: use a smaller width or height")


def figure_title_of(session: Session, panel: str,
                    cursor: int | None = None) -> tuple[str, str]:
    """The two title lines of ``panel`` as the session shows it now (at step ``cursor``
    instead of the session's: an animation's frame)."""
    if session.trace is None:
        raise ExportError("there is no trace to draw yet: read a text first")
    # Without a model the trace came from a file, and the session's source still names
    # the model shown before it: say what the trace's own config says instead.
    model = session.source.title if session.model is not None else architecture(
        session.trace)
    step = session.cursor if cursor is None else cursor
    context = figure_context(session.trace, model, session.text, step,
                             session.layer, session.direction, session.unit)
    return figure_title(context, panel)


def figure_content(session: Session, panel: str = "heatmaps",
                   cursor: int | None = None) -> FigureContent:
    """What the painted ``panel`` ("heatmaps", or "figure": with the gradients) shows,
    with the cursor at the session's step or at ``cursor``."""
    title = figure_title_of(session, panel, cursor)
    view = session.view
    assert view is not None
    gradients = view.layer.gradients if panel == "figure" else None
    mode = session.options.colour_scale  # the colour scale the window shows
    heatmaps = tuple(replace(data, scale=data.scale_for(mode)) for data in view.layer.heatmaps)
    return FigureContent(title, heatmaps, tuple(view.trace.tokens), gradients,
                         session.cursor if cursor is None else cursor,
                         view.layer.reads_backward)


def export_painted(session: Session, panel: str, path: str | Path, width: int) -> None:
    """The heatmaps (``panel`` "heatmaps") or heatmaps + gradients ("figure") of the
    session, laid out for ``width`` px, as PNG, SVG or PDF."""
    check_figure_path(path)
    content = figure_content(session, panel)
    size, image, vector = heatmap_drawing(content, width)
    write_drawing(path, size, image, vector, content.title)


def scene_source(item: Any) -> tuple[Any, QRectF]:
    """The scene an exportable item is on and the part of it to draw."""
    if isinstance(item, QGraphicsScene):
        return item, item.views()[0].viewRect()  # type: ignore[attr-defined] # pyqtgraph
    return item.scene(), item.sceneBoundingRect()


def export_scene(item: Any, path: str | Path, width: int,
                 title: tuple[str, str] | None) -> None:
    """A pyqtgraph plot or scene under ``title`` (None: untitled): PNG and PDF drawn by
    QPainter at ``width`` px, SVG by pyqtgraph's exporter (Qt's SVG generator widened
    its cosmetic pens into bands) with the title put above it."""
    if Path(path).suffix.lower() == ".svg":
        svg = svg_text(item)
        write_bytes_atomic(path, (svg if title is None else titled_svg(svg, title))
                           .encode("utf-8"))
        return
    scene, source = scene_source(item)
    lines = () if title is None else title_lines(title, width)
    scale = width / max(source.width(), 1.0)
    top = lines[-1].rect.bottom() + 8 if lines else 0.0
    size = QSize(width, round(top + source.height() * scale))

    def draw(painter: QPainter) -> None:
        painter.fillRect(QRectF(0, 0, size.width(), size.height()), QColor("white"))
        paint_title(painter, lines)
        scene.render(painter, QRectF(0, top, width, source.height() * scale), source)

    write_drawing(path, size, draw, draw, title or ("", ""))


def titled_svg(svg: str, title: tuple[str, str]) -> str:
    """pyqtgraph's SVG moved down under the two title lines (as text, searchable)."""
    match = re.search(r'viewBox\s*=\s*"0 0 ([\d.]+) ([\d.]+)"', svg)
    body = svg.find("<defs>")
    if match is None or body < 0 or not svg.rstrip().endswith("</svg>"):
        raise ExportError("pyqtgraph's SVG has an unexpected form: export as PNG or PDF")
    width, height = float(match.group(1)), float(match.group(2))
    lines = title_lines(title, width)
    top = lines[-1].rect.bottom() + 8

    def points(bold: bool) -> float:
        return TITLE_POINTS if bold else LABEL_POINTS

    text = "".join(
        f'<text x="{line.rect.left():g}" y="{line.rect.bottom() - 4:g}" fill="{FOREGROUND}" '
        f'font-family="sans-serif" font-size="{points(line.bold) * FIGURE_DPI / 72:g}" '
        f'font-weight="{700 if line.bold else 400}">{escape(line.text)}</text>\n'
        for line in lines)
    head = svg[:body].replace(match.group(0), f'viewBox="0 0 {width:g} {height + top:g}"')
    tail = svg.rstrip()[: -len("</svg>")]
    return (f'{head}{text}<g transform="translate(0,{top:g})">\n{svg[body:len(tail)]}'
            "</g>\n</svg>\n")


def render_panel(session: Session, name: str, path: str | Path, width: int,
                 height: int = 900) -> None:
    """Draw panel ``name`` of ``session`` as a figure, whatever the window looks like.

    The heatmaps and the combined "figure" are painted from the view data for ``width``
    (:mod:`rnnstudio.gui.figure`). The other panels are built fresh at ``width`` px (within
    the sizes a panel can take) by ``height`` and drawn under their title, so the
    window's export and ``rnnstudio plot`` of the same session give the same picture.
    """
    from .widgets.gradients import GradientPanel
    from .widgets.step_view import StepView
    from .widgets.unit_inspector import UnitInspector

    panels = {"gradients": GradientPanel, "step": StepView, "this step": StepView,
              "unit": UnitInspector, "unit inspector": UnitInspector}
    if name not in (*panels, *PAINTED_PANELS):
        raise ExportError(f"no panel {name!r} to draw: use "
                          f"{', '.join(sorted((*panels, *PAINTED_PANELS)))}")
    check_figure_path(path)
    check_figure_size(width, height)
    if name in PAINTED_PANELS:
        export_painted(session, name, path, width)
        return
    title = figure_title_of(session, name)
    panel = panels[name](session)
    try:
        panel.resize(layout_width(width), height)
        panel.show()
        # Twice: the first paint measures tick labels and may grow an axis (two rows of
        # staggered tokens); the second lays the panel out for that size.
        for _ in range(2):
            QApplication.processEvents()
            panel.grab()
        export_scene(plot_items_of(panel), path, width, title)
    finally:
        panel.close()
        panel.deleteLater()
