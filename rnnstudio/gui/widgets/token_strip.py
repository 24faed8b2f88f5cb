"""One chip per token: the current step highlighted, unknown tokens flagged, a tagger's
predicted tags underlined, click to jump; shift+click or a drag brushes a span of tokens
(shaded in the highlight colour) for the Corpus dock.

Chips are painted, not widgets: a 2000-token text would otherwise create 2000 buttons
and take seconds to lay out.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QScrollArea, QWidget

from ...view.attribution import DARK_LEVEL, Shading, chip_tint, current_shading
from ...view.readout import shown_token, step_readout
from ..session import Session
from ..theme import CURSOR_COLOR, tag_colors

_PAD_X, _PAD_Y, _GAP = 6, 3, 4
#: A tag's underline: its thickness, and the room added under the word for it.
_TAG_LINE, _TAG_ROOM = 3, 4
_LEGEND_SWATCH = 14
_MIN_HEIGHT = 40
_UNKNOWN_COLOR = QColor("#b00020")


class _ChipCanvas(QWidget):
    def __init__(self, strip: TokenStrip) -> None:
        super().__init__()
        self.strip = strip
        self.chip_rects: list[QRect] = []
        #: The chip the mouse went down on (a drag from it brushes a span).
        self.pressed: int | None = None
        self.setMouseTracking(True)

    def legend_font(self) -> QFont:
        font = QFont(self.font())
        if font.pointSizeF() > 0:  # -1 when the size was set in pixels
            font.setPointSizeF(font.pointSizeF() * 0.85)
        return font

    def relayout(self, width: int) -> None:
        metrics = QFontMetrics(self.font())
        tagged = self.strip.tags is not None
        height = metrics.height() + 2 * _PAD_Y + (_TAG_ROOM if tagged else 0)
        x = y = _GAP
        if tagged:  # the legend's line comes first
            y += QFontMetrics(self.legend_font()).height() + _GAP
        self.chip_rects = []
        for index, token in enumerate(self.strip.tokens):
            chip_width = metrics.horizontalAdvance(self.strip.label(index, token)) + 2 * _PAD_X
            if x + chip_width > width - _GAP and x > _GAP:
                x, y = _GAP, y + height + _GAP
            self.chip_rects.append(QRect(x, y, chip_width, height))
            x += chip_width + _GAP
        self.setFixedHeight(y + height + _GAP)
        self.update()

    def chip_at(self, x: int, y: int) -> int | None:
        for index, rect in enumerate(self.chip_rects):
            if rect.contains(x, y):
                return index
        return None

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        strip = self.strip
        palette = self.palette()
        for index, rect in enumerate(self.chip_rects):
            if not rect.intersects(event.rect()):
                continue
            future = index > strip.current_step
            fill = QColor(palette.base().color())
            shading = strip.shading
            tint = None if shading is None else chip_tint(shading.levels[index],
                                                          shading.signed)
            if tint is not None:
                fill = QColor(*tint)
            brushed = strip.session.corpus_queries.brushed
            if brushed is not None and brushed[0] <= index < brushed[1]:
                fill = palette.highlight().color()
                fill.setAlpha(90)
            painter.setBrush(fill)
            current = index == strip.current_step
            border = QColor(CURSOR_COLOR) if current else palette.mid().color()
            if index in strip.unknown:
                border = _UNKNOWN_COLOR
            painter.setPen(QPen(border, 2.5 if current else 1.0,
                                Qt.PenStyle.DashLine if index in strip.unknown and not current
                                else Qt.PenStyle.SolidLine))
            painter.drawRoundedRect(rect, 6, 6)
            text = palette.text().color()
            if shading is not None and abs(shading.levels[index]) > DARK_LEVEL:
                text = QColor("white")  # dark chip: keep the word readable
            if future:
                text.setAlpha(110)
            painter.setPen(text)
            tag_color = strip.tag_color(index)
            word = rect.adjusted(0, 0, 0, -_TAG_ROOM) if strip.tags is not None else rect
            painter.drawText(word, Qt.AlignmentFlag.AlignCenter,
                             strip.label(index, strip.tokens[index]))
            if tag_color is not None:
                painter.fillRect(rect.left() + _PAD_X - 2, word.bottom() - _PAD_Y + 1,
                                 rect.width() - 2 * _PAD_X + 4, _TAG_LINE, tag_color)
        if strip.tags is not None:
            self._paint_legend(painter)

    def _paint_legend(self, painter: QPainter) -> None:
        """``tags: ▬ literal ▬ idiom · no line: other`` on the first line."""
        painter.setFont(self.legend_font())
        metrics = painter.fontMetrics()
        text = self.palette().text().color()
        quiet = self.palette().placeholderText().color()
        x, baseline = _GAP, _GAP + metrics.ascent()
        painter.setPen(quiet)
        painter.drawText(x, baseline, "tags:")
        x += metrics.horizontalAdvance("tags:") + 8
        unmarked = []
        for label, color in self.strip.tag_colors.items():
            if color is None:
                unmarked.append(label)
                continue
            painter.fillRect(x, baseline - metrics.xHeight() // 2 - 1, _LEGEND_SWATCH,
                             _TAG_LINE, color)
            x += _LEGEND_SWATCH + 4
            painter.setPen(text)
            painter.drawText(x, baseline, label)
            x += metrics.horizontalAdvance(label) + 12
        if unmarked:
            painter.setPen(quiet)
            painter.drawText(x, baseline, f"no line: {', '.join(unmarked)}")

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        """A click moves the cursor; shift+click brushes the tokens from the cursor to
        the clicked one (the Corpus dock's "Units from selection")."""
        index = self.chip_at(int(event.position().x()), int(event.position().y()))
        self.pressed = index
        if index is None:
            return
        session = self.strip.session
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            session.corpus_queries.set_brush(session.cursor, index + 1)
        else:
            session.set_cursor(index)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        """A drag from one chip to another brushes the tokens between them."""
        index = self.chip_at(int(event.position().x()), int(event.position().y()))
        self.setToolTip("" if index is None else self.strip.tooltip(index))
        if (event.buttons() & Qt.MouseButton.LeftButton and index is not None
                and self.pressed is not None and index != self.pressed):
            low, high = sorted((self.pressed, index))
            self.strip.session.corpus_queries.set_brush(low, high + 1)


class TokenStrip(QScrollArea):
    """Shows the session's tokens; chips are coloured by the chosen attribution
    (``shading``: ||dL/dx_t|| from the trace, or the session's attribution job's result,
    signed in two hues); for a tagger ``tags`` holds each token's predicted tag, drawn as
    a coloured underline."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.tokens: list[str] = []
        self.unknown: set[int] = set()
        self.current_step = 0
        self.shading: Shading | None = None
        self.tags: tuple[str, ...] | None = None
        self.tag_colors: dict[str, QColor | None] = {}
        self.canvas = _ChipCanvas(self)
        self.setWidget(self.canvas)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumHeight(_MIN_HEIGHT)
        session.trace_changed.connect(self._on_trace_changed)
        session.cursor_changed.connect(self._on_cursor_changed)
        session.corpus_queries.brush_changed.connect(self.canvas.update)
        session.options_changed.connect(self._show_shading)
        session.attribution_job.changed.connect(self._show_shading)
        if session.view is not None:
            self._on_trace_changed()

    def label(self, index: int, token: str) -> str:
        return shown_token(token)

    def tooltip(self, index: int) -> str:
        text = f"step {index}: “{self.tokens[index]}”"
        if index in self.unknown:
            text += " — unknown to the vocabulary, read as <unk>"
        if self.shading is not None:
            text += f" · {self.shading.describe(index)}"
        view = self.session.view
        answer = step_readout(view.trace, index) if self.tags and view is not None else None
        if answer is not None:
            tag, probability = answer.choices[0]
            text += f" · tagged {tag} (p = {probability:.2f})"
        return text

    def tag_color(self, index: int) -> QColor | None:
        """The underline colour of chip ``index``: None without tags or for "other"."""
        if self.tags is None:
            return None
        return self.tag_colors.get(self.tags[index])

    def _show_shading(self) -> None:
        """The chosen colouring, if it is there for the shown trace (a computed method
        arrives later through the attribution job); the tooltip says what it explains."""
        self.shading = current_shading(self.session.view, self.session.options.attribution,
                                       self.session.attribution_job.result)
        self.setToolTip("" if self.shading is None else self.shading.caption)
        self.canvas.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(400, 72)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self.canvas.relayout(self.viewport().width())

    def _on_trace_changed(self) -> None:
        view = self.session.view
        if view is None:
            return
        self.tokens = list(view.trace.tokens)
        self.unknown = set(view.trace.unknown)
        self.tags = view.tags
        self.tag_colors = {label: None if color is None else QColor(color)
                           for label, color in tag_colors(view.tag_labels).items()}
        self._show_shading()
        self.canvas.relayout(self.viewport().width())
        # The first line (legend, then chips) always fits: tags made it taller than the
        # dock gave, and cut chips plus a scroll bar for one line of words read badly.
        rects = self.canvas.chip_rects
        first_line = rects[0].bottom() + 1 + _GAP if rects else 0
        self.setMinimumHeight(max(_MIN_HEIGHT, first_line + 2 * self.frameWidth()))
        self._on_cursor_changed(self.session.cursor)  # the new trace's cursor: shown here

    def _on_cursor_changed(self, step: int) -> None:
        old = self.current_step
        self.current_step = step
        rects = self.canvas.chip_rects
        if 0 <= step < len(rects):
            self.ensureVisible(rects[step].center().x(), rects[step].center().y(), 0, 12)
        # Repaint only the chips between the old and the new step when they share a line.
        low, high = sorted((min(old, len(rects) - 1), min(step, len(rects) - 1)))
        if low < 0:
            return
        if rects[low].top() == rects[high].top():
            self.canvas.update(rects[low].united(rects[high]).adjusted(-3, -3, 3, 3))
        else:
            self.canvas.update()
