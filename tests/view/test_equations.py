"""The filled-in equations agree with the engine's trace for every cell and layout,
initial states included, and the view that writes them loads no Qt."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rnnstudio.engine.model import random_model
from rnnstudio.view.equations import unit_equations

ROOT = Path(__file__).resolve().parents[2]


def expected_value(record, name: str, step: int, unit: int) -> float | None:
    """What the trace recorded for an equation's quantity (None for a projected m)."""
    if name in record.gates:
        return float(record.gates[name][step, unit])
    if name == "c":
        return float(record.c[step, unit])
    if name == "h":
        return float(record.h[step, unit])
    return None  # "m": a projected LSTM's o * tanh(c), before W_hr


@pytest.mark.parametrize(("cell", "options"), [
    ("lstm", {"num_layers": 2, "bidirectional": True}),
    ("gru", {"num_layers": 2, "bidirectional": True}),
    ("rnn", {"nonlinearity": "relu", "num_layers": 2}),
    ("rnn", {"bidirectional": True}),
    ("lstm", {"proj_size": 3}),
    ("gru", {"bias": False}),
])
def test_every_value_matches_the_trace(cell, options) -> None:  # type: ignore[no-untyped-def]
    model = random_model(cell, hidden_size=5, seed=7, dtype="float64", **options)
    trace = model.trace("one two three four", loss=None)
    recurrent = model.config.recurrent
    for layer in range(recurrent.num_layers):
        for direction in recurrent.directions:
            record = trace.layer(layer, direction)
            for step in (0, 2, 3):
                for unit in (0, 4):
                    for line in unit_equations(model, trace, layer, direction, step, unit):
                        expected = expected_value(record, line.name, step, unit)
                        if expected is not None:
                            assert line.value == pytest.approx(expected, abs=1e-9), (
                                layer, direction, step, unit, line.text)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_the_first_step_read_shows_the_traces_initial_states(cell) -> None:  # type: ignore[no-untyped-def]
    """With non-zero h0/c0 the first step each direction reads starts from them (the
    equations once assumed zeros there and disagreed with the trace)."""
    model = random_model(cell, hidden_size=4, seed=3, dtype="float64", num_layers=2,
                         bidirectional=True)
    rng = np.random.default_rng(5)
    h0 = rng.uniform(0.5, 0.9, (4, 4))
    c0 = rng.uniform(0.5, 0.9, (4, 4)) if cell == "lstm" else None
    trace = model.trace("one two three", loss=None, h0=h0, c0=c0)
    for row, (layer, direction) in enumerate([(0, "fwd"), (0, "bwd"), (1, "fwd"), (1, "bwd")]):
        first = 0 if direction == "fwd" else trace.steps - 1
        record = trace.layer(layer, direction)
        lines = {line.name: line for line in
                 unit_equations(model, trace, layer, direction, first, 2)}
        for name, line in lines.items():
            assert line.value == pytest.approx(expected_value(record, name, first, 2),
                                               abs=1e-12), (layer, direction, line.text)
        if cell == "lstm":
            assert f"* {c0[row, 2]:.2f} +" in lines["c"].numbers
        if cell == "gru":
            assert lines["h"].numbers.endswith(f"* {h0[row, 2]:.2f} = {lines['h'].value:.2f}")


def test_lines_read_like_the_issue_example() -> None:
    model = random_model("lstm", hidden_size=3, seed=1)
    trace = model.trace("the cat")
    forget = next(line for line in unit_equations(model, trace, 0, "fwd", 1, 2)
                  if line.name == "f")
    assert forget.symbolic == "f = sigmoid(W_if x + b_if + W_hf h + b_hf)"
    assert forget.numbers.startswith("= sigmoid(") and forget.numbers.endswith(
        f"= {forget.value:.2f}")
    assert forget.text == f"{forget.symbolic} {forget.numbers}"


def test_the_candidate_and_the_plain_cell_read_as_before() -> None:
    gru = random_model("gru", hidden_size=3, seed=2)
    candidate = unit_equations(gru, gru.trace("a b", loss=None), 0, "fwd", 1, 0)[2]
    assert candidate.symbolic == "n = tanh(W_in x + b_in + r * (W_hn h + b_hn))"
    relu = random_model("rnn", hidden_size=3, seed=2, nonlinearity="relu", bias=False)
    (line,) = unit_equations(relu, relu.trace("a b", loss=None), 0, "fwd", 1, 0)
    assert line.symbolic == "h = relu(W_ih x + W_hh h_prev)"
    assert line.numbers.startswith("= relu(") and line.numbers.endswith(f"= {line.value:.2f}")


def test_a_unit_outside_the_layer_is_refused_by_name() -> None:
    model = random_model("gru", hidden_size=3, seed=2)
    with pytest.raises(IndexError, match="unit 3"):
        unit_equations(model, model.trace("a b", loss=None), 0, "fwd", 0, 3)


def test_the_view_loads_no_qt() -> None:
    code = ("import sys, rnnstudio.view.equations\n"
            "print(','.join(sorted(m for m in sys.modules\n"
            "                      if m.split('.')[0] in ('PySide6', 'pyqtgraph'))))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    assert result.stdout.strip() == ""


def test_an_edited_line_ends_in_its_edit_and_the_next_lines_use_it() -> None:
    """f clamped to 1 and i to 0 on unit 1 from step 2: the f line shows the cell's own
    sigmoid, then '→ 1.00 (edited)'; the c line multiplies by 1.00 and 0.00 and gives
    the c the trace holds (c_prev carried bit for bit); other units are untouched."""
    model = random_model("lstm", input_size=4, hidden_size=3, seed=5, dtype="float64")
    text = "a b c d e"
    trace = model.trace(text, interventions=["f=1:units=1:steps=2-", "i=0:units=1:steps=2-"])
    lines = {line.name: line for line in unit_equations(model, trace, 0, "fwd", 3, 1)}
    assert lines["f"].numbers.endswith("→ 1.00 (edited)") and lines["f"].value == 1.0
    assert lines["i"].numbers.endswith("→ 0.00 (edited)") and lines["i"].value == 0.0
    c_prev = trace.layer(0).c[2, 1]
    assert f"= 1.00 * {c_prev:.2f} + 0.00 * " in lines["c"].numbers
    assert lines["c"].value == trace.layer(0).c[3, 1] == c_prev
    assert lines["h"].value == pytest.approx(trace.layer(0).h[3, 1], abs=1e-12)
    other = {line.name: line for line in unit_equations(model, trace, 0, "fwd", 3, 0)}
    assert not any("edited" in line.numbers for line in other.values())
