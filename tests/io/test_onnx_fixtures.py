"""The committed ONNX fixtures (``fixtures/onnx``, made by ``make_onnx_fixtures.py``):
read with the onnx package alone, no torch, and compared with the numbers torch and the
ONNX specification give."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx_graphs import spec_states

from rnnstudio.io.model_files import read_model

pytest.importorskip("onnx")

FIXTURES = Path(__file__).parent / "fixtures" / "onnx"
TEXT = "the cat sat on the mat the dog ran"


def test_a_torch_exported_bidirectional_lstm_tagger_without_torch():
    expected = np.load(FIXTURES / "lstm_tagger.npz")
    loaded = read_model(FIXTURES / "lstm_tagger.onnx")  # vocabulary: lstm_tagger.json
    trace = loaded.model.trace(TEXT, loss=None)
    np.testing.assert_array_equal(trace.token_ids, expected["token_ids"])
    top = np.concatenate([trace.layer(1, "fwd").h, trace.layer(1, "bwd").h], axis=1)
    np.testing.assert_allclose(top, expected["output"], atol=1e-6, rtol=0)
    for layer in range(2):
        for index, direction in enumerate(("fwd", "bwd")):
            record = trace.layer(layer, direction)
            last = -1 if direction == "fwd" else 0
            row = 2 * layer + index
            np.testing.assert_allclose(record.h[last], expected["h_n"][row], atol=1e-6)
            np.testing.assert_allclose(record.c[last], expected["c_n"][row], atol=1e-6)
    np.testing.assert_allclose(trace.logits, expected["logits"], atol=1e-6, rtol=0)
    assert loaded.format == ("onnx (ONNX LSTM x2, bidirectional, gates i,o,f,c -> i,f,g,o; "
                             "head: ONNX MatMul reading every step)")


def test_a_reset_before_gru_node_follows_the_onnx_equations():
    weights = dict(np.load(FIXTURES / "gru_reset_before.npz"))
    model = read_model(FIXTURES / "gru_reset_before.onnx").model
    assert model.config.recurrent.reset_after is False
    trace = model.trace("a b c d e f", loss=None)
    expected = spec_states("GRU", trace.x.astype(np.float64), weights, linear_before_reset=0)
    np.testing.assert_allclose(trace.layer(0, "fwd").h, expected[:, 0], atol=2e-6, rtol=0)
    np.testing.assert_allclose(trace.layer(0, "bwd").h, expected[:, 1], atol=2e-6, rtol=0)
