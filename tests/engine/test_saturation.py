"""Saturation statistics: the counts equal a direct count over the trace's gate arrays,
texts accumulate exactly, long texts read in pieces count as one trace, thresholds are
checked."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from rnnstudio.engine import saturation as saturation_module
from rnnstudio.engine.model import random_model
from rnnstudio.engine.saturation import (
    Saturation,
    check_thresholds,
    saturation,
    trace_saturation,
)
from rnnstudio.engine.trace import LayerTrace
from rnnstudio.errors import ConfigError, TextError

TEXT = ("the quick brown fox jumps over the lazy dog while seven wizards quietly hex "
        "the jolly brown cat and the dog sleeps")
TEXTS = ("a cat sat", "on the mat the dog barked at the moon", "quiet now")


def _direct_counts(values: np.ndarray, low: float, high: float) -> tuple[list, list]:
    """Per unit, the steps below ``low`` and above ``high``, one comparison at a time."""
    steps, units = values.shape
    below = [sum(1 for t in range(steps) if values[t, u] < low) for u in range(units)]
    above = [sum(1 for t in range(steps) if values[t, u] > high) for u in range(units)]
    return below, above


@pytest.mark.parametrize(("cell", "gates", "layers", "bidirectional"), [
    ("lstm", ("i", "f", "o"), 2, True), ("gru", ("r", "z"), 1, False),
    ("rnn", ("h",), 2, False)])
def test_counts_equal_a_direct_count_of_the_trace(cell, gates, layers, bidirectional) -> None:
    model = random_model(cell, 12, num_layers=layers, bidirectional=bidirectional, gain=3.0,
                         seed=4)
    trace = model.trace(TEXT, loss=None, jacobian=False)
    result = trace_saturation(trace, left=0.2, right=0.7)
    directions = ("fwd", "bwd") if bidirectional else ("fwd",)
    assert result.keys == tuple((layer, direction, gate) for layer in range(layers)
                                for direction in directions for gate in gates)
    assert (result.steps, result.texts, result.cell) == (len(trace.tokens), 1, cell)
    saturated = 0
    for layer, direction, gate in result.keys:
        values = trace.layers[layer, direction].quantities()[gate]
        low, high = (2 * 0.2 - 1, 2 * 0.7 - 1) if cell == "rnn" else (0.2, 0.7)
        below, above = _direct_counts(values, low, high)
        key = (layer, direction, gate)
        assert result.left_counts[key].tolist() == below
        assert result.right_counts[key].tolist() == above
        np.testing.assert_array_equal(result.left_fraction(key), np.array(below) / trace.steps)
        saturated += sum(below) + sum(above)
    assert saturated > 0  # the case is not all zeros


def test_a_hand_made_trace_counts_as_written() -> None:
    """Forget gate of 2 units over 4 steps; 0.1 and 0.9 themselves are not saturated."""
    model = random_model("lstm", 2, input_size=3)
    trace = model.trace("a b c d", loss=None, jacobian=False)
    forget = np.array([[0.05, 0.95], [0.1, 0.9], [0.5, 0.99], [0.0, 0.91]], np.float32)
    half = np.full((4, 2), 0.5, np.float32)
    layer = trace.layers[0, "fwd"]
    gates = {"i": half, "f": forget, "g": np.zeros((4, 2), np.float32), "o": half}
    trace = replace(trace, layers={(0, "fwd"): LayerTrace(layer.h, layer.c, gates)})
    result = trace_saturation(trace)
    assert result.left_counts[0, "fwd", "f"].tolist() == [2, 0]
    assert result.right_counts[0, "fwd", "f"].tolist() == [0, 3]
    np.testing.assert_array_equal(result.right_fraction((0, "fwd", "f")), [0.0, 0.75])
    assert result.means((0, "fwd", "f")) == (0.25, 0.375)
    assert result.means((0, "fwd", "i")) == (0.0, 0.0)


def test_texts_accumulate_to_the_sum_of_their_traces() -> None:
    model = random_model("lstm", 10, gain=3.0, seed=2)
    together = saturation(model, iter(TEXTS))
    traces = [trace_saturation(model.trace(text, loss=None, jacobian=False))
              for text in TEXTS]
    assert (together.steps, together.texts) == (sum(r.steps for r in traces), 3)
    for key in together.keys:
        for counts in ("left_counts", "right_counts"):
            summed = sum(getattr(part, counts)[key] for part in traces)
            assert getattr(together, counts)[key].tolist() == summed.tolist()
    merged = traces[0].merged(traces[1]).merged(traces[2])
    assert merged.to_dict() == {**together.to_dict(), "texts": 3}
    assert saturation(model, ["", "  ", *TEXTS]).to_dict() == together.to_dict()


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_long_text_read_in_pieces_counts_as_one_trace(cell, monkeypatch) -> None:
    """A unidirectional model carries h and c over the pieces: the counts are the whole
    trace's."""
    model = random_model(cell, 16, num_layers=2, gain=3.0, seed=1)
    monkeypatch.setattr(saturation_module, "PIECE_TOKENS", 5)
    pieces = saturation(model, TEXT)
    whole = trace_saturation(model.trace(TEXT, loss=None, jacobian=False))
    assert pieces.to_dict() == whole.to_dict()


def test_a_bidirectional_model_starts_each_piece_from_zero(monkeypatch) -> None:
    model = random_model("gru", 8, bidirectional=True, gain=3.0, seed=3)
    monkeypatch.setattr(saturation_module, "PIECE_TOKENS", 6)
    tokens = model.tokenizer.split(TEXT)
    parts = [trace_saturation(model.trace(tokens[start:start + 6], loss=None, jacobian=False))
             for start in range(0, len(tokens), 6)]
    expected = parts[0]
    for part in parts[1:]:
        expected = expected.merged(part)
    assert saturation(model, TEXT).to_dict() == {**expected.to_dict(), "texts": 1}


def test_an_rnn_counts_its_hidden_state_on_the_gates_scale() -> None:
    result = trace_saturation(random_model("rnn", 6, gain=3.0).trace(TEXT, loss=None))
    assert result.keys == ((0, "fwd", "h"),)
    assert "h < -0.8" in result.definition() and "h > 0.8" in result.definition()
    with pytest.raises(ConfigError, match="ReLU RNN has no gates"):
        saturation(random_model("rnn", 6, nonlinearity="relu"), TEXT)


@pytest.mark.parametrize(("left", "right", "named"), [
    (0.9, 0.1, "left 0.9 must be below right 0.1"), (0.5, 0.5, "left 0.5 must be below"),
    (0.0, 0.9, "left must be above 0"), (0.1, 1.0, "right must be below 1"),
    (float("nan"), 0.9, "left must be a finite number from 0 to 1"),
    (0.1, "0.9", "right must be a finite"), (True, 0.9, "left must be a finite"),
    (-0.1, 0.9, "left must be a finite")])
def test_thresholds_are_checked(left, right, named) -> None:
    with pytest.raises(ConfigError, match=named) as refused:
        check_thresholds(left, right)
    assert refused.value.argument == named.split()[0]
    assert check_thresholds(0.2, 0.8) == (0.2, 0.8)


def test_inputs_that_cannot_be_counted_are_refused() -> None:
    model = random_model("lstm", 4)
    with pytest.raises(TextError, match="no tokens"):
        saturation(model, ["", " "])
    with pytest.raises(TypeError, match="text 1"):
        saturation(model, ["a", 3])
    with pytest.raises(TypeError, match="iterable of strings"):
        saturation(model, b"abc")
    gru = trace_saturation(random_model("gru", 4).trace("a b", loss=None))
    with pytest.raises(ConfigError, match="merged"):
        trace_saturation(model.trace("a b", loss=None)).merged(gru)


def test_the_result_is_frozen_and_json_safe() -> None:
    result = saturation(random_model("lstm", 5, gain=3.0), TEXT)
    assert isinstance(result, Saturation)
    with pytest.raises(ValueError, match="read-only"):
        result.left_counts[0, "fwd", "f"][0] = 7
    data = json.loads(json.dumps(result.to_dict()))
    forget = next(gate for gate in data["gates"] if gate["gate"] == "f")
    assert forget["name"] == "forget gate f"
    assert forget["left_fraction"] == result.left_fraction((0, "fwd", "f")).tolist()
    assert forget["mean_right_fraction"] == result.means((0, "fwd", "f"))[1]
    assert data["steps"] == len(random_model("lstm", 5).tokenizer.split(TEXT))


def test_top_units_are_the_most_saturated_first() -> None:
    result = trace_saturation(random_model("gru", 24, gain=3.0, seed=5).trace(TEXT, loss=None))
    key = (0, "fwd", "z")
    fractions = result.right_fraction(key)
    top = result.top_units(key, "right", 4)
    assert [fraction for _, fraction in top] == sorted(fractions, reverse=True)[:len(top)]
    assert all(fractions[unit] == fraction > 0 for unit, fraction in top)
    assert len(result.top_units(key, "left", 100)) == np.count_nonzero(
        result.left_fraction(key))
