"""GUI speed, offscreen. A script, not a test: ``python tests/benchmarks/bench_gui.py``.

Measures the four budgets of issue 3:

1. redraw of all heatmaps for H = 512, T = 2000 (frames per second, target >= 55);
2. one step plus redraw for H = 256, T = 512, 2 layers (95th percentile, <= 16 ms);
3. edit to updated view for T = 200, H = 256 including BPTT (<= 100 ms; the 200 ms
   typing debounce comes on top and is not counted);
4. process start to first painted window (<= 1.0 s).

and, alone with ``--workers``, that a worker does not fight the paint (issue 9): BLAS held
to one thread in ``JobRunner`` jobs, timed with a CPU-bound process on the other core.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
#: Between two measured edits: the typing debounce plus a little (see bench_edit).
TYPING_PAUSE_MS = 250
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from rnnstudio.engine.config import RecurrentConfig  # noqa: E402
from rnnstudio.engine.trace import LayerTrace  # noqa: E402


def _percentile(samples: list[float], q: float) -> float:
    return float(np.percentile(np.array(samples), q))


def _synthetic_trace(hidden: int, steps: int, seed: int) -> SimpleNamespace:
    """Gate-like values of an LSTM layer; the drawing cost does not depend on the numbers."""
    rng = np.random.default_rng(seed)
    gates = {name: rng.random((steps, hidden), dtype=np.float32) for name in "ifgo"}
    layer = LayerTrace(np.tanh(rng.standard_normal((steps, hidden), dtype=np.float32)),
                       rng.standard_normal((steps, hidden), dtype=np.float32), gates)
    recurrent = RecurrentConfig("lstm", 16, hidden)
    return SimpleNamespace(tokens=[f"w{index}" for index in range(steps)], unknown=[],
                           config=SimpleNamespace(recurrent=recurrent),
                           layer=lambda k=0, d="fwd": layer, grads=None, nonfinite=None)


def bench_heatmap_redraw(app: QApplication, frames: int = 120) -> dict[str, float]:
    from rnnstudio.gui.trace_view import heatmaps

    from rnnstudio.gui.session import Session
    from rnnstudio.gui.widgets.heatmaps import HeatmapPanel

    session = Session()
    traces = [_synthetic_trace(512, 2000, seed) for seed in (0, 1)]
    session.show_trace(None, traces[0])
    panel = HeatmapPanel(session)
    panel.resize(1600, 1000)
    panel.show()
    app.processEvents()
    frames_data = [heatmaps(trace, 0, "fwd") for trace in traces]
    renders = [0]
    original_render = type(panel.rows[0].image).render

    def counting_render(image):  # type: ignore[no-untyped-def]
        renders[0] += 1
        return original_render(image)

    type(panel.rows[0].image).render = counting_render  # proves every image was redrawn
    started = time.perf_counter()
    for frame in range(frames):
        for row, data in zip(panel.rows, frames_data[frame % 2], strict=True):
            row.show(data)
        panel.graphics.viewport().repaint()
    redraw_fps = frames / (time.perf_counter() - started)
    type(panel.rows[0].image).render = original_render
    assert renders[0] >= frames * len(panel.rows), renders
    started = time.perf_counter()
    for frame in range(frames // 4):  # the whole path: new trace -> arrays -> images
        session.show_trace(None, traces[frame % 2])
        panel.graphics.repaint()
    refresh_fps = (frames // 4) / (time.perf_counter() - started)
    panel.close()
    session.shutdown()
    return {"heatmaps": len(panel.rows), "redraw_fps": redraw_fps,
            "new_trace_fps": refresh_fps}


def _window(app: QApplication, text: str, hidden: int, layers: int):  # type: ignore[no-untyped-def]
    from rnnstudio.gui.engine_bridge import RandomModelSpec

    from rnnstudio.gui.app import start
    from rnnstudio.gui.session import Session
    from rnnstudio.gui.settings import Settings

    settings = Settings()
    settings.random_spec = RandomModelSpec(hidden_size=hidden, num_layers=layers)
    settings.last_model = "random"  # not the trained default: the sizes above are measured
    session = Session()
    window = start(session, settings, text=text)
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    return window, session


def bench_step(app: QApplication, steps: int = 512, samples: int = 300) -> dict[str, float]:
    text = " ".join(f"w{index % 97}" for index in range(steps))
    window, session = _window(app, text, hidden=256, layers=2)
    session.set_cursor(0)
    app.processEvents()
    times = []
    for index in range(samples):
        started = time.perf_counter()
        session.set_cursor(index % steps)
        window.repaint()
        times.append((time.perf_counter() - started) * 1000)
    window.close()
    session.shutdown()
    return {"step_p50_ms": _percentile(times, 50), "step_p95_ms": _percentile(times, 95)}


def bench_edit(app: QApplication, steps: int = 200, edits: int = 30) -> dict[str, float]:
    words = [f"w{index % 53}" for index in range(steps)]
    window, session = _window(app, " ".join(words), hidden=256, layers=1)
    editor = window.text_input.editor
    times, compute = [], []
    for edit in range(edits):
        words[edit % steps] = f"edit{edit}"
        editor.setPlainText(" ".join(words))
        window.text_input.debounce.stop()
        # Wait in an event loop like the app does: a spinning processEvents() loop would
        # hold the GIL and slow the worker down (it measured 102 ms instead of 64 ms).
        waiting = QEventLoop()
        session.trace_changed.connect(waiting.quit)
        started = time.perf_counter()
        window.text_input.commit()  # what the debounce timer calls after typing pauses
        waiting.exec()
        app.processEvents()  # the paints the new trace asked for, as the event loop does
        times.append((time.perf_counter() - started) * 1000)
        compute.append(session.last_compute_ms)
        session.trace_changed.disconnect(waiting.quit)
        # A typist's pause (the debounce is 200 ms): ||dh_T/dh_t|| of this trace starts
        # meanwhile, so the next edit also pays for cancelling it.
        pause = QEventLoop()
        QTimer.singleShot(TYPING_PAUSE_MS, pause.quit)
        pause.exec()
    window.close()
    session.shutdown()
    gui_part = [total - engine for total, engine in zip(times, compute, strict=True)]
    return {"edit_p50_ms": _percentile(times, 50), "edit_p95_ms": _percentile(times, 95),
            "edit_engine_p50_ms": _percentile(compute, 50),
            "edit_gui_part_p50_ms": _percentile(gui_part, 50)}


_FIRST_PAINT = """
import sys, tempfile
from PySide6.QtCore import QEvent, QObject, QSettings
from PySide6.QtWidgets import QApplication
QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
app = QApplication(sys.argv[:1])
from rnnstudio.gui.app import start
from rnnstudio.gui.session import Session
from rnnstudio.gui.settings import Settings
class Painted(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            print("painted", flush=True)
            app.exit(0)
        return False
session = Session()
window = start(session, Settings())
probe = Painted()
window.heatmaps.graphics.viewport().installEventFilter(probe)
window.show()
app.exec()
session.shutdown()
"""


def bench_first_paint(runs: int = 5) -> dict[str, float]:
    times = []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(runs):
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-c", _FIRST_PAINT], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = process.stdout.readline() if process.stdout else ""
        elapsed = time.perf_counter() - started
        process.wait(timeout=30)
        if line.strip() == "painted":
            times.append(elapsed)
    return {"first_paint_median_s": _percentile(times, 50), "first_paint_max_s": max(times)}


# --- Workers never fight the paint (issue 9): ``--workers`` -----------------------------


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


def _alone_busy_before(work: Callable[[], Any], repeats: int) -> dict[str, list[float]]:
    """(a) alone on a quiet machine, (b) beside a busy core, (c) as (b) with BLAS on every
    thread it has by default; interleaved, so drifting load touches all three alike."""
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
            times["before"].append(_job_seconds(runner, work, default_threads))
    runner.shutdown()
    return times


def _jacobian_work() -> Callable[[], Any]:
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


def _report_workers(title: str, times: dict[str, list[float]]) -> None:
    alone_min, alone_median = min(times["alone"]), statistics.median(times["alone"])
    print(f"{title}, {len(times['alone'])} repeats (min / median):")
    for key, label in (("alone", "(a) alone, 1 BLAS thread, quiet"),
                       ("busy", "(b) busy other core, 1 BLAS thread"),
                       ("before", "(c) busy other core, BLAS unlimited")):
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
                    _alone_busy_before(_jacobian_work(), repeats))
    if training:
        _report_workers("300 training steps (the Training dock's defaults) as a JobRunner job",
                        _alone_busy_before(_training_work(), repeats))
    print(f"load average after: {os.getloadavg()[0]:.2f} (other work on the machine shows here)")
    return 0


def main() -> int:
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope,
                      tempfile.mkdtemp(prefix="rnnstudio-bench-"))
    app = QApplication(sys.argv[:1])
    results: dict[str, float] = {}
    for bench in (bench_heatmap_redraw, bench_step, bench_edit):
        results.update(bench(app))
    results.update(bench_first_paint())
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    for name, value in results.items():
        print(f"{name:24s} {value:10.2f}")
    return 0


if __name__ == "__main__":
    _parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    _parser.add_argument("--workers", action="store_true",
                         help="only the issue 9 section: BLAS in workers beside a busy core")
    _parser.add_argument("--repeats", type=int, default=3, help="for --workers")
    _parser.add_argument("--no-training", action="store_true",
                         help="for --workers: the Jacobian only")
    _args = _parser.parse_args()
    raise SystemExit(main_workers(_args.repeats, not _args.no_training) if _args.workers
                     else main())
