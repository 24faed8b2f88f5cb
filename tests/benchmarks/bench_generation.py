"""Generation speed. A script, not a test: ``python tests/benchmarks/bench_generation.py``.

For each shipped char LM (charlm-rnn, charlm-lstm, charlm-gru), tokens written a second

1. by the engine alone (``model.generate``, 1,000 tokens after a short prompt), and
2. with the window updating: a real ``MainWindow`` (offscreen, 1280 x 720) whose Write
   job writes ``--tokens`` tokens (default 300) at full pace, every frame (forward trace
   of the text so far, <= 20 a second) drawn by every panel, then the full trace with
   gradients at the end. Measured from the click to the full trace on screen;
3. what one frame costs at that length (the session takes the forward trace and every
   panel paints it): this, not the cell, bounds how many frames a second are drawn.

Goal (issue 14): >= 200 tokens a second with the window updating. Ends with a table,
each row PASS or FAIL. ``--runs N`` keeps the fastest of N runs of each (the machine
is shared).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from rnnstudio.io.model_files import load_model  # noqa: E402
from rnnstudio.models_index import find_model  # noqa: E402

MODELS = ("charlm-rnn", "charlm-lstm", "charlm-gru")
PROMPT = "the cat"
GOAL_WINDOW = 200.0
ENGINE_TOKENS = 1000


def engine_rate(name: str, runs: int) -> float:
    """Tokens a second of ``model.generate`` alone (fastest of ``runs``)."""
    model = load_model(str(find_model(name).path))
    best = float("inf")
    for run in range(runs):
        started = time.perf_counter()
        model.generate(PROMPT, length=ENGINE_TOKENS, temperature=0.8, seed=run)
        best = min(best, time.perf_counter() - started)
    return ENGINE_TOKENS / best


def window_rate(app: QApplication, name: str, tokens: int,
                runs: int) -> tuple[float, int, float]:
    """Tokens a second with a real window drawing the writing, the frames shown
    (fastest run of ``runs``), and the median cost of a frame (ms)."""
    from rnnstudio.gui.app import start
    from rnnstudio.gui.generation_job import WriteRequest
    from rnnstudio.gui.session import Session
    from rnnstudio.gui.settings import Settings
    from rnnstudio.io.model_source import ModelSource
    from rnnstudio.io.session_file import SessionFile, save_session

    settings = Settings()
    save_session(SessionFile(model=ModelSource.shipped(name), text=PROMPT),
                 settings.last_session_path)
    session = Session()
    window = start(session, settings)
    window.resize(1280, 720)
    window.show()
    window.show_panel("write")
    _settle(app, 0.5)
    best, frames_of_best = float("inf"), 0
    for run in range(runs):
        session.set_text(PROMPT)
        session.wait()
        _settle(app, 0.3)
        frames: list[int] = []
        session.trace_changed.connect(lambda shown=frames: shown.append(session.step_count))
        started = time.perf_counter()
        session.writing.start(WriteRequest(tokens, 0.8, None, run, 0.0))
        while session.writing.running:
            app.processEvents()
        seconds = time.perf_counter() - started
        session.trace_changed.disconnect()
        assert session.step_count == len(PROMPT) + tokens, session.writing.status
        if seconds < best:
            best, frames_of_best = seconds, len(frames)
    frame_ms = frame_cost(app, session, tokens)
    window.close()
    session.shutdown()
    return tokens / best, frames_of_best, frame_ms


def frame_cost(app: QApplication, session, tokens: int, frames: int = 20) -> float:  # type: ignore[no-untyped-def]
    """Median milliseconds of one frame at about ``tokens`` written: the session takes
    the forward trace and every panel paints it (what bounds the frame rate)."""
    import numpy as np

    from rnnstudio.engine.generation import Writer, check_options

    model = session.model
    writer = Writer(model, PROMPT, check_options(model, tokens + frames, 0.8, None, 0))
    written = iter(writer)
    for _ in range(tokens):
        next(written)
    samples = []
    for _ in range(frames):
        next(written)
        started = time.perf_counter()
        session.show_written(writer.trace(), writer.text)
        app.processEvents()
        samples.append((time.perf_counter() - started) * 1000)
    return float(np.median(samples))


def _settle(app: QApplication, seconds: float) -> None:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=300, help="tokens written in the window")
    parser.add_argument("--runs", type=int, default=3, help="keep the fastest of N runs")
    options = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="rnnstudio-bench-")
    for kind in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(kind, QSettings.Scope.UserScope, folder)
    os.environ["RNNSTUDIO_LOG_DIR"] = str(Path(folder) / "logs")
    app = QApplication.instance() or QApplication([])
    rows = []
    for name in MODELS:
        engine = engine_rate(name, options.runs)
        window, frames, frame_ms = window_rate(app, name, options.tokens, options.runs)
        rows.append((name, engine, window, frames, frame_ms))
        print(f"{name}: engine {engine:,.0f} tokens/s; window {window:,.0f} tokens/s "
              f"({options.tokens} tokens, {frames} frames drawn, a frame "
              f"{frame_ms:.0f} ms)", flush=True)
    print(f"\n{'model':<12} {'engine tok/s':>13} {'window tok/s':>13} {'frames':>7} "
          f"{'frame ms':>9}  goal >= {GOAL_WINDOW:g} tok/s with the window")
    failed = False
    for name, engine, window, frames, frame_ms in rows:
        verdict = "PASS" if window >= GOAL_WINDOW else "FAIL"
        failed |= verdict == "FAIL"
        print(f"{name:<12} {engine:>13,.0f} {window:>13,.0f} {frames:>7} {frame_ms:>9.0f}  "
              f"{verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
