"""View > Presentation: the window as a lecturer projects it, and back exactly as it was.

Entering shows the heatmaps with one panel: the lesson text when a lesson is open, else
This step, unless the lecturer chose a panel (then it, and the lesson text of an open
lesson). One by default because at 720p two left too little: This step under the lesson
had 20 px bars, and the gradients under six LSTM heatmaps left them 28 px rows. A
lesson's next part keeps to this (the window would open the panels the part names).
Every other dock and the main toolbar hide (the transport stays: it is how the lecturer
steps). Text grows 1.4x, the step cursor is thicker and brighter (``theme.cursor_pen``),
and the window goes full screen.
Leaving (the same command, or Esc) puts back the dock layout (``saveState`` /
``restoreState``), the geometry, the window state and the font as they were. Closing the
window while presenting leaves first, so the settings keep the user's own layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import QByteArray, QCoreApplication, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QToolBar

from . import theme

if TYPE_CHECKING:
    from .main_window import MainWindow

#: Text size while presenting, relative to the window's: 10 pt labels read as 14 pt, about
#: what slide text is at the back of a room on a 1280 x 720 projector.
FONT_SCALE = 1.4
#: The panels presentation mode can show beside the heatmaps (dock key: menu text);
#: ``AUTOMATIC``: the lesson text when a lesson is open, else This step.
AUTOMATIC = "automatic"
PANELS = {AUTOMATIC: "The lesson, else This step", "step": "This step",
          "gradients": "Gradients through time", "unit": "Unit inspector"}
#: The toolbar that stays: its buttons and slider step through the sentence.
_KEPT_TOOLBAR = "transport_toolbar"


@dataclass(frozen=True)
class _Before:
    """What presenting changes, as it was before."""

    docks: QByteArray
    geometry: QByteArray
    window_state: Qt.WindowState
    font: QFont
    font_was_set: bool


def scaled_font(font: QFont, scale: float) -> QFont:
    """``font`` ``scale`` times larger, in points or in pixels as it was given."""
    larger = QFont(font)
    if font.pointSizeF() > 0:
        larger.setPointSizeF(font.pointSizeF() * scale)
    else:
        larger.setPixelSize(round(font.pixelSize() * scale))
    return larger


class Presentation(QObject):
    """Enters and leaves presentation mode for one window; ``changed(active)`` after."""

    changed = Signal(bool)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        #: The dock shown beside the heatmaps (a key of ``PANELS``).
        self.panel = AUTOMATIC
        self._before: _Before | None = None
        #: Each enlarged axis's own tick font (None: pyqtgraph's default), to put back.
        self._axis_fonts: dict[pg.AxisItem, QFont | None] = {}
        window.installEventFilter(self)
        # New heatmap rows (another model) take the presentation pens.
        window.session.trace_changed.connect(self._on_trace_changed)
        # Queued: after the window has opened the panels the lesson's part names.
        window.session.lesson_changed.connect(self._on_lesson_changed,
                                              Qt.ConnectionType.QueuedConnection)

    @property
    def active(self) -> bool:
        return self._before is not None

    def docks_to_keep(self) -> QByteArray:
        """The dock layout a saved session keeps: the one from before presenting, while
        presenting (a session saved in the room reopens at the desk as it was)."""
        return self._before.docks if self._before else self.window.saveState()

    def toggle(self) -> None:
        if self.active:
            self.leave()
        else:
            self.enter()

    def shown_docks(self) -> set[str]:
        """The docks presentation shows: the chosen panel and an open lesson's text."""
        lesson_open = self.window.session.lesson is not None
        if self.panel == AUTOMATIC:
            return {"lessons" if lesson_open else "step"}
        return {self.panel, "lessons"} if lesson_open else {self.panel}

    def enter(self) -> None:
        """Keep what the window looks like, then show it for the room."""
        window = self.window
        if self.active:
            return
        self._before = _Before(window.saveState(), window.saveGeometry(),
                               window.windowState(), QFont(window.font()),
                               window.testAttribute(Qt.WidgetAttribute.WA_SetFont))
        window.setFont(scaled_font(window.font(), FONT_SCALE))
        self._show_only_chosen_docks()
        for toolbar in window.findChildren(QToolBar):
            toolbar.setVisible(toolbar.objectName() == _KEPT_TOOLBAR)
        theme.set_presenting(True)
        self._restyle_cursors()
        self._enlarge_axes()
        window.showFullScreen()
        self._size_panel()
        self.changed.emit(True)

    def _show_only_chosen_docks(self) -> None:
        shown = self.shown_docks()
        for key, dock in self.window.docks.items():
            dock.setVisible(key in shown)

    def _on_lesson_changed(self) -> None:
        if self.active:
            self._show_only_chosen_docks()

    def _size_panel(self) -> None:
        """Panels beside the heatmaps a third of the screen wide; the gradients 45 % of
        its height (at 35 % their own controls left the plot 0 px at 720p): the heatmaps
        keep the rest."""
        screen = self.window.screen()
        width = screen.geometry().width() if screen else self.window.width()
        shown = self.shown_docks()
        beside = [self.window.docks[key] for key in shown - {"gradients"}]
        self.window.resizeDocks(beside, [round(width / 3)] * len(beside),
                                Qt.Orientation.Horizontal)
        if "gradients" in shown:
            height = screen.geometry().height() if screen else self.window.height()
            self.window.resizeDocks([self.window.docks["gradients"]], [round(height * 0.45)],
                                    Qt.Orientation.Vertical)

    def leave(self) -> None:
        """Put the layout, geometry, window state and font back as they were."""
        before, self._before = self._before, None
        if before is None:
            return
        window = self.window
        theme.set_presenting(False)
        self._restyle_cursors()
        for axis, font in self._axis_fonts.items():
            axis.setStyle(tickFont=font)
        self._axis_fonts.clear()
        window.setFont(before.font if before.font_was_set else QFont())
        # The large text's minimum sizes go first: a wide gradients caption at 1.4x
        # kept the window 1482 px wide on a 1280 px screen.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        window.setWindowState(before.window_state)
        window.restoreGeometry(before.geometry)
        window.restoreState(before.docks)
        # Lay it out now: Qt finishes a restored layout on the next pass, and a close
        # right after leaving saved the half-restored one.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        # Once more, now that the docks are back at the small font: a lesson's Compare
        # tabbed beside the heatmaps held the window 84 px wider than before until then.
        window.restoreGeometry(before.geometry)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        self.changed.emit(False)

    def _on_trace_changed(self) -> None:
        if self.active:
            self._restyle_cursors()
            self._enlarge_axes()

    def _enlarge_axes(self) -> None:
        """Time axes (tokens, steps) and unit axes 1.4x too: pyqtgraph draws ticks in its
        own font, not the window's. Vertical axes keep theirs: on 75 px heatmap rows the
        larger unit numbers ran into the next row's."""
        font = scaled_font(QFont(), FONT_SCALE)
        for view in self.window.findChildren(pg.GraphicsView):
            for item in view.scene().items():
                if (isinstance(item, pg.AxisItem) and item.orientation == "bottom"
                        and item not in self._axis_fonts):
                    self._axis_fonts[item] = item.style.get("tickFont")
                    item.setStyle(tickFont=font)

    def _restyle_cursors(self) -> None:
        """Give the step cursors already drawn the pens of the current mode."""
        lines, halos = cursor_lines(self.window)
        for line in lines:
            line.setPen(theme.cursor_pen())
        for halo in halos:
            halo.setPen(theme.cursor_halo_pen())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        """Closing while presenting: leave first, so the settings keep the real layout."""
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.leave()
        return False


def cursor_lines(window: MainWindow) -> tuple[list[pg.InfiniteLine], list[pg.InfiniteLine]]:
    """The step cursor lines of ``window``'s plots, and the halos under them."""
    rows = window.heatmaps.rows
    lines = [row.cursor for row in rows] + [window.gradients.cursor_line,
                                            window.unit_inspector.cursor_line]
    return lines, [row.cursor_halo for row in rows]
