"""Numerical behaviour a user relies on: float64 gradients, vanishing and exploding
Jacobians, overflow reporting, and PyTorch's default initialisation."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine.model import random_model

from .cases import CELL_KINDS, TEXT
from .checks import assert_no_mismatch, mismatch

LONG_TEXT = " ".join(f"w{i % 37}" for i in range(200))


def test_float64_gradients_keep_dl_dh0_of_a_long_lstm_sequence():
    """At T = 200, dL/dh_0 of a default LSTM is below float32's normal range: the default
    float64 gradients hold it (non-zero, finite); float32 ones keep only a subnormal
    with most of its digits gone."""
    model = random_model("lstm")
    grads = model.trace(LONG_TEXT, loss="last-output-sum").grads
    assert grads.h0.dtype == np.float64
    assert np.isfinite(grads.h0).all()
    largest = np.abs(grads.h0).max()
    assert 0 < largest < np.finfo(np.float32).tiny
    single = model.trace(LONG_TEXT, loss="last-output-sum", grad_dtype="float32").grads
    assert single.h0.dtype == np.float32
    lost = np.abs(single.h0.astype(np.float64) - grads.h0).max() / largest
    assert lost > 100 * np.finfo(np.float32).eps


@pytest.mark.parametrize("kind", list(CELL_KINDS))
def test_gradients_default_to_float64_for_a_float32_model(kind):
    model = random_model(hidden_size=4, input_size=3, **CELL_KINDS[kind])
    trace = model.trace("a b c", loss="last-output-sum")
    assert trace.layer(0).h.dtype == np.float32
    grads = trace.grads
    arrays = [grads.x, grads.h0, *grads.params.values(), *grads.h.values(), *grads.c.values()]
    arrays += [grads.jacobian[0, "fwd"]] + ([grads.c0] if grads.c0 is not None else [])
    assert {np.asarray(a).dtype for a in arrays} == {np.dtype(np.float64)}


def tanh_rnn_jacobian_norms(model, trace) -> np.ndarray:
    """||dh_{T-1}/dh_t||_F of a one-layer tanh RNN from its recorded states:
    dh_{s}/dh_{s-1} = diag(1 - h_s^2) W_hh, multiplied from step T-1 down to t+1."""
    weight_hh = np.asarray(model.params["rnn.weight_hh_l0"], dtype=np.float64)
    hidden = np.asarray(trace.layer(0).h, dtype=np.float64)
    steps, size = hidden.shape
    product = np.eye(size)
    norms = np.empty(steps)
    for t in range(steps - 1, -1, -1):
        norms[t] = np.linalg.norm(product)
        product = product @ ((1 - hidden[t] ** 2)[:, None] * weight_hh)
    return norms


def test_recurrent_gain_makes_the_state_jacobian_vanish_or_not():
    text = " ".join(f"w{i}" for i in range(40))
    norms = {}
    for gain in (0.3, 3.0):
        model = random_model("rnn", 16, input_size=8, gain=gain, seed=2, dtype="float64")
        trace = model.trace(text, loss="last-output-sum")
        norms[gain] = np.asarray(trace.grads.jacobian[0, "fwd"])
        np.testing.assert_allclose(norms[gain], tanh_rnn_jacobian_norms(model, trace), rtol=1e-9)
    # At t = 0 (39 steps back) the small gain's norm has vanished, the large one's has not.
    assert norms[0.3][0] < 1e-6 * norms[0.3][-1]
    assert norms[3.0][0] > 1e6 * norms[0.3][0]
    assert norms[3.0][0] > 1e-2 * norms[3.0][-1]


def first_nonfinite(trace) -> tuple[int, int]:
    """(step, layer) of the earliest non-finite value in any recorded quantity."""
    found = []
    for (layer, _direction), record in trace.layers.items():
        for values in record.quantities().values():
            rows = np.flatnonzero(~np.isfinite(values).all(axis=1))
            if rows.size:
                found.append((int(rows[0]), layer))
    return min(found)


@pytest.mark.parametrize(
    ("layers", "bidirectional"), [(1, False), (2, True)], ids=["L1-uni", "L2-bi"]
)
def test_overflow_is_reported_where_it_first_appears(layers, bidirectional):
    model = random_model(
        "rnn",
        8,
        input_size=4,
        num_layers=layers,
        bidirectional=bidirectional,
        nonlinearity="relu",
        gain=1e6,
        seed=1,
    )
    trace = model.trace(" ".join(f"w{i}" for i in range(30)), loss="last-output-sum")
    found = trace.nonfinite
    assert found is not None
    assert (found.step, found.layer) == first_nonfinite(trace)
    record = trace.layer(found.layer, found.direction).quantities()[found.quantity]
    row = record[found.step]
    assert not np.isfinite(row[found.unit])
    assert np.isfinite(row[: found.unit]).all()  # the first bad unit of that row


@pytest.mark.parametrize("kind", list(CELL_KINDS))
def test_random_init_follows_pytorch_bounds_and_seed(kind):
    hidden = 40
    options = {"hidden_size": hidden, "input_size": 12, "num_layers": 2, "bidirectional": True}
    params = random_model(seed=7, **options, **CELL_KINDS[kind]).state_dict()
    bound = 1 / np.sqrt(hidden)
    values = np.concatenate([v.ravel().astype(np.float64) for v in params.values()])
    assert np.abs(values).max() <= bound
    # U(-b, b): ten equal bins hold about a tenth each (5 standard errors of slack).
    counts, _ = np.histogram(values, bins=10, range=(-bound, bound))
    expected = values.size / 10
    assert np.abs(counts - expected).max() < 5 * np.sqrt(expected)
    again = random_model(seed=7, **options, **CELL_KINDS[kind]).state_dict()
    other = random_model(seed=8, **options, **CELL_KINDS[kind]).state_dict()
    for name, value in params.items():
        np.testing.assert_array_equal(value, again[name])
        assert not np.array_equal(value, other[name])


def test_gain_scales_only_the_recurrent_weights():
    plain = random_model("lstm", 8, seed=3, dtype="float64").state_dict()
    loud = random_model("lstm", 8, seed=3, gain=2.5, dtype="float64").state_dict()
    for name, value in plain.items():
        factor = 2.5 if name.startswith("rnn.weight_hh") else 1.0
        np.testing.assert_allclose(loud[name], factor * value, rtol=1e-15)


def test_state_jacobian_above_the_exact_limit_is_a_close_estimate():
    """Above JACOBIAN_EXACT_MAX units the engine estimates ||dh_T/dh_t||_F from random
    probes (documented relative error ~9% on the square, so ~4.4% on the norm); five
    standard errors of slack against the exact product."""
    from rnnstudio.engine.stack import JACOBIAN_EXACT_MAX

    hidden = JACOBIAN_EXACT_MAX + 44
    model = random_model("rnn", hidden, input_size=4, gain=2.0, seed=4, dtype="float64")
    trace = model.trace("one two three four five", loss="last-output-sum")
    exact = tanh_rnn_jacobian_norms(model, trace)
    np.testing.assert_allclose(trace.grads.jacobian[0, "fwd"], exact, rtol=0.22)


@pytest.mark.parametrize("kind", list(CELL_KINDS))
def test_float32_gradients_when_asked_are_the_float64_ones_rounded(kind):
    model = random_model(hidden_size=6, input_size=4, num_layers=2, seed=5, **CELL_KINDS[kind])
    wide = model.trace(TEXT, loss="last-output-sum").grads
    narrow = model.trace(TEXT, loss="last-output-sum", grad_dtype="float32").grads
    pairs = [("x", narrow.x, wide.x), ("h0", narrow.h0, wide.h0)]
    pairs += [(name, narrow.params[name], value) for name, value in wide.params.items()]
    pairs += [(f"h{key}", narrow.h[key], value) for key, value in wide.h.items()]
    pairs += [(f"jacobian{key}", narrow.jacobian[key], v) for key, v in wide.jacobian.items()]
    assert {np.asarray(n).dtype for _, n, _ in pairs} == {np.dtype(np.float32)}
    assert_no_mismatch([mismatch(label, n, w, 1e-5) for label, n, w in pairs])


def test_row_norms_keep_tiny_values_and_say_inf_for_an_infinite_row():
    """A vanished gradient keeps its size (not 0), a row holding an infinity has norm
    inf (it was NaN: inf / inf), one holding a NaN is NaN, a zero row is 0."""
    from rnnstudio.engine.trace import row_norms

    rows = np.array([[3e-170, 4e-170, 0.0], [1.0, -np.inf, 2.0], [np.nan, 1.0, 0.0],
                     [0.0, 0.0, 0.0], [3.0, 4.0, 0.0], [1e200, 1e200, 0.0]])
    norms = row_norms(rows)
    np.testing.assert_allclose(norms[[0, 4, 5]], [5e-170, 5.0, np.sqrt(2) * 1e200],
                               rtol=1e-15)
    assert norms[1] == np.inf and np.isnan(norms[2]) and norms[3] == 0.0
