"""The trainer's LSTM layer (engine/lstm_training.py) computes what the tracer's layer
computes: equal to :class:`LstmLayer` in float64 to rounding, to float32 rounding in
float32, equal to central differences, and unchanged by the arrays it reuses."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine.config import RecurrentConfig
from rnnstudio.engine.layer import LayerGrads
from rnnstudio.engine.lstm import LstmLayer
from rnnstudio.engine.lstm_training import LstmTrainingLayer
from rnnstudio.engine.params import LayerWeights, init_recurrent
from rnnstudio.engine.readout import embedding_backward
from rnnstudio.engine.stack import RecurrentStack
from rnnstudio.engine.workspace import Workspace


def _weights(rng: np.random.Generator, inputs: int, size: int) -> LayerWeights:
    """Random weights with distinct, non-zero biases (equal biases would hide a bias bug)."""
    rows = 4 * size
    return LayerWeights(rng.normal(0, 0.6, (rows, inputs)), rng.normal(0, 0.6, (rows, size)),
                        rng.normal(0, 0.5, rows), rng.normal(0, 0.5, rows), None)


def _problem(seed: int, steps: int = 7, batch: int = 5, inputs: int = 3, size: int = 4) -> tuple:
    """Weights, inputs, initial states and direct gradients on h and c; step 2 of the
    gradient on h is zero, as most steps of a classifier's are."""
    rng = np.random.default_rng(seed)
    weights = _weights(rng, inputs, size)
    x = rng.normal(size=(steps, batch, inputs))
    h0, c0 = rng.normal(size=(batch, size)), rng.normal(size=(batch, size))
    grad_h, grad_c = rng.normal(size=(steps, batch, size)), rng.normal(size=(steps, batch, size))
    grad_h[2] = 0.0
    return weights, x, h0, c0, grad_h, grad_c


def _run(layer: object, x: np.ndarray, h0: np.ndarray, c0: np.ndarray, grad_h: np.ndarray,
         grad_c: np.ndarray) -> tuple[np.ndarray, LayerGrads]:
    """h_t of the forward (a copy: the training layer's cache lives in its workspace) and
    the backward's gradients."""
    cache = layer.forward(x, h0, c0)  # type: ignore[attr-defined]
    hidden = np.array(cache.hidden)
    return hidden, layer.backward(cache, grad_h, grad_c)  # type: ignore[attr-defined]


def _copied(grads: LayerGrads) -> dict[str, np.ndarray]:
    arrays = {"hidden": grads.hidden, "cell": grads.cell, "x": grads.x, "h0": grads.h0,
              "c0": grads.c0, **grads.params}
    return {name: np.array(value) for name, value in arrays.items()}


@pytest.mark.parametrize(("seed", "bias"), [(0, True), (1, True), (2, False)])
def test_equals_the_tracer_layer_in_float64(seed: int, bias: bool) -> None:
    weights, x, h0, c0, grad_h, grad_c = _problem(seed)
    if not bias:
        weights = LayerWeights(weights.weight_ih, weights.weight_hh, None, None, None)
    hidden, grads = _run(LstmTrainingLayer(weights), x, h0, c0, grad_h, grad_c)
    ref_hidden, ref_grads = _run(LstmLayer(weights), x, h0, c0, grad_h, grad_c)
    np.testing.assert_allclose(hidden, ref_hidden, rtol=0, atol=1e-13)
    ours, theirs = _copied(grads), _copied(ref_grads)
    assert set(ours) == set(theirs)
    for name, value in ours.items():
        assert value.shape == theirs[name].shape, name
        np.testing.assert_allclose(value, theirs[name], rtol=0, atol=1e-12, err_msg=name)


def test_equals_the_tracer_layer_to_float32_rounding() -> None:
    weights, x, h0, c0, grad_h, grad_c = _problem(3, steps=30, batch=16, inputs=8, size=16)
    narrow = LayerWeights(*(value.astype(np.float32) for value in (
        weights.weight_ih, weights.weight_hh, weights.bias_ih, weights.bias_hh)), None)
    args = [a.astype(np.float32) for a in (x, h0, c0, grad_h, grad_c)]
    ours = _copied(_run(LstmTrainingLayer(narrow), *args)[1])
    theirs = _copied(_run(LstmLayer(narrow), *args)[1])
    for name, value in ours.items():
        assert value.dtype == np.float32, name
        scale = np.abs(theirs[name]).max()
        assert np.abs(value - theirs[name]).max() <= 1e-5 * scale, name


def test_gradients_equal_central_differences() -> None:
    """L = sum(grad_h * h) + sum(grad_c * c): the backward's gradients against
    (L(w + e) - L(w - e)) / 2e at random entries of every weight and input (h from the
    training layer's forward; it keeps no c_t, which the tracer's layer gives)."""
    weights, x, h0, c0, grad_h, grad_c = _problem(4)

    def loss(w: LayerWeights, x_: np.ndarray, h0_: np.ndarray, c0_: np.ndarray) -> float:
        hidden = LstmTrainingLayer(w).forward(x_, h0_, c0_).hidden
        cell = LstmLayer(w).forward(x_, h0_, c0_).cell
        return float((grad_h * hidden).sum() + (grad_c * cell).sum())

    _, grads = _run(LstmTrainingLayer(weights), x, h0, c0, grad_h, grad_c)
    inputs = {"weight_ih": weights.weight_ih, "weight_hh": weights.weight_hh,
              "bias_ih": weights.bias_ih, "bias_hh": weights.bias_hh, "x": x, "h0": h0, "c0": c0}
    analytic = {**grads.params, "x": grads.x, "h0": grads.h0, "c0": grads.c0}
    rng, eps = np.random.default_rng(5), 1e-6
    for name, value in inputs.items():
        assert value is not None
        for _ in range(4):
            index = tuple(int(rng.integers(n)) for n in value.shape)
            moved = []
            for sign in (1.0, -1.0):
                changed = {k: (v.copy() if v is not None else None) for k, v in inputs.items()}
                changed[name][index] += sign * eps
                w = LayerWeights(changed["weight_ih"], changed["weight_hh"],
                                 changed["bias_ih"], changed["bias_hh"], None)
                moved.append(loss(w, changed["x"], changed["h0"], changed["c0"]))
            numeric = (moved[0] - moved[1]) / (2 * eps)
            assert analytic[name][index] == pytest.approx(numeric, rel=1e-6, abs=1e-8), name


def test_a_reused_workspace_gives_the_same_numbers_as_a_fresh_one() -> None:
    """Longer, then shorter and narrower batches through one workspace (a curriculum,
    then an evaluation batch): every result equals a run with fresh arrays."""
    space = Workspace()
    for seed, steps, batch in [(6, 9, 5), (7, 4, 3), (8, 12, 6), (6, 9, 5)]:
        weights, x, h0, c0, grad_h, grad_c = _problem(seed, steps, batch)
        reused = _copied(_run(LstmTrainingLayer(weights, space), x, h0, c0, grad_h, grad_c)[1])
        fresh = _copied(_run(LstmTrainingLayer(weights), x, h0, c0, grad_h, grad_c)[1])
        for name, value in reused.items():
            np.testing.assert_array_equal(value, fresh[name], err_msg=name)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_a_training_stack_equals_the_tracing_stack(bidirectional: bool) -> None:
    """Two layers, both directions: the stack wires the training layer exactly like the
    tracer's (outputs, dL/dh_t, dL/dc_t, dL/dx, h0, c0 and every parameter)."""
    config = RecurrentConfig("lstm", 3, 5, 2, bidirectional=bidirectional)
    rng = np.random.default_rng(9)
    params = init_recurrent(config, rng, 1.0, np.float64)
    x = rng.normal(size=(6, 4, 3))
    grad_top = rng.normal(size=(6, 4, 5))
    results = []
    for training in (True, False):
        stack = RecurrentStack(config, params, training=training)
        cache = stack.forward(x, np.float64)
        grads = stack.backward(cache, {(1, "fwd", "h"): grad_top}, np.float64)
        results.append((np.array(cache.outputs[-1]), grads))
    (out_a, grads_a), (out_b, grads_b) = results
    np.testing.assert_allclose(out_a, out_b, rtol=0, atol=1e-13)
    for key in grads_b.hidden:
        np.testing.assert_allclose(grads_a.hidden[key], grads_b.hidden[key], atol=1e-12)
        np.testing.assert_allclose(grads_a.cell[key], grads_b.cell[key], atol=1e-12)
    for name in ("x", "h0", "c0"):
        np.testing.assert_allclose(getattr(grads_a, name), getattr(grads_b, name), atol=1e-12)
    assert set(grads_a.params) == set(grads_b.params)
    for name, value in grads_b.params.items():
        np.testing.assert_allclose(grads_a.params[name], value, atol=1e-12, err_msg=name)


def test_embedding_backward_adds_each_tokens_gradient_to_its_row() -> None:
    rng = np.random.default_rng(10)
    ids = rng.integers(0, 7, (9, 4))
    ids[0, 0] = 6  # the last row is used; rows that no token uses stay zero
    grad_x = rng.normal(size=(9, 4, 3))
    expected = np.zeros((8, 3))
    for (step, example), token in np.ndenumerate(ids):
        expected[token] += grad_x[step, example]
    table = embedding_backward((8, 3), ids, grad_x)
    np.testing.assert_allclose(table, expected, rtol=1e-12, atol=1e-14)
    assert not table[7].any()
    empty = embedding_backward((8, 3), np.zeros((0, 4), np.int64), np.zeros((0, 4, 3)))
    assert empty.shape == (8, 3) and not empty.any()
