"""Start the desktop app: ``run(argv)`` is what ``rnnstudio`` with no sub-command calls."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from ..app_info import version_line
from ..errors import RnnStudioError
from ..models_index import default_model, find_model
from .desktop.crash import install_crash_handler
from .desktop.identity import apply_identity
from .desktop.logs import install_log_file
from .desktop.palette import follow_system_scheme
from .desktop.qt_logging import install_qt_message_handler
from .main_window import MainWindow
from .resources import sample_sentences
from .scheme import apply_scheme
from .session import Session
from .settings import Settings


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="rnnstudio", description="RNN Studio desktop app")
    parser.add_argument("model", nargs="?", help="model file to open")
    parser.add_argument("--text", help="sentence to read at start")
    parser.add_argument("--version", action="version", version=version_line())
    # Open the window, run one trace, export one PNG, exit 0 (packaging smoke test).
    parser.add_argument("--smoke-test", action="store_true", help=argparse.SUPPRESS)
    known, _qt_args = parser.parse_known_args(argv)
    return known


def initial_choice(settings: Settings, model_path: str | None) -> tuple[str | None, str | None]:
    """``(shipped key, model file)`` to open at start; both None means the random model.

    A file named on the command line wins; then what the user had last (a shipped model,
    a file that still exists, or the random model); on a first start the index's default
    trained model, so the window opens on a cell that has learnt something.
    """
    if model_path:
        return _default_key(), model_path
    last = settings.last_model
    if last == "random":
        return None, None
    if last.startswith("shipped:"):
        return last.removeprefix("shipped:"), None
    if last.startswith("file:") and Path(last.removeprefix("file:")).is_file():
        return _default_key(), last.removeprefix("file:")
    return _default_key(), None


def _default_key() -> str | None:
    try:
        return default_model().key
    except RnnStudioError:  # no index in this install: fall back to the random model
        return None


def start(session: Session, settings: Settings, model_path: str | None = None,
          text: str | None = None) -> MainWindow:
    """Build the window and show a useful view at once: a trained model and its sample.

    The first trace runs on this thread (a 53-token LSTM-32 trace takes a few ms), so the
    first painted frame already has heatmaps; later edits go through the worker.
    """
    session.random_spec = settings.random_spec
    key, path = initial_choice(settings, model_path)
    sample = _sample_of(key) if key and not path else None
    session.text = text or settings.last_text or sample or sample_sentences()[0]
    session.set_initial_model(key)
    window = MainWindow(session, settings)
    window.text_input.editor.setPlainText(session.text)
    window.text_input.debounce.stop()
    if path and Path(path).is_file():
        window.open_model(path)
    return window


def _sample_of(key: str) -> str | None:
    try:
        return find_model(key).sample
    except RnnStudioError:
        return None


def run(argv: list[str] | None = None) -> int:
    """Run the GUI until the window closes; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    options = _parse(argv)
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    apply_identity(app)  # before Settings(): QSettings reads the organisation and name
    install_log_file()
    install_qt_message_handler()
    crash = install_crash_handler(show_dialog=not options.smoke_test)
    settings = Settings()
    session = Session()
    window = start(session, settings, options.model, options.text)
    crash.parent = window
    # After the window exists, so its plots are restyled; on_change recolours what the
    # GUI draws itself (titles, legends, the wash over unread steps).
    follow_system_scheme(app, on_change=lambda dark: apply_scheme(window, dark))
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
