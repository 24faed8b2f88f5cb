"""The walk of one edit: every project function that runs from the text box's commit,
through the worker's compute, to the panels' redraw. Used by ``bench_gui.py``.

A profile function (``sys.setprofile`` on the GUI thread, ``threading.setprofile`` for
Python threads, and set from inside ``JobRunner``'s ``_Job.run`` for the Qt pool thread,
which ``threading`` does not start) counts calls of code objects whose file lies under
``rnnstudio/``; pyqtgraph, Qt and NumPy are left out. A generator's resumptions are not
new calls. The window is set up as ``tests/gui/conftest.py``'s ``window`` fixture does.
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
PROJECT = str(ROOT / "rnnstudio") + "/"
_RESUMABLE = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR
#: Functions that compute a quantity the view shows: each should run once per edit
#: (``row_norms`` once per distinct array, ``HeatmapRow.show``/``set_cursor`` once per row).
WATCHED = ("Model.tokenize", "heatmaps", "trace_view", "layer_view", "gradient_curves",
           "gradient_norms", "saliency", "predicted_tags", "row_norms",
           "HeatmapPanel.refresh", "HeatmapRow.show", "HeatmapRow.set_cursor",
           "compute_trace")


def _name(code: CodeType) -> str:
    return f"{code.co_filename[len(PROJECT):]}:{code.co_firstlineno} {code.co_qualname}"


class CallCounter:
    """A profile function counting calls of project code objects, from any thread."""

    def __init__(self) -> None:
        self.calls: Counter[CodeType] = Counter()
        #: ``row_norms`` argument identities (data address, shape): same array twice?
        self.row_norm_arrays: Counter[tuple[int, tuple[int, ...]]] = Counter()
        self._resumable: dict[int, FrameType] = {}  # kept alive so ids stay unique
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
            if code.co_name == "row_norms":
                values = np.asarray(frame.f_locals["values"])
                self.row_norm_arrays[values.__array_interface__["data"][0],
                                     values.shape] += 1

    def done(self) -> None:
        self._resumable.clear()


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
        counter.done()


def settle(app: QApplication, session: Any, milliseconds: int = 400) -> None:
    """Let the delayed ||dh_T/dh_t|| start, finish and be shown: a quiet window."""
    pause = QEventLoop()
    QTimer.singleShot(milliseconds, pause.quit)
    pause.exec()
    session.wait()
    app.processEvents()


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


def open_window(app: QApplication, source: Any, text: str, loss: str | None = None) -> Any:
    """The window as ``tests/gui``'s fixture builds it, reopening ``source`` on ``text``."""
    from rnnstudio.gui.app import start
    from rnnstudio.gui.session import Session
    from rnnstudio.gui.settings import Settings
    from rnnstudio.io.session_file import SessionFile, save_session

    settings = Settings()
    save_session(SessionFile(model=source, text=text, loss=loss), settings.last_session_path)
    window = start(Session(), settings)
    window.resize(1400, 900)
    window.show()
    app.processEvents()
    return window


@dataclass(frozen=True)
class Walk:
    """The project calls of one edit."""

    title: str
    calls: dict[str, int]
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
        for qualname in WATCHED:
            calls = self.count(qualname)
            expected = self.rows if qualname.startswith("HeatmapRow.") else 1
            if qualname == "row_norms":
                repeated = [count for count in self.row_norm_arrays if count > 1]
                if repeated:
                    found.append(f"row_norms on the same array {max(repeated)}x")
            elif calls > expected:
                found.append(f"{qualname} {calls}x (expected {expected})")
        return found


def walk_edit(app: QApplication, title: str, source: Any, texts: tuple[str, str, str],
              loss: str | None = None) -> Walk:
    """Open the window on ``texts[0]``, make the edit ``texts[1]`` once unprofiled (imports,
    caches), then profile the edit to ``texts[2]`` from a quiet window."""
    window = open_window(app, source, texts[0], loss)
    settle(app, window.session)
    edit(app, window, texts[1])
    settle(app, window.session)
    counter = CallCounter()
    with profiling(counter):
        edit(app, window, texts[2])
    rows = len(window.heatmaps.rows)
    window.close()
    window.session.shutdown()
    calls = {_name(code): count for code, count in counter.calls.items()}
    return Walk(title, calls, tuple(counter.row_norm_arrays.values()), rows)


def report_walk(walk: Walk, show: Callable[[str], None] = print) -> None:
    """Distinct functions, calls, per file, and every function run more than once."""
    show(f"{walk.title}: {walk.distinct} distinct project functions, {walk.total} calls, "
         f"{walk.rows} heatmap rows")
    files: dict[str, list[int]] = {}
    for name, calls in walk.calls.items():
        per_file = files.setdefault(name.split(":", 1)[0], [0, 0])
        per_file[0] += 1
        per_file[1] += calls
    for path, (distinct, calls) in sorted(files.items(), key=lambda item: -item[1][0]):
        show(f"    {path:40s} {distinct:3d} functions {calls:4d} calls")
    repeated = sorted(((calls, name) for name, calls in walk.calls.items() if calls > 1),
                      reverse=True)
    show("  run more than once: " + (", ".join(f"{name} {calls}x" for calls, name in repeated)
                                     or "none"))
    twice = walk.twice()
    show("  computed twice: " + ("; ".join(twice) or "nothing"))
