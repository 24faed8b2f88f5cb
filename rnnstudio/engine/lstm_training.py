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
feature-major, (4H, B) a step: each gate is one contiguous (H, B) block, ``W_hh h`` is
one (4H, H) x (H, B) product written straight into the step's record, and the rows are
kept in the order o, i, f, g so that the three sigmoids are one block (one ``tanh`` over
all 4H rows, sigmoid(a) = 0.5 tanh(a / 2) + 0.5 with the sigmoid rows pre-scaled by 0.5,
exact in binary) and i, f, g, whose derivatives all multiply dc, are another (one call).
The local derivatives are formed for all steps at once before the loop; the parameter
gradients with one matrix product each after it. No projection, no edits: the tracer's
layer handles those. ``tests/engine/test_lstm_training.py`` holds this layer to
:class:`.lstm.LstmLayer` and to central differences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layer import LayerGrads, StopCheck, aligned, check_stop
from .params import LayerWeights
from .workspace import Workspace

#: The (H, B) blocks of one step's record, in order: the gates after their nonlinearities,
#: c_{t-1}, the two products i g and f c_{t-1}, tanh(c_t) and h_t. Step t + 1's ``c_prev``
#: block holds c_t: with c_{t-1} beside g, one multiply ``[i f] * [g c_prev]`` gives both
#: products, and the backward reads every local derivative in two calls from them
#: (``_local_derivatives``).
BLOCKS = ("o", "i", "f", "g", "c_prev", "ig", "fc", "tanh_c", "h")
(OUT_GATE, IN_GATE, FORGET, CANDIDATE, CELL_PREV, IN_CANDIDATE, FORGET_CELL, TANH_CELL,
 HIDDEN) = range(len(BLOCKS))


@dataclass
class TrainingCache:
    """The forward record: ``record`` (T + 1, 9H, B) holds the :data:`BLOCKS` of each
    step (the last row only c_T); ``hidden`` (T, B, H) is a view of it."""

    x: np.ndarray  # (T, B, I)
    h0: np.ndarray  # (B, H)
    c0: np.ndarray  # (B, H)
    record: np.ndarray
    hidden: np.ndarray

    @property
    def cell(self) -> np.ndarray:
        """c_t of every step, (T, B, H) (a view: step t + 1's ``c_prev`` block)."""
        size = self.hidden.shape[-1]
        return self.record[1:, CELL_PREV * size : (CELL_PREV + 1) * size].transpose(0, 2, 1)

    def block(self, first: int, stop: int | None = None) -> np.ndarray:
        """Blocks ``first`` up to ``stop`` (default: ``first`` alone) of every step, (T, n H, B)."""
        size = self.hidden.shape[-1]
        stop = first + 1 if stop is None else stop
        return self.record[:-1, first * size : stop * size]


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
        # PyTorch rows i, f, g, o -> o, i, f, g; to_pytorch undoes it.
        self.order = np.r_[3 * size : 4 * size, 0 : 3 * size]
        self.to_pytorch = np.argsort(self.order)
        half = np.ones((4 * size, 1), dtype=weights.weight_hh.dtype)
        half[: 3 * size] = 0.5
        self.weight_ih = np.ascontiguousarray(weights.weight_ih[self.order])
        self.weight_ih_half = self.weight_ih * half
        self.weight_hh_half = aligned(weights.weight_hh[self.order] * half)
        self.weight_hh_t = aligned(weights.weight_hh[self.order].T)
        self.bias: np.ndarray | None = None
        if weights.bias_ih is not None and weights.bias_hh is not None:
            self.bias = (weights.bias_ih + weights.bias_hh)[self.order][:, None] * half

    def forward(self, x: np.ndarray, h0: np.ndarray, c0: np.ndarray,
                should_stop: StopCheck | None = None) -> TrainingCache:
        """Run the recurrence over x (T, B, I) from h0, c0 (B, H); nine NumPy calls a step."""
        steps, batch, _ = x.shape
        size, dtype = self.hidden_size, self.weight_hh_half.dtype
        space = self.workspace
        inputs = space.array("inputs", (steps, 4 * size, batch), dtype)
        np.matmul(self.weight_ih_half, np.ascontiguousarray(x.transpose(0, 2, 1), dtype),
                  out=inputs)
        if self.bias is not None:
            inputs += self.bias
        record = space.array("record", (steps + 1, len(BLOCKS) * size, batch), dtype)
        blocks = record.reshape(steps + 1, len(BLOCKS), size, batch)
        blocks[0, CELL_PREV] = c0.T
        half = np.array(0.5, dtype=dtype)
        hidden = h0.T.astype(dtype)
        # [i f] * [g c_prev] = [i g, f c_prev]: both products in one call.
        in_forget = slice(IN_GATE * size, CANDIDATE * size)
        candidate_cell = slice(CANDIDATE * size, IN_CANDIDATE * size)
        products = slice(IN_CANDIDATE * size, TANH_CELL * size)
        matmul, add, multiply, tanh = np.matmul, np.add, np.multiply, np.tanh
        for t in range(steps):
            row = record[t]
            pre, sigmoids = row[: 4 * size], row[: 3 * size]
            matmul(self.weight_hh_half, hidden, out=pre)
            add(pre, inputs[t], out=pre)
            tanh(pre, out=pre)
            multiply(sigmoids, half, out=sigmoids)
            add(sigmoids, half, out=sigmoids)
            multiply(row[in_forget], row[candidate_cell], out=row[products])
            cell = blocks[t + 1, CELL_PREV]
            add(blocks[t, IN_CANDIDATE], blocks[t, FORGET_CELL], out=cell)
            tanh(cell, out=blocks[t, TANH_CELL])
            hidden = blocks[t, HIDDEN]
            multiply(blocks[t, OUT_GATE], blocks[t, TANH_CELL], out=hidden)
            check_stop(should_stop, t)
        return TrainingCache(x, h0, c0, record,
                             record[:-1, HIDDEN * size :].transpose(0, 2, 1))

    def _local_derivatives(self, cache: TrainingCache) -> tuple[np.ndarray, np.ndarray]:
        """For all steps at once: ``coef`` (T, 4H, B), what dh (row block o) and dc
        (blocks i, f, g) multiply to give da, and ``through_h`` (T, H, B), o (1 - tanh(c)^2).

        Each in two calls, from the products the forward kept (h = o tanh(c))::

            tanh(c) o (1 - o) = h - h o
            g i (1 - i)       = ig - ig i
            c_prev f (1 - f)  = fc - fc f
            i (1 - g^2)       = i - ig g
            o (1 - tanh(c)^2) = o - h tanh(c)
        """
        size, dtype = self.hidden_size, cache.record.dtype
        steps, batch = cache.hidden.shape[:2]
        hidden, out_gate, in_gate = cache.block(HIDDEN), cache.block(OUT_GATE), cache.block(IN_GATE)
        products = cache.block(IN_CANDIDATE, TANH_CELL)
        coef = self.workspace.array("coef", (steps, 4 * size, batch), dtype)
        through_h = self.workspace.array("through_h", (steps, size, batch), dtype)
        for first, second, factor, out in (
            (hidden, hidden, out_gate, coef[:, :size]),
            (products, products, cache.block(IN_GATE, CANDIDATE), coef[:, size : 3 * size]),
            (in_gate, cache.block(IN_CANDIDATE), cache.block(CANDIDATE), coef[:, 3 * size :]),
            (out_gate, hidden, cache.block(TANH_CELL), through_h),
        ):
            np.multiply(second, factor, out=out)
            np.subtract(first, out, out=out)  # first - second * factor
        return coef, through_h

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
        coef, through_h = self._local_derivatives(cache)
        steps, _, batch = coef.shape
        size, dtype = self.hidden_size, coef.dtype
        direct_h = _direct(grad_hidden, steps, dtype)
        direct_c = _direct(grad_cell, steps, dtype)
        space = self.workspace
        total_hidden = space.array("total_hidden", (steps + 1, size, batch), dtype)  # [0]: dh_0
        total_cell = space.array("total_cell", (steps, size, batch), dtype)
        d_rows = space.array("d_rows", (steps, 4 * size, batch), dtype)
        d_cell = space.array("d_cell", (size, batch), dtype)
        total_hidden[steps], d_cell[...] = 0.0, 0.0
        forget = cache.block(FORGET)
        by_gate = coef.reshape(steps, 4, size, batch)[:, 1:]  # i, f, g: what dc multiplies
        d_by_gate = d_rows.reshape(steps, 4, size, batch)[:, 1:]
        add, multiply, matmul = np.add, np.multiply, np.matmul
        for t in range(steps - 1, -1, -1):
            dh, dc = total_hidden[t + 1], total_cell[t]
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
            matmul(self.weight_hh_t, d_rows[t], out=total_hidden[t])
            check_stop(should_stop, steps - 1 - t)
        grads = self._input_grads(cache, d_rows)
        grads.hidden = total_hidden[1:].transpose(0, 2, 1)
        grads.cell = total_cell.transpose(0, 2, 1)
        grads.h0, grads.c0 = total_hidden[0].T.copy(), d_cell.T.copy()
        return grads

    def _input_grads(self, cache: TrainingCache, d_rows: np.ndarray) -> LayerGrads:
        """dL/dx_t and the parameter gradients over all steps at once: one product gives
        dW_ih and dW_hh together (da against [x_t, h_{t-1}]), one dL/dx, one the biases
        (a product with ones: 3x faster than ``sum`` over rows of this shape)."""
        steps, rows, batch = d_rows.shape
        dtype, inputs, space = d_rows.dtype, cache.x.shape[-1], self.workspace
        flat_rows = space.array("flat_rows", (rows, steps, batch), dtype)
        flat_rows[...] = d_rows.transpose(1, 0, 2)
        flat_rows = flat_rows.reshape(rows, steps * batch)
        operands = space.array("operands", (steps, batch, inputs + self.hidden_size), dtype)
        operands[..., :inputs] = cache.x
        operands[0, :, inputs:] = cache.h0
        operands[1:, :, inputs:] = cache.hidden[:-1]
        weights = flat_rows @ operands.reshape(steps * batch, -1)
        params = {"weight_ih": weights[self.to_pytorch, :inputs],
                  "weight_hh": weights[self.to_pytorch, inputs:]}
        if self.bias is not None:
            ones = space.array("ones", (steps * batch,), dtype)
            ones[...] = 1.0
            bias = (flat_rows @ ones)[self.to_pytorch]
            params["bias_ih"], params["bias_hh"] = bias, bias.copy()
        d_x = (self.weight_ih.T @ flat_rows).reshape(inputs, steps, batch).transpose(1, 2, 0)
        return LayerGrads(hidden=np.empty(0), x=d_x, params=params)


def _direct(grad: np.ndarray | None, steps: int, dtype: np.dtype) -> list[np.ndarray | None]:
    """Per step, the direct gradient (T, B, n) as an (n, B) view, or None where it is
    zero (a class read at the last step leaves every other step's zero)."""
    if grad is None:
        return [None] * steps
    present = np.any(grad != 0, axis=(1, 2))
    return [grad[t].T.astype(dtype, copy=False) if present[t] else None
            for t in range(steps)]
