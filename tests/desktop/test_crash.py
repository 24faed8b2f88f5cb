"""The last-resort hook logs every unhandled exception and shows one dialog per session."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from rnnstudio.gui.desktop.crash import (
    CRASH_LOG_NAME,
    CrashHandler,
    install_crash_handler,
    log_bug,
)
from rnnstudio.gui.desktop.logs import (
    CRASH_LOGGER,
    LOG_BACKUPS,
    MAX_LOG_BYTES,
    MAX_REPORT_CHARS,
    write_crash_report,
)


@pytest.fixture
def handler(qapp, logs_in_tmp: Path) -> Iterator[CrashHandler]:  # type: ignore[no-untyped-def]
    installed = install_crash_handler()
    yield installed
    installed.uninstall()
    if installed.dialog is not None:
        installed.dialog.close()
        installed.dialog.deleteLater()


def _raise_and_report(handler: CrashHandler, message: str) -> None:
    """Hand a real exception, with its traceback, to the hook as Python would."""
    try:
        raise ValueError(message)
    except ValueError:
        handler.handle_exception(*sys.exc_info())  # type: ignore[arg-type]


def _crash_dialogs() -> list[QMessageBox]:
    return [widget for widget in QApplication.topLevelWidgets()
            if isinstance(widget, QMessageBox) and widget.objectName() == "crash_dialog"
            and widget.isVisible()]


def test_hook_logs_tracebacks_to_the_log_folder(handler: CrashHandler,
                                                logs_in_tmp: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _raise_and_report(handler, "first failure")
    log = (logs_in_tmp / CRASH_LOG_NAME).read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in log
    assert "ValueError: first failure" in log
    assert "_raise_and_report" in log  # the frames, not only the message
    assert "RNN Studio" in log.splitlines()[0]
    assert "ValueError: first failure" in capsys.readouterr().err  # and on stderr


def test_two_exceptions_show_one_dialog(handler: CrashHandler, logs_in_tmp: Path) -> None:
    _raise_and_report(handler, "first failure")
    _raise_and_report(handler, "second failure")
    log = (logs_in_tmp / CRASH_LOG_NAME).read_text(encoding="utf-8")
    assert log.count("Traceback (most recent call last)") == 2
    assert handler.exception_count == 2
    assert handler.dialogs_shown == 1
    dialogs = _crash_dialogs()
    assert dialogs == [handler.dialog]
    assert not dialogs[0].isModal()
    assert "first failure" in dialogs[0].text()
    assert "1 more error(s)" in dialogs[0].informativeText()
    assert str(logs_in_tmp / CRASH_LOG_NAME) in dialogs[0].informativeText()


def test_exception_in_a_worker_thread_reaches_the_gui_thread(
        handler: CrashHandler, logs_in_tmp: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    def fail() -> None:
        raise RuntimeError("worker failure")

    worker = threading.Thread(target=fail, name="trace-worker")
    worker.start()
    worker.join()
    # The dialog is made on the GUI thread, from a queued signal.
    qtbot.waitUntil(lambda: handler.dialog is not None, timeout=5000)
    log = (logs_in_tmp / CRASH_LOG_NAME).read_text(encoding="utf-8")
    assert "in thread 'trace-worker'" in log
    assert "RuntimeError: worker failure" in log
    assert handler.dialogs_shown == 1


@pytest.mark.qt_no_exception_capture
def test_exception_in_a_qt_slot_is_caught(handler: CrashHandler, qtbot) -> None:  # type: ignore[no-untyped-def]
    def slot() -> None:
        raise KeyError("slot failure")

    QTimer.singleShot(0, slot)
    qtbot.waitUntil(lambda: handler.exception_count == 1, timeout=5000)
    assert handler.dialogs_shown == 1


def test_unwritable_log_folder_still_tells_the_user(qapp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log folder should be")
    handler = CrashHandler(folder=blocker)
    _raise_and_report(handler, "nowhere to log")
    assert handler.dialog is not None
    assert "could not be written" in handler.dialog.informativeText()
    handler.dialog.close()


def test_no_dialog_when_headless(qapp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    handler = CrashHandler(folder=tmp_path, show_dialog=False)
    _raise_and_report(handler, "smoke test failure")
    assert handler.exception_count == 1 and handler.dialog is None
    assert (tmp_path / CRASH_LOG_NAME).is_file()


def test_install_and_uninstall_restore_the_hooks(qapp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = (sys.excepthook, threading.excepthook)
    handler = CrashHandler(folder=tmp_path).install()
    assert sys.excepthook == handler.handle_exception
    assert threading.excepthook == handler.handle_thread_exception
    handler.install()  # twice is harmless
    handler.uninstall()
    assert (sys.excepthook, threading.excepthook) == before


def test_keyboard_interrupt_goes_to_python(qapp, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    seen: list[type[BaseException]] = []
    monkeypatch.setattr(sys, "__excepthook__", lambda kind, *_: seen.append(kind))
    handler = CrashHandler(folder=tmp_path)
    handler.handle_exception(KeyboardInterrupt, KeyboardInterrupt(), None)
    assert seen == [KeyboardInterrupt]
    assert handler.exception_count == 0 and not (tmp_path / CRASH_LOG_NAME).exists()


def _log_files(folder: Path, name: str) -> list[Path]:
    return sorted(folder.glob(f"{name}*"))


def test_crash_log_rotates_and_stays_bounded(qapp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report = "Traceback (most recent call last):\n" + "  frame\n" * 5000  # 40 kB each
    for index in range(300):  # 12 MB of reports
        assert write_crash_report(f"--- report {index}\n{report}", tmp_path) == (
            tmp_path / CRASH_LOG_NAME)
    files = _log_files(tmp_path, CRASH_LOG_NAME)
    assert [path.name for path in files] == ["crash.log", "crash.log.1", "crash.log.2",
                                             "crash.log.3"]
    assert all(path.stat().st_size <= MAX_LOG_BYTES for path in files)
    assert sum(path.stat().st_size for path in files) <= (LOG_BACKUPS + 1) * MAX_LOG_BYTES
    assert "--- report 299\n" in (tmp_path / CRASH_LOG_NAME).read_text(encoding="utf-8")


def test_a_huge_report_is_cut_in_the_middle(qapp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    try:
        raise ValueError("x" * 10_000_000)
    except ValueError as error:
        assert log_bug(error, "reading a card", tmp_path) == tmp_path / CRASH_LOG_NAME
    text = (tmp_path / CRASH_LOG_NAME).read_text(encoding="utf-8")
    assert len(text) < MAX_REPORT_CHARS + 200
    assert text.startswith("--- ") and "bug while reading a card" in text.splitlines()[0]
    assert "characters cut ..." in text and text.rstrip().endswith("x" * 1000)


def test_the_hook_writes_through_the_rotating_log(handler: CrashHandler,
                                                  logs_in_tmp: Path) -> None:
    for index in range(3):
        _raise_and_report(handler, f"failure {index}")
    log = (logs_in_tmp / CRASH_LOG_NAME).read_text(encoding="utf-8")
    assert [line.split(": ", 1)[1] for line in log.splitlines()
            if line.startswith("ValueError")] == ["failure 0", "failure 1", "failure 2"]
    crash_logger = logging.getLogger(CRASH_LOGGER)
    handlers = [item for item in crash_logger.handlers
                if isinstance(item, RotatingFileHandler)]
    assert len(handlers) == 1 and handlers[0].maxBytes == MAX_LOG_BYTES
