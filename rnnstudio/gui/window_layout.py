"""Where the main window's docks go, and how big they are, on any screen.

The layout is made for a 1280 x 720 classroom projector as much as for a 4K desk: sizes
are shares of the window, not pixels (fixed sizes made for 1600 x 1000 left the heatmaps
230 px and the gradient plot 30 px at 720p); forms scroll rather than set the window's
height; the window never grows past its screen; panels hidden at start (Lesson,
Training, Compare) open where they leave the others legible. The reasons for each
choice sit beside it below.

The window's screen comes from :meth:`MainWindow.available_geometry`, a seam the tests
replace to simulate a screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QDockWidget, QFrame, QScrollArea, QToolBar, QWidget

if TYPE_CHECKING:
    from .main_window import MainWindow

_AREA = Qt.DockWidgetArea
#: The dock a dock hidden at start is tabbed with when first shown, and the area it goes
#: to without that partner. A lesson goes beside Model, not above This step: split
#: there, the six bar charts it asks the student to watch were 15 px tall at 1280 x 720;
#: a lesson sets the model, so Model can wait. Training goes beside the gradients, wide
#: and short: tabbed with Model its curves were below the fold on every screen, the
#: user pressed Start and saw no curve.
_FIRST_PLACE = {"lessons": ("model", _AREA.LeftDockWidgetArea),
                "training": ("gradients", _AREA.BottomDockWidgetArea),
                "write": ("gradients", _AREA.BottomDockWidgetArea),
                "paths": ("gradients", _AREA.BottomDockWidgetArea),
                "saturation": ("gradients", _AREA.BottomDockWidgetArea),
                "trajectory": ("gradients", _AREA.BottomDockWidgetArea),
                "interventions": ("gradients", _AREA.BottomDockWidgetArea),
                "corpus": ("gradients", _AREA.BottomDockWidgetArea)}
#: The bottom area's share of the window's height with Training (or another dock of two
#: plots or a plot and its words) open: its plots' data areas at least 120 px tall at
#: 1280 x 720 (128 and 145 px measured under Xvfb).
_TRAINING_SHARE = 0.45
#: The docks given that share when first shown.
_TALL_AT_FIRST = ("training", "paths", "saturation", "trajectory", "interventions",
                  "corpus")
#: The left column's share of the window's width with a lesson open (about 45
#: characters a line at 1280 x 720).
_LESSON_COLUMN_SHARE = 0.3
#: The docks under the heatmaps in a lesson, tabbed, the one a stage names first in
#: front; split, or in the left column beside the lesson, each had 10-50 px of data.
#: Their share of the window's height when in front: data areas of at least 80 px at
#: 1280 x 720 (the gradients carry an alarm line, a loss row and a two-row legend; at
#: 0.42 their data area was 15 px in 04-vanishing).
_PLOTS_BELOW = {"training": _TRAINING_SHARE, "unit": 0.4, "gradients": 0.52}
#: The gradients' share beside a gated cell's heatmaps (3 to 6 rows): at 0.52 an LSTM's
#: six rows were 14 px each at 1280 x 720; the gradients keep 80 px without an alarm line.
_GRADIENTS_BESIDE_GATES = 0.49
#: The right column's share of the window's width when a lesson puts Compare there: the
#: most that leaves the heatmaps their minimum (389 px) beside a lesson's column at 1280.
_COMPARE_BESIDE_SHARE = 0.37


def _scrolling(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless scroll area: its dock may be shorter than the form."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    return area


class WindowLayout:
    """Builds, places and sizes the docks of ``window``; keeps it on its screen."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        #: The dock under the heatmaps a lesson's stage shows in front.
        self.front_plot = "gradients"
        #: Whether the next trace (the lesson part's model) sizes the plots below again.
        self._resize_on_trace = False
        window.session.trace_changed.connect(self._on_trace)

    # --- building ---------------------------------------------------------------------

    def _dock(self, key: str, title: str, widget: QWidget,
              area: Qt.DockWidgetArea) -> QDockWidget:
        window = self.window
        dock = QDockWidget(title, window)
        dock.setObjectName(f"dock_{key}")  # saveState/restoreState find docks by name
        dock.setWidget(widget)
        window.addDockWidget(area, dock)
        window.docks[key] = dock
        return dock

    def build_docks(self, input_widget: QWidget) -> None:
        """Every dock in its first-start place, and the transport bar under them."""
        window, area = self.window, Qt.DockWidgetArea
        self._dock("input", "Input", input_widget, area.LeftDockWidgetArea)
        # Forms scroll rather than set the window's height: the Model dock's form alone
        # asked for 438 px and the left column for 897, taller than a 720p projector.
        self._dock("model", "Model", _scrolling(window.model_panel), area.LeftDockWidgetArea)
        # Below ~320 px the bar charts and the equations (one line each) stop being
        # legible; on a narrow screen the heatmaps give way instead.
        window.step_view.setMinimumWidth(320)
        self._dock("step", "This step", window.step_view, area.RightDockWidgetArea)
        # Side columns run full height, so the gradients sit right under the heatmaps and
        # share their time axis visually.
        corner = Qt.Corner
        window.setCorner(corner.BottomLeftCorner, area.LeftDockWidgetArea)
        window.setCorner(corner.BottomRightCorner, area.RightDockWidgetArea)
        self._dock("gradients", "Gradients through time", window.gradients,
                   area.BottomDockWidgetArea)
        self._dock("unit", "Unit inspector", window.unit_inspector, area.LeftDockWidgetArea)
        # Compare needs width for its time axis: it starts as its own window, hidden.
        compare = self._dock("compare", "Compare models", window.compare,
                             area.RightDockWidgetArea)
        compare.hide()  # first: a floating dock is shown (and computes) as it floats
        compare.setFloating(True)
        compare.resize(1300, 860)
        # Hidden until asked for; tabbed with a partner when first shown (tabifying a
        # hidden dock at start left a stray tab bar over the unit inspector).
        self._dock("lessons", "Lesson", window.lesson_panel, area.LeftDockWidgetArea).hide()
        # No outer scroll area: the panel scrolls its form itself and keeps its plots
        # in view, whatever the dock's shape.
        self._dock("training", "Training", window.training, area.BottomDockWidgetArea).hide()
        self._dock("write", "Write", window.write_panel, area.BottomDockWidgetArea).hide()
        self._dock("paths", "Gradient paths", window.gradient_paths,
                   area.BottomDockWidgetArea).hide()
        self._dock("saturation", "Saturation", window.saturation,
                   area.BottomDockWidgetArea).hide()
        self._dock("trajectory", "Trajectory", window.trajectory,
                   area.BottomDockWidgetArea).hide()
        # The edits' form and their diff: wide and short, like Training. In a scroll
        # area: the form's minimum size, hidden, changed the layout presentation restores.
        self._dock("interventions", "Interventions", _scrolling(window.interventions),
                   area.BottomDockWidgetArea).hide()
        self._dock("corpus", "Corpus", window.corpus_panel, area.BottomDockWidgetArea).hide()
        transport_bar = QToolBar("Transport", window)
        transport_bar.setObjectName("transport_toolbar")
        transport_bar.addWidget(window.transport)
        window.addToolBar(Qt.ToolBarArea.BottomToolBarArea, transport_bar)

    # --- sizing -----------------------------------------------------------------------

    def size_docks(self) -> None:
        """Side columns and the gradients in proportion to the window: fixed sizes made
        for 1600 x 1000 left the heatmaps 230 px and the gradient plot 30 px on a 720p
        projector. This step keeps its 320 px; an open lesson widens the left column
        (about 45 characters a line at 1280 x 720) and has all of it below Input."""
        window, docks = self.window, self.window.docks
        width, height = window.width(), window.height()
        lesson = docks["lessons"].isVisible()
        window.resizeDocks([docks["input"], docks["step"]],
                           [round(width * (_LESSON_COLUMN_SHARE if lesson else 0.24)),
                            max(320, round(width * 0.28))], Qt.Orientation.Horizontal)
        # With its explanation open (screens >= 900 px) the gradient plot was 50 px; a
        # lesson's plots under the heatmaps (gradients, unit inspector) had 25 px at
        # 1280 x 720 (04-vanishing, seen).
        below = self._plots_share() if lesson else (
            0.42 if window.gradients.explain_button.isChecked() else 0.32)
        window.resizeDocks([docks["gradients"]], [round(height * below)],
                           Qt.Orientation.Vertical)
        column = height - self._bars_height()
        if lesson:  # Input as tall as its (compact) content, the lesson the rest
            wanted = docks["input"].sizeHint().height()
            window.resizeDocks([docks["input"], docks["lessons"]],
                               [wanted, column - wanted], Qt.Orientation.Vertical)
            return
        # Shares of the column (what menus, toolbars and status bar leave); Input gets
        # at least its minimum (215 px), the unit inspector's plot 120 px at 1280 x 720.
        window.resizeDocks([docks["input"], docks["model"], docks["unit"]],
                           [round(column * share) for share in (0.3, 0.3, 0.4)],
                           Qt.Orientation.Vertical)

    def _plots_share(self) -> float:
        """The front plot's share of the height below the heatmaps in a lesson."""
        view = self.window.session.view
        if (self.front_plot == "gradients" and view is not None
                and len(view.layer.heatmaps) > 2):
            return _GRADIENTS_BESIDE_GATES
        return _PLOTS_BELOW[self.front_plot]

    def _on_trace(self) -> None:
        """Once per lesson part, with its model's trace: the heatmaps' count is known."""
        window = self.window
        if self._resize_on_trace and window.docks["lessons"].isVisible():
            self._resize_on_trace = False
            window.resizeDocks([window.docks[self.front_plot]],
                               [round(window.height() * self._plots_share())],
                               Qt.Orientation.Vertical)
            QCoreApplication.sendPostedEvents(window, QEvent.Type.LayoutRequest)

    def _bars_height(self) -> int:
        """Height of the menu, tool and status bars: what the dock columns do not get."""
        window = self.window
        across = (Qt.ToolBarArea.TopToolBarArea, Qt.ToolBarArea.BottomToolBarArea)
        bars: list[QWidget] = [window.menuBar(), window.statusBar()]
        bars += [bar for bar in window.findChildren(QToolBar)
                 if window.toolBarArea(bar) in across]
        return sum(bar.sizeHint().height() for bar in bars if not bar.isHidden())

    def fit_to_screen(self, width: int, height: int) -> None:
        """Start at ``width`` x ``height`` or 95 % of a smaller screen."""
        screen = self.window.available_geometry()
        if screen is not None:
            width = min(width, int(screen.width() * 0.95))
            height = min(height, int(screen.height() * 0.95))
        self.window.resize(width, height)

    def keep_on_screen(self) -> None:
        """Shrink and move the window into the screen's available geometry (a layout
        restored from a larger monitor, or docks that asked for more, grew it past)."""
        window = self.window
        screen = window.available_geometry()
        if screen is None:
            return
        frame = window.frameGeometry()
        extra_width = frame.width() - window.width()
        extra_height = frame.height() - window.height()
        width = min(window.width(), screen.width() - extra_width)
        height = min(window.height(), screen.height() - extra_height)
        if (width, height) != (window.width(), window.height()):
            window.resize(width, height)
        frame = window.frameGeometry()
        # Past the right or bottom edge moves back; the top left corner stays visible.
        left = max(min(frame.left(), screen.right() + 1 - frame.width()), screen.left())
        top = max(min(frame.top(), screen.bottom() + 1 - frame.height()), screen.top())
        if (left, top) != (frame.left(), frame.top()):
            window.move(left, top)

    # --- opening panels ---------------------------------------------------------------

    def show_panel(self, key: str) -> None:
        """Show a dock (lessons and menus open panels by their key) and bring it forward;
        the window stays within the screen, and so does Compare's own window."""
        window = self.window
        dock = window.docks[key]
        placing = dock.isHidden() and key in _FIRST_PLACE
        if placing:
            partner, area = _FIRST_PLACE[key]
            self._place_first(dock, window.docks[partner], area)
        elif key == "compare" and dock.isHidden() and dock.isFloating():
            self._fit_floating(dock)
        dock.show()
        dock.raise_()
        if placing and key == "lessons":
            self.size_docks()
        if (placing and key in _TALL_AT_FIRST and not dock.isFloating()
                and window.dockWidgetArea(dock) == _AREA.BottomDockWidgetArea):
            # Resized within the window: the window itself does not grow. The saturation
            # scatter too: at the gradients' 0.32 its data area was 34 px at 1280 x 720.
            window.resizeDocks([dock], [round(window.height() * _TRAINING_SHARE)],
                               Qt.Orientation.Vertical)
        self.keep_on_screen()

    def _place_first(self, dock: QDockWidget, partner: QDockWidget,
                     area: Qt.DockWidgetArea) -> None:
        """Tab ``dock`` with ``partner``, or put it in ``area`` without one."""
        window = self.window
        if not partner.isHidden() and not partner.isFloating():
            if dock not in window.tabifiedDockWidgets(partner):
                window.tabifyDockWidget(partner, dock)
        else:
            dock.setFloating(False)
            window.addDockWidget(area, dock)

    def _fit_floating(self, dock: QDockWidget) -> None:
        """A floating dock at most 90 % of the screen, centred on the window's screen."""
        screen = self.window.available_geometry()
        if screen is None:
            return
        width = min(dock.width(), int(screen.width() * 0.9))
        height = min(dock.height(), int(screen.height() * 0.9))
        dock.resize(width, height)
        dock.move(screen.center().x() - width // 2, screen.center().y() - height // 2)

    def open_lesson_panels(self) -> None:
        """Open the lesson's text and the panels its stage names (unknown names: ignored,
        a lesson file test checks them).

        The lesson is what the student reads: it has the left column below a compact
        Input, Model tabbed behind it; the unit inspector goes under the heatmaps,
        tabbed with the gradients (and Training), the plot the stage names in front. At
        1280 x 720 the lesson showed 4 lines and the unit inspector 10 px of data."""
        window = self.window
        session = window.session
        lesson = session.lesson
        if lesson is None:
            return
        self.show_panel("lessons")
        window.text_input.set_compact(True)
        self._gather_plots_below()
        stage = lesson.stages[session.lesson_stage]
        named = (*(("training",) if stage.training else ()), *stage.panels)
        self.front_plot = next((key for key in named if key in _PLOTS_BELOW), "gradients")
        self._resize_on_trace = True
        self.size_docks()
        # Last named first: docks that share a column end as tabs with the first-named
        # in front (03-short-memory named Compare, then This step, and showed This step).
        for key in reversed(named):
            if key == "compare":
                self.show_compare_beside()
            elif key in window.docks:
                self.show_panel(key)
        window.docks[self.front_plot].raise_()
        # Laid out now: half-applied, the layout saveState wrote did not come back byte
        # for byte after presentation mode.
        QCoreApplication.sendPostedEvents(window, QEvent.Type.LayoutRequest)

    def _gather_plots_below(self) -> None:
        """The unit inspector tabbed with the gradients, under the heatmaps."""
        window = self.window
        gradients, unit = window.docks["gradients"], window.docks["unit"]
        if gradients.isFloating() or window.dockWidgetArea(
                gradients) != _AREA.BottomDockWidgetArea:
            gradients.setFloating(False)
            window.addDockWidget(_AREA.BottomDockWidgetArea, gradients)
        gradients.show()
        if unit not in window.tabifiedDockWidgets(gradients):
            unit.setFloating(False)
            window.tabifyDockWidget(gradients, unit)
        unit.show()

    def show_compare_beside(self) -> None:
        """Compare in the right column, tabbed with This step and widened to
        :data:`_COMPARE_BESIDE_SHARE` of the window: the heatmaps stay beside it and the
        lesson's column is not covered (as its own window Compare took 1152 x 648 px of
        a 1280 x 720 screen, over the lesson's text)."""
        window = self.window
        dock, partner = window.docks["compare"], window.docks["step"]
        if dock.isFloating() or window.dockWidgetArea(dock) != _AREA.RightDockWidgetArea:
            dock.setFloating(False)
            self._place_first(dock, partner, _AREA.RightDockWidgetArea)
        dock.show()
        dock.raise_()
        # Both columns at once: resized alone, Compare took half its width from the
        # lesson's column (288 px left of 384 at 1280 x 720); the heatmaps give way.
        width = window.width()
        window.resizeDocks([window.docks["input"], dock],
                           [round(width * _LESSON_COLUMN_SHARE),
                            round(width * _COMPARE_BESIDE_SHARE)], Qt.Orientation.Horizontal)
        self.keep_on_screen()

    # --- reset ------------------------------------------------------------------------

    def reset(self) -> None:
        """The layout of a first start, fitted to the current screen: Compare and every
        dock hidden at start (Lesson, Training, ...) closed (the Lessons menu or a new
        stage reopens the lesson). Showing every dock before restoring grew the window
        to 1520 x 1380 at 1280 x 720."""
        window = self.window
        window.text_input.set_compact(False)
        # Out of the gradients' tab group, where a lesson put it.
        window.addDockWidget(_AREA.LeftDockWidgetArea, window.docks["unit"])
        for key in ("compare", *_FIRST_PLACE):
            dock = window.docks[key]
            if key in _FIRST_PLACE:  # out of its partner's tab group
                window.addDockWidget(_FIRST_PLACE[key][1], dock)
            dock.hide()
        # Apply that before restoring: restored at once, the group's tab bar stayed on
        # screen over the unit inspector (seen under Xvfb, Qt 6).
        QCoreApplication.sendPostedEvents(window, QEvent.Type.LayoutRequest)
        window.restoreState(window.default_state)
        self.fit_to_screen(window.width(), window.height())
        self.keep_on_screen()
        self.size_docks()  # a layout that fits this window, not the one it started at
