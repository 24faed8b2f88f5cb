"""The filled-in equations agree with the engine's trace for every cell and layout."""

from __future__ import annotations

import pytest

from rnnstudio.engine.model import random_model
from rnnstudio.gui.equations import unit_equations


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
                    lines = unit_equations(model, trace, layer, direction, step, unit)
                    for line in lines:
                        if line.name in record.gates:
                            expected = record.gates[line.name][step, unit]
                        elif line.name == "c":
                            expected = record.c[step, unit]
                        elif line.name == "h":
                            expected = record.h[step, unit]
                        else:  # "m": a projected LSTM's o * tanh(c), before W_hr
                            continue
                        assert line.value == pytest.approx(float(expected), abs=1e-9), (
                            layer, direction, step, unit, line.text)


def test_lines_read_like_the_issue_example() -> None:
    model = random_model("lstm", hidden_size=3, seed=1)
    trace = model.trace("the cat")
    forget = next(line for line in unit_equations(model, trace, 0, "fwd", 1, 2)
                  if line.name == "f")
    assert forget.symbolic == "f = sigmoid(W_if x + b_if + W_hf h + b_hf)"
    assert forget.numbers.startswith("= sigmoid(") and forget.numbers.endswith(
        f"= {forget.value:.2f}")
