"""Trace equality (exact, NaN equals NaN) and ``allclose`` within a tolerance."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import rnnstudio as rs

TOKENS = ["the", "cat", "sat", "on", "the", "mat"]


@pytest.fixture(params=["float32", "float64"])
def trace(request):
    model = rs.random_model("lstm", 6, num_layers=2, bidirectional=True, seed=4,
                            dtype=request.param)
    return model.trace(TOKENS)


def test_a_trace_equals_itself_and_a_fresh_run_of_the_same_text(trace):
    again = rs.random_model("lstm", 6, num_layers=2, bidirectional=True, seed=4,
                            dtype=trace.config.dtype).trace(TOKENS)
    assert trace == trace and trace == again
    assert dataclasses.replace(trace, seconds=99.0) == trace  # timing is not compared
    assert trace != "a trace" and trace.__eq__(object()) is NotImplemented
    with pytest.raises(TypeError, match="unhashable"):
        hash(trace)


@pytest.mark.parametrize("extension", [".npz", ".json"])
def test_a_file_round_trip_is_exactly_equal(trace, tmp_path, extension):
    """NPZ keeps every array's bytes; JSON every number's shortest exact text."""
    path = rs.save_trace(trace, tmp_path / f"trace{extension}")
    loaded = rs.load_trace(path)
    assert loaded.grads.params == {} and trace.grads.params  # weight gradients are not kept
    assert loaded == trace and loaded.allclose(trace, rtol=0, atol=0)


def test_one_changed_value_makes_traces_differ(trace):
    changed = dataclasses.replace(trace, x=trace.x.copy())
    assert changed == trace
    changed.x[2, 3] = np.nextafter(changed.x[2, 3], np.inf)
    assert changed != trace and not rs.allclose(changed, trace, rtol=0, atol=0)
    assert rs.allclose(changed, trace)  # one ulp is within the default tolerance
    other_tokens = dataclasses.replace(trace, tokens=[*TOKENS[:-1], "hat"])
    assert other_tokens != trace and not rs.allclose(other_tokens, trace, atol=1.0)


def test_allclose_tolerates_tiny_noise_in_every_array_but_not_large(trace):
    rng = np.random.default_rng(0)
    grads = trace.grads
    noisy_layers = {key: dataclasses.replace(record, h=record.h + 1e-9 * rng.standard_normal(
        record.h.shape)) for key, record in trace.layers.items()}
    noisy_grads = dataclasses.replace(grads, x=grads.x + 1e-9, loss_value=grads.loss_value + 1e-9)
    noisy = dataclasses.replace(trace, layers=noisy_layers, grads=noisy_grads)
    assert noisy != trace
    assert rs.allclose(noisy, trace, rtol=1e-6, atol=1e-8) and trace.allclose(noisy)
    far = dataclasses.replace(trace, grads=dataclasses.replace(grads, x=grads.x + 1e-3))
    assert not far.allclose(trace, rtol=1e-6, atol=1e-8)


def test_nan_equals_nan_at_the_same_place(trace):
    first = dataclasses.replace(trace, x=trace.x.copy())
    second = dataclasses.replace(trace, x=trace.x.copy())
    first.x[0, 0] = second.x[0, 0] = np.nan
    assert first == second and rs.allclose(first, second)
    second.x[0, 0] = 0.0
    assert first != second and not rs.allclose(first, second)


def test_allclose_refuses_a_negative_tolerance(trace):
    with pytest.raises(ValueError, match="rtol and atol"):
        rs.allclose(trace, trace, rtol=-1.0)
