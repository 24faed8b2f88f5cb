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
