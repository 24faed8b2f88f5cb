"""One edit computes each quantity once: the text is tokenized once (also for a loss
bound to a step), the view and its heatmap arrays are built once, and every heatmap row
is drawn once, with the view's own arrays.

Calls are counted by wrappers around the functions themselves (in every module that
imported them), from the text box's commit until the new trace is shown and painted.
``tests/benchmarks/bench_gui.py`` walks the same edit with a profiler and lists every
project function it runs.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from conftest import wait_for_trace
from PySide6.QtWidgets import QApplication

from rnnstudio.engine.losses import TagCrossEntropy
from rnnstudio.engine.model import Model
from rnnstudio.gui.widgets.heatmap_row import HeatmapRow
from rnnstudio.io.model_source import ModelSource
from rnnstudio.view import heatmaps as heatmaps_module
from rnnstudio.view import trace_view as trace_view_module

IDIOM = "i was feeling under the weather today"


class Calls:
    """Counts calls of wrapped functions by name; the worker thread counts too."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.counts: Counter[str] = Counter()
        self.rows: Counter[int] = Counter()
        self.texts: list[str] = []

    def count(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.counts[name] += 1
            return function(*args, **kwargs)

        return counted

    def wrap_function(self, name: str, function: Callable[..., Any]) -> None:
        """Replace ``function`` wherever a loaded rnnstudio module holds it by name."""
        counted = self.count(name, function)
        for module_name, module in list(sys.modules.items()):
            if module_name.startswith("rnnstudio") and \
                    getattr(module, function.__name__, None) is function:
                self.monkeypatch.setattr(module, function.__name__, counted)

    def start(self) -> None:
        """Count from now: tokenize, heatmaps, trace_view and HeatmapRow.show."""
        tokenize, show = Model.tokenize, HeatmapRow.show

        def counted_tokenize(model: Model, text: Any) -> Any:
            self.counts["tokenize"] += 1
            self.texts.append(text)
            return tokenize(model, text)

        def counted_show(row: HeatmapRow, data: Any, mode: str = "auto") -> None:
            self.rows[id(row)] += 1
            show(row, data, mode)

        self.monkeypatch.setattr(Model, "tokenize", counted_tokenize)
        self.monkeypatch.setattr(HeatmapRow, "show", counted_show)
        self.wrap_function("heatmaps", heatmaps_module.heatmaps)
        self.wrap_function("trace_view", trace_view_module.trace_view)


def edit(qtbot: Any, window: Any, text: str, calls: Calls) -> None:
    """Type ``text``, commit it as the debounce timer does, wait for it to be painted."""
    window.text_input.editor.setPlainText(text)
    window.text_input.debounce.stop()
    calls.start()
    wait_for_trace(qtbot, window.session, window.text_input.commit)
    QApplication.processEvents()  # the paints the new trace asked for


def assert_computed_once(window: Any, calls: Calls, text: str) -> None:
    session = window.session
    assert session.trace.tokens == text.split()
    assert calls.texts == [text]
    assert calls.counts == {"tokenize": 1, "heatmaps": 1, "trace_view": 1}
    rows = window.heatmaps.rows
    assert len(rows) == len(session.view.layer.heatmaps) == 6  # LSTM: h, c, i, f, g, o
    assert sorted(calls.rows.values()) == [1] * len(rows)
    assert set(calls.rows) == {id(row) for row in rows}
    for row, data in zip(rows, session.view.layer.heatmaps, strict=True):
        assert row.data is data  # the view's arrays, not a copy built by the panel


def test_one_edit_of_a_random_model_computes_everything_once(
        qtbot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls = Calls(monkeypatch)
    edit(qtbot, window, "the dog sat on the mat", calls)
    assert_computed_once(window, calls, "the dog sat on the mat")


def test_one_edit_with_a_step_bound_loss_tokenizes_once(
        qtbot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    session = window.session
    wait_for_trace(qtbot, session, lambda: session.open_source(
        ModelSource.shipped("idioms-lstm"), IDIOM, loss=TagCrossEntropy(3)))
    assert session.loss == TagCrossEntropy(3)
    calls = Calls(monkeypatch)
    text = IDIOM.replace("today", "again")
    edit(qtbot, window, text, calls)
    assert session.loss == TagCrossEntropy(3)  # step 3 still exists: the loss is kept
    assert session.trace.grads is not None
    assert session.trace.grads.loss_name == "tag:3"
    assert_computed_once(window, calls, text)
