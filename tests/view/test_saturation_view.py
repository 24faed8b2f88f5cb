"""The Saturation dock's numbers (no Qt): the dots are the engine's fractions for the
layer and direction on view, the caption counts the dots at (0, 0), hover and click find
the dot under the mouse."""

from __future__ import annotations

import numpy as np

from rnnstudio.engine.model import random_model
from rnnstudio.engine.saturation import trace_saturation
from rnnstudio.view.saturation import (
    PICK_RADIUS_PX,
    axis_labels,
    saturation_scatter,
    text_saturation,
)

TEXT = "the quick brown fox jumps over the lazy dog and the cat sleeps in the sun"


def test_the_dots_are_the_fractions_of_the_layer_on_view() -> None:
    trace = random_model("lstm", 10, num_layers=2, bidirectional=True, gain=3.0).trace(
        TEXT, loss=None)
    result = trace_saturation(trace)
    scatter = saturation_scatter(result, 1, "bwd", "this text")
    assert [points.label for points in scatter.gates] == [
        "input gate i", "forget gate f", "output gate o"]
    for points in scatter.gates:
        np.testing.assert_array_equal(points.left, result.left_fraction((1, "bwd", points.gate)))
        np.testing.assert_array_equal(points.right,
                                      result.right_fraction((1, "bwd", points.gate)))
    origin = sum(int(np.sum((trace.layers[1, "bwd"].gates[g] >= 0.1).all(axis=0)
                            & (trace.layers[1, "bwd"].gates[g] <= 0.9).all(axis=0)))
                 for g in "ifo")
    assert scatter.at_origin() == origin
    assert scatter.caption().endswith(f"({origin} of 30 dots there)")
    assert "always open" in scatter.caption()
    assert axis_labels(result) == ("fraction shut (gate < 0.1)", "fraction open (gate > 0.9)")
    assert scatter.selected(4) == [(float(p.left[4]), float(p.right[4])) for p in scatter.gates]


def test_the_mouse_finds_the_nearest_dot_and_names_those_sharing_its_spot() -> None:
    result = trace_saturation(random_model("gru", 16, gain=3.0, seed=2).trace(TEXT, loss=None))
    scatter = saturation_scatter(result, 0, "fwd", "this text")
    per_px = 0.01  # 100 px for the whole axis
    update = scatter.gates[1]
    unit = 5
    x, y = float(update.left[unit]), float(update.right[unit])
    gate_index, found = scatter.nearest(x + 0.5 * per_px, y, per_px, per_px)
    points = scatter.gates[gate_index]
    assert (float(points.left[found]), float(points.right[found])) == (x, y)
    far = (PICK_RADIUS_PX + 1) * per_px
    empty = [(a, b) for a in np.linspace(0, 1, 41) for b in np.linspace(0, 1, 41)
             if all(np.min((p.left - a) ** 2 + (p.right - b) ** 2) > (2 * far) ** 2
                    for p in scatter.gates)]
    assert empty and scatter.nearest(*empty[0], per_px, per_px) is None
    shared = sum(int(np.sum((p.left == x) & (p.right == y))) for p in scatter.gates) - 1
    text = scatter.describe(1, unit)
    assert text.startswith(f"unit {unit} · update gate z: shut {x:.1%} of steps, open {y:.1%}")
    assert (f"{shared} other dot" in text) == (shared > 0)


def test_an_rnn_is_counted_near_minus_and_plus_one_and_relu_says_why_not() -> None:
    trace = random_model("rnn", 8, gain=3.0).trace(TEXT, loss=None)
    result, why = text_saturation(trace)
    assert why == "" and result is not None
    scatter = saturation_scatter(result, 0, "fwd", "this text")
    assert scatter.gates[0].label == "hidden state h"
    assert scatter.caption().startswith("top left: always near +1 · bottom right: always near −1")
    assert axis_labels(result) == ("fraction near −1 (h < -0.8)", "fraction near +1 (h > 0.8)")
    result, why = text_saturation(random_model("rnn", 8, nonlinearity="relu").trace(TEXT))
    assert result is None and "ReLU RNN has no gates" in why
