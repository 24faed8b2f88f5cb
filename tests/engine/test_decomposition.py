"""The gradient decomposed through the gates, against direct computations: products of
the trace's own gate arrays, central differences of the textbook step, numpy's SVD of
explicitly built step Jacobians, the engine's ||dh_T/dh_t|| and (when installed) torch
autograd."""

from __future__ import annotations

import numpy as np
import pytest

import rnnstudio as rs
from rnnstudio.engine import gru, lstm, rnn
from rnnstudio.engine.decomposition import FULL_MAX_UNITS, decompose, decompose_all
from rnnstudio.engine.params import layer_weights
from rnnstudio.errors import Cancelled

TEXT = "the cat sat on the mat and then the dog ran to the red door"
EPS = 1e-6


def _model(cell: str, **options: object) -> rs.Model:
    return rs.random_model(cell, hidden_size=6, input_size=5, seed=3, dtype="float64",
                           **options)  # type: ignore[arg-type]


def _reading(values: np.ndarray, direction: str) -> np.ndarray:
    return values[::-1] if direction == "bwd" else values


@pytest.mark.parametrize("cell, gate", [("lstm", "f"), ("gru", "z")])
@pytest.mark.parametrize("direction", ["fwd", "bwd"])
def test_retention_is_the_product_of_the_gates_read_after_each_step(cell, gate, direction):
    model = _model(cell, bidirectional=True, num_layers=2)
    trace = model.trace(TEXT, loss=None)
    for layer in (0, 1):
        result = decompose(model, trace, layer, direction, full=False)
        gates = _reading(trace.layer(layer, direction).gates[gate], direction)
        expected = np.array([np.prod(gates[s + 1:], axis=0) for s in range(len(gates))])
        np.testing.assert_allclose(10.0 ** _reading(result.log10_retention, direction),
                                   expected, rtol=1e-12)
        norms = np.linalg.norm(expected, axis=1)
        np.testing.assert_allclose(10.0 ** _reading(result.log10_retention_norm, direction),
                                   norms, rtol=1e-12)
        assert result.log10_full_norm is None  # full=False


def test_retention_far_below_float64_is_a_finite_log_and_an_exact_zero_is_minus_inf():
    model = _model("lstm")
    trace = model.trace(" ".join(["word"] * 400), loss=None)
    forget = trace.layer(0).gates["f"]
    forget *= 0.1  # forget gates of at most 0.1: 399 of them multiply to below 1e-399
    result = decompose(model, trace, full=False)
    expected = np.log10(forget[1:]).sum(axis=0)
    assert np.all(expected < -399) and np.prod(forget[1:], axis=0).max() == 0.0
    np.testing.assert_allclose(result.log10_retention[0], expected, rtol=1e-12)
    forget[5, 2] = 0.0  # as a saturated float32 sigmoid gives it
    zeroed = decompose(model, trace, full=False).log10_retention
    assert np.all(zeroed[:5, 2] == -np.inf) and np.all(np.isfinite(zeroed[5:, 2]))


def _lstm_cell_after(weights, xs, h, c, steps):  # type: ignore[no-untyped-def]
    for x in xs[:steps]:
        terms = lstm.textbook_step(weights, x, h, c)
        h, c = terms.hidden, terms.cell
    return c


def _numeric_lstm_jacobian(model, trace, direction, s):  # type: ignore[no-untyped-def]
    """dc_S/dc_s by central differences: c_s nudged, h_s = o_s tanh(c_s) (projected)
    recomputed from it, then the textbook steps s+1..S."""
    weights = layer_weights(model.params, 0, direction, np.dtype(np.float64))
    record = trace.layer(0, direction)
    xs = _reading(trace.x, direction)[s + 1:]
    c_s, o_s = _reading(record.c, direction)[s], _reading(record.gates["o"], direction)[s]
    columns = []
    for unit in range(len(c_s)):
        ends = []
        for sign in (1, -1):
            c = c_s.copy()
            c[unit] += sign * EPS
            m = o_s * np.tanh(c)
            h = m if weights.weight_hr is None else weights.weight_hr @ m
            ends.append(_lstm_cell_after(weights, xs, h, c, len(xs)))
        columns.append((ends[0] - ends[1]) / (2 * EPS))
    return np.array(columns).T


@pytest.mark.parametrize("options", [{}, {"proj_size": 4}, {"bidirectional": True}])
def test_lstm_full_jacobian_against_central_differences(options):
    model = _model("lstm", **options)
    trace = model.trace(TEXT, loss=None)
    for direction in model.config.recurrent.directions:
        result = decompose(model, trace, 0, direction)
        norms = _reading(result.log10_full_norm, direction)
        diagonal = _reading(result.log10_full_diagonal, direction)
        signs = _reading(result.full_diagonal_sign, direction)
        for s in (0, 5, trace.steps - 2, trace.steps - 1):
            numeric = _numeric_lstm_jacobian(model, trace, direction, s)
            np.testing.assert_allclose(10.0 ** norms[s], np.linalg.norm(numeric), rtol=1e-6)
            np.testing.assert_allclose(signs[s] * 10.0 ** diagonal[s], np.diagonal(numeric),
                                       rtol=1e-5, atol=1e-9)


def _numeric_hidden_jacobian(model, trace, direction, s):  # type: ignore[no-untyped-def]
    """dh_S/dh_s by central differences of the textbook GRU or RNN step."""
    rec = model.config.recurrent
    weights = layer_weights(model.params, 0, direction, np.dtype(np.float64))
    xs = _reading(trace.x, direction)[s + 1:]
    h_s = _reading(trace.layer(0, direction).h, direction)[s]

    def run(h):  # type: ignore[no-untyped-def]
        for x in xs:
            h = (gru.textbook_step(weights, x, h, rec.reset_after) if rec.cell == "gru"
                 else rnn.textbook_step(weights, x, h, rec.nonlinearity)).hidden
        return h

    columns = []
    for unit in range(len(h_s)):
        nudge = np.zeros_like(h_s)
        nudge[unit] = EPS
        columns.append((run(h_s + nudge) - run(h_s - nudge)) / (2 * EPS))
    return np.array(columns).T


@pytest.mark.parametrize("cell, options", [("gru", {}), ("gru", {"reset_after": False}),
                                           ("rnn", {"bidirectional": True}),
                                           ("rnn", {"nonlinearity": "relu"})])
def test_hidden_jacobian_against_central_differences_and_the_engine_norm(cell, options):
    model = _model(cell, **options)
    trace = model.trace(TEXT)
    for direction in model.config.recurrent.directions:
        result = decompose(model, trace, 0, direction)
        norms = _reading(result.log10_full_norm, direction)
        diagonal = _reading(result.log10_full_diagonal, direction)
        signs = _reading(result.full_diagonal_sign, direction)
        for s in (0, 4, trace.steps - 1):
            numeric = _numeric_hidden_jacobian(model, trace, direction, s)
            np.testing.assert_allclose(10.0 ** norms[s], np.linalg.norm(numeric), rtol=1e-6,
                                       atol=1e-9)  # central differences: ~1e-11 absolute
            np.testing.assert_allclose(signs[s] * 10.0 ** diagonal[s], np.diagonal(numeric),
                                       rtol=1e-5, atol=1e-9)
        np.testing.assert_allclose(10.0 ** result.log10_full_norm,
                                   trace.grads.jacobian[0, direction], rtol=1e-9)


def _rnn_step_jacobians(model, trace, direction):  # type: ignore[no-untyped-def]
    """diag(act'(a_s)) W_hh of every step, reading order, built as the textbook says."""
    weights = layer_weights(model.params, 0, direction, np.dtype(np.float64))
    hidden = _reading(trace.layer(0, direction).h, direction)
    relu = model.config.recurrent.nonlinearity == "relu"
    return [np.diag((h > 0) * 1.0 if relu else 1 - h**2) @ weights.weight_hh for h in hidden]


@pytest.mark.parametrize("nonlinearity, gain", [("tanh", 0.5), ("tanh", 1.0), ("relu", 3.0)])
@pytest.mark.parametrize("direction", ["fwd", "bwd"])
def test_rnn_singular_values_bounds_and_spectral_norm(nonlinearity, gain, direction):
    model = _model("rnn", nonlinearity=nonlinearity, gain=gain, bidirectional=True)
    trace = model.trace(TEXT, loss=None)
    result = decompose(model, trace, 0, direction)
    jacobians = _rnn_step_jacobians(model, trace, direction)
    values = [np.linalg.svd(j, compute_uv=False) for j in jacobians]
    unresolved = [v[-1] < 6 * np.finfo(float).eps * v[0] for v in values]  # 0 then
    for jacobian, zero in zip(jacobians, unresolved, strict=True):
        assert zero or not (jacobian == 0).all(axis=1).any()  # a zero row: never resolved
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(_reading(result.log10_step_sv_max, direction),
                                   [np.log10(v[0]) for v in values], rtol=1e-10)
        np.testing.assert_allclose(_reading(result.log10_step_sv_min, direction),
                                   [-np.inf if u else np.log10(v[-1])
                                    for v, u in zip(values, unresolved, strict=True)],
                                   rtol=1e-8)
    if nonlinearity == "relu":  # a unit that is off: a zero row, exactly 0
        assert np.isneginf(result.log10_step_sv_min).any()
    last = len(jacobians) - 1
    product = np.eye(6)
    spectral = _reading(result.log10_full_spectral, direction)
    for s in range(last, -1, -1):
        np.testing.assert_allclose(10.0 ** spectral[s], np.linalg.norm(product, 2), rtol=1e-9)
        product = product @ jacobians[s]
    slack = 1e-9
    assert np.all(result.log10_bound_min <= result.log10_full_spectral + slack)
    assert np.all(result.log10_full_spectral <= result.log10_bound_max + slack)
    anchor = 0 if direction == "bwd" else -1
    assert result.log10_bound_max[anchor] == 0.0 and result.log10_full_spectral[anchor] == 0.0


def test_an_exploding_rnn_is_reported_as_exploding():
    """Large recurrent weights, ReLU: ||dh_T/dh_0|| grows by orders of magnitude, and the
    decomposition says so (a positive log10, equal to the direct product's norm)."""
    model = _model("rnn", nonlinearity="relu", gain=4.0)
    trace = model.trace(f"{TEXT} {TEXT}", loss=None)
    result = decompose(model, trace)
    product = np.eye(6)
    for jacobian in _rnn_step_jacobians(model, trace, "fwd")[:0:-1]:
        product = product @ jacobian
    assert np.linalg.norm(product, 2) > 1e3
    np.testing.assert_allclose(result.log10_full_spectral[0], np.log10(np.linalg.norm(product, 2)),
                               rtol=1e-9)


def test_every_layer_and_direction_with_progress_and_cancel():
    model = _model("lstm", num_layers=2, bidirectional=True)
    trace = model.trace(TEXT, loss=None)
    seen: list[tuple[int, int]] = []
    results = decompose_all(model, trace,
                            on_progress=lambda done, total: seen.append((done, total)))
    assert set(results) == {(0, "fwd"), (0, "bwd"), (1, "fwd"), (1, "bwd")}
    assert seen[-1] == (4 * trace.steps, 4 * trace.steps) and len(seen) == 4 * trace.steps
    arrays = results[1, "bwd"].arrays()
    assert arrays["decomposition.l1.bwd.log10_retention"].shape == (trace.steps, 6)
    assert "decomposition.l1.bwd.log10_bound_max" not in arrays  # an RNN quantity
    with pytest.raises(Cancelled):
        decompose(model, trace, should_stop=lambda: True)


def test_above_the_unit_limit_only_the_retention_is_computed():
    model = rs.random_model("lstm", hidden_size=FULL_MAX_UNITS + 1, input_size=4, seed=0)
    trace = model.trace("a b", loss=None)
    result = decompose(model, trace)
    assert result.log10_retention.shape == (2, FULL_MAX_UNITS + 1)
    assert result.log10_full_norm is None and result.highway_share is None


def test_lstm_cell_jacobian_against_torch_autograd():
    torch = pytest.importorskip("torch")
    model = _model("lstm")
    trace = model.trace(TEXT, loss=None)
    weights = layer_weights(model.params, 0, "fwd", np.dtype(np.float64))
    cell = torch.nn.LSTMCell(5, 6, dtype=torch.float64)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(torch.from_numpy(getattr(weights, name)))
    s = 3
    record = trace.layer(0)
    c_s = torch.tensor(record.c[s], requires_grad=True)
    o_s = torch.from_numpy(record.gates["o"][s])
    h, c = o_s * torch.tanh(c_s), c_s
    for x in trace.x[s + 1:]:
        h, c = cell(torch.from_numpy(x)[None], (h[None] if h.dim() == 1 else h,
                                                  c[None] if c.dim() == 1 else c))
    jacobian = torch.stack([torch.autograd.grad(c[0, u], c_s, retain_graph=True)[0]
                            for u in range(6)]).numpy()
    result = decompose(model, trace)
    np.testing.assert_allclose(10.0 ** result.log10_full_norm[s], np.linalg.norm(jacobian),
                               rtol=1e-10)
    np.testing.assert_allclose(result.full_diagonal_sign[s] * 10.0 ** result.log10_full_diagonal[s],
                               np.diagonal(jacobian), rtol=1e-9, atol=1e-14)


def test_an_edited_trace_gets_the_retention_of_its_edited_gates_and_no_full_jacobian() -> None:
    """The full Jacobians would ignore the clamp (no gradient through a set quantity),
    so an edited trace has none; the retention reads the edited f (here 1 from step 3:
    every unit keeps everything after it, log10 retention exactly 0 from step 2 on)."""
    model = _model("lstm")
    trace = model.trace(TEXT, interventions=["f=1:steps=3-"])
    steps = trace.steps
    found = decompose(model, trace)
    assert found.log10_full_norm is None and found.log10_full_diagonal is None
    assert found.log10_retention is not None
    assert np.array_equal(found.log10_retention[2:], np.zeros((steps - 2, 6)))
    assert (found.log10_retention[:2] < 0).all()
    unedited = decompose(model, model.trace(TEXT))
    assert unedited.log10_full_norm is not None
