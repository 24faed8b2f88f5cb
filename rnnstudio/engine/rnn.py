"""Vanilla RNN layer (``tanh`` or ``relu``): forward and backward through time.

Equation (PyTorch ``nn.RNN``)::

    h' = act(W_ih x + b_ih + W_hh h + b_hh),   act = tanh or relu

Both biases are folded into the input projection; the pre-activation buffer becomes h in
place, so a step is three NumPy calls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layer import LayerGrads, StepScale, StopCheck, check_stop, input_grads, prepare_rows
from .params import LayerWeights


@dataclass
class RnnCache:
    x: np.ndarray
    h0: np.ndarray
    hidden: np.ndarray  # (T, B, H)

    def record(self) -> dict[str, np.ndarray]:
        return {"h": self.hidden}


class RnnLayer:
    """One RNN layer and direction."""

    cell = "rnn"

    def __init__(self, weights: LayerWeights, nonlinearity: str = "tanh") -> None:
        size = weights.weight_hh.shape[0]
        self.hidden_size = self.output_size = size
        self.nonlinearity = nonlinearity
        ones = np.ones(size, dtype=weights.weight_ih.dtype)
        self.rows = prepare_rows(weights, np.arange(size), ones, folded_hh_rows=size)

    def forward(
        self, x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None = None,
        should_stop: StopCheck | None = None,
    ) -> RnnCache:
        hidden = self.rows.input_projection(x)
        recurrent = np.empty(hidden.shape[1:], dtype=hidden.dtype)
        w_hh, relu = self.rows.weight_hh_t, self.nonlinearity == "relu"
        h_prev = h0
        for t, h in enumerate(hidden):
            np.dot(h_prev, w_hh, out=recurrent)
            h += recurrent
            if relu:
                np.maximum(h, 0.0, out=h)
            else:
                np.tanh(h, out=h)
            h_prev = h
            check_stop(should_stop, t)
        return RnnCache(x, h0, hidden)

    def backward(
        self,
        cache: RnnCache,
        grad_hidden: np.ndarray | None,
        grad_cell: np.ndarray | None = None,
        seed_hidden: np.ndarray | None = None,
        norms_only: bool = False,
        should_stop: StopCheck | None = None,
        scaled: bool = False,
    ) -> LayerGrads:
        """Backpropagation through time; arguments as :meth:`LstmLayer.backward`."""
        dtype = self.rows.weight_hh.dtype
        hidden = cache.hidden.astype(dtype, copy=False)
        # d act / d pre-activation, from the cached output: 1 - h^2 or [h > 0].
        slope = (hidden > 0).astype(dtype) if self.nonlinearity == "relu" else 1.0 - hidden**2
        steps, size = hidden.shape[0], self.hidden_size
        batch = hidden.shape[1] if seed_hidden is None else seed_hidden.shape[0]
        d_next = np.zeros((batch, size), dtype=dtype)
        if seed_hidden is not None:
            d_next[...] = seed_hidden
        scaler = StepScale(steps, scaled or norms_only, seeded=seed_hidden is not None)
        total = np.empty(steps) if norms_only else np.empty(
            (steps, batch, size), dtype=dtype)
        d_pre = None if norms_only else np.empty((steps, batch, size), dtype=dtype)
        w_hh = self.rows.weight_hh
        peaks = [scaler.step_peaks(grad_hidden)]
        for t in range(steps - 1, -1, -1):
            (direct,) = scaler.direct(t, [grad_hidden], peaks, [d_next], dtype)
            dh = d_next if direct is None else d_next + direct
            da = dh * slope[t]
            if d_pre is None:
                total[t] = np.sqrt(np.vdot(dh, dh))
            else:
                total[t], d_pre[t] = dh, da
            d_next = da @ w_hh
            scaler.renormalize(t, [d_next])
            check_stop(should_stop, steps - 1 - t, every_step=seed_hidden is not None)
        if d_pre is None:
            return LayerGrads(hidden=scaler.true(total))
        grads = input_grads(self.rows, cache, d_pre, d_pre, dtype, scaler)
        grads.hidden, grads.h0 = scaler.true(total), scaler.final(d_next)
        return grads
