"""LSTM layer: forward and backward through time, side by side.

Equations (PyTorch ``nn.LSTM``; rows of ``weight_ih``/``weight_hh`` in order i, f, g, o)::

    i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)     input gate
    f = sigmoid(W_if x + b_if + W_hf h + b_hf)     forget gate
    g = tanh(W_ig x + b_ig + W_hg h + b_hg)        candidate
    o = sigmoid(W_io x + b_io + W_ho h + b_ho)     output gate
    c' = f * c + i * g
    h' = o * tanh(c')            (with proj_size: h' = W_hr (o * tanh(c')))

Shapes are time-major: x (T, B, I), h (T, B, H_out), c and gates (T, B, H).

Speed: inside the loop the gates are kept in the order i, f, o, g, and the sigmoid rows of
the forward weights are pre-multiplied by 0.5 (exact in binary floating point), so one
``tanh`` over all 4H pre-activations plus ``*0.5 + 0.5`` on the first 3H gives every gate:
sigmoid(a) = 0.5 * tanh(a / 2) + 0.5. That is 10 NumPy calls per step, on fixed views of
one scratch row (see :meth:`LstmLayer.forward`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layer import LayerGrads, StepScale, StopCheck, check_stop, input_grads, prepare_rows
from .params import LayerWeights

GATE_NAMES = ("i", "f", "g", "o")


@dataclass
class LstmCache:
    """Everything the forward pass computed, in processing order (T, B, ...)."""

    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray
    gates: np.ndarray  # (T, B, 4H) after nonlinearities, internal order i, f, o, g
    cell: np.ndarray  # c_t
    tanh_cell: np.ndarray  # tanh(c_t)
    hidden: np.ndarray  # h_t
    unprojected: np.ndarray  # o * tanh(c_t); the same array as hidden without proj_size

    def record(self) -> dict[str, np.ndarray]:
        """Named views: ``h``, ``c`` and the gates under PyTorch's letters."""
        size = self.cell.shape[-1]
        order = {"i": 0, "f": 1, "o": 2, "g": 3}
        named = {k: self.gates[..., j * size : (j + 1) * size] for k, j in order.items()}
        return {"h": self.hidden, "c": self.cell, **{k: named[k] for k in GATE_NAMES}}


class LstmLayer:
    """One LSTM layer and direction, its weights prepared once for the step loop."""

    cell = "lstm"

    def __init__(self, weights: LayerWeights) -> None:
        hidden = weights.weight_hh.shape[0] // 4
        self.hidden_size = hidden
        self.output_size = weights.weight_hh.shape[1]
        # PyTorch rows i, f, g, o -> internal i, f, o, g (sigmoids contiguous).
        order = np.r_[0 : 2 * hidden, 3 * hidden : 4 * hidden, 2 * hidden : 3 * hidden]
        half = np.ones(4 * hidden, dtype=weights.weight_ih.dtype)
        half[: 3 * hidden] = 0.5
        self.rows = prepare_rows(weights, order, half, folded_hh_rows=4 * hidden)
        self.weight_hr = weights.weight_hr
        self._weight_hr_t = None if weights.weight_hr is None else weights.weight_hr.T.copy()

    # ---------------------------------------------------------------- forward
    def forward(
        self,
        x: np.ndarray,
        h0: np.ndarray,
        c0: np.ndarray,
        should_stop: StopCheck | None = None,
    ) -> LstmCache:
        """Run the recurrence; every step works in one scratch row, then copies it out.

        The scratch row is ``[i f o g | c | tanh(c) | (m) | h]``: fixed views of it are the
        operands of every call, so a step makes no array views, and with c next to g one
        multiply gives both ``i*g`` and ``f*c_prev``. The record (T, B, width) has the
        same layout and the cache's arrays are views of it.
        """
        steps, batch, _ = x.shape
        size, out_size = self.hidden_size, self.output_size
        projected = self.rows.input_projection(x)
        w_hh, w_hr = self.rows.weight_hh_t, self._weight_hr_t
        width = (6 if w_hr is None else 7) * size + out_size
        record = np.empty((steps, batch, width), dtype=projected.dtype)
        row = np.empty((batch, width), dtype=projected.dtype)
        cell, tanh_cell = slice(4 * size, 5 * size), slice(5 * size, 6 * size)
        unprojected = slice(6 * size, 7 * size) if w_hr is not None else slice(6 * size, None)
        hidden = slice(width - out_size, width)
        row[:, cell], row[:, hidden] = c0, h0
        pre, sigmoids, c, tc, m, h = (row[:, :4 * size], row[:, :3 * size], row[:, cell],
                                      row[:, tanh_cell], row[:, unprojected], row[:, hidden])
        in_forget, candidate_cell = row[:, :2 * size], row[:, 3 * size : 5 * size]
        out_gate = row[:, 2 * size : 3 * size]
        recurrent = np.empty((batch, 4 * size), dtype=projected.dtype)
        products = np.empty((batch, 2 * size), dtype=projected.dtype)
        in_candidate, forget_cell = products[:, :size], products[:, size:]
        half = np.array(0.5, dtype=projected.dtype)  # a 0-d operand costs less than a float
        dot, add, multiply, tanh, copyto = np.dot, np.add, np.multiply, np.tanh, np.copyto
        for t, (a, out) in enumerate(zip(projected, record, strict=True)):
            dot(h, w_hh, out=recurrent)
            add(a, recurrent, out=pre)
            tanh(pre, out=pre)
            multiply(sigmoids, half, out=sigmoids)
            add(sigmoids, half, out=sigmoids)
            multiply(in_forget, candidate_cell, out=products)
            add(in_candidate, forget_cell, out=c)
            tanh(c, out=tc)
            multiply(out_gate, tc, out=m)
            if w_hr is not None:
                dot(m, w_hr, out=h)
            copyto(out, row)
            check_stop(should_stop, t)
        return LstmCache(x, h0, c0, record[..., : 4 * size], record[..., cell],
                         record[..., tanh_cell], record[..., hidden], record[..., unprojected])

    # --------------------------------------------------------------- backward
    def backward(
        self,
        cache: LstmCache,
        grad_hidden: np.ndarray | None,
        grad_cell: np.ndarray | None = None,
        seed_hidden: np.ndarray | None = None,
        norms_only: bool = False,
        should_stop: StopCheck | None = None,
        scaled: bool = False,
    ) -> LayerGrads:
        """Backpropagation through time from cached activations; nothing is clipped.

        ``grad_hidden``/``grad_cell`` (T, B, .) are the direct gradients of the loss on
        h_t and c_t (from the loss or the layer above); ``seed_hidden`` (K, H_out) instead
        seeds K adjoints at the last step, for the Jacobian rows of dh_T/dh_t. Returns
        total derivatives dL/dh_t, dL/dc_t, pre-activation gradients and parameter grads.
        With ``norms_only`` only the per-step Frobenius norms of dL/dh_t are kept.
        ``scaled`` runs the loop in this layer's float32 with a :class:`StepScale` and
        returns float64 gradients.
        """
        dtype = self.rows.weight_hh.dtype
        steps, size = cache.gates.shape[0], self.hidden_size
        gates = cache.gates.astype(dtype, copy=False)
        i, f = gates[..., :size], gates[..., size : 2 * size]
        o, g = gates[..., 2 * size : 3 * size], gates[..., 3 * size :]
        tanh_cell = cache.tanh_cell.astype(dtype, copy=False)
        c0 = cache.c0.astype(dtype, copy=False)
        c_prev = np.concatenate([c0[None], cache.cell[:-1].astype(dtype, copy=False)])
        # Local derivatives for all steps at once, so the loop is ~8 calls a step:
        # dL/da_{i,f,g} = dc * coef_{i,f,g}, dL/da_o = dm * coef_o, dc += dm * through_h.
        coef = np.empty(gates.shape[:2] + (4, size), dtype=dtype)
        coef[:, :, 0] = g * i * (1.0 - i)
        coef[:, :, 1] = c_prev * f * (1.0 - f)
        coef[:, :, 2] = tanh_cell * o * (1.0 - o)
        coef[:, :, 3] = i * (1.0 - g * g)
        through_h = o * (1.0 - tanh_cell * tanh_cell)
        batch = gates.shape[1] if seed_hidden is None else seed_hidden.shape[0]
        d_hidden_next = np.zeros((batch, self.output_size), dtype=dtype)
        d_cell_next = np.zeros((batch, size), dtype=dtype)
        if seed_hidden is not None:
            d_hidden_next[...] = seed_hidden
        scaler = StepScale(steps, scaled or norms_only, seeded=seed_hidden is not None)
        total_h = np.empty(steps) if norms_only else np.empty(
            (steps, batch, self.output_size), dtype=dtype)
        total_c = None if norms_only else np.empty((steps, batch, size), dtype=dtype)
        d_gates = None if norms_only else np.empty((steps, batch, 4 * size), dtype=dtype)
        scratch = np.empty((batch, 4 * size), dtype=dtype)
        w_hh, w_hr = self.rows.weight_hh, self.weight_hr
        direct_grads = [grad_hidden, grad_cell]
        peaks = [scaler.step_peaks(grad) for grad in direct_grads]
        for t in range(steps - 1, -1, -1):
            direct_h, direct_c = scaler.direct(t, direct_grads, peaks,
                                               [d_hidden_next, d_cell_next], dtype)
            dh = d_hidden_next if direct_h is None else d_hidden_next + direct_h
            if total_c is None:
                total_h[t] = np.sqrt(np.vdot(dh, dh))
            else:
                total_h[t] = dh
            dm = dh if w_hr is None else dh @ w_hr
            dc = dm * through_h[t]
            dc += d_cell_next
            if direct_c is not None:
                dc += direct_c
            da = scratch if d_gates is None else d_gates[t]
            by_gate = da.reshape(batch, 4, size)
            np.multiply(dc[:, None, :], coef[t], out=by_gate)
            np.multiply(dm, coef[t, :, 2], out=by_gate[:, 2])
            if total_c is not None:
                total_c[t] = dc
            d_cell_next = dc * f[t]
            d_hidden_next = da @ w_hh
            scaler.renormalize(t, [d_hidden_next, d_cell_next])
            check_stop(should_stop, steps - 1 - t, every_step=seed_hidden is not None)
        if total_c is None or d_gates is None:
            return LayerGrads(hidden=scaler.true(total_h))
        grads = input_grads(self.rows, cache, d_gates, d_gates, dtype, scaler)
        grads.hidden, grads.cell = scaler.true(total_h), scaler.true(total_c)
        grads.h0, grads.c0 = scaler.final(d_hidden_next), scaler.final(d_cell_next)
        if w_hr is not None:
            unprojected = cache.unprojected.astype(grads.hidden.dtype, copy=False)
            grads.params["weight_hr"] = np.einsum("tbp,tbh->ph", grads.hidden, unprojected)
        return grads
