"""float64 gradients of a float32 model run as float32 adjoints with a per-step scale
(``layer.StepScale``): they must keep float64's range and float32's precision at every
step, also where the gradient has vanished far below float32's smallest number."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine import Model, random_model

#: float32 forward against float64 forward of the same weights, per-step relative.
TOLERANCE = 2e-4


def _pair(cell: str, **kwargs: object) -> tuple[Model, Model]:
    narrow = random_model(cell, dtype="float32", **kwargs)
    wide = Model(type(narrow.config)(**{**narrow.config.__dict__, "dtype": "float64"}),
                 narrow.params)
    return narrow, wide


def _per_step_error(narrow: np.ndarray, wide: np.ndarray) -> float:
    """Largest error of a step relative to that step's own largest value; a step that is
    exactly zero in float64 (after a probe's step) must be exactly zero here too."""
    flat_n, flat_w = narrow.reshape(len(narrow), -1), wide.reshape(len(wide), -1)
    size = np.abs(flat_w).max(axis=1)
    live = size > 0
    assert not np.abs(flat_n[~live]).any()
    if not live.any():
        return 0.0
    return float((np.abs(flat_n - flat_w).max(axis=1)[live] / size[live]).max())


@pytest.mark.parametrize(
    ("cell", "kwargs", "loss"),
    [
        ("lstm", {"hidden_size": 8, "num_layers": 2, "bidirectional": True}, "probe:-20:3:c:0"),
        ("lstm", {"hidden_size": 8, "proj_size": 5}, "last-output-sum"),
        ("gru", {"hidden_size": 8, "num_layers": 2}, "probe:-1:2:h:0"),
        ("gru", {"hidden_size": 8, "num_layers": 2, "reset_after": False}, "probe:-1:2:h:0"),
        ("rnn", {"hidden_size": 8, "gain": 0.4}, "last-output-sum"),
        ("rnn", {"hidden_size": 8, "nonlinearity": "relu", "gain": 0.5}, "last-output-sum"),
    ],
    ids=["lstm-2x-bidi-probe-c", "lstm-proj", "gru-2-layers", "gru-before-2-layers",
         "rnn-vanishing", "rnn-relu"],
)
def test_tiny_gradients_keep_their_digits(cell: str, kwargs: dict, loss: str) -> None:
    narrow, wide = _pair(cell, seed=3, **kwargs)
    text = " ".join(f"w{i % 23}" for i in range(250))
    a = narrow.trace(text, loss=loss).grads
    b = wide.trace(text, loss=loss).grads
    assert a.x.dtype == np.float64
    step_sizes = np.concatenate([np.abs(v).max(axis=1) for v in b.h.values()])
    assert 0 < step_sizes[step_sizes > 0].min() < 1e-45  # far below what float32 holds
    for key in b.h:
        assert _per_step_error(a.h[key], b.h[key]) < TOLERANCE, key
        assert _per_step_error(a.jacobian[key], b.jacobian[key]) < TOLERANCE, key
    for key in b.c:
        assert _per_step_error(a.c[key], b.c[key]) < TOLERANCE, key
    assert _per_step_error(a.x, b.x) < TOLERANCE
    for name, value in b.params.items():
        scale = np.abs(value).max()
        assert np.abs(a.params[name] - value).max() <= TOLERANCE * scale, name
    np.testing.assert_allclose(a.h0, b.h0, rtol=0, atol=TOLERANCE * np.abs(b.h0).max())


def test_gradients_above_float32_range_stay_finite() -> None:
    """A direct gradient of 1e45 (float32's largest is 3e38) flows back unharmed."""
    narrow, wide = _pair("lstm", hidden_size=8, seed=1)
    text = " ".join(f"w{i % 11}" for i in range(40))
    results = []
    for model in (narrow, wide):
        x = model.embed(model.tokenize(text).ids)[:, None, :]
        cache = model.stack.forward(x, model.dtype)
        seed = np.zeros(cache.outputs[-1].shape)
        seed[-1] = 1e45
        seed[20, 0, 3] = -2e44
        results.append(model.stack.backward(cache, {(0, "fwd", "h"): seed}))
    a, b = results
    assert np.abs(b.hidden[0, "fwd"]).max() > 1e44 and np.isfinite(a.hidden[0, "fwd"]).all()
    assert _per_step_error(a.hidden[0, "fwd"], b.hidden[0, "fwd"]) < TOLERANCE
    assert _per_step_error(a.cell[0, "fwd"], b.cell[0, "fwd"]) < TOLERANCE
    for name, value in b.params.items():
        assert np.abs(a.params[name] - value).max() <= TOLERANCE * np.abs(value).max(), name


def test_gradients_below_float64_range_become_zero_not_nan() -> None:
    """Past float64's smallest number the gradient is 0, as in float64, never NaN."""
    narrow, wide = _pair("rnn", hidden_size=8, gain=0.3, seed=2)
    text = " ".join(f"w{i % 7}" for i in range(600))
    a, b = narrow.trace(text).grads, wide.trace(text).grads
    assert not np.abs(b.h[0, "fwd"][0]).any()  # float64 underflowed at the start
    assert np.isfinite(a.h[0, "fwd"]).all() and np.isfinite(a.jacobian[0, "fwd"]).all()
    assert not np.abs(a.h[0, "fwd"][0]).any()
    assert _per_step_error(a.h[0, "fwd"][-100:], b.h[0, "fwd"][-100:]) < TOLERANCE
