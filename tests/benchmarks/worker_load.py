"""Workers never fight the paint (issue 9): ``python tests/benchmarks/bench_gui.py --workers``.

Work runs as a real ``JobRunner`` job: (a) alone, BLAS held to one thread as in every job;
(b) the same beside a ``multiprocessing`` process busy-looping on the other core; (c) as
(b) with BLAS on every thread it has by default, as workers ran before issue 9. The three
are interleaved, so drifting load on a shared machine touches them alike. The default run
of ``bench_gui.py`` times (a) and (b) for the Jacobian only.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication


def _spin(ready: Any) -> None:
    """A CPU-bound process: whatever else keeps the other core of a busy machine busy."""
    ready.set()
    while True:
        pass


class _BusyCore:
    """A ``_spin`` process for the length of a ``with`` block (spawned: no fork of Qt)."""

    def __enter__(self) -> _BusyCore:
        context = multiprocessing.get_context("spawn")
        ready = context.Event()
        self.process = context.Process(target=_spin, args=(ready,), daemon=True)
        self.process.start()
        assert ready.wait(30), "the busy-loop process did not start"
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.process.terminate()
        self.process.join()


def _job_seconds(runner: Any, work: Callable[[], Any], blas_threads: int | None) -> float:
    """``work()`` as a JobRunner job, waited for in an event loop as the app does. With
    ``blas_threads`` the job overrides the runner's one-thread limit: the "before" figure."""
    from threadpoolctl import threadpool_limits

    from rnnstudio.blas_threads import blas_thread_limit

    def job(should_stop: Any, on_progress: Any) -> Any:
        if blas_threads is None:
            assert blas_thread_limit() == 1, "JobRunner jobs should see one BLAS thread"
            return work()
        with threadpool_limits(limits=blas_threads, user_api="blas"):
            assert blas_thread_limit() == blas_threads
            return work()

    results: list[Any] = []
    done = QEventLoop()
    runner.finished.connect(results.append)
    runner.finished.connect(done.quit)
    runner.submit("bench", job)
    done.exec()
    runner.finished.disconnect(results.append)
    runner.finished.disconnect(done.quit)
    assert results and results[0].error is None, results
    return float(results[0].seconds)


def alone_busy_before(work: Callable[[], Any], repeats: int,
                       unlimited: bool = True) -> dict[str, list[float]]:
    """(a) alone on a quiet machine, (b) beside a busy core, and with ``unlimited`` (c) as
    (b) with BLAS on every thread it has by default; interleaved, so drifting load touches
    them alike."""
    from rnnstudio.blas_threads import blas_thread_limit
    from rnnstudio.gui.jobs import JobRunner

    default_threads = blas_thread_limit()
    runner = JobRunner()
    _job_seconds(runner, work, None)  # warm-up: imports, first allocations
    times: dict[str, list[float]] = {"alone": [], "busy": [], "before": []}
    for _ in range(repeats):
        times["alone"].append(_job_seconds(runner, work, None))
        with _BusyCore():
            times["busy"].append(_job_seconds(runner, work, None))
            if unlimited:
                times["before"].append(_job_seconds(runner, work, default_threads))
    runner.shutdown()
    return times


def jacobian_work() -> Callable[[], Any]:
    from rnnstudio.engine.model import random_model

    model = random_model("lstm", 256, seed=0)
    trace = model.trace(" ".join(f"w{index % 53}" for index in range(200)), jacobian=False)
    assert len(trace.tokens) == 200
    return lambda: model.jacobian_norms(trace)


def _training_work() -> Callable[[], Any]:
    from rnnstudio.engine.training import TrainConfig, train

    # The Training dock's defaults (training_panel.train_config), written out so this
    # section does not import the GUI's session.
    config = TrainConfig(task="recall", cell="lstm", hidden_size=32, steps=300,
                         learning_rate=0.003, clip_norm=1.0, eval_every=15, eval_size=128,
                         curriculum=0.0, task_options={"max_gap": 10, "mixed": True})
    return lambda: train(config)


def busy_ratios(times: dict[str, list[float]]) -> tuple[float, float]:
    """(b) over (a): fastest over fastest, median over median."""
    return (min(times["busy"]) / min(times["alone"]),
            statistics.median(times["busy"]) / statistics.median(times["alone"]))


def _report_workers(title: str, times: dict[str, list[float]]) -> None:
    alone_min, alone_median = min(times["alone"]), statistics.median(times["alone"])
    print(f"{title}, {len(times['alone'])} repeats (min / median):")
    for key, label in (("alone", "(a) alone, 1 BLAS thread, quiet"),
                       ("busy", "(b) busy other core, 1 BLAS thread"),
                       ("before", "(c) busy other core, BLAS unlimited")):
        if not times[key]:
            continue
        low, middle = min(times[key]), statistics.median(times[key])
        ratio = "" if key == "alone" else (
            f"   {low / alone_min:5.2f}x / {middle / alone_median:5.2f}x of (a)")
        goal = "   goal <= 1.5x" if key == "busy" else ""
        print(f"  {label:38s} {low:6.2f} s / {middle:6.2f} s{ratio}{goal}")


def main_workers(repeats: int, training: bool) -> int:
    from rnnstudio.blas_threads import blas_thread_limit

    app = QApplication.instance() or QApplication(sys.argv[:1])  # noqa: F841 (event loops)
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on "
          f"{os.cpu_count()} CPUs; BLAS threads by default: {blas_thread_limit()}")
    _report_workers("||dh_T/dh_t||, LSTM H = 256, T = 200, as a JobRunner job",
                    alone_busy_before(jacobian_work(), repeats))
    if training:
        _report_workers("300 training steps (the Training dock's defaults) as a JobRunner job",
                        alone_busy_before(_training_work(), repeats))
    print(f"load average after: {os.getloadavg()[0]:.2f} (other work on the machine shows here)")
    return 0
