"""The main window: docks around the heatmaps, all observing one Session.

It holds the panels (:mod:`.window_layout` places and sizes their docks), opens files
(models, sessions and traces alike, told apart by their content), exports figures, and
keeps the layout; the state it shows is the session's.

Every failure (an open, a trace, an export, a bug) is one non-modal banner naming the
file and what to do, and the previous model and trace stay shown under their own name;
a bug is logged to ``crash.log`` and said as one (:func:`.jobs.bug_message`). Open recent
holds only files that opened.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QRect
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from ..errors import RnnStudioError
from ..io import load_trace
from ..io.attribution_export import save_attribution
from ..io.corpus_reader import open_corpus
from ..io.name_map import KeyMap
from ..io.session_file import SessionFile, is_session_file, load_session, save_session
from ..io.sniff import is_trace_file
from ..view.attribution import STRIP_LABELS
from ..view.lessons import Lesson
from . import export
from .actions import fill_recent_menu, install_actions, token_colour_action_name
from .desktop.identity import window_title
from .jobs import bug_message
from .session import Session
from .session_files import restore, snapshot
from .settings import Settings
from .widgets.compare_panel import ComparePanel
from .widgets.corpus_panel import CorpusPanel
from .widgets.gradient_paths import GradientPathsPanel
from .widgets.gradients import GradientPanel
from .widgets.heatmaps import HeatmapPanel
from .widgets.interventions_panel import InterventionsPanel
from .widgets.lesson_panel import LessonPanel
from .widgets.message_bar import MessageBar
from .widgets.model_panel import ModelPanel
from .widgets.saturation_panel import SaturationPanel
from .widgets.step_view import StepView
from .widgets.text_input import TextInput
from .widgets.token_strip import TokenStrip
from .widgets.training_panel import TrainingPanel
from .widgets.trajectory import TrajectoryPanel
from .widgets.transport import Transport
from .widgets.unit_inspector import UnitInspector
from .widgets.write_panel import WritePanel
from .window_dialogs import WindowDialogs
from .window_layout import WindowLayout


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
        session.library.load_shipped()
        self.training = TrainingPanel(session)
        self.write_panel = WritePanel(session)
        self.gradient_paths = GradientPathsPanel(session)
        self.saturation = SaturationPanel(session)
        self.trajectory = TrajectoryPanel(session)
        self.interventions = InterventionsPanel(session)
        self.corpus_panel = CorpusPanel(session, opener=open_corpus)
        self.panels: dict[str, Any] = {"heatmaps": self.heatmaps, "gradients": self.gradients,
                                       "this step": self.step_view,
                                       "unit inspector": self.unit_inspector,
                                       "compare": self.compare}
        self.docks: dict[str, QDockWidget] = {}
        self.dock_layout = WindowLayout(self)
        self.dock_layout.build_docks(self._input_widget())
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
        session.details_needed.connect(self._on_details_needed)
        session.text_changed.connect(self._forget_opening)  # an edit supersedes the open
        session.trace_changed.connect(self.message_bar.hide)
        session.busy_changed.connect(self._on_busy)
        session.lesson_changed.connect(self.dock_layout.open_lesson_panels)
        session.options_changed.connect(self._on_options_changed)
        session.intervention_proposed.connect(lambda _edit: self.show_panel("interventions"))
        session.saved.connect(lambda path: self.statusBar().showMessage(
            f"Saved the trace to {path}", 8000))
        self.model_panel.open_requested.connect(self.dialogs.choose_file_to_open)
        self.default_state = self.saveState()
        self._fit_to_screen(1600, 1000)
        self._size_docks()
        self._restore_settings()
        self._on_options_changed()
        for folder in settings.lesson_folders:
            session.library.add_folder(folder)

    def _input_widget(self) -> QWidget:
        """The text box, the token-colouring choice and the token strip, one above the
        other."""
        input_widget = QWidget()
        input_layout = QVBoxLayout(input_widget)
        input_layout.setContentsMargins(0, 0, 0, 0)
        input_layout.addWidget(self.text_input)
        choice_row = QHBoxLayout()
        # The text box's 4 px margins: at 0 the label's first letter was cut by the window.
        choice_row.setContentsMargins(4, 0, 4, 0)
        choice_row.addWidget(QLabel("colour tokens by"))
        self.attribution_box = QComboBox()
        for choice, text in STRIP_LABELS.items():
            self.attribution_box.addItem(text, choice)
        self.attribution_box.setToolTip(
            "Tint each token by how much the answer depends on it: ||dL/dx_t|| of the loss, "
            "or a signed attribution of the verdict (blue raises it, orange lowers it)")
        self.attribution_box.currentIndexChanged.connect(
            lambda index: self.session.set_attribution(self.attribution_box.itemData(index)))
        choice_row.addWidget(self.attribution_box)
        choice_row.addStretch(1)
        input_layout.addLayout(choice_row)
        input_layout.addWidget(self.token_strip, 1)
        return input_widget

    # --- layout (the work is in window_layout) ----------------------------------------

    def available_geometry(self) -> QRect | None:
        """The window's screen less panels and task bars (None before it has a screen)."""
        return self.screen().availableGeometry() if self.screen() else None

    def _size_docks(self) -> None:
        self.dock_layout.size_docks()

    def _fit_to_screen(self, width: int, height: int) -> None:
        self.dock_layout.fit_to_screen(width, height)

    def keep_on_screen(self) -> None:
        """Shrink and move the window into its screen (:meth:`WindowLayout.keep_on_screen`)."""
        self.dock_layout.keep_on_screen()

    def show_panel(self, key: str) -> None:
        """Show and raise the dock ``key`` (:meth:`WindowLayout.show_panel`)."""
        self.dock_layout.show_panel(key)

    def reset_layout(self) -> None:
        """The layout of a first start, fitted to the screen (:meth:`WindowLayout.reset`)."""
        self.dock_layout.reset()

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

    def _on_details_needed(self, path: str, message: str) -> None:
        """A model file lacks what only its user knows: ask, keep the old model shown."""
        self._opening = None
        self.message_bar.show_message(
            f"{Path(path).name} needs a few details to open: answer in the Model details "
            "dialog (Models › Model details…)", "notice")
        self.dialogs.ask_model_details(path, message)

    def _forget_opening(self) -> None:
        self._opening = None

    def _on_options_changed(self) -> None:
        choice = self.session.options.attribution
        self.attribution_box.blockSignals(True)
        self.attribution_box.setCurrentIndex(self.attribution_box.findData(choice))
        self.attribution_box.blockSignals(False)
        self.named_actions[token_colour_action_name(choice)].setChecked(True)

    # --- files ------------------------------------------------------------------------

    def open_file(self, path: str | Path, overrides: Mapping[str, Any] | None = None,
                  key_map: KeyMap = ()) -> None:
        """Open a model (file or folder), a session or a trace, told apart by content
        (not extension). A model loads in the worker, with configuration ``overrides``
        when given; on failure the old one stays. The file enters Open recent only once
        it opened (a model: once its trace is shown). ``key_map`` names a model's parts
        as ``--map`` does."""
        path = Path(path)
        self._opening = None
        try:
            if is_session_file(path):
                self.open_session(load_session(path))
            elif is_trace_file(path):
                self.session.show_trace(load_trace(path), path.name)
            else:
                self._opening = path
                self.session.open_model_file(path, overrides, key_map)
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
        """Every lesson offered: the package's and those of the user folders opened."""
        return self.session.library.lessons

    def choose_lesson_folder(self) -> None:
        """File › Open lesson folder…: a folder of lesson files, remembered for next time."""
        start = next(iter(self.settings.lesson_folders), str(Path.home()))
        folder = QFileDialog.getExistingDirectory(self, "Open lesson folder", start)
        if folder:
            self.open_lesson_folder(folder)

    def open_lesson_folder(self, folder: str | Path, remember: bool = True) -> int:
        """Offer the lessons in ``folder`` beside the shipped ones; a broken file is named
        in the message bar and the others load. Returns how many loaded; a folder that
        gave lessons is remembered (``remember``) and read again at the next start."""
        loaded = self.session.library.add_folder(folder)
        if loaded:
            if remember:
                self.settings.add_lesson_folder(str(Path(folder).expanduser().resolve()))
            self.statusBar().showMessage(f"{loaded} lesson(s) from {folder} are in the "
                                         "Lessons menu", 8000)
        return loaded

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

    def export_attribution(self, path: str | Path) -> bool:
        """Write the tokens' attribution the strip shows (a computed method) to ``path``
        (.csv or .json); False, with a message, when there is none or it fails."""
        result = self.session.attribution_job.result
        if result is None:
            self.show_error("No attribution to save: colour the tokens by gradient × input, "
                            "occlusion or integrated gradients first (||dL/dx_t|| is in the "
                            "trace export, as grad.x).")
            return False
        return self._guarded(lambda: save_attribution(result, path), path,
                             f"Saved the tokens' {result.method} scores to {path}")

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
