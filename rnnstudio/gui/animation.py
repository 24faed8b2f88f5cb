"""Draw an animation's frames: one panel of a session, the cursor on each token in turn,
on frames of exactly the chosen size, as (H, W, 3) uint8 RGB arrays for the encoder
(:mod:`rnnstudio.io.animation_file`).

Frames are drawn as figures are (:mod:`.export`), titled with the model, text, step,
layer and loss, but for a slide: the page is laid out at the frame's size divided by the
text zoom (:attr:`AnimationSpec.text_zoom`, 1.4 at 720p), then drawn scaled up, so labels
read as on a projector in View > Presentation, whatever the resolution. The heatmaps
("heatmaps", "figure") are painted from the view data with their rows fitted to the
page's height; the token strip ("strip") is the window's strip above them; the other
panels are the window's widgets, built once, hidden, and drawn at each step.

Widgets are drawn on the GUI thread, so this module only draws; the window runs it a few
frames per timer tick (:mod:`.animation_export`) and ``rnnstudio animate`` in a loop.
The heatmaps, the figure and the strip are drawn at any step without moving the
session's cursor (the window's panels do not repaint for every frame: a frame took 180 ms
in the window when they did); the widget panels follow the session's cursor, which the
renderer moves and puts back on :meth:`FrameRenderer.close`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QPoint, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QWidget

from ..errors import ExportError
from ..view.animation import AnimationSpec, substep_frames
from . import export
from .figure import paint_figure, paint_title
from .figure_layout import MARGIN, FigureContent, FigureLayout, layout_figure, title_lines

if TYPE_CHECKING:
    from .session import Session

#: Room between the token strip and the heatmaps under it, in page pixels.
_STRIP_GAP = 6.0
#: A painted figure at one step: content, layout, scale, left offset, strip height.
_Placement = tuple[FigureContent, FigureLayout, float, float, float]


def _widget_panel(session: Session, panel: str) -> QWidget:
    from .widgets.gradients import GradientPanel
    from .widgets.step_view import StepView
    from .widgets.token_strip import TokenStrip
    from .widgets.unit_inspector import UnitInspector

    kinds: dict[str, Any] = {"gradients": GradientPanel, "step": StepView,
                             "unit": UnitInspector, "strip": TokenStrip}
    widget: QWidget = kinds[panel](session)
    # Laid out and drawn like a shown widget, but never on screen (the window's export).
    widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    return widget


def _settle(widget: QWidget) -> None:
    """Let a resized widget lay itself out: posted layout requests only, no user input
    (the window's export runs inside a timer tick). Twice: the first pass measures tick
    labels and may grow an axis, the second lays the plot out for it."""
    for _ in range(2):
        QCoreApplication.sendPostedEvents()
        widget.grab()


#: Widgets are drawn without their window's grey: the frame is white, as a figure is.
_CHILDREN_ONLY = QWidget.RenderFlag.DrawChildren


def rgb_array(image: QImage) -> np.ndarray:
    """A QImage as an (H, W, 3) uint8 RGB array (a copy: Qt may reuse the image)."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = rgb.width(), rgb.height()
    rows = np.frombuffer(rgb.constBits(), np.uint8, rgb.bytesPerLine() * height)
    return rows.reshape(height, rgb.bytesPerLine())[:, : 3 * width].reshape(
        height, width, 3).copy()


class FrameRenderer:
    """Draws ``spec.panel`` of ``session`` with the cursor at a given step.

    Parameters
    ----------
    session
        A session showing a trace. The painted panels and the strip are drawn at each
        step without touching it; the widget panels follow its cursor, which is moved
        while drawing and put back by :meth:`close`.
    spec
        The checked animation request (panel, frame size, text zoom).
    """

    def __init__(self, session: Session, spec: AnimationSpec) -> None:
        if session.trace is None or session.view is None:
            raise ExportError("there is no trace to animate yet: read a text first")
        self.session, self.spec = session, spec
        self.zoom = spec.text_zoom
        self.page_width = spec.width / self.zoom
        self.page_height = spec.height / self.zoom
        self._cursor = self._step = session.cursor
        self.painted = spec.panel in (*export.PAINTED_PANELS, "strip")
        #: The figure laid out for a step, kept while that step is drawn.
        self._placed: tuple[int, _Placement] | None = None
        session.playback.stop()
        self.widget: QWidget | None = None
        if spec.panel not in export.PAINTED_PANELS:
            self.widget = _widget_panel(session, spec.panel)
            # The strip keeps the figure's margins: its chips wrap at the title's width.
            width = self.page_width - (2 * MARGIN if spec.panel == "strip" else 0)
            self.widget.resize(round(width), round(self._widget_height()))
            self.widget.show()
            _settle(self.widget)

    @property
    def steps(self) -> int:
        return self.session.step_count

    def _title_name(self) -> str:
        return "heatmaps" if self.spec.panel == "strip" else self.spec.panel

    def _widget_height(self) -> float:
        """The strip's height for the page width (its chips wrap), else what the title
        leaves."""
        if self.spec.panel == "strip":
            canvas = self.widget.canvas  # type: ignore[union-attr]
            canvas.setAutoFillBackground(False)  # its scroll area's grey: not on a slide
            canvas.relayout(round(self.page_width - 2 * MARGIN))
            return float(canvas.height())
        title = export.figure_title_of(self.session, self._title_name())
        return self.page_height - self._title_bottom(title)

    def _title_bottom(self, title: tuple[str, str]) -> float:
        return title_lines(title, self.page_width)[-1].rect.bottom() + 8

    def render(self, step: int) -> np.ndarray:
        """The frame with the cursor on ``step``: (height, width, 3) uint8."""
        self._step = step
        if self.spec.panel == "strip":
            self.widget.current_step = step  # type: ignore[union-attr]
        elif not self.painted:
            self.session.set_cursor(step)
            if self.session.cursor != step:  # an open lesson's question holds it
                raise ExportError(f"the cursor cannot reach step {step}: answer the "
                                  "lesson's question first, or close the lesson")
        image = QImage(self.spec.width, self.spec.height, QImage.Format.Format_RGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            painter.scale(self.zoom, self.zoom)
            if self.painted:
                self._paint_heatmaps(painter)
            else:
                self._paint_widget(painter)
        finally:
            painter.end()
        return rgb_array(image)

    @property
    def title_rows(self) -> int:
        """The frame's pixel rows down to the bottom of its title (which names the step:
        a dissolve switches it at once rather than blending two step numbers)."""
        if self.painted:
            _, layout, scale, _, _ = self._placement(self._step)
            bottom = (layout.title[-1].rect.bottom() + 2) * scale
        else:
            bottom = self._title_bottom(export.figure_title_of(self.session, self.spec.panel))
        return min(self.spec.height, round(bottom * self.zoom))

    def _paint_widget(self, painter: QPainter) -> None:
        """The title, then the panel's plot (This step: its readout line above its bars);
        not the panel's buttons and hints."""
        widget = self.widget
        assert widget is not None
        title = export.figure_title_of(self.session, self.spec.panel)
        paint_title(painter, title_lines(title, self.page_width))
        top = self._title_bottom(title)
        readout = getattr(widget, "readout", None)
        if isinstance(readout, QWidget):
            readout.render(painter, QPoint(round(MARGIN), round(top)),
                           renderFlags=_CHILDREN_ONLY)
            top += readout.height()
        # This step's bar charts: their whole layout (its view showed the last axis cut)
        graphics = getattr(widget, "graphics", None)
        item = graphics.ci if graphics is not None else export.plot_items_of(widget)
        scene, source = export.scene_source(item)
        scene.render(painter, QRectF(MARGIN, top, self.page_width - 2 * MARGIN,
                                     self.page_height - top - MARGIN / 2), source)

    def _placement(self, step: int) -> _Placement:
        """The painted figure at ``step``: its content, its layout fitted to the page
        (under the strip, if any), the scale that makes it fit, its left offset and the
        strip's height, in page pixels."""
        if self._placed is not None and self._placed[0] == step:
            return self._placed[1]
        content = export.figure_content(self.session, self._title_name(), step)
        strip = 0.0 if self.widget is None else (
            self.widget.canvas.height() + _STRIP_GAP)  # type: ignore[attr-defined]
        layout = layout_figure(content, round(self.page_width), self.page_height - strip)
        scale = min(1.0, self.page_width / layout.width,
                    (self.page_height - strip) / layout.height)
        placed = content, layout, scale, (self.page_width - layout.width * scale) / 2, strip
        self._placed = step, placed
        return placed

    def step_column(self, step: int, row: int = 0) -> QRectF:
        """Where heatmap ``row``'s cells of ``step`` are on a frame, in frame pixels
        (the painted panels): a cursor move from one step to the next changes only these
        columns and the title."""
        _, layout, scale, left, strip = self._placement(step)
        cells = layout.cells[row]
        x = layout.step_x(step) - layout.step_width / 2
        zoom = self.zoom
        return QRectF(zoom * (left + scale * x), zoom * (strip + scale * cells.top()),
                      zoom * scale * layout.step_width, zoom * scale * cells.height())

    def _paint_heatmaps(self, painter: QPainter) -> None:
        """The painted figure fitted to the page; for "strip", the chips go between its
        title and its heatmaps."""
        content, layout, scale, left, strip = self._placement(self._step)
        painter.translate(left, 0)
        painter.scale(scale, scale)
        if self.widget is None:
            paint_figure(painter, content, layout, vector=False)
            return
        title_bottom = layout.title[-1].rect.bottom() + 4
        painter.save()
        painter.setClipRect(QRectF(0, 0, layout.width, title_bottom))
        paint_figure(painter, content, layout, vector=False)
        painter.restore()
        self.widget.canvas.render(  # type: ignore[attr-defined]
            painter, QPoint(round(MARGIN / 2), round(title_bottom)), renderFlags=_CHILDREN_ONLY)
        painter.translate(0, strip / scale)
        painter.setClipRect(QRectF(0, title_bottom, layout.width, layout.height))
        paint_figure(painter, content, layout, vector=False)

    def close(self) -> None:
        """Free the hidden widget and put the session's cursor back."""
        if self.widget is not None:
            self.widget.close()
            self.widget.deleteLater()
            self.widget = None
        if not self.painted:
            self.session.set_cursor(self._cursor)


def animation_frames(renderer: FrameRenderer, substeps: int) -> Iterator[np.ndarray]:
    """Every frame, token after token, ``substeps`` frames each (a dissolve from the
    previous token's picture, :func:`.substep_frames`)."""
    previous = None
    for step in range(renderer.steps):
        current = renderer.render(step)
        yield from substep_frames(previous, current, substeps, renderer.title_rows)
        previous = current
