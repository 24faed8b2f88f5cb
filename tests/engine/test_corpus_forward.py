"""The batched corpus forward equals ``model.trace`` of each document alone."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine.corpus_cells import forward_record
from rnnstudio.engine.corpus_forward import batch_forward, padded_batch, reversal_index
from rnnstudio.engine.model import Model, random_model

WORDS = ("the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "far")
CASES = {
    "rnn-tanh": dict(cell="rnn"),
    "rnn-relu": dict(cell="rnn", nonlinearity="relu"),
    "lstm": dict(cell="lstm"),
    "lstm-proj": dict(cell="lstm", proj_size=5),
    "gru": dict(cell="gru"),
    "gru-reset-before": dict(cell="gru", reset_after=False),
}


def _documents(count: int, seed: int) -> list[str]:
    """Texts of 1 .. count words, shuffled so the batch is not sorted by length."""
    rng = np.random.default_rng(seed)
    lengths = rng.permutation(np.arange(1, count + 1))
    return [" ".join(rng.choice(WORDS, size=n)) for n in lengths]


def _check_batch(model: Model, documents: list[str], tolerance: float) -> None:
    vectors = [model.embed(model.tokenize(text).ids) for text in documents]
    lengths = np.array([len(v) for v in vectors])
    record = batch_forward(model.stack, padded_batch(vectors, model.dtype), lengths,
                           model.dtype)
    for column, text in enumerate(documents):
        trace = model.trace(text, loss=None, jacobian=False)
        for key, layer_trace in trace.layers.items():
            for name, expected in layer_trace.quantities().items():
                got = record.document(key, name, column)
                assert got.shape == expected.shape, (key, name)
                np.testing.assert_allclose(got, expected, rtol=0, atol=tolerance,
                                           err_msg=f"{key} {name} document {column}")


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("bidirectional", [False, True])
def test_documents_of_lengths_1_to_50_in_one_batch_equal_their_traces(
        case: str, bidirectional: bool) -> None:
    model = random_model(hidden_size=12, input_size=7, num_layers=2,
                         bidirectional=bidirectional, seed=3, **CASES[case])
    _check_batch(model, _documents(50, seed=1), tolerance=1e-5)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_a_float64_model_agrees_to_1e_12(cell: str) -> None:
    model = random_model(cell, hidden_size=9, input_size=5, num_layers=2, bidirectional=True,
                         proj_size=4 if cell == "lstm" else 0, seed=5, dtype="float64")
    _check_batch(model, _documents(50, seed=2), tolerance=1e-12)


def test_the_reversal_index_reverses_each_document_within_its_length() -> None:
    index = reversal_index(np.array([3, 1, 4]), 4)
    assert index.T.tolist() == [[2, 1, 0, 3], [0, 1, 2, 3], [3, 2, 1, 0]]
    assert (np.take_along_axis(index, index, axis=0) == np.arange(4)[:, None]).all()


def test_padding_rows_are_the_only_ones_the_mask_leaves_out() -> None:
    model = random_model("lstm", hidden_size=4, input_size=3, seed=0)
    vectors = [np.ones((2, 3), np.float32), np.ones((5, 3), np.float32)]
    record = batch_forward(model.stack, padded_batch(vectors, model.dtype),
                           np.array([2, 5]), model.dtype)
    assert record.mask().T.tolist() == [[True, True, False, False, False], [True] * 5]
    assert record.document((0, "fwd"), "c", 0).shape == (2, 4)



@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("bias", [True, False])
def test_the_forward_only_steps_record_what_the_layer_forward_records(
        case: str, bias: bool) -> None:
    """Every quantity of every cell through :func:`forward_record` equals the layer's own
    forward (float64, a batch of 5 random sequences), each array (T, B, n) C-contiguous."""
    model = random_model(hidden_size=6, input_size=4, bias=bias, seed=7, dtype="float64",
                         **CASES[case])
    layer = model.stack.layers(model.dtype)[0, "fwd"]
    x = np.random.default_rng(0).standard_normal((9, 5, 4))
    h0 = np.zeros((5, layer.output_size))
    c0 = np.zeros((5, layer.hidden_size))
    expected = layer.forward(x, h0, c0).record()
    got = forward_record(layer, x)
    assert sorted(got) == sorted(expected)
    for name, values in expected.items():
        assert got[name].shape == values.shape and got[name].flags.c_contiguous, name
        np.testing.assert_allclose(got[name], values, rtol=0, atol=1e-12, err_msg=name)
