"""Vanilla RNN layer (``tanh`` or ``relu``): forward and backward through time.

Forward, one step (PyTorch ``nn.RNN``; x (I,), h (H,))::

    a  = W_ih x + b_ih + W_hh h + b_hh        pre-activation
    h' = act(a)                               act = tanh or relu

Backward through time, step t from last to first (dh_next = dL/dh_t carried from step
t+1, zero at the last step; g_t the direct gradient of the loss on h_t)::

    dh      = g_t + dh_next                   total dL/dh_t
    da      = dh * (1 - h_t^2)                tanh;  relu: dh * [h_t > 0]
    dh_next = W_hh^T da                       carried to step t-1 (dL/dh_0 at the end)
    dW_ih  += da x_t^T,   dW_hh += da h_{t-1}^T,   db_ih += da,   db_hh += da
    dx_t    = W_ih^T da

With an intervention on h (:mod:`.edited`; K_h its local derivative, 0 where set, the
constant where scaled, 1 elsewhere; h*_t the value made, before the edit)::

    da      = dh * K_h * (1 - h*_t^2)         relu: dh * K_h * [h*_t > 0]

Fast path: both biases are folded into the input projection and the pre-activation
buffer becomes h in place, so a forward step is three NumPy calls; the parameter sums
are one matrix product each after the loop. :func:`textbook_step` is the forward step
written exactly as above, and the tests hold the fast path to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .edits import LayerEdits, keeps, scaled_by
from .layer import (
    BackwardLoop,
    LayerGrads,
    StepCallback,
    StepEdit,
    StepTerms,
    StopCheck,
    as_float64,
    check_stop,
    edited_value,
    gate_parts,
    gate_terms,
    input_grads,
    prepare_rows,
)
from .params import LayerWeights


@dataclass
class RnnCache:
    x: np.ndarray
    h0: np.ndarray
    hidden: np.ndarray  # (T, B, H)
    edits: LayerEdits | None = None  # the interventions this pass ran with
    raw_hidden: np.ndarray | None = None  # with edits: h as made, before them

    def record(self) -> dict[str, np.ndarray]:
        return {"h": self.hidden}


def activate(pre: np.ndarray, relu: bool) -> None:
    """h = act(pre) in place: max(pre, 0) for ReLU, else tanh."""
    if relu:
        np.maximum(pre, 0.0, out=pre)
    else:
        np.tanh(pre, out=pre)


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
            activate(h, relu)
            h_prev = h
            check_stop(should_stop, t)
        return RnnCache(x, h0, hidden)

    def _slopes(self, cache: RnnCache) -> np.ndarray:
        """d act / d a of every step from the cached output (T, B, H): 1 - h^2 or [h > 0],
        times an edit's local derivative (:mod:`.edits`; from h as made, before it)."""
        dtype = self.rows.weight_hh.dtype
        made = cache.hidden if cache.raw_hidden is None else cache.raw_hidden
        hidden = made.astype(dtype, copy=False)
        if self.nonlinearity == "relu":
            slope = (hidden > 0).astype(hidden.dtype)
        else:
            slope = 1.0 - hidden**2
        return scaled_by(slope, *keeps(cache.edits, ("h",), self.hidden_size, dtype))

    def backward(
        self,
        cache: RnnCache,
        grad_hidden: np.ndarray | None,
        grad_cell: np.ndarray | None = None,
        should_stop: StopCheck | None = None,
        scaled: bool = False,
    ) -> LayerGrads:
        """Backpropagation through time; arguments as :meth:`LstmLayer.backward`."""
        slope = self._slopes(cache)
        loop = BackwardLoop(slope.dtype, len(slope), slope.shape[1], self.hidden_size,
                            direct=[grad_hidden], scaled=scaled, should_stop=should_stop)
        d_next, d_pre = loop.zeros(self.hidden_size), loop.per_step(self.hidden_size)
        w_hh = self.rows.weight_hh
        for t in loop.reverse_steps():
            (direct,) = loop.direct(t, [d_next])
            dh = d_next if direct is None else d_next + direct
            loop.total_hidden[t] = dh
            da = np.multiply(dh, slope[t], out=d_pre[t])
            d_next = da @ w_hh
            loop.scaler.renormalize(t, [d_next])
        grads = input_grads(self.rows, cache, d_pre, d_pre, loop.dtype, loop.scaler)
        grads.hidden, grads.h0 = loop.hidden(), loop.scaler.final(d_next)
        return grads

    def jacobian_norms(
        self, cache: RnnCache, seeds: np.ndarray, should_stop: StopCheck | None = None,
        on_step: StepCallback | None = None,
    ) -> np.ndarray:
        """||dh_last/dh_t|| per step; arguments as :meth:`LstmLayer.jacobian_norms`."""
        slope = self._slopes(cache)
        loop = BackwardLoop.jacobian(slope.dtype, len(slope), seeds, should_stop, on_step)
        d_next, w_hh = loop.start_hidden(), self.rows.weight_hh
        for t in loop.reverse_steps():
            loop.record_norm(t, d_next)
            d_next = (d_next * slope[t]) @ w_hh
            loop.scaler.renormalize(t, [d_next])
        return loop.hidden()


def textbook_step(
    weights: LayerWeights, x: np.ndarray, h_prev: np.ndarray, nonlinearity: str = "tanh",
    edit: StepEdit | None = None,
) -> StepTerms:
    """One step for one batch row, exactly as the module docstring writes it.

    Parameters
    ----------
    weights : one layer and direction in PyTorch's layout.
    x : (I,) the step's input; h_prev : (H,) the previous hidden state.
    edit : the step's interventions (h passes through it; ``StepTerms.edited``).
    nonlinearity : ``"tanh"`` or ``"relu"``.

    Returns
    -------
    StepTerms
        float64; ``gates["h"]`` holds both parts of the pre-activation and h'.
    """
    x, h_prev = as_float64(x, h_prev)
    from_input, from_hidden = gate_parts(weights, ("h",), x, h_prev)
    a = from_input["h"] + from_hidden["h"]
    h = np.maximum(a, 0.0) if nonlinearity == "relu" else np.tanh(a)
    edited: dict[str, np.ndarray] = {}
    edited_value(edit, "h", h, edited)
    return StepTerms(gate_terms(from_input, from_hidden, {"h": a}, {"h": h}), x, h_prev, None, h,
                     edited=edited)
