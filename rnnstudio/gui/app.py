"""Start the desktop app: ``run(argv)`` is what ``rnnstudio`` with no sub-command calls."""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QApplication

from ..app_info import version_line
from ..cli_gui import GuiArgumentError, parse_gui_args
from ..errors import RnnStudioError
from ..io.model_source import ModelSource, RandomModelSpec
from ..io.session_file import SessionFile, is_session_file, load_session
from ..io.sniff import is_trace_file
from ..models_index import default_model
from ..terminal import printable
from ..view.resources import sample_sentences
from .desktop.crash import install_crash_handler
from .desktop.identity import apply_identity
from .desktop.logs import install_log_file
from .desktop.qt_logging import install_qt_message_handler
from .main_window import MainWindow
from .session import Session
from .session_files import restore
from .settings import Settings


def _parse(argv: list[str]) -> argparse.Namespace:
    """The app's options, checked as ``rnnstudio`` checks them (``rnnstudio.cli_gui``;
    ``--version`` here, where it is printed); Qt's own options are left for Qt. Raises
    :class:`GuiArgumentError` (one line) for a bad one."""
    from ..cli import COMMANDS

    return parse_gui_args(argv, COMMANDS, version_line())


def default_source() -> ModelSource:
    """The index's default trained model (a cell that has learnt something), or the
    random model when this install has no index."""
    try:
        return ModelSource.shipped(default_model().key)
    except RnnStudioError:
        return ModelSource.random(RandomModelSpec())


def initial_state(settings: Settings, path: str | None, text: str | None,
                  model_source: ModelSource | None = None) -> SessionFile:
    """What to show at start: a session named on the command line, or a model file with
    the text (``model_source``: the file with the command line's model-file options);
    else the last session; else the default model reading its sample. The user's text
    survives every fallback. Raises ``RnnStudioError`` for an unreadable session file
    (the caller shows it and starts from the default)."""
    last = settings.last_session_path
    if model_source is None and path and is_session_file(path):
        state = load_session(path)
    elif model_source is None and not path and last.is_file():
        state = load_session(last)
    else:
        source = model_source or (ModelSource.named(path) if path else default_source())
        kept = settings.remembered_text
        state = SessionFile(model=source, text=kept or source.sample_text()
                            or sample_sentences()[0], cursor=1 << 30)
    return state if text is None else replace(state, text=text)


def start(session: Session, settings: Settings, path: str | None = None,
          text: str | None = None, model_source: ModelSource | None = None,
          lesson_folder: str | None = None) -> MainWindow:
    """Build the window on a useful view at once: the first trace runs on this thread
    (a 53-token LSTM-32 trace takes a few ms), so the first painted frame has heatmaps.

    Whatever fails on the way (a session file, a missing model, a text that no longer
    fits) is said in the window, and the text is kept: the default model reads it
    instead, or, if the text itself is the problem, the window opens without a trace.
    ``model_source`` is ``path`` with the command line's model-file options, if any;
    ``lesson_folder`` (``--lessons``) adds a folder of lessons for this run.
    """
    problems = [settings.problem] if settings.problem else []
    session.error_raised.connect(problems.append)
    trace_file = path if path and not is_session_file(path) and is_trace_file(path) else None
    try:
        state = initial_state(settings, None if trace_file else path, text, model_source)
    except RnnStudioError as error:
        problems.append(str(error))
        state = SessionFile(model=default_source(), text=text or sample_sentences()[0])
    window = MainWindow(session, settings)
    if lesson_folder is not None:
        window.open_lesson_folder(lesson_folder, remember=False)
    lessons = window.lessons
    if trace_file:
        window.open_file(trace_file)
    elif not restore(session, state, lessons, synchronous=True) and (
            state.model != default_source()):
        fallback = replace(state, model=default_source(), loss=None)
        restore(session, fallback, lessons, synchronous=True)
    session.error_raised.disconnect(problems.append)
    if state.docks and not trace_file:
        window.restoreState(QByteArray.fromBase64(state.docks.encode("ascii")))
    if problems:
        window.show_error(" · ".join(dict.fromkeys(problems)))
    return window


def run(argv: list[str] | None = None) -> int:
    """Run the GUI until the window closes; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        options = _parse(argv)
    except GuiArgumentError as exc:  # before any window: one line, as rnnstudio says it
        print(f"rnnstudio: error: {printable(str(exc))}", file=sys.stderr)
        return 2
    running = QApplication.instance()  # tests make theirs first
    app = running if isinstance(running, QApplication) else QApplication([sys.argv[0], *argv])
    apply_identity(app)  # before Settings(): QSettings reads the organisation and name
    install_log_file()
    install_qt_message_handler()
    crash = install_crash_handler(show_dialog=not options.smoke_test)
    if options.smoke_test:  # a packaging check must not reopen or replace the user's session
        folder = tempfile.mkdtemp(prefix="rnnstudio-smoke-settings-")
        for kind in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
            QSettings.setPath(kind, QSettings.Scope.UserScope, folder)
    settings = Settings()
    session = Session()
    window = start(session, settings, options.file, options.text, options.model_source,
                   options.lessons)
    crash.parent = window
    window.show()
    app.aboutToQuit.connect(session.shutdown)  # the worker must not outlive the app
    if options.smoke_test:
        from .desktop.smoke import SMOKE_TEXT, run_smoke_test, wait_for_signal

        status = run_smoke_test(
            window,
            lambda: wait_for_signal(session.trace_changed, lambda: session.set_text(SMOKE_TEXT)),
            exception_count=lambda: crash.exception_count,
        )
        window.close()
        session.shutdown()
        return status
    return int(app.exec())
