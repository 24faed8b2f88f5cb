"""Qt offscreen, settings and logs in a temporary folder, no worker thread left behind."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from rnnstudio.gui import jobs  # noqa: E402
from rnnstudio.gui.session import Session  # noqa: E402
from rnnstudio.gui.settings import Settings  # noqa: E402
from rnnstudio.io.model_source import ModelSource, RandomModelSpec  # noqa: E402
from rnnstudio.io.session_file import SessionFile, save_session  # noqa: E402


@pytest.fixture(autouse=True)
def no_thread_left_running() -> Iterator[None]:
    """Set up first, torn down last: every worker must be idle when a test ends."""
    yield
    busy = [runner for runner in jobs.live_runners() if runner.is_busy()]
    for runner in busy:
        runner.shutdown()
    assert not busy, f"{len(busy)} worker thread(s) still running after the test"


@pytest.fixture(autouse=True)
def settings_in_tmp(tmp_path: object) -> Iterator[str]:
    """Every QSettings store of the test lives under tmp_path, never in ~/.config."""
    folder = str(tmp_path / "settings")  # type: ignore[operator]
    for kind in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(kind, QSettings.Scope.UserScope, folder)
        QSettings.setPath(kind, QSettings.Scope.SystemScope, folder + "-system")
    yield folder


@pytest.fixture(autouse=True)
def logs_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The log folder of the test (a job's bug writes crash.log there), never the user's."""
    folder = tmp_path / "logs"
    monkeypatch.setenv("RNNSTUDIO_LOG_DIR", str(folder))
    return folder


@pytest.fixture
def run_app(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """``run(argv)`` as ``rnnstudio`` calls it, its process-wide hooks (exception hooks,
    log handlers, Qt's message handler) kept inside the test."""
    import logging
    import sys
    import threading

    from rnnstudio.gui.app import run
    from rnnstudio.gui.desktop.qt_logging import uninstall_qt_message_handler

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    logger = logging.getLogger("rnnstudio")
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logger, "level", logger.level)

    def run_it(argv: list[str]) -> int:
        try:
            return run(argv)
        finally:
            uninstall_qt_message_handler()

    return run_it


@pytest.fixture
def session(qtbot: object) -> Iterator[Session]:
    session = Session()
    yield session
    session.shutdown()


def opened_windows(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The windows ``run()`` opens, as it opens them: a test closes those, not what
    ``QApplication.topLevelWidgets()`` lists (in a full run that list could hand back a
    stale wrapper of an earlier test's window, and touching it crashed the process)."""
    from rnnstudio.gui import app

    opened: list[Any] = []
    start = app.start

    def recording(*args: Any, **kwargs: Any) -> Any:
        window = start(*args, **kwargs)
        opened.append(window)
        return window

    monkeypatch.setattr(app, "start", recording)
    return opened


def last_session(settings: Settings, text: str, spec: RandomModelSpec | None = None) -> None:
    """Make the next start reopen a random model (by default the seeded LSTM 1x32)."""
    source = ModelSource.random(spec or RandomModelSpec())
    save_session(SessionFile(model=source, text=text), settings.last_session_path)


@pytest.fixture
def window(qtbot, settings_in_tmp):  # type: ignore[no-untyped-def]
    from rnnstudio.gui.app import start

    window_session = Session()
    settings = Settings()
    last_session(settings, "the cat sat on the mat")  # these tests read the random LSTM
    main_window = start(window_session, settings)
    qtbot.addWidget(main_window)
    main_window.resize(1400, 900)
    main_window.show()
    qtbot.waitExposed(main_window)
    yield main_window
    main_window.close()
    window_session.shutdown()


def ready(session: Session, text: str = "the cat sat", **spec: object) -> Session:
    """``session`` showing a small seeded random LSTM (or ``spec``) reading ``text``."""
    assert session.first_trace(ModelSource.random(RandomModelSpec(**{"hidden_size": 8,
                                                                    **spec})), text)
    return session


def wait_for_trace(qtbot, session: Session, action, timeout: int = 5000) -> None:  # type: ignore[no-untyped-def]
    """Run ``action`` and wait until the session has the resulting trace."""
    with qtbot.waitSignal(session.trace_changed, timeout=timeout):
        action()
    session.wait()
