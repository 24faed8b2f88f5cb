"""``run(argv)``: what ``rnnstudio`` with no sub-command calls."""

from __future__ import annotations

from conftest import opened_windows
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from rnnstudio.app_info import APP_ID
from rnnstudio.gui.desktop.logs import LOG_FILE_NAME


def test_run_opens_the_window_with_the_text_and_returns_on_close(  # type: ignore[no-untyped-def]
    qtbot, monkeypatch, tmp_path, run_app
) -> None:
    monkeypatch.setenv("RNNSTUDIO_LOG_DIR", str(tmp_path))
    seen: list[list[str]] = []
    opened = opened_windows(monkeypatch)

    def close_windows() -> None:
        for widget in opened:
            seen.append(widget.session.trace.tokens)
            widget.close()

    QTimer.singleShot(300, close_windows)
    assert run_app(["--text", "hello small world"]) == 0
    assert seen == [["hello", "small", "world"]]
    assert QApplication.instance().desktopFileName() == APP_ID
    assert (tmp_path / LOG_FILE_NAME).is_file()


def test_window_title_names_the_model(window) -> None:  # type: ignore[no-untyped-def]
    assert window.windowTitle() == "random LSTM 1x32, seed 0, gain 1 — RNN Studio"
