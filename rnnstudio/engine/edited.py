"""The forward pass with interventions, one plain step loop per cell.

An edit ``E`` (:mod:`.edits`: ``E(q) = keep * q + add``, a set or a scale per unit and
step) acts where its quantity is made, so the rest of the step, the next step and the
next layer read the edited value::

    LSTM   i, f, g, o = E_i(sigmoid(.)), E_f(sigmoid(.)), E_g(tanh(.)), E_o(sigmoid(.))
           c' = E_c(f * c + i * g)
           h' = E_h(o * tanh(c'))                      proj_size: E_h(W_hr (o * tanh(c')))
    GRU    r, z = E_r(sigmoid(.)), E_z(sigmoid(.))
           n  = E_n(tanh(W_in x + b_in + r * (W_hn h + b_hn)))    reset before: W_hn (r * h)
           h' = E_h((1 - z) * n + z * h)
    RNN    h' = E_h(act(W_ih x + b_ih + W_hh h + b_hh))

With f = 1 and i = 0 on every unit, ``c' = 1 * c + 0 * g`` is c bit for bit. The caches
keep the edited values (what the trace shows and the next step read) and the values as
made (``raw_gates``/``raw_hidden``), whose derivatives the backward pass needs; each
cell module folds the edits' local derivatives into its backward factors.

Only layers with edits run these loops; the fast loops of the cell modules stay as they
are. They compute the same floating-point operations in the same order, so the steps
before an edit equal the unedited trace bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .edits import LayerEdits
from .gru import GruCache, GruLayer, GruResetBeforeLayer
from .layer import StopCheck, check_stop
from .lstm import INTERNAL_ORDER, LstmCache, LstmLayer
from .rnn import RnnCache, RnnLayer

__all__ = ["forward_edited"]


def forward_edited(
    layer: Any, x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None, edits: LayerEdits,
    should_stop: StopCheck | None = None,
) -> Any:
    """The layer's forward pass (x (T, B, I), processing order) with ``edits`` in place;
    the same cache type as ``layer.forward``, carrying the edits and the made values."""
    if isinstance(layer, LstmLayer):
        assert c0 is not None
        return _lstm(layer, x, h0, c0, edits, should_stop)
    if isinstance(layer, (GruLayer, GruResetBeforeLayer)):
        return _gru(layer, x, h0, edits, should_stop)
    assert isinstance(layer, RnnLayer)
    return _rnn(layer, x, h0, edits, should_stop)


def _sigmoids(made: np.ndarray, rows: slice) -> None:
    """sigmoid(a) = 0.5 * tanh(a / 2) + 0.5 on ``rows`` of a tanh'd row whose sigmoid
    weights were pre-halved (as in the fast loops)."""
    made[:, rows] *= 0.5
    made[:, rows] += 0.5


def _lstm(layer: LstmLayer, x: np.ndarray, h0: np.ndarray, c0: np.ndarray,
          edits: LayerEdits, should_stop: StopCheck | None) -> LstmCache:
    steps, batch, _ = x.shape
    size, w_hr = layer.hidden_size, layer.weight_hr
    projected = layer.rows.input_projection(x)
    raw, gates = np.empty_like(projected), np.empty_like(projected)
    cell = np.empty((steps, batch, size), dtype=projected.dtype)
    tanh_cell = np.empty_like(cell)
    hidden = np.empty((steps, batch, layer.output_size), dtype=projected.dtype)
    unprojected = hidden if w_hr is None else np.empty_like(cell)
    w_hr_t = None if w_hr is None else np.ascontiguousarray(w_hr.T, dtype=projected.dtype)
    blocks = {name: slice(j * size, (j + 1) * size) for j, name in enumerate(INTERNAL_ORDER)}
    h_prev, c_prev = h0, c0
    for t in range(steps):
        made = raw[t]
        np.add(projected[t], np.dot(h_prev, layer.rows.weight_hh_t), out=made)
        np.tanh(made, out=made)
        _sigmoids(made, slice(0, 3 * size))
        gates[t] = made
        for name, block in blocks.items():
            edits.apply(name, t, gates[t, :, block])
        i, f, o, g = (gates[t, :, block] for block in blocks.values())
        np.add(i * g, f * c_prev, out=cell[t])
        edits.apply("c", t, cell[t])
        np.tanh(cell[t], out=tanh_cell[t])
        np.multiply(o, tanh_cell[t], out=unprojected[t])
        if w_hr_t is not None:
            np.matmul(unprojected[t], w_hr_t, out=hidden[t])
        edits.apply("h", t, hidden[t])
        h_prev, c_prev = hidden[t], cell[t]
        check_stop(should_stop, t)
    return LstmCache(x, h0, c0, gates, cell, tanh_cell, hidden, unprojected, edits, raw)


def _gru(layer: GruLayer | GruResetBeforeLayer, x: np.ndarray, h0: np.ndarray,
         edits: LayerEdits, should_stop: StopCheck | None) -> GruCache:
    steps, batch, _ = x.shape
    size = layer.hidden_size
    projected = layer.rows.input_projection(x)
    raw, gates = np.empty_like(projected), np.empty_like(projected)
    hidden = np.empty((steps, batch, size), dtype=projected.dtype)
    hidden_candidate = np.empty_like(hidden)  # W_hn h + b_hn; reset before: r * h
    h_prev = h0
    for t in range(steps):
        made, edited = raw[t], gates[t]
        made[...] = projected[t]
        if isinstance(layer, GruLayer):  # the products and sums of the fast loops
            recurrent = np.dot(h_prev, layer.rows.weight_hh_t)
            made[:, : 2 * size] += recurrent[:, : 2 * size]
        else:
            made[:, : 2 * size] += np.dot(h_prev, layer.weight_hrz_t)
        np.tanh(made[:, : 2 * size], out=made[:, : 2 * size])
        _sigmoids(made, slice(0, 2 * size))
        edited[:, : 2 * size] = made[:, : 2 * size]
        edits.apply("r", t, edited[:, :size])
        edits.apply("z", t, edited[:, size : 2 * size])
        r, z = edited[:, :size], edited[:, size : 2 * size]
        if isinstance(layer, GruLayer):
            hidden_candidate[t] = recurrent[:, 2 * size :]
            if layer.bias_hn is not None:
                hidden_candidate[t] += layer.bias_hn
            made[:, 2 * size :] += r * hidden_candidate[t]
        else:
            np.multiply(r, h_prev, out=hidden_candidate[t])
            made[:, 2 * size :] += np.dot(hidden_candidate[t], layer.weight_hn_t)
        np.tanh(made[:, 2 * size :], out=made[:, 2 * size :])
        edited[:, 2 * size :] = made[:, 2 * size :]
        edits.apply("n", t, edited[:, 2 * size :])
        n = edited[:, 2 * size :]
        np.add((h_prev - n) * z, n, out=hidden[t])
        edits.apply("h", t, hidden[t])
        h_prev = hidden[t]
        check_stop(should_stop, t)
    return GruCache(x, h0, gates, hidden_candidate, hidden, edits, raw)


def _rnn(layer: RnnLayer, x: np.ndarray, h0: np.ndarray, edits: LayerEdits,
         should_stop: StopCheck | None) -> RnnCache:
    raw = layer.rows.input_projection(x)
    hidden = np.empty_like(raw)
    h_prev = h0
    for t, made in enumerate(raw):
        made += np.dot(h_prev, layer.rows.weight_hh_t)
        if layer.nonlinearity == "relu":
            np.maximum(made, 0.0, out=made)
        else:
            np.tanh(made, out=made)
        hidden[t] = made
        edits.apply("h", t, hidden[t])
        h_prev = hidden[t]
        check_stop(should_stop, t)
    return RnnCache(x, h0, hidden, edits, raw)
