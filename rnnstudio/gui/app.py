"""Start the desktop app: ``run(argv)`` is what ``rnnstudio`` with no sub-command calls."""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox

from .main_window import MainWindow
from .resources import sample_sentences
from .session import Session
from .settings import APPLICATION, ORGANIZATION, Settings

_dialog_shown = False


def _excepthook(kind: type[BaseException], error: BaseException,
                trace: TracebackType | None) -> None:
    """Last resort: log the traceback and show at most one dialog, then carry on."""
    global _dialog_shown
    traceback.print_exception(kind, error, trace, file=sys.stderr)
    app = QApplication.instance()
    if app is None or _dialog_shown:
        return
    _dialog_shown = True
    box = QMessageBox(QMessageBox.Icon.Critical, "RNN Studio: unexpected error",
                      f"{kind.__name__}: {error}\n\nDetails were written to the terminal. "
                      "Your text and model are unchanged.")
    box.setModal(False)
    box.show()


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="rnnstudio", description="RNN Studio desktop app")
    parser.add_argument("model", nargs="?", help="model file to open")
    parser.add_argument("--text", help="sentence to read at start")
    known, _qt_args = parser.parse_known_args(argv)
    return known


def start(session: Session, settings: Settings, model_path: str | None = None,
          text: str | None = None) -> MainWindow:
    """Build the window and show a useful view at once: default model, sample sentence.

    The first trace runs on this thread (a 6-token LSTM-32 trace takes a few ms), so the
    first painted frame already has heatmaps; later edits go through the worker.
    """
    session.random_spec = settings.random_spec
    session.text = text or settings.last_text or sample_sentences()[0]
    session.set_initial_model()
    window = MainWindow(session, settings)
    window.text_input.editor.setPlainText(session.text)
    window.text_input.debounce.stop()
    path = model_path or settings.last_model_path
    if path and Path(path).is_file():
        window.open_model(path)
    return window


def run(argv: list[str] | None = None) -> int:
    """Run the GUI until the window closes; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    options = _parse(argv)
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    sys.excepthook = _excepthook
    settings = Settings()
    session = Session()
    window = start(session, settings, options.model, options.text)
    window.show()
    app.aboutToQuit.connect(session.shutdown)  # the worker must not outlive the app
    return int(app.exec())
