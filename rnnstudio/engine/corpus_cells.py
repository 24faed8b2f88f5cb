"""Forward-only steps of every cell for the corpus index: packed, gate-major, contiguous.

The equations are the cell modules' own (:mod:`.lstm`, :mod:`.gru`, :mod:`.rnn`, whose
docstrings carry them), computed from the same prepared rows (``layer.rows``: internal
gate order, sigmoid rows pre-scaled by 0.5 so that sigmoid(a) = 0.5 * tanh(a / 2) + 0.5,
foldable biases folded)::

    LSTM   i, f, o = sigmoid(.)   g = tanh(.)   c' = f * c + i * g
           h' = o * tanh(c')      (with proj_size: h' = W_hr (o * tanh(c')))
    GRU    r, z = sigmoid(.)      n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
           h' = (h - n) * z + n   (reset before: n = tanh(W_in x + W_hn (r * h) + b_n))
    RNN    h' = act(W_ih x + W_hh h + b)

What differs from the layers' ``forward`` is only the layout, for speed with a batch.
The input is packed (:class:`.packing.Packing`): step t is rows ``starts[t] :
starts[t + 1]`` of (N, I), the documents still running, so no step computes padding and
the previous state of step t is the first k_t rows of step t - 1's block. The input
projection of all tokens is one GEMM per gate into a gate-major buffer (G, N, H), so gate
k of step t is the contiguous (k_t, H) block ``gates[k, start:stop]`` (the layers' own
scratch rows ``[i f o g | c | tanh c | h]`` made every element-wise call at B > 1 run over
strided blocks: B = 64, H = 256, a step took 820 us against torch's 326 us); the
recurrent product is one stacked matmul; h and c go to their own (N, H) arrays. The
buffer becomes the gates after their nonlinearities in place, so the recorded gates cost
no copy. Nothing is kept for a backward pass.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from .gru import GATE_NAMES as GRU_GATES
from .gru import GruLayer, GruResetBeforeLayer
from .layer import Rows, StopCheck, check_stop
from .lstm import INTERNAL_ORDER, LstmLayer
from .rnn import RnnLayer, activate

__all__ = ["CorpusLayer", "forward_projected", "forward_record", "project"]

def _gate_major(weight_t: np.ndarray, gates: int) -> np.ndarray:
    """(in, G*H) transposed rows -> (G, in, H) contiguous, one matrix per gate."""
    width, rows = weight_t.shape
    return np.ascontiguousarray(weight_t.reshape(width, gates, rows // gates).transpose(1, 0, 2))


def _projected(rows: Rows, x: np.ndarray, gates: int) -> np.ndarray:
    """W_ih x + b (the folded biases) of every packed token, gate-major (G, N, H): one
    GEMM a gate, the bias a last row of the weights times a column of ones (no pass of its
    own over the result: 98 -> 80 us a step of 64 tokens, I = 64, H = 256)."""
    count, width = x.shape
    weight_t = rows.weight_ih_t
    if rows.bias is None:
        flat = np.ascontiguousarray(x, dtype=weight_t.dtype)
        return np.matmul(flat, _gate_major(weight_t, gates))
    flat = np.empty((count, width + 1), dtype=weight_t.dtype)
    flat[:, :width] = x
    flat[:, width] = 1.0
    return np.matmul(flat, _gate_major(np.vstack([weight_t, rows.bias]), gates))


class _Scratch:
    """Per-step scratch arrays for steps of any number of running documents: the first
    k rows of each (..., B, H) buffer as one contiguous block, made once per k (a step
    making its views costs more than its element-wise work at H = 48)."""

    def __init__(self, batch: int, dtype: np.dtype, *shapes: tuple[int, ...]) -> None:
        self._buffers = [(np.empty(math.prod(shape) * batch, dtype), shape)
                         for shape in shapes]
        self._views: dict[int, list[np.ndarray]] = {}

    def __call__(self, running: int) -> list[np.ndarray]:
        views = self._views.get(running)
        if views is None:
            views = [buffer[: math.prod(shape) * running].reshape(
                *shape[:-1], running, shape[-1]) for buffer, shape in self._buffers]
            self._views[running] = views
        return views


def _lstm(layer: LstmLayer, gates: np.ndarray, starts: list[int],
          should_stop: StopCheck | None) -> dict[str, np.ndarray]:
    count, batch = gates.shape[1], starts[1]  # gates: internal order i, f, o, g
    size, dtype = layer.hidden_size, layer.rows.weight_hh_t.dtype
    w_hh = _gate_major(layer.rows.weight_hh_t, 4)
    w_hr = None if layer.weight_hr is None else np.ascontiguousarray(layer.weight_hr.T)
    hidden = np.empty((count, layer.output_size), dtype=dtype)
    cell = np.empty((count, size), dtype=dtype)
    # the recurrent product, i * g, tanh(c') and (with proj_size) o * tanh(c')
    scratch = _Scratch(batch, dtype, (4, size), (size,), (size,), (size,))
    h_prev = np.zeros((batch, layer.output_size), dtype=dtype)
    c_prev = np.zeros((batch, size), dtype=dtype)
    half = dtype.type(0.5)
    add, multiply, tanh, matmul = np.add, np.multiply, np.tanh, np.matmul
    for t, (start, stop) in enumerate(itertools.pairwise(starts)):
        running = stop - start
        step = gates[:, start:stop]
        sigmoids, (i, f, o, g) = step[:3], step
        recurrent, product, tanh_c, unprojected = scratch(running)
        matmul(h_prev[:running], w_hh, out=recurrent)
        add(step, recurrent, out=step)
        tanh(step, out=step)
        multiply(sigmoids, half, out=sigmoids)
        add(sigmoids, half, out=sigmoids)
        c, h = cell[start:stop], hidden[start:stop]
        multiply(i, g, out=product)
        multiply(f, c_prev[:running], out=c)
        add(product, c, out=c)
        tanh(c, out=tanh_c)
        if w_hr is None:
            multiply(o, tanh_c, out=h)
        else:
            multiply(o, tanh_c, out=unprojected)
            matmul(unprojected, w_hr, out=h)
        h_prev, c_prev = h, c
        check_stop(should_stop, t)
    named = dict(zip(INTERNAL_ORDER, gates, strict=True))
    return {"h": hidden, "c": cell, **{name: named[name] for name in ("i", "f", "g", "o")}}


def _gru_gates(step: np.ndarray, recurrent: np.ndarray, half: np.generic) -> None:
    """r and z of one step in place: their input parts plus the recurrent ones, sigmoid."""
    sigmoids = step[:2]
    np.add(sigmoids, recurrent, out=sigmoids)
    np.tanh(sigmoids, out=sigmoids)
    np.multiply(sigmoids, half, out=sigmoids)
    np.add(sigmoids, half, out=sigmoids)


def _gru_new_state(h_prev: np.ndarray, z: np.ndarray, n: np.ndarray, h: np.ndarray) -> None:
    """h' = (h - n) * z + n into ``h`` (the cell's own order of operations)."""
    np.subtract(h_prev, n, out=h)
    np.multiply(h, z, out=h)
    np.add(h, n, out=h)


def _gru(layer: GruLayer | GruResetBeforeLayer, gates: np.ndarray, starts: list[int],
         should_stop: StopCheck | None) -> dict[str, np.ndarray]:
    count, batch = gates.shape[1], starts[1]
    size, dtype = layer.hidden_size, layer.rows.weight_hh_t.dtype
    reset_after = isinstance(layer, GruLayer)
    w_hh = _gate_major(layer.rows.weight_hh_t, 3)
    w_rz, w_n = w_hh[:2], w_hh[2]
    bias_hn = layer.bias_hn if isinstance(layer, GruLayer) else None
    hidden = np.empty((count, size), dtype=dtype)
    scratch = _Scratch(batch, dtype, (3, size), (size,))  # recurrent products, r * (.)
    h_prev = np.zeros((batch, size), dtype=dtype)
    half = dtype.type(0.5)
    for t, (start, stop) in enumerate(itertools.pairwise(starts)):
        running = stop - start
        step, h_running = gates[:, start:stop], h_prev[:running]
        r, z, n = step
        recurrent, product = scratch(running)
        recurrent_rz, recurrent_n = recurrent[:2], recurrent[2]
        if reset_after:
            np.matmul(h_running, w_hh, out=recurrent)
            _gru_gates(step, recurrent_rz, half)
            if bias_hn is not None:
                np.add(recurrent_n, bias_hn, out=recurrent_n)
            np.multiply(r, recurrent_n, out=product)
        else:
            np.matmul(h_running, w_rz, out=recurrent_rz)
            _gru_gates(step, recurrent_rz, half)
            np.multiply(r, h_running, out=recurrent_n)
            np.matmul(recurrent_n, w_n, out=product)
        np.add(n, product, out=n)
        np.tanh(n, out=n)
        _gru_new_state(h_running, z, n, hidden[start:stop])
        h_prev = hidden[start:stop]
        check_stop(should_stop, t)
    return {"h": hidden, **dict(zip(GRU_GATES, gates, strict=True))}


def _rnn(layer: RnnLayer, gates: np.ndarray, starts: list[int],
         should_stop: StopCheck | None) -> dict[str, np.ndarray]:
    batch, dtype, hidden = starts[1], layer.rows.weight_hh_t.dtype, gates[0]
    scratch = _Scratch(batch, dtype, (layer.hidden_size,))
    relu = layer.nonlinearity == "relu"
    h_prev = np.zeros((batch, layer.hidden_size), dtype=dtype)
    for t, (start, stop) in enumerate(itertools.pairwise(starts)):
        h, (recurrent,) = hidden[start:stop], scratch(stop - start)
        np.matmul(h_prev[: stop - start], layer.rows.weight_hh_t, out=recurrent)
        np.add(h, recurrent, out=h)
        activate(h, relu)
        h_prev = h
        check_stop(should_stop, t)
    return {"h": hidden}


#: A layer the corpus forward runs.
CorpusLayer = LstmLayer | GruLayer | GruResetBeforeLayer | RnnLayer


def project(layer: CorpusLayer, x: np.ndarray) -> np.ndarray:
    """The input projection W_ih x + b of every row of ``x`` (N, I), gate-major (G, N, H):
    what :func:`forward_projected` starts from (rows of distinct tokens can be projected
    once and gathered per token)."""
    return _projected(layer.rows, x, layer.rows.weight_ih_t.shape[1] // layer.hidden_size)


def forward_projected(layer: CorpusLayer, gates: np.ndarray, starts: Sequence[int] | np.ndarray,
                      should_stop: StopCheck | None = None) -> dict[str, np.ndarray]:
    """:func:`forward_record` from the input projection ``gates`` (G, N, H) of
    :func:`project`, which the steps overwrite (they become the recorded gates)."""
    bounds = [int(row) for row in starts]
    if isinstance(layer, LstmLayer):
        return _lstm(layer, gates, bounds, should_stop)
    if isinstance(layer, GruLayer | GruResetBeforeLayer):
        return _gru(layer, gates, bounds, should_stop)
    return _rnn(layer, gates, bounds, should_stop)


def forward_record(layer: CorpusLayer, x: np.ndarray, starts: Sequence[int] | np.ndarray,
                   should_stop: StopCheck | None = None) -> dict[str, np.ndarray]:
    """Run one layer and direction over packed ``x`` (N, I), step t rows ``starts[t] :
    starts[t + 1]`` (:class:`.packing.Packing`), every document from the zero state,
    forward only.

    Returns
    -------
    dict
        ``h`` (N, H_out) and, for an LSTM, ``c`` and ``i f g o``, for a GRU ``r z n``
        (N, H) each, packed as ``x``, as :meth:`record` of the layer's cache names them;
        each array is C-contiguous (a gate is one block of a gate-major buffer).
    """
    return forward_projected(layer, project(layer, x), starts, should_stop)
