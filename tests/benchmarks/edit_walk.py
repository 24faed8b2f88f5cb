"""The walk of one edit: every project function that runs from the text box's commit,
through the worker's compute, to the panels' redraw. Used by ``bench_gui.py``.

A profile function (``sys.setprofile`` on the GUI thread, ``threading.setprofile`` for
Python threads, and set from inside ``JobRunner``'s ``_Job.run`` for the Qt pool thread,
which ``threading`` does not start) counts calls of code objects whose file lies under
``rnnstudio/``: pyqtgraph, Qt and NumPy are left out, comprehensions and lambdas are
code objects of their own and count, a generator's resumptions do not. The window is the
one ``tests/gui/conftest.py``'s ``window`` fixture builds; each walk makes one edit
unprofiled first (imports, caches), then profiles the next one from a quiet window.
"""

from __future__ import annotations

import inspect
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

import numpy as np
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[2]
#: Where project code lives (a walk of another checkout sets its own).
PROJECT = str(ROOT / "rnnstudio") + "/"
_RESUMABLE = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR
#: Functions that compute what the view shows: each should run once per edit
#: (``row_norms`` once per distinct array, ``HeatmapRow.*`` once per row).
WATCHED = ("Model.tokenize", "Tokenizer.split", "heatmaps", "trace_view", "layer_view",
           "gradient_curves", "gradient_norms", "shading_of", "row_norms",
           "unit_equations", "step_terms", "HeatmapPanel.refresh", "HeatmapRow.show",
           "HeatmapRow.set_cursor", "compute_trace")
#: (title, model, texts: opened on, warm-up edit, measured edit, loss, cursor at the end);
#: "random" is the seeded LSTM 1x32 of the tests' window, at the cursor it has there (0).
IDIOM = "i was feeling under the weather today"
WALKS: tuple[tuple[str, str, tuple[str, str, str], str | None, bool], ...] = (
    ("random LSTM, word replaced", "random",
     ("the cat sat on the mat", "the cat sat on the hat", "the dog sat on the hat"), None,
     False),
    ("random LSTM, word typed at the end, cursor there", "random",
     ("the cat sat on the mat", "the cat sat on the hat", "the cat sat on the hat today"),
     None, True),
    ("idioms-lstm tag:3, word replaced", "idioms-lstm",
     (IDIOM, IDIOM.replace("today", "again"), IDIOM.replace("today", "lately")), "tag:3",
     False),
)


def _name(code: CodeType) -> str:
    return f"{code.co_filename[len(PROJECT):]}:{code.co_firstlineno} {code.co_qualname}"


class CallCounter:
    """A profile function counting calls of project code objects, from any thread."""

    def __init__(self) -> None:
        self.calls: Counter[CodeType] = Counter()
        self.on_worker: set[CodeType] = set()
        #: ``row_norms`` argument identities (data address, shape): same array twice?
        self.row_norm_arrays: Counter[tuple[int, tuple[int, ...]]] = Counter()
        self._resumable: dict[int, FrameType] = {}  # kept alive so ids stay unique
        self._main = threading.main_thread().ident
        self._lock = threading.Lock()

    def __call__(self, frame: FrameType, event: str, arg: Any) -> None:
        if event != "call" or not frame.f_code.co_filename.startswith(PROJECT):
            return
        code = frame.f_code
        with self._lock:
            if code.co_flags & _RESUMABLE:
                if id(frame) in self._resumable:
                    return
                self._resumable[id(frame)] = frame
            self.calls[code] += 1
            if threading.get_ident() != self._main:
                self.on_worker.add(code)
            if code.co_name == "row_norms":
                values = np.asarray(frame.f_locals["values"])
                self.row_norm_arrays[values.__array_interface__["data"][0],
                                     values.shape] += 1

    def walk(self, title: str, rows: int) -> Walk:
        self._resumable.clear()
        return Walk(title, {_name(code): count for code, count in self.calls.items()},
                    frozenset(_name(code) for code in self.on_worker),
                    tuple(self.row_norm_arrays.values()), rows)


@contextmanager
def profiling(counter: CallCounter) -> Iterator[None]:
    """``counter`` on this thread, new Python threads and the job runners' pool threads."""
    from rnnstudio.gui import jobs

    original_run = jobs._Job.run

    def profiled_run(job: Any) -> None:
        sys.setprofile(counter)
        try:
            original_run(job)
        finally:
            sys.setprofile(None)

    jobs._Job.run = profiled_run  # type: ignore[method-assign]
    threading.setprofile(counter)
    sys.setprofile(counter)
    try:
        yield
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
        jobs._Job.run = original_run  # type: ignore[method-assign]


def settle(app: QApplication, session: Any, milliseconds: int = 200, rounds: int = 50) -> None:
    """Let the delayed ||dh_T/dh_t|| start, finish and be shown: a quiet window (on a
    busy machine its timer can fire late, so wait until the trace has it)."""
    for _ in range(rounds):
        pause = QEventLoop()
        QTimer.singleShot(milliseconds, pause.quit)
        pause.exec()
        session.wait()
        app.processEvents()
        grads = session.trace.grads
        if grads is None or grads.jacobian or session.jacobian_deferred:
            return
    raise RuntimeError("||dh_T/dh_t|| did not arrive: the edit walk needs a quiet window")


def edit(app: QApplication, window: Any, text: str) -> None:
    """Type ``text`` into the box and commit it as the debounce timer does; return when
    the new trace is shown and painted (as ``bench_gui.bench_edit`` waits)."""
    session = window.session
    window.text_input.editor.setPlainText(text)
    window.text_input.debounce.stop()
    waiting = QEventLoop()
    session.trace_changed.connect(waiting.quit)
    window.text_input.commit()
    waiting.exec()
    app.processEvents()
    session.trace_changed.disconnect(waiting.quit)


def open_window(app: QApplication, model: str, text: str, loss: str | None) -> Any:
    """The window as ``tests/gui``'s fixture builds it, reopening ``model`` ("random":
    the seeded LSTM 1x32, else a shipped key) on ``text`` with ``loss``."""
    from rnnstudio.gui.app import start
    from rnnstudio.gui.session import Session
    from rnnstudio.gui.settings import Settings
    from rnnstudio.io.model_source import ModelSource, RandomModelSpec
    from rnnstudio.io.session_file import SessionFile, save_session

    settings = Settings()
    source = (ModelSource.random(RandomModelSpec()) if model == "random"
              else ModelSource.shipped(model))
    save_session(SessionFile(model=source, text=text, loss=loss), settings.last_session_path)
    window = start(Session(), settings)
    window.resize(1400, 900)
    window.show()
    app.processEvents()
    return window


def walk_edit(app: QApplication, title: str, model: str, texts: tuple[str, str, str],
              loss: str | None = None, cursor_at_end: bool = False) -> Walk:
    """Open the window on ``texts[0]``, edit to ``texts[1]`` unprofiled, then profile the
    edit to ``texts[2]``; ``cursor_at_end`` puts the cursor on the last step first."""
    window = open_window(app, model, texts[0], loss)
    session = window.session
    settle(app, session)
    edit(app, window, texts[1])
    settle(app, session)
    if cursor_at_end:
        session.set_cursor(session.step_count - 1)
        app.processEvents()
    counter = CallCounter()
    with profiling(counter):
        edit(app, window, texts[2])
    rows = len(window.heatmaps.rows)
    window.close()
    session.shutdown()
    return counter.walk(title, rows)


def _layer(name: str) -> str:
    top = name.split("/", 1)[0]
    return top if top in ("engine", "io", "view", "gui") else "other"


@dataclass(frozen=True)
class Walk:
    """The project calls of one edit, by ``path:line qualname``."""

    title: str
    calls: dict[str, int]
    #: Functions that ran on a worker thread (the others ran on the GUI thread only).
    on_worker: frozenset[str]
    #: Calls of ``row_norms`` per distinct array it was given.
    row_norm_arrays: tuple[int, ...]
    rows: int

    @property
    def distinct(self) -> int:
        return len(self.calls)

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def count(self, qualname: str) -> int:
        return sum(calls for name, calls in self.calls.items()
                   if name.split(" ", 1)[1] == qualname)

    def twice(self) -> list[str]:
        """Watched quantities computed more than once (per row, per array)."""
        found = []
        repeated = [count for count in self.row_norm_arrays if count > 1]
        if repeated:
            found.append(f"row_norms on one array {max(repeated)}x")
        for qualname in WATCHED:
            calls = self.count(qualname)
            expected = self.rows if qualname.startswith("HeatmapRow.") else 1
            if qualname != "row_norms" and calls > expected:
                found.append(f"{qualname} {calls}x (expected {expected})")
        return found


def report_walk(walk: Walk, show: Callable[[str], None] = print, every: bool = False) -> None:
    """Distinct functions and calls by layer and file, what ran more than once, and what
    was computed twice; ``every`` lists every function with its count."""
    layers: Counter[str] = Counter(_layer(name) for name in walk.calls)
    show(f"{walk.title}: {walk.distinct} distinct project functions, {walk.total} calls "
         f"({len(walk.on_worker)} functions on the worker); by layer: "
         + ", ".join(f"{layer} {count}" for layer, count in layers.most_common()))
    files: dict[str, list[int]] = {}
    for name, calls in walk.calls.items():
        per_file = files.setdefault(name.split(":", 1)[0], [0, 0])
        per_file[0] += 1
        per_file[1] += calls
    top = sorted(files.items(), key=lambda item: -item[1][0])
    show("  files: " + ", ".join(f"{path} {distinct}/{calls}"
                                 for path, (distinct, calls) in top) + " (functions/calls)")
    repeated = sorted(((calls, name) for name, calls in walk.calls.items() if calls > 1),
                      reverse=True)
    outside = [f"{name.split(' ', 1)[1]} {calls}x" for calls, name in repeated
               if _layer(name) != "engine"]
    show(f"  outside the engine, more than once: {', '.join(outside) or 'none'}")
    engine = [calls for calls, name in repeated if _layer(name) == "engine"]
    show(f"  in the engine, more than once: {len(engine)} functions (loops over layers, "
         f"steps, gates)")
    show(f"  computed twice: {'; '.join(walk.twice()) or 'nothing'}")
    if every:
        for name, calls in sorted(walk.calls.items()):
            where = "worker" if name in walk.on_worker else "gui"
            show(f"    {calls:4d}  {where:6s} {name}")


def run_walks(app: QApplication) -> list[Walk]:
    return [walk_edit(app, title, model, texts, loss, at_end)
            for title, model, texts, loss, at_end in WALKS]
