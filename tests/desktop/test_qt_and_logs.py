"""Qt's warnings reach Python logging; logs go to the user's log folder."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pytest
from PySide6.QtCore import QStandardPaths, qWarning

from rnnstudio.gui.desktop import logs, qt_logging


@pytest.fixture
def routed(qapp) -> Iterator[None]:  # type: ignore[no-untyped-def]
    qt_logging.install_qt_message_handler()
    yield
    qt_logging.uninstall_qt_message_handler()


def test_qt_warning_becomes_a_log_record(routed: None, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="rnnstudio.qt"):
        qWarning("QPainter::begin: Paint device returned engine == 0")
    records = [record for record in caplog.records if record.name.startswith("rnnstudio.qt")]
    assert len(records) == 1
    assert records[0].levelno == logging.WARNING
    assert "Paint device returned engine == 0" in records[0].getMessage()


def test_known_noise_is_lowered_to_debug(routed: None,
                                         caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="rnnstudio.qt"):
        qWarning("This plugin does not support propagateSizeHints()")
    assert [record.levelno for record in caplog.records] == [logging.DEBUG]


def test_uninstall_stops_routing(qapp, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    qt_logging.install_qt_message_handler()
    qt_logging.install_qt_message_handler()  # twice is harmless
    qt_logging.uninstall_qt_message_handler()
    with caplog.at_level(logging.DEBUG, logger="rnnstudio.qt"):
        qWarning("after uninstall")
    assert not [record for record in caplog.records if record.name.startswith("rnnstudio.qt")]


def test_category_names_the_logger() -> None:
    assert qt_logging.logger_for("default").name == "rnnstudio.qt"
    assert qt_logging.logger_for(None).name == "rnnstudio.qt"
    assert qt_logging.logger_for("qt.qpa.xcb").name == "rnnstudio.qt.qt.qpa.xcb"


def test_log_folder_override(logs_in_tmp: Path) -> None:
    assert logs.log_folder() == logs_in_tmp


def test_log_folder_from_qt(monkeypatch: pytest.MonkeyPatch, qapp) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(logs.LOG_DIR_VARIABLE)
    data = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    assert logs.log_folder() == Path(data) / "logs"


def test_fallback_log_folder_follows_the_platform(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    monkeypatch.setattr(logs.sys, "platform", "linux")
    assert logs._fallback_log_folder() == tmp_path / "state" / "rnnstudio" / "log"
    monkeypatch.setattr(logs.sys, "platform", "win32")
    assert logs._fallback_log_folder() == tmp_path / "local" / "rnnstudio" / "RNN Studio" / "Logs"
    monkeypatch.setattr(logs.sys, "platform", "darwin")
    assert logs._fallback_log_folder() == Path.home() / "Library" / "Logs" / "RNN Studio"


def test_log_file_receives_qt_warnings(routed: None, logs_in_tmp: Path) -> None:
    path = logs.install_log_file()
    logger = logging.getLogger("rnnstudio")
    try:
        assert path == logs_in_tmp / logs.LOG_FILE_NAME
        assert logs.install_log_file() == path  # no second handler
        assert sum(isinstance(h, RotatingFileHandler) for h in logger.handlers) == 1
        qWarning("a Qt warning for the log file")
        for handler in logger.handlers:
            handler.flush()
        text = path.read_text(encoding="utf-8")
        assert "WARNING rnnstudio.qt: a Qt warning for the log file" in text
    finally:
        for handler in list(logger.handlers):
            if isinstance(handler, RotatingFileHandler):
                logger.removeHandler(handler)
                handler.close()
        logger.setLevel(logging.NOTSET)


def test_unwritable_log_folder_returns_none(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert logs.install_log_file(blocker / "logs") is None


def test_app_log_rotates_and_stays_bounded(logs_in_tmp: Path) -> None:
    path = logs.install_log_file()
    logger = logging.getLogger("rnnstudio.test")
    try:
        for index in range(6000):  # 6 MB of warnings
            logger.warning("warning %d %s", index, "w" * 1000)
    finally:
        root = logging.getLogger("rnnstudio")
        for handler in list(root.handlers):
            if isinstance(handler, RotatingFileHandler):
                root.removeHandler(handler)
                handler.close()
        root.setLevel(logging.NOTSET)
    assert path is not None
    files = sorted(logs_in_tmp.glob(f"{logs.LOG_FILE_NAME}*"))
    assert len(files) == logs.LOG_BACKUPS + 1
    assert sum(file.stat().st_size for file in files) <= (
        (logs.LOG_BACKUPS + 1) * logs.MAX_LOG_BYTES)
    assert "warning 5999 " in path.read_text(encoding="utf-8")


def test_messages_are_routed_only_inside_the_block(qapp, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    assert not qt_logging._installed
    with caplog.at_level(logging.DEBUG, logger="rnnstudio.qt"):
        with qt_logging.qt_messages_logged():
            qWarning("This plugin does not support propagateSizeHints()")
            qWarning("QPainter::begin: a real problem")
        assert not qt_logging._installed  # put back as it was
        qWarning("after the block")
    assert [(record.levelno, record.getMessage()) for record in caplog.records] == [
        (logging.DEBUG, "This plugin does not support propagateSizeHints()"),
        (logging.WARNING, "QPainter::begin: a real problem")]


def test_a_handler_installed_before_the_block_stays(routed: None) -> None:
    with qt_logging.qt_messages_logged():
        pass
    assert qt_logging._installed
