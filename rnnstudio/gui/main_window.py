"""The main window: docks around the heatmaps, all observing one Session.

It lays the panels out, opens files (models, sessions and traces alike, told apart by
their content), exports figures, and keeps the layout; the state it shows is the
session's.

Every failure (an open, a trace, an export, a bug) is one non-modal banner naming the
file and what to do, and the previous model and trace stay shown under their own name;
a bug is logged to ``crash.log`` and said as one (:func:`.jobs.bug_message`). Open recent
holds only files that opened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QCoreApplication, QEvent, QRect, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QFrame,
    QLabel,
    QMainWindow,
    QProgressBar,
    QScrollArea,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from ..errors import RnnStudioError
from ..io import load_trace
from ..io.session_file import SessionFile, is_session_file, load_session, save_session
from ..io.sniff import is_trace_file
from ..view.lessons import Lesson
from . import export
from .actions import fill_recent_menu, install_actions
from .desktop.identity import window_title
from .jobs import bug_message
from .session import Session
from .session_files import restore, snapshot
from .settings import Settings
from .widgets.compare_panel import ComparePanel
from .widgets.gradients import GradientPanel
from .widgets.heatmaps import HeatmapPanel
from .widgets.lesson_panel import LessonPanel
from .widgets.message_bar import MessageBar
from .widgets.model_panel import ModelPanel
from .widgets.step_view import StepView
from .widgets.text_input import TextInput
from .widgets.token_strip import TokenStrip
from .widgets.training_panel import TrainingPanel
from .widgets.transport import Transport
from .widgets.unit_inspector import UnitInspector
from .window_dialogs import WindowDialogs

#: The dock a dock hidden at start is tabbed with when first shown. A lesson goes beside
#: Model, not above This step: split there, the six bar charts it asks the student to
#: watch were 15 px tall at 1280 x 720; a lesson sets the model, so Model can wait.
_FIRST_PLACE = {"lessons": "model", "training": "model"}


def _scrolling(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless scroll area: its dock may be shorter than the form."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    return area


class MainWindow(QMainWindow):
    """Builds the docks, wires errors and status, persists layout through ``Settings``."""

    def __init__(self, session: Session, settings: Settings) -> None:
        super().__init__()
        self.session = session
        self.settings = settings
        self.dialogs = WindowDialogs(self)
        self.setWindowTitle("RNN Studio")
        self.setObjectName("main_window")
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.message_bar = MessageBar()
        self.heatmaps = HeatmapPanel(session)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.message_bar)
        layout.addWidget(self.heatmaps, 1)
        self.setCentralWidget(central)
        self.text_input = TextInput(session)
        self.token_strip = TokenStrip(session)
        self.step_view = StepView(session)
        self.gradients = GradientPanel(session)
        self.unit_inspector = UnitInspector(session)
        self.model_panel = ModelPanel(session)
        self.transport = Transport(session)
        self.compare = ComparePanel(session)
        self.lesson_panel = LessonPanel(session)
        self.training = TrainingPanel(session)
        self.panels: dict[str, Any] = {"heatmaps": self.heatmaps, "gradients": self.gradients,
                                       "this step": self.step_view,
                                       "unit inspector": self.unit_inspector,
                                       "compare": self.compare}
        self.docks: dict[str, QDockWidget] = {}
        self._build_docks()
        self.named_actions = install_actions(self)
        self.status_label = QLabel(session.status)
        self.statusBar().addWidget(self.status_label, 1)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.statusBar().addPermanentWidget(self.progress)
        session.progress_changed.connect(self._on_progress)
        #: A model file being opened in the worker: it enters Open recent once shown.
        self._opening: Path | None = None
        session.model_changed.connect(self._on_model_changed)
        self._show_model_in_title()
        session.status_changed.connect(self.status_label.setText)
        session.error_raised.connect(self._on_session_error)
        session.text_changed.connect(self._forget_opening)  # an edit supersedes the open
        session.trace_changed.connect(self.message_bar.hide)
        session.busy_changed.connect(self._on_busy)
        session.lesson_changed.connect(self._on_lesson)
        session.options_changed.connect(self._on_options_changed)
        session.saved.connect(lambda path: self.statusBar().showMessage(
            f"Saved the trace to {path}", 8000))
        self.model_panel.open_requested.connect(self.dialogs.choose_file_to_open)
        self.default_state = self.saveState()
        self._fit_to_screen(1600, 1000)
        self._size_docks()
        self._restore_settings()
        self._on_options_changed()

    def _size_docks(self) -> None:
        """Side columns and the gradients in proportion to the window: fixed sizes made
        for 1600 x 1000 left the heatmaps 230 px and the gradient plot 30 px on a 720p
        projector. This step keeps its 320 px; an open lesson widens the left column
        and takes its middle (about 45 characters a line, 9 lines at 1280 x 720)."""
        width, height = self.width(), self.height()
        lesson = self.docks["lessons"].isVisible()
        self.resizeDocks([self.docks["input"], self.docks["step"]],
                         [round(width * (0.3 if lesson else 0.24)),
                          max(320, round(width * 0.28))], Qt.Orientation.Horizontal)
        # With its explanation open (screens >= 900 px) the gradient plot was 50 px.
        explained = self.gradients.explain_button.isChecked()
        self.resizeDocks([self.docks["gradients"]], [round(height * (0.42 if explained
                                                                     else 0.32))],
                         Qt.Orientation.Vertical)
        # Shares of the column (what menus, toolbars and status bar leave); Input gets
        # at least its minimum (215 px), the unit inspector's plot 120 px at 1280 x 720.
        column = height - self._bars_height()
        middle = self.docks["lessons"] if lesson else self.docks["model"]
        shares = (0.3, 0.4, 0.3) if lesson else (0.3, 0.3, 0.4)
        self.resizeDocks([self.docks["input"], middle, self.docks["unit"]],
                         [round(column * share) for share in shares], Qt.Orientation.Vertical)

    def _bars_height(self) -> int:
        """Height of the menu, tool and status bars: what the dock columns do not get."""
        across = (Qt.ToolBarArea.TopToolBarArea, Qt.ToolBarArea.BottomToolBarArea)
        bars: list[QWidget] = [self.menuBar(), self.statusBar()]
        bars += [bar for bar in self.findChildren(QToolBar) if self.toolBarArea(bar) in across]
        return sum(bar.sizeHint().height() for bar in bars if not bar.isHidden())

    def available_geometry(self) -> QRect | None:
        """The window's screen less panels and task bars (None before it has a screen)."""
        return self.screen().availableGeometry() if self.screen() else None

    def _fit_to_screen(self, width: int, height: int) -> None:
        """Start at ``width`` x ``height`` or 95 % of a smaller screen."""
        screen = self.available_geometry()
        if screen is not None:
            width = min(width, int(screen.width() * 0.95))
            height = min(height, int(screen.height() * 0.95))
        self.resize(width, height)

    def keep_on_screen(self) -> None:
        """Shrink and move the window into the screen's available geometry (a layout
        restored from a larger monitor, or docks that asked for more, grew it past)."""
        screen = self.available_geometry()
        if screen is None:
            return
        frame = self.frameGeometry()
        extra_width = frame.width() - self.width()
        extra_height = frame.height() - self.height()
        width = min(self.width(), screen.width() - extra_width)
        height = min(self.height(), screen.height() - extra_height)
        if (width, height) != (self.width(), self.height()):
            self.resize(width, height)
        frame = self.frameGeometry()
        # Past the right or bottom edge moves back; the top left corner stays visible.
        left = max(min(frame.left(), screen.right() + 1 - frame.width()), screen.left())
        top = max(min(frame.top(), screen.bottom() + 1 - frame.height()), screen.top())
        if (left, top) != (frame.left(), frame.top()):
            self.move(left, top)

    def _dock(self, key: str, title: str, widget: QWidget,
              area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")  # saveState/restoreState find docks by name
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[key] = dock
        return dock

    def _build_docks(self) -> None:
        area = Qt.DockWidgetArea
        input_widget = QWidget()
        input_layout = QVBoxLayout(input_widget)
        input_layout.setContentsMargins(0, 0, 0, 0)
        input_layout.addWidget(self.text_input)
        self.saliency_box = QCheckBox("colour tokens by saliency ||dL/dx_t||")
        self.saliency_box.toggled.connect(self.session.set_saliency_shown)
        self.saliency_box.setToolTip("Tint each token by how much the loss depends on it")
        input_layout.addWidget(self.saliency_box)
        input_layout.addWidget(self.token_strip, 1)
        self._dock("input", "Input", input_widget, area.LeftDockWidgetArea)
        # Forms scroll rather than set the window's height: the Model dock's form alone
        # asked for 438 px and the left column for 897, taller than a 720p projector.
        self._dock("model", "Model", _scrolling(self.model_panel), area.LeftDockWidgetArea)
        # Below ~320 px the bar charts and the equations (one line each) stop being
        # legible; on a narrow screen the heatmaps give way instead.
        self.step_view.setMinimumWidth(320)
        self._dock("step", "This step", self.step_view, area.RightDockWidgetArea)
        # Side columns run full height, so the gradients sit right under the heatmaps and
        # share their time axis visually.
        corner = Qt.Corner
        self.setCorner(corner.BottomLeftCorner, area.LeftDockWidgetArea)
        self.setCorner(corner.BottomRightCorner, area.RightDockWidgetArea)
        self._dock("gradients", "Gradients through time", self.gradients,
                   area.BottomDockWidgetArea)
        self._dock("unit", "Unit inspector", self.unit_inspector, area.LeftDockWidgetArea)
        # Compare needs width for its time axis: it starts as its own window, hidden.
        compare = self._dock("compare", "Compare models", self.compare,
                             area.RightDockWidgetArea)
        compare.hide()  # first: a floating dock is shown (and computes) as it floats
        compare.setFloating(True)
        compare.resize(1300, 860)
        # Hidden until asked for; tabbed with a partner when first shown (tabifying a
        # hidden dock at start left a stray tab bar over the unit inspector).
        self._dock("lessons", "Lesson", self.lesson_panel, area.LeftDockWidgetArea).hide()
        self._dock("training", "Training", _scrolling(self.training),
                   area.LeftDockWidgetArea).hide()
        transport_bar = QToolBar("Transport", self)
        transport_bar.setObjectName("transport_toolbar")
        transport_bar.addWidget(self.transport)
        self.addToolBar(Qt.ToolBarArea.BottomToolBarArea, transport_bar)

    def show_panel(self, key: str) -> None:
        """Show a dock (lessons and menus open panels by their key) and bring it forward;
        the window stays within the screen, and so does Compare's own window."""
        dock = self.docks[key]
        placing = dock.isHidden() and key in _FIRST_PLACE
        if placing:
            self._place_first(dock, self.docks[_FIRST_PLACE[key]])
        elif key == "compare" and dock.isHidden() and dock.isFloating():
            self._fit_floating(dock)
        dock.show()
        dock.raise_()
        if placing and key == "lessons":
            self._size_docks()
        self.keep_on_screen()

    def _place_first(self, dock: QDockWidget, partner: QDockWidget) -> None:
        """Tab ``dock`` with ``partner``, or put it in the left column without one."""
        if not partner.isHidden() and not partner.isFloating():
            if dock not in self.tabifiedDockWidgets(partner):
                self.tabifyDockWidget(partner, dock)
        else:
            dock.setFloating(False)
            self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)

    def _fit_floating(self, dock: QDockWidget) -> None:
        """A floating dock at most 90 % of the screen, centred on the window's screen."""
        screen = self.available_geometry()
        if screen is None:
            return
        width = min(dock.width(), int(screen.width() * 0.9))
        height = min(dock.height(), int(screen.height() * 0.9))
        dock.resize(width, height)
        dock.move(screen.center().x() - width // 2, screen.center().y() - height // 2)

    def _on_lesson(self) -> None:
        """Open the lesson's text and the panels its stage names (unknown names: ignored,
        a lesson file test checks them)."""
        lesson = self.session.lesson
        if lesson is None:
            return
        self.show_panel("lessons")
        for key in lesson.stages[self.session.lesson_stage].panels:
            if key in self.docks:
                self.show_panel(key)

    # --- errors, status ---------------------------------------------------------------

    def show_error(self, message: str) -> None:
        """Non-modal: a banner above the heatmaps and the status bar; nothing is lost."""
        self.message_bar.show_message(message)
        self.statusBar().showMessage(message, 10_000)

    def _on_busy(self, busy: bool) -> None:
        if busy:
            self.statusBar().showMessage("computing…")
        else:
            self.statusBar().clearMessage()
            self.progress.hide()

    def _on_progress(self, label: str, done: int, total: int) -> None:
        """Long work shows what it is and how far it got (at most 10 reports a second)."""
        running = self.session.busy and total > 0 and done < total
        if running:
            what = "||dh_T/dh_t||" if label == "jacobian" else "reading the text"
            self.statusBar().showMessage(f"computing {what}… {done}/{total}")
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setVisible(running)

    def _show_model_in_title(self) -> None:
        self.setWindowTitle(window_title(self.session.source.title))

    def _on_model_changed(self) -> None:
        self._show_model_in_title()
        source, opening = self.session.source, self._opening
        if opening is not None and source.kind == "file" and source.path == opening:
            self._opening = None
            self._remember_recent(opening)

    def _on_session_error(self, message: str) -> None:
        """The session's errors; one that ends a model file's open names the file."""
        opening, self._opening = self._opening, None
        if opening is None:
            self.show_error(message)
        else:
            self._open_failed(opening, message)

    def _forget_opening(self) -> None:
        self._opening = None

    def _on_options_changed(self) -> None:
        shown = self.session.options.saliency
        for control in (self.saliency_box, self.named_actions["saliency"]):
            control.blockSignals(True)
            control.setChecked(shown)
            control.blockSignals(False)

    # --- files ------------------------------------------------------------------------

    def open_file(self, path: str | Path) -> None:
        """Open a model, a session or a trace, told apart by content (not extension).
        A model loads in the worker; on failure the old one stays. The file enters Open
        recent only once it opened (a model: once its trace is shown)."""
        path = Path(path)
        self._opening = None
        try:
            if is_session_file(path):
                self.open_session(load_session(path))
            elif is_trace_file(path):
                self.session.show_trace(load_trace(path), path.name)
            else:
                self._opening = path
                self.session.open_model_file(path)
                return
        except RnnStudioError as error:
            self._open_failed(path, str(error))
            return
        except Exception as error:  # a reader's bug: said as one, logged, window intact
            self._open_failed(path, bug_message("open", str(path), error))
            return
        self._remember_recent(path)

    def _open_failed(self, path: Path, message: str) -> None:
        """Say why ``path`` did not open and drop it from Open recent."""
        self.settings.remove_recent_file(str(path))
        fill_recent_menu(self)
        self._failed(path, message, "open")

    def _failed(self, path: str | Path, message: str, doing: str) -> None:
        """Show ``message``, naming ``path`` when it does not already."""
        if Path(path).name not in message:
            message = f"Could not {doing} {path}: {message}"
        self.show_error(message)

    def _remember_recent(self, path: Path) -> None:
        self.settings.add_recent_file(str(path))
        fill_recent_menu(self)

    def open_session(self, state: SessionFile) -> None:
        """Reopen a saved session: the model, text, loss, where the cursor was, the view
        options, the lesson and the Compare set; the dock layout when it has one."""
        if state.docks:
            self.restoreState(QByteArray.fromBase64(state.docks.encode("ascii")))
        restore(self.session, state, self.lessons)

    def save_session(self, path: str | Path) -> bool:
        """Write the window's session to ``path`` (atomic); False, and why, on failure."""
        presentation = self.named_actions.presentation
        layout = presentation.docks_to_keep() if presentation else self.saveState()
        docks = bytes(QByteArray(layout).toBase64().data()).decode("ascii")
        return self._guarded(lambda: save_session(snapshot(self.session, docks), path),
                             path, f"Saved the session to {path}")

    @property
    def lessons(self) -> list[Lesson]:
        return self.lesson_panel.lessons

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt API)
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt API)
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            self.open_file(urls[0].toLocalFile())

    # --- export -----------------------------------------------------------------------

    def scene_of(self, panel: Any) -> Any:
        graphics = getattr(panel, "graphics", None) or panel.plot_widget
        return graphics.scene()

    def export_panel(self, name: str, path: str | Path, width: int | None = None) -> bool:
        """Save one panel as PNG, SVG or PDF, drawn as ``rnnstudio plot`` draws it (the same
        picture whatever the dock's size; Compare as it is on screen); returns False (and
        shows why) on failure."""
        width = width or self.settings.export_width
        if name == "compare":
            return self._guarded(lambda: export.export_figure(
                export.plot_items_of(self.compare), path, width), path,
                f"Saved {name} to {path}")
        return self._guarded(lambda: export.render_panel(self.session, name, path, width),
                             path, f"Saved {name} to {path}")

    def export_window(self, path: str | Path, width: int | None = None) -> bool:
        return self._guarded(lambda: export.export_widget_png(self, path, width), path,
                             f"Saved the window to {path}")

    def export_trace(self, path: str | Path) -> bool:
        """Start saving the trace in a worker (a long CSV takes seconds); True if started.
        The session's ``saved`` or ``error_raised`` reports the outcome."""
        if not self._guarded(lambda: export.check_trace_path(path), path, ""):
            return False
        if self.session.save_trace(path):
            self.statusBar().showMessage(f"saving the trace to {path}…")
            return True
        return False

    def _guarded(self, work: Any, path: str | Path, done_message: str) -> bool:
        """Run ``work`` writing ``path``; False, and a message naming it, on failure."""
        try:
            work()
        except RnnStudioError as error:
            self._failed(path, str(error), "write")
            return False
        except OSError as error:
            self._failed(path, f"{error.strerror or error}; choose another folder or name",
                         "write")
            return False
        except Exception as error:  # a bug: said as one, logged, the window carries on
            self.show_error(bug_message("export", str(path), error))
            return False
        if done_message:
            self.statusBar().showMessage(done_message, 8000)
        return True

    # --- layout and settings ----------------------------------------------------------

    def reset_layout(self) -> None:
        """The layout of a first start, fitted to the current screen: Lesson, Training
        and Compare closed (the Lessons menu or a new stage reopens the lesson). Showing
        every dock before restoring grew the window to 1520 x 1380 at 1280 x 720."""
        for key in ("lessons", "training", "compare"):
            dock = self.docks[key]
            if key in _FIRST_PLACE:  # out of Model's tab group
                self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
            dock.hide()
        # Apply that before restoring: restored at once, the group's tab bar stayed on
        # screen over the unit inspector (seen under Xvfb, Qt 6).
        QCoreApplication.sendPostedEvents(self, QEvent.Type.LayoutRequest)
        self.restoreState(self.default_state)
        self._fit_to_screen(self.width(), self.height())
        self.keep_on_screen()
        self._size_docks()  # a layout that fits this window, not the one it started at

    def _restore_settings(self) -> None:
        """Geometry and layout as saved; one Qt cannot read (hand-edited, or from another
        release) is forgotten and the default layout stays."""
        settings = self.settings
        geometry, state = settings.geometry, settings.window_state
        restored = ((geometry.isEmpty() or self.restoreGeometry(geometry))
                    and (state.isEmpty() or self.restoreState(state)))
        if not restored:
            self.restoreState(self.default_state)
            settings.forget_window()
        self.keep_on_screen()
        fill_recent_menu(self)

    def save_settings(self) -> None:
        """The window's geometry and layout, and the whole session for the next start
        (a model trained here and never saved cannot be reopened: the text still is)."""
        settings = self.settings
        settings.save_window(QByteArray(self.saveGeometry()), QByteArray(self.saveState()))
        settings.sync()
        state = snapshot(self.session)
        try:
            save_session(state, settings.last_session_path)
            settings.remember_text("")
        except RnnStudioError:
            settings.remember_text(state.text)
            settings.last_session_path.unlink(missing_ok=True)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API)
        self.save_settings()
        self.session.shutdown()
        super().closeEvent(event)
