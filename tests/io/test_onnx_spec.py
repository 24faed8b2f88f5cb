"""ONNX LSTM/GRU/RNN nodes built with ``onnx.helper`` read as the ONNX specification
computes them (its equations in NumPy, ``onnx_graphs.spec_states``): gate orders,
``linear_before_reset`` (0 is the engine's ``reset_after=False``), directions."""

from __future__ import annotations

import numpy as np
import pytest
from onnx_graphs import random_weights, recurrent_model, save, spec_states

from rnnstudio.io.model_files import read_model

pytest.importorskip("onnx")

TEXT = "one two three four five six seven"

CASES = {
    "gru-reset-before-bidirectional": ("GRU", "bidirectional", {"linear_before_reset": 0}),
    "gru-linear-before-reset": ("GRU", "forward", {"linear_before_reset": 1}),
    "gru-default-attributes": ("GRU", "bidirectional", {}),
    "lstm-bidirectional": ("LSTM", "bidirectional", {}),
    "lstm-named-activations": ("LSTM", "forward",
                               {"activations": ["Sigmoid", "Tanh", "Tanh"]}),
    "rnn-relu": ("RNN", "forward", {"activations": ["Relu"]}),
    "rnn-tanh-bidirectional": ("RNN", "bidirectional", {}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_every_step_follows_the_onnx_equations(tmp_path, name):
    op, direction, attrs = CASES[name]
    directions = 2 if direction == "bidirectional" else 1
    weights = random_weights(op, 4, 3, directions, seed=len(name))
    path = save(recurrent_model(op, weights, direction=direction, attrs=attrs),
                tmp_path / "m.onnx")
    loaded = read_model(path)
    model = loaded.model
    rec = model.config.recurrent
    assert (rec.cell, rec.hidden_size, rec.input_size, rec.bidirectional) == (
        op.lower(), 4, 3, directions == 2)
    assert rec.reset_after is bool(attrs.get("linear_before_reset", op != "GRU"))
    trace = model.trace(TEXT, loss=None)
    relu = attrs.get("activations") == ["Relu"]
    assert rec.nonlinearity == ("relu" if relu else "tanh")
    expected = spec_states(op, trace.x.astype(np.float64), weights,
                           attrs.get("linear_before_reset", 0), relu)
    for index, direction_name in enumerate(rec.directions):
        np.testing.assert_allclose(trace.layer(0, direction_name).h, expected[:, index],
                                   atol=2e-6, rtol=0, err_msg=direction_name)
    if op == "GRU" and not attrs.get("linear_before_reset"):
        assert "linear_before_reset=0 (reset before)" in loaded.format
        assert rec.kind == "GRU (reset before)"


def test_the_two_gru_forms_differ_on_the_same_weights(tmp_path):
    """The flag is read, not defaulted: the same W, R, B give other states."""
    weights = random_weights("GRU", 4, 3, 1, seed=9)
    states = []
    for flag in (0, 1):
        path = save(recurrent_model("GRU", weights, direction="forward",
                                    attrs={"linear_before_reset": flag}), tmp_path / f"{flag}.onnx")
        states.append(read_model(path).model.trace(TEXT, loss=None).layer(0, "fwd").h)
    assert np.abs(states[0] - states[1]).max() > 1e-3
