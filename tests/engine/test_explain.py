"""``explain.step_terms`` feeds the textbook step what the cell really saw: the layer's
input at that step and the previous state, or the trace's own initial states."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rnnstudio.engine.explain import step_terms

from .cases import CELL_KINDS, TEXT, initial_states, make_config
from .checks import assert_no_mismatch, step_mismatches
from .engine_side import bare_model
from .reference import random_params


def two_layer_bidirectional(kind: str, with_states: bool):
    cfg = make_config(kind, layers=2, bidirectional=True)
    model = bare_model(cfg, random_params(cfg, 8, scale=0.8))
    h0, c0 = initial_states(cfg, 9) if with_states else (None, None)
    return cfg, model, model.trace(TEXT, loss=None, h0=h0, c0=c0)


@pytest.mark.parametrize("kind", list(CELL_KINDS))
def test_the_first_step_read_starts_from_the_traces_initial_states(kind):
    cfg, model, trace = two_layer_bidirectional(kind, with_states=True)
    errors = []
    for row, (layer, direction) in enumerate(itertools.product((0, 1), cfg.directions)):
        first = 0 if direction == "fwd" else trace.steps - 1
        terms = step_terms(model, trace, layer, direction, first)
        np.testing.assert_array_equal(terms.hidden_prev, trace.h0[row])
        if trace.c0 is not None:
            np.testing.assert_array_equal(terms.cell_prev, trace.c0[row])
        errors += step_mismatches(f"l{layer}.{direction}", terms, trace.layer(layer, direction),
                                  first, 1e-12)
    assert_no_mismatch(errors)


@pytest.mark.parametrize("kind", list(CELL_KINDS))
def test_every_step_of_every_layer_matches_the_trace(kind):
    cfg, model, trace = two_layer_bidirectional(kind, with_states=True)
    errors = []
    for layer, direction in itertools.product((0, 1), cfg.directions):
        record = trace.layer(layer, direction)
        for step in range(trace.steps):
            terms = step_terms(model, trace, layer, direction, step)
            errors += step_mismatches(f"l{layer}.{direction} step {step}", terms, record,
                                      step, 1e-12)
    assert_no_mismatch(errors)


def test_a_later_step_reads_the_recorded_neighbour_in_its_own_direction():
    cfg, model, trace = two_layer_bidirectional("lstm", with_states=True)
    forward = step_terms(model, trace, 1, "fwd", 2)
    backward = step_terms(model, trace, 1, "bwd", 2)
    np.testing.assert_array_equal(forward.hidden_prev, trace.layer(1, "fwd").h[1])
    np.testing.assert_array_equal(backward.hidden_prev, trace.layer(1, "bwd").h[3])
    np.testing.assert_array_equal(backward.cell_prev, trace.layer(1, "bwd").c[3])
    below = np.concatenate([trace.layer(0, "fwd").h[2], trace.layer(0, "bwd").h[2]])
    np.testing.assert_array_equal(forward.x, below)


def test_without_initial_states_the_first_step_starts_from_zeros():
    cfg, model, trace = two_layer_bidirectional("lstm", with_states=False)
    terms = step_terms(model, trace, 1, "bwd", trace.steps - 1)
    assert not terms.hidden_prev.any() and terms.cell_prev is not None
    assert not terms.cell_prev.any()
    assert_no_mismatch(step_mismatches("l1.bwd", terms, trace.layer(1, "bwd"),
                                       trace.steps - 1, 1e-12))


@pytest.mark.parametrize(("layer", "direction", "step"), [(2, "fwd", 0), (0, "up", 0),
                                                          (0, "fwd", 6), (0, "bwd", -1)])
def test_a_step_outside_the_model_or_trace_is_refused_by_name(layer, direction, step):
    _, model, trace = two_layer_bidirectional("gru", with_states=False)
    with pytest.raises(IndexError, match="layer|step"):
        step_terms(model, trace, layer, direction, step)
