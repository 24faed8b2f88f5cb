"""Stepping one token at a time gives the numbers of a whole-text trace."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rnnstudio.engine.tokenizers import UNK
from rnnstudio.errors import RnnStudioError

from .cases import (
    CELL_KINDS,
    TEXT,
    TEXT_WITH_UNKNOWN,
    VOCABULARY,
    config_id,
    initial_states,
    make_config,
)
from .engine_side import bare_model
from .reference import random_params

#: docs/api.md: bit for bit in float32; in float64 BLAS may sum a one-row product in
#: another order (measured: at most 2.2e-16, one ulp of 1.0, on values of order 1).
TIGHT = {"float64": 1e-15, "float32": 0.0}

UNIDIRECTIONAL = [
    pytest.param(
        make_config(kind, layers, False, bias),
        dtype,
        id=f"{config_id(kind, layers, False, bias)}-{dtype}",
    )
    for kind, layers, bias, dtype in itertools.product(
        CELL_KINDS, (1, 2), (True, False), ("float64", "float32")
    )
]


def assert_record_matches_trace(record, trace, step: int, tol: float) -> None:
    np.testing.assert_allclose(record.x, trace.x[step], rtol=0, atol=tol)
    assert set(record.layers) == set(range(trace.config.recurrent.num_layers))
    for layer, quantities in record.layers.items():
        expected = trace.layer(layer).quantities()
        assert set(quantities) == set(expected)
        for name, values in quantities.items():
            np.testing.assert_allclose(
                values, expected[name][step], rtol=0, atol=tol, err_msg=f"layer {layer} {name}"
            )


@pytest.mark.parametrize(("cfg", "dtype"), UNIDIRECTIONAL)
def test_steps_equal_the_trace(cfg, dtype):
    """Every cell, 1-2 layers, with and without bias, from random non-zero initial states."""
    model = bare_model(cfg, random_params(cfg, 31), dtype)
    h0, c0 = initial_states(cfg, 32)
    trace = model.trace(TEXT, loss=None, h0=h0, c0=c0)
    stepper = model.stepper(h0=h0, c0=c0)
    for step, token in enumerate(model.tokenize(TEXT).tokens):
        record = stepper.step(token)
        assert (record.step, record.token) == (step, token)
        assert record.token_id == trace.token_ids[step]
        assert_record_matches_trace(record, trace, step, TIGHT[dtype])
    stepped = stepper.trace()
    assert stepped.tokens == trace.tokens
    for layer in range(cfg.num_layers):
        for name, values in trace.layer(layer).quantities().items():
            np.testing.assert_allclose(
                stepped.layer(layer).quantities()[name], values, rtol=0, atol=TIGHT[dtype]
            )


def test_stepping_continues_from_where_it_stopped():
    cfg = make_config("lstm-proj", 2)
    model = bare_model(cfg, random_params(cfg, 33))
    first, second = "the cat sat", "on the mat"
    stepper = model.stepper()
    for token in model.tokenize(first).tokens:
        stepper.step(token)
    records = [stepper.step(token) for token in model.tokenize(second).tokens]
    whole = model.trace(f"{first} {second}", loss=None)
    offset = len(model.tokenize(first).tokens)
    for record in records:
        assert record.step == offset + records.index(record)
        assert_record_matches_trace(record, whole, record.step, TIGHT["float64"])


def test_a_stepped_unknown_token_is_flagged(vocab_model):
    tokens = vocab_model.tokenize(TEXT_WITH_UNKNOWN).tokens
    stepper = vocab_model.stepper()
    records = [stepper.step(token) for token in tokens]
    assert [r.unknown for r in records] == [t not in VOCABULARY for t in tokens]
    assert [r.token_id for r in records if r.unknown] == [VOCABULARY.index(UNK)]
    assert stepper.trace().unknown == [i for i, t in enumerate(tokens) if t not in VOCABULARY]


@pytest.mark.parametrize("kind", list(CELL_KINDS))
def test_bidirectional_models_cannot_be_stepped(kind):
    cfg = make_config(kind, 1, True)
    model = bare_model(cfg, random_params(cfg, 34))
    with pytest.raises(RnnStudioError, match="bidirectional"):
        model.stepper()
