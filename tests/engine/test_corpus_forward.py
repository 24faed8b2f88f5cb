"""The batched corpus forward equals ``model.trace`` of each document alone."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine.corpus_cells import forward_record
from rnnstudio.engine.corpus_forward import TokenTable, batch_forward
from rnnstudio.engine.model import Model, random_model
from rnnstudio.engine.packing import Packing

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
    record = batch_forward(model.stack, vectors, model.dtype)
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


@pytest.mark.parametrize("case", sorted(CASES))
def test_documents_as_rows_of_a_token_table_give_what_their_vectors_give(case: str) -> None:
    """The first layer's projection made once per distinct token and gathered equals
    the one made per token (both directions, two layers, every quantity)."""
    model = random_model(hidden_size=10, input_size=6, num_layers=2, bidirectional=True,
                         seed=4, **CASES[case])
    documents = _documents(30, seed=3)
    distinct = sorted({token for text in documents for token in model.tokenize(text).tokens})
    table = TokenTable(model.embed(model.tokenizer.encode(distinct).ids))
    rows = [np.array([distinct.index(t) for t in model.tokenize(text).tokens])
            for text in documents]
    by_rows = batch_forward(model.stack, rows, model.dtype, table=table)
    by_vectors = batch_forward(model.stack, [table.vectors[r] for r in rows], model.dtype)
    assert by_rows.arrays.keys() == by_vectors.arrays.keys()
    for key, named in by_vectors.arrays.items():
        assert named.keys() == by_rows.arrays[key].keys()
        for name, values in named.items():
            np.testing.assert_allclose(by_rows.arrays[key][name], values, rtol=0, atol=1e-5,
                                       err_msg=f"{key} {name}")


def test_a_packing_lays_steps_out_longest_first_with_no_padding() -> None:
    """Lengths 3, 1, 4: packed order 2, 0, 1; steps of 3, 2, 2, 1 documents."""
    packing = Packing.of([3, 1, 4])
    assert packing.order.tolist() == [2, 0, 1]
    assert packing.lengths.tolist() == [4, 3, 1]
    assert packing.starts.tolist() == [0, 3, 5, 7, 8]
    assert packing.tokens == 8
    # documents concatenated in the caller's order: rows 0-2, 3, 4-7
    assert packing.source.tolist() == [4, 0, 3, 5, 1, 6, 2, 7]
    assert [packing.rows(doc).tolist() for doc in range(3)] == [[1, 4, 6], [2], [0, 3, 5, 7]]
    documents = [np.arange(3) + 10, np.array([20]), np.arange(4) + 30]
    packed = packing.pack(documents)
    for doc, values in enumerate(documents):
        assert packed[packing.rows(doc)].tolist() == values.tolist()
        # the reverse direction reads each document backwards within its own length
        assert packed[packing.reversal[packing.rows(doc)]].tolist() == values[::-1].tolist()
    assert (packing.reversal[packing.reversal] == np.arange(8)).all()


@pytest.mark.parametrize("lengths", [[0, 2], [], [[1, 2]]])
def test_a_packing_refuses_empty_documents_and_batches(lengths: list) -> None:
    with pytest.raises(ValueError, match="at least one"):
        Packing.of(lengths)


def test_a_batch_records_no_padding() -> None:
    model = random_model("lstm", hidden_size=4, input_size=3, seed=0)
    vectors = [np.ones((2, 3), np.float32), np.ones((5, 3), np.float32)]
    record = batch_forward(model.stack, vectors, model.dtype)
    assert record.arrays[0, "fwd"]["h"].shape == (7, 4)
    assert record.document((0, "fwd"), "c", 0).shape == (2, 4)
    # two documents of the same tokens: the shorter one's values are the longer one's start
    np.testing.assert_array_equal(record.document((0, "fwd"), "h", 0),
                                  record.document((0, "fwd"), "h", 1)[:2])


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("bias", [True, False])
def test_the_forward_only_steps_record_what_the_layer_forward_records(
        case: str, bias: bool) -> None:
    """Every quantity of every cell through :func:`forward_record` equals the layer's own
    forward (float64, a batch of 5 random sequences of one length, packed step by step),
    each array (T * B, n) C-contiguous."""
    model = random_model(hidden_size=6, input_size=4, bias=bias, seed=7, dtype="float64",
                         **CASES[case])
    layer = model.stack.layers(model.dtype)[0, "fwd"]
    x = np.random.default_rng(0).standard_normal((9, 5, 4))
    h0 = np.zeros((5, layer.output_size))
    c0 = np.zeros((5, layer.hidden_size))
    expected = layer.forward(x, h0, c0).record()
    got = forward_record(layer, x.reshape(45, 4), np.arange(0, 46, 5))
    assert sorted(got) == sorted(expected)
    for name, values in expected.items():
        assert got[name].shape == (45, values.shape[-1]) and got[name].flags.c_contiguous
        np.testing.assert_allclose(got[name], values.reshape(45, -1), rtol=0, atol=1e-12,
                                   err_msg=name)
