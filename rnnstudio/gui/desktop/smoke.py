"""``--smoke-test``: prove a build works end to end, then exit with a status.

The packaged app can start and still be broken: a Qt plugin missing from the bundle, a
resource not found, a NumPy extension that fails to load on first use. The smoke test
opens the real window, runs one trace, renders the window to a PNG and checks that the
picture has content, so ``packaging/smoke_test.py`` can run the frozen app offscreen
and trust exit status 0. It needs only ``window.grab()`` and a callable that runs one
trace, so it works with any main window.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtGui import QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import QApplication

from ... import app_info

SMOKE_TEXT = "the smoke test reads one sentence"
#: Set by packaging/smoke_test.py to ``time.time()`` just before it launches the app, so
#: the app can say how long it took to get its window up (there is no portable way to
#: ask the OS when this process started).
LAUNCHED_AT_VARIABLE = "RNNSTUDIO_LAUNCHED_AT"
#: A painted window has many colours; a blank or black grab (no platform plugin
#: rendering, an empty bundle) has one or two.
_MIN_COLOURS = 8


class Grabbable(Protocol):
    def grab(self) -> QPixmap: ...


def wait_for_signal(signal: Any, start: Callable[[], object], timeout_ms: int = 30_000) -> bool:
    """Call ``start`` and run the event loop until ``signal`` fires; False on timeout.

    The usual way to wait for a worker's queued result outside a test (where ``qtbot``
    would do it): no sleeping, no busy loop.
    """
    received: list[tuple[object, ...]] = []
    loop = QEventLoop()

    def done(*args: object) -> None:
        received.append(args)
        loop.quit()

    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    signal.connect(done)
    try:
        timer.start(timeout_ms)
        start()
        if not received:  # it may have fired synchronously inside start()
            loop.exec()
    finally:
        timer.stop()
        signal.disconnect(done)
    return bool(received)


def distinct_colours(image: QImage, grid: int = 24) -> int:
    """How many colours a ``grid`` x ``grid`` sample of the image holds."""
    width, height = image.width(), image.height()
    if width == 0 or height == 0:
        return 0
    return len({image.pixel(width * col // grid, height * row // grid)
                for row in range(grid) for col in range(grid)})


def _say(message: str) -> None:
    if sys.stdout is not None:  # None in a Windows bundle built without a console
        print(f"smoke-test: {message}", flush=True)


def run_smoke_test(window: Grabbable, run_trace: Callable[[], object],
                   output: Path | None = None,
                   exception_count: Callable[[], int] | None = None) -> int:
    """Run one trace, save a PNG of ``window``, check it; return the exit status.

    ``run_trace`` must return once the trace is shown (``wait_for_signal`` helps);
    returning ``False`` means it timed out. ``exception_count`` (e.g. the crash handler's)
    turns exceptions swallowed by Qt slots into a failure. ``output`` defaults to a
    temporary folder. Prints one ``smoke-test:`` line per check to stdout.
    """
    app = QApplication.instance()
    if app is None:
        _say("FAILED: no QApplication")
        return 1
    # The desktop file name proves apply_identity ran (tests/desktop reads this line).
    _say(f"{app_info.version_line()} ({QGuiApplication.desktopFileName()}) on Qt platform "
         f"{QGuiApplication.platformName()}")
    app.processEvents()
    _say_startup_time()
    started = time.perf_counter()
    try:
        arrived = run_trace()
    except Exception:
        traceback.print_exc()
        _say("FAILED: the trace raised")
        return 1
    if arrived is False:
        _say("FAILED: the trace did not arrive in time")
        return 1
    _say(f"trace shown in {1000 * (time.perf_counter() - started):.0f} ms")
    app.processEvents()
    status = _save_and_check(window, output)
    errors = exception_count() if exception_count is not None else 0
    if errors:
        _say(f"FAILED: {errors} unhandled exception(s) during the run")
        return 1
    if status == 0:
        _say("ok")
    return status


def _say_startup_time() -> None:
    """``window up N ms after launch`` when the launcher told us when it launched."""
    try:
        launched = float(os.environ[LAUNCHED_AT_VARIABLE])
    except (KeyError, ValueError):
        return
    _say(f"window up {1000 * (time.time() - launched):.0f} ms after launch")


def _save_and_check(window: Grabbable, output: Path | None) -> int:
    pixmap = window.grab()
    if pixmap.isNull():
        _say("FAILED: window.grab() returned an empty picture")
        return 1
    path = output or Path(tempfile.mkdtemp(prefix="rnnstudio-smoke-")) / "window.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not pixmap.save(str(path), "PNG"):
        _say(f"FAILED: could not write {path} (is the PNG image plugin in the bundle?)")
        return 1
    image = QImage(str(path))
    colours = distinct_colours(image)
    if image.isNull() or colours < _MIN_COLOURS:
        _say(f"FAILED: {path} is blank ({colours} colours)")
        return 1
    _say(f"PNG {image.width()}x{image.height()}, {path.stat().st_size} bytes, "
         f"{colours} colours sampled: {path}")
    return 0
