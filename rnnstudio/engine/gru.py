"""GRU layer: forward and backward through time, side by side.

Equations (PyTorch ``nn.GRU``; rows in order r, z, n)::

    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)          reset gate
    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)          update gate
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn))       candidate
    h' = (1 - z) * n + z * h

The reset gate multiplies ``W_hn h + b_hn`` (not h), so ``b_hn`` cannot be folded into
the input bias and ``W_hn h + b_hn`` is cached per step for the backward pass. As in the
LSTM, the r and z rows are pre-scaled by 0.5 so one tanh gives both sigmoids.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layer import LayerGrads, StepScale, StopCheck, check_stop, input_grads, prepare_rows
from .params import LayerWeights

GATE_NAMES = ("r", "z", "n")


@dataclass
class GruCache:
    """Everything the forward pass computed, in processing order (T, B, ...)."""

    x: np.ndarray
    h0: np.ndarray
    gates: np.ndarray  # (T, B, 3H) r, z, n after nonlinearities
    hidden_candidate: np.ndarray  # W_hn h_{t-1} + b_hn
    hidden: np.ndarray

    def record(self) -> dict[str, np.ndarray]:
        size = self.hidden.shape[-1]
        named = {k: self.gates[..., j * size : (j + 1) * size] for j, k in enumerate(GATE_NAMES)}
        return {"h": self.hidden, **named}


class GruLayer:
    """One GRU layer and direction, its weights prepared once for the step loop."""

    cell = "gru"

    def __init__(self, weights: LayerWeights) -> None:
        size = weights.weight_hh.shape[0] // 3
        self.hidden_size = self.output_size = size
        half = np.ones(3 * size, dtype=weights.weight_ih.dtype)
        half[: 2 * size] = 0.5
        self.rows = prepare_rows(weights, np.arange(3 * size), half, folded_hh_rows=2 * size)
        self.bias_hn = None if weights.bias_hh is None else weights.bias_hh[2 * size :].copy()

    def forward(
        self, x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None = None,
        should_stop: StopCheck | None = None,
    ) -> GruCache:
        steps, batch, _ = x.shape
        size = self.hidden_size
        gates = self.rows.input_projection(x)
        hidden = np.empty((steps, batch, size), dtype=gates.dtype)
        hidden_candidate = np.empty_like(hidden)
        recurrent = np.empty((batch, 3 * size), dtype=gates.dtype)
        recurrent_rz, recurrent_n = recurrent[:, : 2 * size], recurrent[:, 2 * size :]
        product = np.empty((batch, size), dtype=gates.dtype)
        w_hh, bias_hn = self.rows.weight_hh_t, self.bias_hn
        sigmoids, reset = gates[..., : 2 * size], gates[..., :size]
        update, candidate = gates[..., size : 2 * size], gates[..., 2 * size :]
        h_prev = h0
        loop = zip(sigmoids, reset, update, candidate, hidden_candidate, hidden, strict=True)
        for t, (s, r, z, n, hn, h) in enumerate(loop):
            np.dot(h_prev, w_hh, out=recurrent)
            s += recurrent_rz
            np.tanh(s, out=s)
            s *= 0.5
            s += 0.5
            if bias_hn is None:
                hn[...] = recurrent_n
            else:
                np.add(recurrent_n, bias_hn, out=hn)
            np.multiply(r, hn, out=product)
            n += product
            np.tanh(n, out=n)
            np.subtract(h_prev, n, out=h)
            h *= z
            h += n
            h_prev = h
            check_stop(should_stop, t)
        return GruCache(x, h0, gates, hidden_candidate, hidden)

    def backward(
        self,
        cache: GruCache,
        grad_hidden: np.ndarray | None,
        grad_cell: np.ndarray | None = None,
        seed_hidden: np.ndarray | None = None,
        norms_only: bool = False,
        should_stop: StopCheck | None = None,
        scaled: bool = False,
    ) -> LayerGrads:
        """Backpropagation through time; arguments as :meth:`LstmLayer.backward`."""
        dtype = self.rows.weight_hh.dtype
        steps, size = cache.gates.shape[0], self.hidden_size
        gates = cache.gates.astype(dtype, copy=False)
        r, z, n = gates[..., :size], gates[..., size : 2 * size], gates[..., 2 * size :]
        h0 = cache.h0.astype(dtype, copy=False)
        h_prev = np.concatenate([h0[None], cache.hidden[:-1].astype(dtype, copy=False)])
        hidden_candidate = cache.hidden_candidate.astype(dtype, copy=False)
        # Every pre-activation gradient is dh times a local factor, computed for all
        # steps at once: d(input rows) = dh * [a_n r', a_z, a_n], d(recurrent rows) =
        # dh * [a_n r', a_z, a_n r] with a_n = (1-z)(1-n^2), r' = hn r(1-r).
        through_n = (1.0 - z) * (1.0 - n * n)
        coef_input = np.empty(gates.shape[:2] + (3, size), dtype=dtype)
        coef_input[:, :, 0] = through_n * hidden_candidate * r * (1.0 - r)
        coef_input[:, :, 1] = (h_prev - n) * z * (1.0 - z)
        coef_input[:, :, 2] = through_n
        coef_recurrent = coef_input.copy()
        coef_recurrent[:, :, 2] *= r
        batch = gates.shape[1] if seed_hidden is None else seed_hidden.shape[0]
        d_next = np.zeros((batch, size), dtype=dtype)
        if seed_hidden is not None:
            d_next[...] = seed_hidden
        scaler = StepScale(steps, scaled or norms_only, seeded=seed_hidden is not None)
        total = np.empty(steps) if norms_only else np.empty(
            (steps, batch, size), dtype=dtype)
        d_input = None if norms_only else np.empty((steps, batch, 3 * size), dtype=dtype)
        d_recurrent = np.empty((batch, 3 * size), dtype) if d_input is None else np.empty_like(
            d_input)
        w_hh = self.rows.weight_hh
        peaks = [scaler.step_peaks(grad_hidden)]
        for t in range(steps - 1, -1, -1):
            (direct,) = scaler.direct(t, [grad_hidden], peaks, [d_next], dtype)
            dh = d_next if direct is None else d_next + direct
            d_rec = d_recurrent if d_input is None else d_recurrent[t]
            np.multiply(dh[:, None, :], coef_recurrent[t], out=d_rec.reshape(batch, 3, size))
            if d_input is None:
                total[t] = np.sqrt(np.vdot(dh, dh))
            else:
                total[t] = dh
                np.multiply(dh[:, None, :], coef_input[t], out=d_input[t].reshape(batch, 3, size))
            d_next = dh * z[t]
            d_next += d_rec @ w_hh
            scaler.renormalize(t, [d_next])
            check_stop(should_stop, steps - 1 - t, every_step=seed_hidden is not None)
        if d_input is None:
            return LayerGrads(hidden=scaler.true(total))
        grads = input_grads(self.rows, cache, d_input, d_recurrent, dtype, scaler)
        grads.hidden, grads.h0 = scaler.true(total), scaler.final(d_next)
        return grads
