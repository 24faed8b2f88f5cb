"""Write figures: a panel as PNG at a chosen width or SVG, the whole window as PNG; and
check a trace's file name before the session's worker writes it through ``rnnstudio.io``.

Every file goes through ``rnnstudio.io.atomic`` (the one atomic writer): a failed or
interrupted export never leaves a half-written file where a good one was. Failures raise
``ExportError`` with the path and the reason; the window shows it and carries on.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QIODevice, Qt
from PySide6.QtGui import QImage, QImageWriter
from PySide6.QtWidgets import QApplication, QWidget

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

if TYPE_CHECKING:
    from .session import Session

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


def check_figure_path(path: str | Path) -> None:
    """Refuse a suffix that is neither .png nor .svg, before any drawing."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".png", ".svg"):
        raise ExportError(f"cannot export a figure as {suffix or 'a file without suffix'}: "
                          "use .png or .svg")


def export_figure(item: Any, path: str | Path, width: int) -> None:
    """PNG or SVG by the file's suffix."""
    check_figure_path(path)
    if Path(path).suffix.lower() == ".svg":
        export_svg(item, path)
    else:
        export_png(item, path, width)


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
    """How wide a panel is laid out for a ``width``-pixel figure."""
    low, high = FIGURE_LAYOUT_WIDTHS
    return min(max(width, low), high)


def _check_pixels(width: int, height: int) -> None:
    if width * height > MAX_FIGURE_PIXELS:
        raise ExportError(f"the picture would be {width} x {height} pixels, more than "
                          f"{MAX_FIGURE_PIXELS:,}: use a smaller width or height")


def render_panel(session: Session, name: str, path: str | Path, width: int,
                 height: int = 900) -> None:
    """Draw panel ``name`` of ``session`` as a figure, whatever the window looks like.

    A fresh panel is laid out at a screen-like size (``width`` up to 2000 px by
    ``height``), then scaled to ``width``: fonts keep their proportion to the plot at any
    output size, and the window's export and ``rnnstudio plot`` of the same session give
    the same picture.
    """
    from .widgets.gradients import GradientPanel
    from .widgets.heatmaps import HeatmapPanel
    from .widgets.step_view import StepView
    from .widgets.unit_inspector import UnitInspector

    panels = {"heatmaps": HeatmapPanel, "gradients": GradientPanel, "step": StepView,
              "this step": StepView, "unit": UnitInspector, "unit inspector": UnitInspector}
    if name not in panels:
        raise ExportError(f"no panel {name!r} to draw: use {', '.join(sorted(panels))}")
    check_figure_path(path)
    check_figure_size(width, height)
    panel = panels[name](session)
    try:
        panel.resize(layout_width(width), height)
        panel.show()
        # Twice: the first paint measures tick labels and may grow an axis (two rows of
        # staggered tokens); the second lays the panel out for that size.
        for _ in range(2):
            QApplication.processEvents()
            panel.grab()
        export_figure(plot_items_of(panel), path, width)
    finally:
        panel.close()
        panel.deleteLater()
