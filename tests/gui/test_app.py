"""``run(argv)``: what ``rnnstudio`` with no sub-command calls."""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from rnnstudio.gui.app import run
from rnnstudio.gui.main_window import MainWindow


def test_run_opens_the_window_with_the_text_and_returns_on_close(qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run() installs its own
    seen: list[list[str]] = []

    def close_windows() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow):
                seen.append(widget.session.trace.tokens)
                widget.close()

    QTimer.singleShot(300, close_windows)
    assert run(["--text", "hello small world"]) == 0
    assert seen == [["hello", "small", "world"]]


def test_last_resort_hook_logs_and_shows_one_dialog(qtbot, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QMessageBox

    from rnnstudio.gui import app as app_module

    shown: list[str] = []
    monkeypatch.setattr(app_module, "_dialog_shown", False)
    monkeypatch.setattr(QMessageBox, "show", lambda box: shown.append(box.text()))
    for _ in range(2):
        try:
            raise ValueError("boom")
        except ValueError as error:
            app_module._excepthook(ValueError, error, error.__traceback__)
    assert len(shown) == 1 and "ValueError: boom" in shown[0]
    assert capsys.readouterr().err.count("ValueError: boom") == 2


def test_window_title_names_the_model(window) -> None:  # type: ignore[no-untyped-def]
    assert window.windowTitle() == "RNN Studio — random LSTM 1x32, seed 0, gain 1"
