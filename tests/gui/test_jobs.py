"""The worker: latest request wins, stale results dropped, errors delivered as text."""

from __future__ import annotations

import threading

import numpy as np
from threadpoolctl import threadpool_limits

from rnnstudio.blas_threads import blas_thread_limit
from rnnstudio.errors import Cancelled, TextError
from rnnstudio.gui.jobs import JobRunner


def _blocking_work(gate: threading.Event, value: str, stopped: list[str],
                   started: threading.Event | None = None):  # type: ignore[no-untyped-def]
    def work(should_stop, on_progress):  # type: ignore[no-untyped-def]
        if started is not None:
            started.set()
        while not gate.wait(0.002):
            if should_stop():
                stopped.append(value)
                raise Cancelled("stopped")
        on_progress(1, 1)
        return value
    return work


def test_latest_request_wins_and_older_ones_stop(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = JobRunner()
    first_gate, stopped = threading.Event(), []
    results = []
    runner.finished.connect(results.append)
    started = threading.Event()
    runner.submit("first", _blocking_work(first_gate, "first", stopped, started))
    assert started.wait(3)
    runner.submit("second", lambda stop, progress: "second")
    with qtbot.waitSignal(runner.finished, timeout=3000):
        third = runner.submit("third", lambda stop, progress: "third")
    runner.wait()
    qtbot.wait(20)  # let queued deliveries (if any were wrongly sent) arrive
    assert [result.value for result in results] == ["third"]
    assert results[0].generation == third
    assert stopped == ["first"]
    assert not runner.is_busy()


def _error_of(qtbot, error: Exception, label: str = "bad", subject: str = "") -> str:  # type: ignore[no-untyped-def]
    """The message a job raising ``error`` delivers (it delivers no value)."""
    runner = JobRunner()

    def failing(stop, progress):  # type: ignore[no-untyped-def]
        raise error

    with qtbot.waitSignal(runner.finished, timeout=3000) as blocker:
        runner.submit(label, failing, subject=subject)
    runner.wait()
    assert blocker.args[0].value is None
    return str(blocker.args[0].error)


def test_errors_arrive_as_messages(qtbot) -> None:  # type: ignore[no-untyped-def]
    error = TextError("the text is empty: type a sentence")
    assert _error_of(qtbot, error) == "the text is empty: type a sentence"


def test_shutdown_waits_for_a_running_job(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = JobRunner()
    gate, stopped, started = threading.Event(), [], threading.Event()
    runner.submit("slow", _blocking_work(gate, "slow", stopped, started))
    assert started.wait(3) and runner.is_busy()
    assert runner.shutdown(timeout_ms=3000)
    assert stopped == ["slow"] and not runner.is_busy()
    ran = []
    runner.submit("late", lambda stop, progress: ran.append(1))  # e.g. a timer on quit
    assert runner.wait(3000) and not runner.is_busy() and ran == []


def test_work_runs_on_one_blas_thread_and_the_limit_comes_back(qtbot) -> None:  # type: ignore[no-untyped-def]
    assert np.ones(2) @ np.ones(2) == 2  # NumPy's BLAS is loaded
    with threadpool_limits(limits=2, user_api="blas"):  # so "back" differs from 1
        before = blas_thread_limit()
        runner = JobRunner()
        with qtbot.waitSignal(runner.finished, timeout=3000) as blocker:
            runner.submit("blas", lambda stop, progress: blas_thread_limit())
        assert runner.wait(3000)
        assert before is not None and before > 1
        assert blocker.args[0].value == 1
        assert blas_thread_limit() == before


def test_a_bug_in_a_job_is_logged_and_named(qtbot, logs_in_tmp) -> None:  # type: ignore[no-untyped-def]
    try:
        {}["l0.fwd.h"]
    except KeyError as bug:  # with a traceback, as a job's would have
        message = _error_of(qtbot, bug, "trace", "model.pt")
    crash_log = logs_in_tmp / "crash.log"
    assert message == (
        "reading the text (model.pt) failed: this is a bug in RNN Studio (KeyError); "
        f"details in {crash_log}. Please report it; your text and the model shown are "
        "unchanged.")
    logged = crash_log.read_text(encoding="utf-8")
    assert "bug while reading the text (model.pt)" in logged.splitlines()[0]
    assert "in test_a_bug_in_a_job_is_logged_and_named" in logged
    assert "in failing" in logged and "KeyError: 'l0.fwd.h'" in logged


def test_a_bug_with_no_writable_log_goes_to_stderr(qtbot, tmp_path, monkeypatch,  # type: ignore[no-untyped-def]
                                                   capfd) -> None:
    blocker_file = tmp_path / "not-a-folder"
    blocker_file.write_text("a file where the log folder should be")
    monkeypatch.setenv("RNNSTUDIO_LOG_DIR", str(blocker_file))
    message = _error_of(qtbot, TypeError("boom"), "export-something")
    assert message.startswith("export-something failed: this is a bug")
    assert "could not be written" in message
    assert "TypeError: boom" in capfd.readouterr().err
