"""``run(argv)``: what ``rnnstudio`` with no sub-command calls."""

from __future__ import annotations

import logging
import sys
import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from rnnstudio.app_info import APP_ID
from rnnstudio.gui.app import run
from rnnstudio.gui.desktop.logs import LOG_FILE_NAME
from rnnstudio.gui.desktop.qt_logging import uninstall_qt_message_handler
from rnnstudio.gui.main_window import MainWindow


def test_run_opens_the_window_with_the_text_and_returns_on_close(  # type: ignore[no-untyped-def]
    qtbot, monkeypatch, tmp_path
) -> None:
    # run() installs its own exception hooks and log file: keep them inside this test.
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    monkeypatch.setenv("RNNSTUDIO_LOG_DIR", str(tmp_path))
    logger = logging.getLogger("rnnstudio")
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logger, "level", logger.level)
    seen: list[list[str]] = []

    def close_windows() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow):
                seen.append(widget.session.trace.tokens)
                widget.close()

    QTimer.singleShot(300, close_windows)
    assert run(["--text", "hello small world"]) == 0
    assert seen == [["hello", "small", "world"]]
    uninstall_qt_message_handler()
    assert QApplication.instance().desktopFileName() == APP_ID
    assert (tmp_path / LOG_FILE_NAME).is_file()


def test_window_title_names_the_model(window) -> None:  # type: ignore[no-untyped-def]
    assert window.windowTitle() == "RNN Studio — random LSTM 1x32, seed 0, gain 1"
