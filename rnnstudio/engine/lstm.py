"""LSTM layer: forward and backward through time, side by side.

Forward, one step (PyTorch ``nn.LSTM``; rows of ``weight_ih``/``weight_hh`` in order
i, f, g, o; x (I,), h (H_out,), c (H,))::

    i  = sigmoid(W_ii x + b_ii + W_hi h + b_hi)     input gate
    f  = sigmoid(W_if x + b_if + W_hf h + b_hf)     forget gate
    g  = tanh(W_ig x + b_ig + W_hg h + b_hg)        candidate
    o  = sigmoid(W_io x + b_io + W_ho h + b_ho)     output gate
    c' = f * c + i * g
    m  = o * tanh(c')
    h' = m                                          with proj_size: h' = W_hr m

Backward through time, step t from last to first (dh_next, dc_next carried from step
t+1, zero at the last step; g_t, k_t the direct gradients of the loss on h_t, c_t;
da_* = dL/d(W_i* x + b_i* + W_h* h + b_h*))::

    dh      = g_t + dh_next                         total dL/dh_t
    dm      = dh                                    with proj_size: dm = W_hr^T dh
    dc      = k_t + dc_next + dm * o * (1 - tanh(c_t)^2)    total dL/dc_t
    da_i    = dc * g * i * (1 - i)
    da_f    = dc * c_{t-1} * f * (1 - f)
    da_g    = dc * i * (1 - g^2)
    da_o    = dm * tanh(c_t) * o * (1 - o)
    dh_next = W_hh^T [da_i; da_f; da_g; da_o]       carried to step t-1
    dc_next = dc * f
    dW_ih  += da x_t^T,   dW_hh += da h_{t-1}^T,   db_ih += da,   db_hh += da
    dW_hr  += dh m_t^T
    dx_t    = W_ih^T da

With interventions (:mod:`.edited`), K_q is the local derivative of q's edit (0 where
set, the constant where scaled, 1 elsewhere) and i*, f*, g*, o* the gates as made, before
their edits; the gates without a star are the edited ones the step used::

    dh      = (g_t + dh_next) * K_h                 what reaches what made h
    da_i    = dc * K_c * g * K_i * i* (1 - i*)      and likewise f, g with K_f, K_g
    da_o    = dm * tanh(c_t) * K_o * o* (1 - o*)
    dc_next = dc * K_c * f

Shapes are time-major: x (T, B, I), h (T, B, H_out), c and gates (T, B, H).
:func:`textbook_step` is the forward step written exactly as above, and the tests hold
the fast path below to it.

Speed: inside the loop the gates are kept in the order i, f, o, g, and the sigmoid rows of
the forward weights are pre-multiplied by 0.5 (exact in binary floating point), so one
``tanh`` over all 4H pre-activations plus ``*0.5 + 0.5`` on the first 3H gives every gate:
sigmoid(a) = 0.5 * tanh(a / 2) + 0.5. That is 10 NumPy calls per step, on fixed views of
one scratch row (see :meth:`LstmLayer.forward`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .edits import LayerEdits
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
    sigmoid,
)
from .params import LayerWeights

GATE_NAMES = ("i", "f", "g", "o")
#: The gates in the loop's internal row order (sigmoids first).
INTERNAL_ORDER = ("i", "f", "o", "g")


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
    edits: LayerEdits | None = None  # the interventions this pass ran with
    raw_gates: np.ndarray | None = None  # with edits: the gates as made, before them

    def record(self) -> dict[str, np.ndarray]:
        """Named views: ``h``, ``c`` and the gates under PyTorch's letters."""
        size = self.cell.shape[-1]
        order = {"i": 0, "f": 1, "o": 2, "g": 3}
        named = {k: self.gates[..., j * size : (j + 1) * size] for k, j in order.items()}
        return {"h": self.hidden, "c": self.cell, **{k: named[k] for k in GATE_NAMES}}


@dataclass(frozen=True)
class _LocalDerivatives:
    """What the backward equations multiply by, for all steps at once before the loop,
    so the loop is ~8 NumPy calls a step (internal gate order i, f, o, g)."""

    coef: np.ndarray  # (T, B, 4, H): g i(1-i), c_prev f(1-f), tanh(c) o(1-o), i(1-g^2)
    through_h: np.ndarray  # (T, B, H): o (1 - tanh(c)^2), dc = dm * through_h + ...
    forget: np.ndarray  # (T, B, H): f, dc_next = dc * f
    keep_hidden: np.ndarray | None = None  # (T, 1, H_out): an edit of h's dh_made / dh


def _edited(local: _LocalDerivatives, edits: LayerEdits, size: int,
            output_size: int) -> _LocalDerivatives:
    """The factors of the edited computation: the gradient reaching what made an edited
    quantity is ``keep`` times its own (see :mod:`.edits`). A gate's keep scales its
    coefficient; c's scales those dc multiplies (i, f, g) and dc_next; h's scales dh
    before anything else reads it (:meth:`LstmLayer._step_back`)."""
    steps, dtype = len(local.coef), local.coef.dtype
    coef, forget = local.coef, local.forget
    gates = edits.keep(INTERNAL_ORDER, size, dtype)
    if gates is not None:
        coef *= gates.reshape(steps, 1, 4, size)
    cell = edits.keep(("c",), size, dtype)
    if cell is not None:
        coef[:, :, [0, 1, 3]] *= cell[:, :, None, :]
        forget = forget * cell
    return _LocalDerivatives(coef, local.through_h, forget,
                             edits.keep(("h",), output_size, dtype))


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
                # matmul, not dot: with a batch, h is a strided column block of the
                # record row, and np.dot writes only into C-contiguous arrays.
                np.matmul(m, w_hr, out=h)
            copyto(out, row)
            check_stop(should_stop, t)
        return LstmCache(x, h0, c0, record[..., : 4 * size], record[..., cell],
                         record[..., tanh_cell], record[..., hidden], record[..., unprojected])

    # --------------------------------------------------------------- backward
    def _local_derivatives(self, cache: LstmCache) -> _LocalDerivatives:
        """The factors of the backward equations, from the cached gates and cell states."""
        dtype, size = self.rows.weight_hh.dtype, self.hidden_size
        gates = cache.gates.astype(dtype, copy=False)
        i, f = gates[..., :size], gates[..., size : 2 * size]
        o, g = gates[..., 2 * size : 3 * size], gates[..., 3 * size :]
        made = gates if cache.raw_gates is None else cache.raw_gates.astype(dtype, copy=False)
        made_i, made_f = made[..., :size], made[..., size : 2 * size]
        made_o, made_g = made[..., 2 * size : 3 * size], made[..., 3 * size :]
        tanh_cell = cache.tanh_cell.astype(dtype, copy=False)
        c0 = cache.c0.astype(dtype, copy=False)
        c_prev = np.concatenate([c0[None], cache.cell[:-1].astype(dtype, copy=False)])
        coef = np.empty(gates.shape[:2] + (4, size), dtype=dtype)
        coef[:, :, 0] = g * made_i * (1.0 - made_i)
        coef[:, :, 1] = c_prev * made_f * (1.0 - made_f)
        coef[:, :, 2] = tanh_cell * made_o * (1.0 - made_o)
        coef[:, :, 3] = i * (1.0 - made_g * made_g)
        local = _LocalDerivatives(coef, o * (1.0 - tanh_cell * tanh_cell), f)
        return local if cache.edits is None else _edited(local, cache.edits, size,
                                                          self.output_size)

    def _step_back(
        self, local: _LocalDerivatives, t: int, dh: np.ndarray, d_cell: np.ndarray,
        d_gates: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The backward equations of step t from the total dh and the dL/dc_t carried
        into it (dc_next + k_t): writes da (B, 4H, internal order) into ``d_gates`` and
        returns (dc, dc_next, dh_next)."""
        if local.keep_hidden is not None:
            dh = dh * local.keep_hidden[t]
        dm = dh if self.weight_hr is None else dh @ self.weight_hr
        dc = dm * local.through_h[t]
        dc += d_cell
        by_gate = d_gates.reshape(len(dh), 4, self.hidden_size)
        np.multiply(dc[:, None, :], local.coef[t], out=by_gate)
        np.multiply(dm, local.coef[t, :, 2], out=by_gate[:, 2])
        return dc, dc * local.forget[t], d_gates @ self.rows.weight_hh

    def backward(
        self,
        cache: LstmCache,
        grad_hidden: np.ndarray | None,
        grad_cell: np.ndarray | None = None,
        should_stop: StopCheck | None = None,
        scaled: bool = False,
    ) -> LayerGrads:
        """Backpropagation through time from cached activations; nothing is clipped.

        Parameters
        ----------
        cache : this layer's forward results.
        grad_hidden, grad_cell : (T, B, H_out), (T, B, H) or None
            Direct gradients of the loss on h_t and c_t (from the loss or the layer
            above), in processing order.
        should_stop : asked every STOP_INTERVAL steps; ``Cancelled`` when it says so.
        scaled : run the loop in this layer's float32 with a :class:`StepScale` and
            return float64 gradients.

        Returns
        -------
        LayerGrads
            Total dL/dh_t, dL/dc_t, dL/dx_t (T, B, .), dL/dh_0, dL/dc_0 and the
            parameter gradients.
        """
        local = self._local_derivatives(cache)
        (steps, batch), size = local.forget.shape[:2], self.hidden_size
        loop = BackwardLoop(local.forget.dtype, steps, batch, self.output_size,
                            direct=[grad_hidden, grad_cell], scaled=scaled,
                            should_stop=should_stop)
        d_hidden, d_cell = loop.zeros(self.output_size), loop.zeros(size)
        total_cell, d_gates = loop.per_step(size), loop.per_step(4 * size)
        for t in loop.reverse_steps():
            direct_h, direct_c = loop.direct(t, [d_hidden, d_cell])
            dh = d_hidden if direct_h is None else d_hidden + direct_h
            into_cell = d_cell if direct_c is None else d_cell + direct_c
            loop.total_hidden[t] = dh
            total_cell[t], d_cell, d_hidden = self._step_back(local, t, dh, into_cell,
                                                              d_gates[t])
            loop.scaler.renormalize(t, [d_hidden, d_cell])
        grads = input_grads(self.rows, cache, d_gates, d_gates, loop.dtype, loop.scaler)
        grads.hidden, grads.cell = loop.hidden(), loop.scaler.true(total_cell)
        grads.h0, grads.c0 = loop.scaler.final(d_hidden), loop.scaler.final(d_cell)
        if self.weight_hr is not None:
            unprojected = cache.unprojected.astype(grads.hidden.dtype, copy=False)
            d_made = grads.hidden if local.keep_hidden is None else grads.hidden * local.keep_hidden
            grads.params["weight_hr"] = np.einsum("tbp,tbh->ph", d_made, unprojected)
        return grads

    def jacobian_norms(
        self, cache: LstmCache, seeds: np.ndarray, should_stop: StopCheck | None = None,
        on_step: StepCallback | None = None,
    ) -> np.ndarray:
        """||dh_last/dh_t|| (Frobenius) of every step, processing order, float64.

        The backward equations with no loss, carrying K adjoints seeded at the last
        step: with the identity as ``seeds`` (K = H_out, (K, H_out)) the adjoint at
        step t is dh_last/dh_t itself. ``should_stop`` is asked at every step (one can
        take milliseconds); ``on_step(done)`` follows each step.
        """
        local = self._local_derivatives(cache)
        loop = BackwardLoop.jacobian(local.forget.dtype, len(local.forget), seeds,
                                     should_stop, on_step)
        d_hidden, d_cell = loop.start_hidden(), loop.zeros(self.hidden_size)
        scratch = np.empty((loop.batch, 4 * self.hidden_size), dtype=loop.dtype)
        for t in loop.reverse_steps():
            loop.record_norm(t, d_hidden)
            _, d_cell, d_hidden = self._step_back(local, t, d_hidden, d_cell, scratch)
            loop.scaler.renormalize(t, [d_hidden, d_cell])
        return loop.hidden()


def textbook_step(
    weights: LayerWeights, x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray,
    edit: StepEdit | None = None,
) -> StepTerms:
    """One step for one batch row, exactly as the module docstring writes it.

    Parameters
    ----------
    weights : one layer and direction in PyTorch's layout (``weight_hr`` with proj_size).
    x : (I,) the step's input; h_prev : (H_out,) and c_prev : (H,) the previous states.
    edit : the step's interventions: each gate, c and h pass through it where they are
        made, so what follows reads the edited value (``StepTerms.edited``).

    Returns
    -------
    StepTerms
        float64, gates ``i f g o`` (``a`` their pre-activations); ``unprojected`` is m
        when the layer projects.
    """
    x, h_prev, c_prev = as_float64(x, h_prev, c_prev)
    from_input, from_hidden = gate_parts(weights, GATE_NAMES, x, h_prev)
    a = {gate: from_input[gate] + from_hidden[gate] for gate in GATE_NAMES}
    made = {"i": sigmoid(a["i"]), "f": sigmoid(a["f"]), "g": np.tanh(a["g"]),
            "o": sigmoid(a["o"])}
    edited: dict[str, np.ndarray] = {}
    i, f, g, o = (edited_value(edit, gate, made[gate], edited) for gate in GATE_NAMES)
    c_made = f * c_prev + i * g
    c = edited_value(edit, "c", c_made, edited)
    m = o * np.tanh(c)
    h_made = m if weights.weight_hr is None else np.asarray(weights.weight_hr, np.float64) @ m
    edited_value(edit, "h", h_made, edited)
    gates = gate_terms(from_input, from_hidden, a, made)
    return StepTerms(gates, x, h_prev, c_prev, h_made, cell=c_made,
                     unprojected=None if weights.weight_hr is None else m, edited=edited)
