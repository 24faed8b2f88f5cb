"""GRU layer: forward and backward through time, side by side.

Forward, one step (PyTorch ``nn.GRU``; rows of ``weight_ih``/``weight_hh`` in order
r, z, n; x (I,), h (H,))::

    r  = sigmoid(W_ir x + b_ir + W_hr h + b_hr)         reset gate
    z  = sigmoid(W_iz x + b_iz + W_hz h + b_hz)         update gate
    n  = tanh(W_in x + b_in + r * (W_hn h + b_hn))      candidate
    h' = (1 - z) * n + z * h

Backward through time, step t from last to first (dh_next = dL/dh_t carried from step
t+1, zero at the last step; g_t the direct gradient of the loss on h_t; hn = W_hn h_{t-1}
+ b_hn; da_* = dL/d(pre-activation of gate *))::

    dh      = g_t + dh_next                             total dL/dh_t
    da_n    = dh * (1 - z) * (1 - n^2)                  also dL/d(W_in x + b_in)
    da_z    = dh * (h_{t-1} - n) * z * (1 - z)
    da_r    = da_n * hn * r * (1 - r)
    dhn     = da_n * r                                  dL/d(W_hn h_{t-1} + b_hn)
    dh_next = dh * z + W_hr^T da_r + W_hz^T da_z + W_hn^T dhn
    dW_ih  += [da_r; da_z; da_n] x_t^T,     db_ih += [da_r; da_z; da_n]
    dW_hh  += [da_r; da_z; dhn] h_{t-1}^T,  db_hh += [da_r; da_z; dhn]
    dx_t    = W_ih^T [da_r; da_z; da_n]

With interventions (:mod:`.edited`; K_q the local derivative of q's edit, 0 where set,
the constant where scaled, 1 elsewhere; r*, z*, n* the gates as made, before their edits):
dh is multiplied by K_h before anything reads it (so dh_next's ``dh * z`` becomes
``dh * K_h * z``), and each gate's derivative by its K (``da_n = dh K_h (1 - z) K_n
(1 - n*^2)``, ``da_z = dh K_h (h_{t-1} - n) K_z z* (1 - z*)``, ``da_r = ... K_r r* (1 - r*)``).

Reset before (``reset_after=False``: Keras ``GRU(reset_after=False)``, ONNX ``GRU``
with ``linear_before_reset=0``; PyTorch cannot express it). Only the candidate changes::

    n  = tanh(W_in x + b_in + W_hn (r * h) + b_hn)      candidate from the reset state

and its backward step (rh = r * h_{t-1})::

    dh      = g_t + dh_next
    da_n    = dh * (1 - z) * (1 - n^2)                  dL/d(pre-activation of n)
    da_z    = dh * (h_{t-1} - n) * z * (1 - z)
    drh     = W_hn^T da_n                               dL/d(r * h_{t-1})
    da_r    = drh * h_{t-1} * r * (1 - r)
    dh_next = dh * z + W_hr^T da_r + W_hz^T da_z + r * drh
    dW_ih  += [da_r; da_z; da_n] x_t^T,     db_ih += [da_r; da_z; da_n]
    dW_hh  += [da_r h_{t-1}^T; da_z h_{t-1}^T; da_n rh^T],  db_hh += [da_r; da_z; da_n]
    dx_t    = W_ih^T [da_r; da_z; da_n]

Fast path: the reset gate multiplies ``W_hn h + b_hn`` (not h), so ``b_hn`` cannot be
folded into the input bias and ``W_hn h + b_hn`` is cached per step for the backward
pass. As in the LSTM, the r and z rows are pre-scaled by 0.5 so one tanh gives both
sigmoids. Reset before needs r before ``W_hn`` can be applied, so each step makes two
matrix products (r and z rows, then n rows on ``r * h``, which is cached); every bias
folds into the input projection. It is its own class, so PyTorch's form pays nothing
for it. :func:`textbook_step` is the forward step written exactly as above, and the
tests hold the fast path to it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from .edits import LayerEdits, keeps, scaled_by
from .layer import (
    BackwardLoop,
    LayerGrads,
    Rows,
    StepCallback,
    StepEdit,
    StepScale,
    StepTerms,
    StopCheck,
    aligned,
    as_float64,
    check_stop,
    edited_value,
    gate_parts,
    gate_terms,
    input_grads,
    prepare_rows,
    sigmoid,
)
from .params import LayerWeights

GATE_NAMES = ("r", "z", "n")


@dataclass
class GruCache:
    """Everything the forward pass computed, in processing order (T, B, ...)."""

    x: np.ndarray
    h0: np.ndarray
    gates: np.ndarray  # (T, B, 3H) r, z, n after nonlinearities
    hidden_candidate: np.ndarray  # W_hn h_{t-1} + b_hn; r * h_{t-1} when reset before
    hidden: np.ndarray
    edits: LayerEdits | None = None  # the interventions this pass ran with
    raw_gates: np.ndarray | None = None  # with edits: the gates as made, before them

    def record(self) -> dict[str, np.ndarray]:
        size = self.hidden.shape[-1]
        named = {k: self.gates[..., j * size : (j + 1) * size] for j, k in enumerate(GATE_NAMES)}
        return {"h": self.hidden, **named}


class _GruBackward(ABC):
    """Backward through time and the Jacobian pass of both GRU forms: each form gives
    its per-step derivatives and its step back (module docstring), the loops are one."""

    hidden_size: int
    output_size: int
    rows: Rows

    def _prepare(self, weights: LayerWeights, folded_blocks: int) -> int:
        """Set the sizes and the rows (r and z scaled by 0.5: one tanh gives both
        sigmoids; the first ``folded_blocks`` gate blocks of ``bias_hh`` folded into the
        input bias); returns H."""
        size = weights.weight_hh.shape[0] // 3
        self.hidden_size = self.output_size = size
        half = np.ones(3 * size, dtype=weights.weight_ih.dtype)
        half[: 2 * size] = 0.5
        self.rows = prepare_rows(weights, np.arange(3 * size), half, folded_blocks * size)
        return size

    def _cached_steps(self, cache: GruCache) -> tuple[np.ndarray, ...]:
        """r, z, n and h_{t-1} of every step (T, B, H), in the backward pass's dtype."""
        dtype, size = self.rows.weight_hh.dtype, self.hidden_size
        gates = cache.gates.astype(dtype, copy=False)
        h0 = cache.h0.astype(dtype, copy=False)
        h_prev = np.concatenate([h0[None], cache.hidden[:-1].astype(dtype, copy=False)])
        return gates[..., :size], gates[..., size : 2 * size], gates[..., 2 * size :], h_prev

    def _made_steps(self, cache: GruCache) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
        """r, z, n as made, before any edit (their derivatives), and the edits' local
        derivatives of r, z, n and h (None where not edited): see :mod:`.edits`."""
        dtype, size = self.rows.weight_hh.dtype, self.hidden_size
        made = (cache.gates if cache.raw_gates is None else cache.raw_gates).astype(
            dtype, copy=False)
        return ([made[..., j * size : (j + 1) * size] for j in range(3)],
                keeps(cache.edits, ("r", "z", "n", "h"), size, dtype))

    @abstractmethod
    def _local_derivatives(self, cache: GruCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-step factors of the step back, all steps at once; z (T, B, H) last."""

    @abstractmethod
    def _row_gradients(self, loop: BackwardLoop) -> tuple[np.ndarray, np.ndarray]:
        """Room (T, B, 3H) for dL/d(W_ih x + b_ih) and dL/d(W_hh h + b_hh) rows."""

    @abstractmethod
    def _step_back(
        self, dh: np.ndarray, local: tuple[np.ndarray, ...], t: int, d_recurrent: np.ndarray,
        d_input: np.ndarray | None = None,
    ) -> np.ndarray:
        """dh_next from dh (B, H) at step t; the rows' gradients written into
        ``d_recurrent`` and (when given) ``d_input``, (B, 3H) each."""

    @abstractmethod
    def _finish(self, grads: LayerGrads, cache: GruCache, d_recurrent: np.ndarray,
                scaler: StepScale) -> None:
        """Parameter gradients :func:`input_grads` cannot form alone."""

    def backward(
        self,
        cache: GruCache,
        grad_hidden: np.ndarray | None,
        grad_cell: np.ndarray | None = None,
        should_stop: StopCheck | None = None,
        scaled: bool = False,
    ) -> LayerGrads:
        """Backpropagation through time; arguments as :meth:`LstmLayer.backward`."""
        local = self._local_derivatives(cache)
        (steps, batch), size = local[-1].shape[:2], self.hidden_size
        loop = BackwardLoop(local[-1].dtype, steps, batch, size, direct=[grad_hidden],
                            scaled=scaled, should_stop=should_stop)
        d_next = loop.zeros(size)
        d_input, d_recurrent = self._row_gradients(loop)
        for t in loop.reverse_steps():
            (direct,) = loop.direct(t, [d_next])
            dh = d_next if direct is None else d_next + direct
            loop.total_hidden[t] = dh
            d_next = self._step_back(dh, local, t, d_recurrent[t], d_input[t])
            loop.scaler.renormalize(t, [d_next])
        grads = input_grads(self.rows, cache, d_input, d_recurrent, loop.dtype, loop.scaler)
        self._finish(grads, cache, d_recurrent, loop.scaler)
        grads.hidden, grads.h0 = loop.hidden(), loop.scaler.final(d_next)
        return grads

    def jacobian_norms(
        self, cache: GruCache, seeds: np.ndarray, should_stop: StopCheck | None = None,
        on_step: StepCallback | None = None,
    ) -> np.ndarray:
        """||dh_last/dh_t|| per step; arguments as :meth:`LstmLayer.jacobian_norms`."""
        local = self._local_derivatives(cache)
        loop = BackwardLoop.jacobian(local[-1].dtype, len(local[-1]), seeds, should_stop,
                                     on_step)
        d_next = loop.start_hidden()
        scratch = np.empty((loop.batch, 3 * self.hidden_size), dtype=loop.dtype)
        for t in loop.reverse_steps():
            loop.record_norm(t, d_next)
            d_next = self._step_back(d_next, local, t, scratch)
            loop.scaler.renormalize(t, [d_next])
        return loop.hidden()


class GruLayer(_GruBackward):
    """One GRU layer and direction, its weights prepared once for the step loop."""

    cell = "gru"

    def __init__(self, weights: LayerWeights) -> None:
        size = self._prepare(weights, folded_blocks=2)  # b_hn stays inside r * (...)
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

    def _local_derivatives(self, cache: GruCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What multiplies dh in each row's gradient, for all steps at once (T, B, 3, H):
        [da_r, da_z, da_n] / dh for the input rows, [da_r, da_z, dhn] / dh for the
        recurrent rows; and z (T, B, H)."""
        r, z, n, h_prev = self._cached_steps(cache)
        (made_r, made_z, made_n), (keep_r, keep_z, keep_n, keep_h) = self._made_steps(cache)
        hidden_candidate = cache.hidden_candidate.astype(r.dtype, copy=False)
        through_n = scaled_by((1.0 - z) * (1.0 - made_n * made_n), keep_n, keep_h)
        coef_input = np.empty(r.shape[:2] + (3, self.hidden_size), dtype=r.dtype)
        coef_input[:, :, 0] = scaled_by(through_n * hidden_candidate * made_r * (1.0 - made_r),
                                        keep_r)
        coef_input[:, :, 1] = scaled_by((h_prev - n) * made_z * (1.0 - made_z), keep_z, keep_h)
        coef_input[:, :, 2] = through_n
        coef_recurrent = coef_input.copy()
        coef_recurrent[:, :, 2] *= r
        return coef_input, coef_recurrent, scaled_by(z, keep_h)

    def _row_gradients(self, loop: BackwardLoop) -> tuple[np.ndarray, np.ndarray]:
        return loop.per_step(3 * self.hidden_size), loop.per_step(3 * self.hidden_size)

    def _step_back(
        self, dh: np.ndarray, local: tuple[np.ndarray, ...], t: int, d_recurrent: np.ndarray,
        d_input: np.ndarray | None = None,
    ) -> np.ndarray:
        """dh_next = dh * z + W_hh^T [da_r, da_z, dhn]; the input rows get
        [da_r, da_z, da_n], the recurrent rows [da_r, da_z, dhn]."""
        coef_input, coef_recurrent, z = local
        rows = (len(dh), 3, self.hidden_size)
        if d_input is not None:
            np.multiply(dh[:, None, :], coef_input[t], out=d_input.reshape(rows))
        np.multiply(dh[:, None, :], coef_recurrent[t], out=d_recurrent.reshape(rows))
        d_next = dh * z[t]
        d_next += d_recurrent @ self.rows.weight_hh
        return d_next

    def _finish(self, grads: LayerGrads, cache: GruCache, d_recurrent: np.ndarray,
                scaler: StepScale) -> None:
        """Nothing: every row multiplies x_t or h_{t-1}, as input_grads assumes."""



class GruResetBeforeLayer(_GruBackward):
    """One reset-before GRU layer and direction (``reset_after=False``)."""

    cell = "gru"

    def __init__(self, weights: LayerWeights) -> None:
        size = self._prepare(weights, folded_blocks=3)
        self.weight_hrz_t = aligned(self.rows.weight_hh_t[:, : 2 * size])
        self.weight_hn_t = aligned(self.rows.weight_hh_t[:, 2 * size :])

    def forward(
        self, x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None = None,
        should_stop: StopCheck | None = None,
    ) -> GruCache:
        steps, batch, _ = x.shape
        size = self.hidden_size
        gates = self.rows.input_projection(x)
        hidden = np.empty((steps, batch, size), dtype=gates.dtype)
        reset_hidden = np.empty_like(hidden)
        recurrent_rz = np.empty((batch, 2 * size), dtype=gates.dtype)
        product = np.empty((batch, size), dtype=gates.dtype)
        sigmoids, reset = gates[..., : 2 * size], gates[..., :size]
        update, candidate = gates[..., size : 2 * size], gates[..., 2 * size :]
        h_prev = h0
        loop = zip(sigmoids, reset, update, candidate, reset_hidden, hidden, strict=True)
        for t, (s, r, z, n, rh, h) in enumerate(loop):
            np.dot(h_prev, self.weight_hrz_t, out=recurrent_rz)
            s += recurrent_rz
            np.tanh(s, out=s)
            s *= 0.5
            s += 0.5
            np.multiply(r, h_prev, out=rh)
            np.dot(rh, self.weight_hn_t, out=product)
            n += product
            np.tanh(n, out=n)
            np.subtract(h_prev, n, out=h)
            h *= z
            h += n
            h_prev = h
            check_stop(should_stop, t)
        return GruCache(x, h0, gates, reset_hidden, hidden)

    def _local_derivatives(self, cache: GruCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For all steps (T, B, 3, H): what multiplies drh in da_r, dh in da_z and dh in
        da_n (h_{t-1} r (1 - r), (h_{t-1} - n) z (1 - z), (1 - z)(1 - n^2)); r and z."""
        r, z, n, h_prev = self._cached_steps(cache)
        (made_r, made_z, made_n), (keep_r, keep_z, keep_n, keep_h) = self._made_steps(cache)
        coef = np.empty(r.shape[:2] + (3, self.hidden_size), dtype=r.dtype)
        coef[:, :, 0] = scaled_by(h_prev * made_r * (1.0 - made_r), keep_r)
        coef[:, :, 1] = scaled_by((h_prev - n) * made_z * (1.0 - made_z), keep_z, keep_h)
        coef[:, :, 2] = scaled_by((1.0 - z) * (1.0 - made_n * made_n), keep_n, keep_h)
        return coef, r, scaled_by(z, keep_h)

    def _row_gradients(self, loop: BackwardLoop) -> tuple[np.ndarray, np.ndarray]:
        rows = loop.per_step(3 * self.hidden_size)  # equal: b_hn is added as it is
        return rows, rows

    def _step_back(
        self, dh: np.ndarray, local: tuple[np.ndarray, ...], t: int, d_recurrent: np.ndarray,
        d_input: np.ndarray | None = None,
    ) -> np.ndarray:
        """dh_next = dh * z + W_hr^T da_r + W_hz^T da_z + r * drh; [da_r, da_z, da_n]
        written into ``d_recurrent`` (the input rows' too: ``d_input`` is the same)."""
        size = self.hidden_size
        coef, r, z = (array[t] for array in local)
        weight_hh = self.rows.weight_hh
        da = d_recurrent.reshape(len(dh), 3, size)
        np.multiply(dh, coef[:, 2], out=da[:, 2])
        np.multiply(dh, coef[:, 1], out=da[:, 1])
        d_reset_hidden = da[:, 2] @ weight_hh[2 * size :]
        np.multiply(d_reset_hidden, coef[:, 0], out=da[:, 0])
        d_next = dh * z
        d_next += d_recurrent[:, : 2 * size] @ weight_hh[: 2 * size]
        d_reset_hidden *= r
        d_next += d_reset_hidden
        return d_next

    def _finish(self, grads: LayerGrads, cache: GruCache, d_recurrent: np.ndarray,
                scaler: StepScale) -> None:
        """The n rows of dW_hh: da_n rh^T (input_grads formed da_n h_{t-1}^T)."""
        size = self.hidden_size
        d_candidate = scaler.true(d_recurrent[..., 2 * size :]).reshape(-1, size)
        reset_hidden = cache.hidden_candidate.astype(d_candidate.dtype).reshape(-1, size)
        grads.params["weight_hh"][2 * size :] = d_candidate.T @ reset_hidden



def textbook_step(
    weights: LayerWeights, x: np.ndarray, h_prev: np.ndarray, reset_after: bool = True,
    edit: StepEdit | None = None,
) -> StepTerms:
    """One step for one batch row, exactly as the module docstring writes it.

    Parameters
    ----------
    weights : one layer and direction in PyTorch's layout.
    x : (I,) the step's input; h_prev : (H,) the previous hidden state.
    reset_after : PyTorch's candidate (True) or the reset-before form (False).
    edit : the step's interventions: r, z, n and h pass through it where they are made
        (``StepTerms.edited``).

    Returns
    -------
    StepTerms
        float64; ``gates["n"].from_hidden`` is ``W_hn h + b_hn``, before r scales it;
        reset before, it is ``W_hn (r * h) + b_hn``, added as it is.
    """
    x, h_prev = as_float64(x, h_prev)
    from_input, from_hidden = gate_parts(weights, GATE_NAMES, x, h_prev)
    a_r = from_input["r"] + from_hidden["r"]
    edited: dict[str, np.ndarray] = {}
    r_made = sigmoid(a_r)
    r = edited_value(edit, "r", r_made, edited)
    a_z = from_input["z"] + from_hidden["z"]
    z_made = sigmoid(a_z)
    z = edited_value(edit, "z", z_made, edited)
    if reset_after:
        a_n = from_input["n"] + r * from_hidden["n"]
    else:
        size = len(h_prev)
        from_hidden["n"] = weights.weight_hh[2 * size :] @ (r * h_prev)
        if weights.bias_hh is not None:
            from_hidden["n"] += weights.bias_hh[2 * size :]
        a_n = from_input["n"] + from_hidden["n"]
    n_made = np.tanh(a_n)
    n = edited_value(edit, "n", n_made, edited)
    h_made = (1.0 - z) * n + z * h_prev
    edited_value(edit, "h", h_made, edited)
    pre_activations = {"r": a_r, "z": a_z, "n": a_n}
    gates = gate_terms(from_input, from_hidden, pre_activations,
                       {"r": r_made, "z": z_made, "n": n_made})
    return StepTerms(gates, x, h_prev, None, h_made, edited=edited)
