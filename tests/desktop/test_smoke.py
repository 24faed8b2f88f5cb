"""``run_smoke_test`` passes a painted window and fails every way a broken build fails."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from rnnstudio.gui.desktop.smoke import run_smoke_test, wait_for_signal


class _Traced(QObject):
    done = Signal(object)


def _painted_window(qtbot) -> pg.PlotWidget:  # type: ignore[no-untyped-def]
    plot = pg.PlotWidget()
    plot.plot([0, 1, 4, 9, 16], pen=pg.mkPen("#d1495b", width=3))
    plot.addItem(pg.ImageItem(np.random.default_rng(0).random((8, 8)), levels=(0, 1)))
    qtbot.addWidget(plot)
    plot.resize(400, 300)
    plot.show()
    return plot


def test_painted_window_and_one_trace_pass(qtbot, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    window = _painted_window(qtbot)
    traced = _Traced()
    run_trace = lambda: wait_for_signal(  # noqa: E731
        traced.done, lambda: QTimer.singleShot(0, lambda: traced.done.emit("trace")))
    status = run_smoke_test(window, run_trace, tmp_path / "smoke.png", lambda: 0)
    out = capsys.readouterr().out
    assert status == 0, out
    assert (tmp_path / "smoke.png").stat().st_size > 0
    assert "smoke-test: ok" in out and "PNG 400x300" in out


def test_startup_time_is_reported_when_the_launch_time_is_known(
        qtbot, tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RNNSTUDIO_LAUNCHED_AT", repr(time.time() - 0.5))
    assert run_smoke_test(_painted_window(qtbot), lambda: True, tmp_path / "w.png") == 0
    reported = re.search(r"window up (\d+) ms after launch", capsys.readouterr().out)
    assert reported and 500 <= int(reported.group(1)) < 60_000


def test_blank_window_fails(qtbot, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    blank = QWidget()
    blank.setStyleSheet("background: white")
    qtbot.addWidget(blank)
    blank.resize(200, 100)
    assert run_smoke_test(blank, lambda: True, tmp_path / "blank.png") == 1
    assert "is blank" in capsys.readouterr().out


def test_trace_that_raises_or_times_out_fails(qtbot, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    window = _painted_window(qtbot)

    def broken() -> None:
        raise RuntimeError("engine missing from the bundle")

    assert run_smoke_test(window, broken, tmp_path / "a.png") == 1
    captured = capsys.readouterr()
    assert "the trace raised" in captured.out and "Traceback" in captured.err
    assert run_smoke_test(window, lambda: False, tmp_path / "b.png") == 1
    assert "did not arrive" in capsys.readouterr().out


def test_swallowed_exceptions_fail_the_run(qtbot, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    window = _painted_window(qtbot)
    assert run_smoke_test(window, lambda: True, tmp_path / "c.png", lambda: 2) == 1
    assert "2 unhandled exception(s)" in capsys.readouterr().out


def test_wait_for_signal_sync_async_and_timeout(qapp) -> None:  # type: ignore[no-untyped-def]
    traced = _Traced()
    assert wait_for_signal(traced.done, lambda: traced.done.emit(1))  # fired inside start()
    assert wait_for_signal(traced.done, lambda: QTimer.singleShot(0, lambda: traced.done.emit(2)))
    assert not wait_for_signal(traced.done, lambda: None, timeout_ms=1)
