"""The fast path equals the textbook step, one equation per line, at every traced step.

Every cell, one and two layers, both directions, random non-zero biases and initial
states, float32 and float64 models: each step of ``model.trace`` is replayed through the
cell module's ``textbook_step`` from the inputs and previous state the trace recorded.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rnnstudio.engine import gru, lstm, rnn
from rnnstudio.engine.config import GATES
from rnnstudio.engine.params import LayerWeights, layer_weights

from .cases import CELL_KINDS, TEXT, initial_states, make_config
from .checks import assert_no_mismatch, step_mismatches
from .engine_side import bare_model
from .reference import random_params

TOLERANCE = {"float64": 1e-12, "float32": 1e-5}


def textbook(cfg, weights: LayerWeights, x, h_prev, c_prev):
    if cfg.cell == "lstm":
        return lstm.textbook_step(weights, x, h_prev, c_prev)
    if cfg.cell == "gru":
        return gru.textbook_step(weights, x, h_prev, cfg.reset_after)
    return rnn.textbook_step(weights, x, h_prev, cfg.nonlinearity)


def replay_errors(model, trace, layer: int, direction: str, tol: float) -> list[str | None]:
    """Every step of one layer and direction, in its processing order, from the state
    the trace recorded before it (the given initial state at its first step)."""
    cfg = model.config.recurrent
    weights = layer_weights(model.params, layer, direction, model.dtype)
    record = trace.layer(layer, direction)
    row = layer * cfg.num_directions + cfg.directions.index(direction)
    h_prev = trace.h0[row].astype(model.dtype)
    c_prev = None if trace.c0 is None else trace.c0[row].astype(model.dtype)
    steps = range(trace.steps) if direction == "fwd" else range(trace.steps - 1, -1, -1)
    errors = []
    for step in steps:
        below = [trace.layer(layer - 1, d).h[step] for d in cfg.directions]
        x = trace.x[step] if layer == 0 else np.concatenate(below)
        terms = textbook(cfg, weights, x, h_prev, c_prev)
        errors += step_mismatches(f"l{layer}.{direction} step {step}", terms, record, step, tol)
        h_prev, c_prev = record.h[step], None if record.c is None else record.c[step]
    return errors


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("kind", "layers", "bidirectional"), [
    pytest.param(*combo, id=f"{combo[0]}-L{combo[1]}-{'bi' if combo[2] else 'uni'}")
    for combo in itertools.product(CELL_KINDS, (1, 2), (False, True))
])
def test_every_traced_step_equals_the_textbook_step(kind, layers, bidirectional, dtype):
    cfg = make_config(kind, layers, bidirectional)
    model = bare_model(cfg, random_params(cfg, 3, scale=0.8), dtype)
    h0, c0 = initial_states(cfg, 4)
    trace = model.trace(TEXT, loss=None, h0=h0, c0=c0)
    assert np.abs(h0).min() > 0 and np.abs(model.params["rnn.bias_hh_l0"]).min() > 0
    errors = []
    for layer, direction in itertools.product(range(layers), cfg.directions):
        errors += replay_errors(model, trace, layer, direction, TOLERANCE[dtype])
    assert_no_mismatch(errors)


@pytest.mark.parametrize("kind", list(CELL_KINDS))
def test_each_gate_splits_at_the_plus_between_input_and_state(kind):
    """With x = 0 and h_prev = 0 the input part is b_i* and the recurrent part b_h*, row
    block by row block in PyTorch's gate order (so the parts cannot be swapped), and the
    pre-activation is what the equation adds up."""
    cfg = make_config(kind)
    weights = layer_weights(random_params(cfg, 5), 0, "fwd", np.dtype(np.float64))
    terms = textbook(cfg, weights, np.zeros(cfg.input_size), np.zeros(cfg.output_size),
                     np.zeros(cfg.hidden_size))
    size = cfg.hidden_size
    for index, (name, gate) in enumerate(terms.gates.items()):
        rows = slice(index * size, (index + 1) * size)
        np.testing.assert_array_equal(gate.from_input, weights.bias_ih[rows], err_msg=name)
        np.testing.assert_array_equal(gate.from_hidden, weights.bias_hh[rows], err_msg=name)
        # GRU: r scales W_hn h + b_hn; reset before, r is inside from_hidden = W_hn (r h) + b_hn
        reset = terms.gates["r"].value if name == "n" and cfg.reset_after else 1.0
        np.testing.assert_array_equal(gate.pre_activation,
                                      gate.from_input + reset * gate.from_hidden, err_msg=name)
    assert tuple(terms.gates) == (GATES[cfg.cell] or ("h",))
