"""The LSTM layer of the trainer: forward and backward through time, feature-major.

The equations are :mod:`.lstm`'s, one per line (PyTorch ``nn.LSTM``; x (I,), h, c (H,))::

    i  = sigmoid(W_ii x + b_ii + W_hi h + b_hi)
    f  = sigmoid(W_if x + b_if + W_hf h + b_hf)
    g  = tanh(W_ig x + b_ig + W_hg h + b_hg)
    o  = sigmoid(W_io x + b_io + W_ho h + b_ho)
    c' = f * c + i * g
    h' = o * tanh(c')

and backward, step t from last to first (dh_next, dc_next carried from step t+1)::

    dh      = g_t + dh_next                          g_t: dL/dh_t from the loss or above
    dc      = dc_next + dh * o * (1 - tanh(c_t)^2)
    da_o    = dh * tanh(c_t) * o * (1 - o)
    da_i    = dc * g * i * (1 - i)
    da_f    = dc * c_{t-1} * f * (1 - f)
    da_g    = dc * i * (1 - g^2)
    dh_next = W_hh^T da,   dc_next = dc * f
    dW_ih = sum_t da x_t^T,  dW_hh = sum_t da h_{t-1}^T,  db_ih = db_hh = sum_t da
    dx_t  = W_ih^T da

Why a second LSTM layer: :class:`.lstm.LstmLayer` serves the tracer, batch-major
(B, 4H) rows with every step's gradient in float64's range (``StepScale``) and
interventions; a training step needs none of that, and at batch 32 its strided gate
columns made an element-wise call cost twice a contiguous one. Here every array is
feature-major, (4H, B) a step: each gate is one contiguous (H, B) block; a step's
pre-activations are one product ``[W_hh W_ih b] [h_{t-1}; x_t; 1]`` written straight into
its record (no input projection kept for all steps, no addition), and the rows are
kept in the order o, i, f, g so that the three sigmoids are one block (one ``tanh`` over
all 4H rows, sigmoid(a) = 0.5 tanh(a / 2) + 0.5 with the sigmoid rows pre-scaled by 0.5,
exact in binary) and i, f, g, whose derivatives all multiply dc, are another (one call).
The local derivatives are formed for all steps at once before the loop; after it, one
matrix product of da with the same operands ``[h_{t-1}; x_t; 1]`` gives dW_hh, dW_ih and
the bias gradient. No projection, no edits: the tracer's
layer handles those. ``tests/engine/test_lstm_training.py`` holds this layer to
:class:`.lstm.LstmLayer` and to central differences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layer import LayerGrads, StopCheck, check_stop
from .params import LayerWeights
from .workspace import Workspace

#: The (H, B) blocks of row t of the record, in order: step t's gates after their
#: nonlinearities, c_{t-1}, the two products i g and f c_{t-1}, tanh(c_t), then the step's
#: operand: h_{t-1}, and x_t (I rows) and a row of ones after it. Step t writes c_t and
#: h_t into row t + 1: with c_{t-1} beside g, one multiply ``[i f] * [g c_prev]`` gives
#: both products, and the backward reads every local derivative in two calls from them
#: (``_derivatives``).
BLOCKS = ("o", "i", "f", "g", "c_prev", "ig", "fc", "tanh_c", "h_prev")
(OUT_GATE, IN_GATE, FORGET, CANDIDATE, CELL_PREV, IN_CANDIDATE, FORGET_CELL, TANH_CELL,
 HIDDEN_PREV) = range(len(BLOCKS))


@dataclass
class TrainingCache:
    """The forward record: ``record`` (T + 1, 9H + I + 1, B) holds the :data:`BLOCKS` of
    each step, then x_t and ones (the last row only c_T and h_T); ``hidden`` (T, B, H)
    is a view of it."""

    x: np.ndarray  # (T, B, I)
    h0: np.ndarray  # (B, H)
    c0: np.ndarray  # (B, H)
    record: np.ndarray
    hidden: np.ndarray
    coef: np.ndarray  # (T, 4H, B): what dh (block o) and dc (i, f, g) multiply to give da
    through_h: np.ndarray  # (T, H, B): o (1 - tanh(c)^2), what dh gives dc

    @property
    def cell(self) -> np.ndarray:
        """c_t of every step, (T, B, H) (a view: row t + 1's ``c_prev`` block)."""
        return self._next_rows(CELL_PREV).transpose(0, 2, 1)

    def block(self, first: int, stop: int | None = None) -> np.ndarray:
        """Blocks ``first`` up to ``stop`` (default: ``first`` alone) of every step, (T, n H, B)."""
        size = self.hidden.shape[-1]
        stop = first + 1 if stop is None else stop
        return self.record[:-1, first * size : stop * size]

    def operands(self) -> np.ndarray:
        """Each step's operand ``[h_{t-1}; x_t; 1]``, (T, H + I + 1, B)."""
        return self.record[:-1, HIDDEN_PREV * self.hidden.shape[-1] :]

    def _next_rows(self, block: int) -> np.ndarray:
        size = self.hidden.shape[-1]
        return self.record[1:, block * size : (block + 1) * size]


class LstmTrainingLayer:
    """One LSTM layer and direction for training, in the weights' dtype; the same
    ``forward``/``backward`` signature as :class:`.lstm.LstmLayer`.

    The forward record, the local derivatives and the backward's per-step arrays live in
    ``workspace`` (a new one by default): the cache and the total gradients returned
    (``LayerGrads.hidden``, ``cell``) are valid until this workspace's next forward.
    """

    cell = "lstm"

    def __init__(self, weights: LayerWeights, workspace: Workspace | None = None) -> None:
        self.workspace = Workspace() if workspace is None else workspace
        if weights.weight_hr is not None:
            raise ValueError("the training LSTM layer has no projection; use LstmLayer")
        size = weights.weight_hh.shape[0] // 4
        self.hidden_size = self.output_size = size
        self.input_size = weights.weight_ih.shape[1]
        # PyTorch rows i, f, g, o -> o, i, f, g; to_pytorch undoes it.
        self.order = np.r_[3 * size : 4 * size, 0 : 3 * size]
        self.to_pytorch = np.argsort(self.order)
        self.has_bias = weights.bias_ih is not None and weights.bias_hh is not None
        columns = [weights.weight_hh, weights.weight_ih]
        if weights.bias_ih is not None and weights.bias_hh is not None:
            columns.append((weights.bias_ih + weights.bias_hh)[:, None])
        half = np.ones((4 * size, 1), dtype=weights.weight_hh.dtype)
        half[: 3 * size] = 0.5
        #: [W_hh W_ih b], sigmoid rows halved: a step's pre-activations in one product.
        self.weight_step = np.concatenate(columns, axis=1)[self.order] * half
        #: [W_hh W_ih]^T: one product a step gives dh_{t-1} and dx_t from da.
        self.weight_back = np.ascontiguousarray(
            np.concatenate([weights.weight_hh, weights.weight_ih], axis=1)[self.order].T)

    def forward(self, x: np.ndarray, h0: np.ndarray, c0: np.ndarray,
                should_stop: StopCheck | None = None) -> TrainingCache:
        """Run the recurrence over x (T, B, I) from h0, c0 (B, H): eight NumPy calls a
        step, and eight more for the step's local derivatives (:meth:`_derivatives`)."""
        steps, batch, inputs = x.shape
        size, dtype, space = self.hidden_size, self.weight_step.dtype, self.workspace
        operand = slice(HIDDEN_PREV * size, None)
        width = operand.start + size + inputs + self.has_bias
        record = space.array("record", (steps + 1, width, batch), dtype)
        record[:-1, operand.start + size : operand.start + size + inputs] = x.transpose(0, 2, 1)
        if self.has_bias:
            record[:, width - 1] = 1.0
        blocks = record[:, : len(BLOCKS) * size].reshape(steps + 1, len(BLOCKS), size, batch)
        blocks[0, CELL_PREV], blocks[0, HIDDEN_PREV] = c0.T, h0.T
        coef = space.array("coef", (steps, 4 * size, batch), dtype)
        through_h = space.array("through_h", (steps, size, batch), dtype)
        half = np.array(0.5, dtype=dtype)
        # [i f] * [g c_prev] = [i g, f c_prev]: both products in one call.
        in_forget = slice(IN_GATE * size, CANDIDATE * size)
        candidate_cell = slice(CANDIDATE * size, IN_CANDIDATE * size)
        products = slice(IN_CANDIDATE * size, TANH_CELL * size)
        matmul, add, multiply, tanh = np.matmul, np.add, np.multiply, np.tanh
        for t in range(steps):
            row, block, following = record[t], blocks[t], blocks[t + 1]
            pre, sigmoids = row[: 4 * size], row[: 3 * size]
            matmul(self.weight_step, row[operand], out=pre)
            tanh(pre, out=pre)
            multiply(sigmoids, half, out=sigmoids)
            add(sigmoids, half, out=sigmoids)
            multiply(row[in_forget], row[candidate_cell], out=row[products])
            add(block[IN_CANDIDATE], block[FORGET_CELL], out=following[CELL_PREV])
            tanh(following[CELL_PREV], out=block[TANH_CELL])
            multiply(block[OUT_GATE], block[TANH_CELL], out=following[HIDDEN_PREV])
            self._derivatives(row, following[HIDDEN_PREV], coef[t], through_h[t])
            check_stop(should_stop, t)
        return TrainingCache(x, h0, c0, record,
                             record[1:, operand.start : operand.start + size].transpose(0, 2, 1),
                             coef, through_h)

    def _derivatives(self, row: np.ndarray, hidden: np.ndarray, coef: np.ndarray,
                     through_h: np.ndarray) -> None:
        """One step's local derivatives while its record row is in cache: ``coef``
        (4H, B), what dh (row block o) and dc (blocks i, f, g) multiply to give da, and
        ``through_h`` (H, B), o (1 - tanh(c)^2). Each in two calls, from the products the
        step kept (h = o tanh(c))::

            tanh(c) o (1 - o) = h - h o
            g i (1 - i)       = ig - ig i
            c_prev f (1 - f)  = fc - fc f
            i (1 - g^2)       = i - ig g
            o (1 - tanh(c)^2) = o - h tanh(c)
        """
        size = self.hidden_size
        out_gate, in_gate = row[:size], row[IN_GATE * size : FORGET * size]
        products = row[IN_CANDIDATE * size : TANH_CELL * size]
        for first, second, factor, out in (
            (hidden, hidden, out_gate, coef[:size]),
            (products, products, row[IN_GATE * size : CANDIDATE * size], coef[size : 3 * size]),
            (in_gate, products[:size], row[CANDIDATE * size : CELL_PREV * size], coef[3 * size :]),
            (out_gate, hidden, row[TANH_CELL * size : HIDDEN_PREV * size], through_h),
        ):
            np.multiply(second, factor, out=out)
            np.subtract(first, out, out=out)  # first - second * factor

    def backward(self, cache: TrainingCache, grad_hidden: np.ndarray | None,
                 grad_cell: np.ndarray | None = None, should_stop: StopCheck | None = None,
                 scaled: bool = False) -> LayerGrads:
        """Backpropagation through time; nothing is clipped. ``grad_hidden``/``grad_cell``
        (T, B, H) or None are the direct gradients on h_t and c_t. Returns, as
        :class:`LayerGrads` (T, B, .), dL/dh_t, dL/dc_t, dL/dx_t, dL/dh_0, dL/dc_0 and
        the parameter gradients (PyTorch's rows). ``scaled`` must be False: training
        gradients stay in the weights' dtype."""
        if scaled:
            raise ValueError("the training LSTM layer has no StepScale; use LstmLayer")
        coef, through_h = cache.coef, cache.through_h
        steps, _, batch = coef.shape
        size, dtype = self.hidden_size, coef.dtype
        direct_h = _direct(grad_hidden, steps, dtype)
        direct_c = _direct(grad_cell, steps, dtype)
        space = self.workspace
        # Row t: [dL/dh_{t-1}; dL/dx_t] (the rows of W_hh^T da_t and W_ih^T da_t); row T: zero dh.
        back = space.array("back", (steps + 1, size + self.input_size, batch), dtype)
        total_cell = space.array("total_cell", (steps, size, batch), dtype)
        d_rows = space.array("d_rows", (steps, 4 * size, batch), dtype)
        d_cell = space.array("d_cell", (size, batch), dtype)
        back[steps, :size], d_cell[...] = 0.0, 0.0
        forget = cache.block(FORGET)
        by_gate = coef.reshape(steps, 4, size, batch)[:, 1:]  # i, f, g: what dc multiplies
        d_by_gate = d_rows.reshape(steps, 4, size, batch)[:, 1:]
        add, multiply, matmul = np.add, np.multiply, np.matmul
        for t in range(steps - 1, -1, -1):
            dh, dc = back[t + 1, :size], total_cell[t]
            into_hidden, into_cell = direct_h[t], direct_c[t]
            if into_hidden is not None:
                add(dh, into_hidden, out=dh)
            multiply(dh, through_h[t], out=dc)
            add(dc, d_cell, out=dc)
            if into_cell is not None:
                add(dc, into_cell, out=dc)
            multiply(dc, by_gate[t], out=d_by_gate[t])
            multiply(dh, coef[t, :size], out=d_rows[t, :size])
            multiply(dc, forget[t], out=d_cell)
            matmul(self.weight_back, d_rows[t], out=back[t])
            check_stop(should_stop, steps - 1 - t)
        grads = LayerGrads(hidden=back[1:, :size].transpose(0, 2, 1),
                           cell=total_cell.transpose(0, 2, 1),
                           x=back[:-1, size:].transpose(0, 2, 1),
                           h0=back[0, :size].T.copy(), c0=d_cell.T.copy())
        grads.params = self._param_grads(cache, d_rows)
        return grads

    def _param_grads(self, cache: TrainingCache, d_rows: np.ndarray) -> dict[str, np.ndarray]:
        """The parameter gradients over all steps at once: one product of da with the
        steps' operands ``[h_{t-1}; x_t; 1]`` gives dW_hh, dW_ih and the bias together."""
        steps, rows, batch = d_rows.shape
        dtype, size, space = d_rows.dtype, self.hidden_size, self.workspace
        flat_rows = space.array("flat_rows", (rows, steps, batch), dtype)
        flat_rows[...] = d_rows.transpose(1, 0, 2)
        flat_rows = flat_rows.reshape(rows, steps * batch)
        step_operands = cache.operands()
        operands = space.array("operands", (steps, batch, step_operands.shape[1]), dtype)
        operands[...] = step_operands.transpose(0, 2, 1)
        weights = (flat_rows @ operands.reshape(steps * batch, -1))[self.to_pytorch]
        params = {"weight_ih": np.ascontiguousarray(weights[:, size : size + self.input_size]),
                  "weight_hh": np.ascontiguousarray(weights[:, :size])}
        if self.has_bias:
            params["bias_ih"], params["bias_hh"] = weights[:, -1], weights[:, -1].copy()
        return params


def _direct(grad: np.ndarray | None, steps: int, dtype: np.dtype) -> list[np.ndarray | None]:
    """Per step, the direct gradient (T, B, n) as an (n, B) view, or None where it is
    zero (a class read at the last step leaves every other step's zero)."""
    if grad is None:
        return [None] * steps
    present = np.any(grad != 0, axis=(1, 2))
    return [grad[t].T.astype(dtype, copy=False) if present[t] else None
            for t in range(steps)]
