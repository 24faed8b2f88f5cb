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
columns made an element-wise call cost twice a contiguous one (tanh over a (32, 256) view:
6.9 us, contiguous: 3.1 us). Here every array is feature-major, (4H, B) a step: each gate
is one contiguous (H, B) block; a step's pre-activations are one product
``[W_hh W_ih b] [h_{t-1}; x_t; 1]`` (no input projection kept for all steps, no addition)
into one scratch row reused by every step, and the rows are kept in the order o, i, f, g
so that the three sigmoids are one block (one ``tanh`` over all 4H rows, sigmoid(a) =
0.5 tanh(a / 2) + 0.5 with the sigmoid rows pre-scaled by 0.5, exact in binary). What
the backward needs is kept per step: h_t (in the next step's operand) and the local
derivatives, formed while the scratch row is in cache. Backward, one product a step
gives dh_{t-1} and dx_t; after the loop one product of da with the operands
``[h_{t-1}; x_t; 1]`` gives dW_hh, dW_ih and the bias gradient. No projection, no edits,
no record of the gates: the tracer's layer handles those. ``tests/engine/
test_lstm_training.py`` holds this layer to :class:`.lstm.LstmLayer` and to central
differences.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .layer import LayerGrads, StopCheck, check_stop
from .params import LayerWeights
from .workspace import Workspace

#: The (H, B) blocks of the step's scratch row (one for all steps, so it stays in cache):
#: tanh(c_t), the gates after their nonlinearities, c_{t-1} and the two products i g and
#: f c_{t-1}. With c_{t-1} beside g, one multiply ``[i f] * [g c_prev]`` gives both
#: products (c_t then replaces c_{t-1}); with tanh(c_t) beside o, one multiply
#: ``h * [tanh(c) o]`` starts two local derivatives.
BLOCKS = ("tanh_c", "o", "i", "f", "g", "c_prev", "ig", "fc")
(TANH_CELL, OUT_GATE, IN_GATE, FORGET, CANDIDATE, CELL_PREV, IN_CANDIDATE,
 FORGET_CELL) = range(len(BLOCKS))
#: The (H, B) blocks of a step's row of ``coef``: what dh multiplies (dc's part, then
#: da_o's), what dc multiplies (da_i, da_f, da_g), and f (dc_next = dc f).
COEF_BLOCKS = ("through_h", "o", "i", "f", "g", "forget")


@dataclass
class TrainingCache:
    """What the backward needs: ``operands`` (T + 1, H + I + 1, B), row t the step's
    operand ``[h_{t-1}; x_t; 1]`` (row T: h_T), and ``coef`` (T, 6H, B), the
    :data:`COEF_BLOCKS` of each step; ``hidden`` (T, B, H) is a view of ``operands``."""

    x: np.ndarray  # (T, B, I)
    h0: np.ndarray  # (B, H)
    c0: np.ndarray  # (B, H)
    operands: np.ndarray
    coef: np.ndarray
    hidden: np.ndarray


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
        self.order, self.to_pytorch, half = _row_order(size, weights.weight_hh.dtype)
        self.has_bias = weights.bias_ih is not None and weights.bias_hh is not None
        columns = [weights.weight_hh, weights.weight_ih]
        if weights.bias_ih is not None and weights.bias_hh is not None:
            columns.append((weights.bias_ih + weights.bias_hh)[:, None])
        rows = np.concatenate(columns, axis=1)[self.order]
        #: [W_hh W_ih b], sigmoid rows halved: a step's pre-activations in one product.
        self.weight_step = rows * half
        #: [W_hh W_ih]^T: one product a step gives dh_{t-1} and dx_t from da (a
        #: transposed view: BLAS reads it as fast as a copy).
        self.weight_back = rows[:, : size + self.input_size].T

    def forward(self, x: np.ndarray, h0: np.ndarray, c0: np.ndarray,
                should_stop: StopCheck | None = None) -> TrainingCache:
        """Run the recurrence over x (T, B, I) from h0, c0 (B, H): eight NumPy calls a
        step, and eight more for the step's local derivatives (:data:`COEF_BLOCKS`)."""
        steps, batch, inputs = x.shape
        size, dtype, space = self.hidden_size, self.weight_step.dtype, self.workspace
        operands = space.array("operands", (steps + 1, size + inputs + self.has_bias, batch),
                               dtype)
        operands[:-1, size : size + inputs] = x.transpose(0, 2, 1)
        if self.has_bias:
            operands[:, -1] = 1.0
        operands[0, :size] = h0.T
        row = space.array("row", (len(BLOCKS) * size, batch), dtype)
        blocks = row.reshape(len(BLOCKS), size, batch)
        blocks[CELL_PREV] = c0.T
        coef = space.array("coef", (steps, len(COEF_BLOCKS) * size, batch), dtype)
        by_block = coef.reshape(steps, len(COEF_BLOCKS), size, batch)
        # Views made before the loop (a slice costs about what a small call does).
        pre, sigmoids = row[size : 5 * size], row[size : 4 * size]
        in_forget, candidate_cell = row[2 * size : 4 * size], row[4 * size : 6 * size]
        products, cell, tanh_out = row[6 * size :], blocks[CELL_PREV], blocks[:2]
        tanh_cell, out_gate, in_gate = blocks[TANH_CELL], blocks[OUT_GATE], blocks[IN_GATE]
        forget, candidate = blocks[FORGET], blocks[CANDIDATE]
        in_candidate, forget_cell = blocks[IN_CANDIDATE], blocks[FORGET_CELL]
        hidden, through = operands[:, :size], by_block[:, :2]
        through_h, through_o = by_block[:, 0], by_block[:, 1]
        in_forget_coef = coef[:, 2 * size : 4 * size]
        candidate_coef, forget_copy = by_block[:, 4], by_block[:, 5]
        half = np.array(0.5, dtype=dtype)
        matmul, add, multiply, tanh = np.matmul, np.add, np.multiply, np.tanh
        subtract, copyto = np.subtract, np.copyto
        for t in range(steps):
            h = hidden[t + 1]
            matmul(self.weight_step, operands[t], out=pre)
            tanh(pre, out=pre)
            multiply(sigmoids, half, out=sigmoids)
            add(sigmoids, half, out=sigmoids)
            multiply(in_forget, candidate_cell, out=products)  # [i g, f c_prev]
            add(in_candidate, forget_cell, out=cell)  # c_t replaces c_{t-1}
            tanh(cell, out=tanh_cell)
            multiply(out_gate, tanh_cell, out=h)
            # The local derivatives while the row is in cache (:data:`COEF_BLOCKS`), each
            # first - second * factor from the products the step kept (h = o tanh(c)):
            multiply(h, tanh_out, out=through[t])  # [h tanh(c), h o]
            subtract(out_gate, through_h[t], out=through_h[t])  # o (1 - tanh(c)^2)
            subtract(h, through_o[t], out=through_o[t])  # tanh(c) o (1 - o)
            # g i (1 - i) = ig - ig i,  c_prev f (1 - f) = fc - fc f
            multiply(products, in_forget, out=in_forget_coef[t])
            subtract(products, in_forget_coef[t], out=in_forget_coef[t])
            multiply(in_candidate, candidate, out=candidate_coef[t])  # i (1 - g^2) = i - ig g
            subtract(in_gate, candidate_coef[t], out=candidate_coef[t])
            copyto(forget_copy[t], forget)
            check_stop(should_stop, t)
        return TrainingCache(x, h0, c0, operands, coef,
                             operands[1:, :size].transpose(0, 2, 1))

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
        coef = cache.coef
        steps, _, batch = coef.shape
        size, dtype = self.hidden_size, coef.dtype
        direct_h = _direct(grad_hidden, steps, dtype)
        direct_c = _direct(grad_cell, steps, dtype)
        space = self.workspace
        # Row t: [dL/dh_{t-1}; dL/dx_t] (the rows of W_hh^T da_t and W_ih^T da_t); row T: zero dh.
        back = space.array("back", (steps + 1, size + self.input_size, batch), dtype)
        total_cell = space.array("total_cell", (steps, size, batch), dtype)
        # Row t: [dh o (1 - tanh(c)^2) | da_o da_i da_f da_g]; d_rows[:, H:] is da.
        d_rows = space.array("d_rows", (steps, 5 * size, batch), dtype)
        d_cell = space.array("d_cell", (size, batch), dtype)
        back[steps, :size], d_cell[...] = 0.0, 0.0
        by_block = coef.reshape(steps, len(COEF_BLOCKS), size, batch)
        d_by_block = d_rows.reshape(steps, 5, size, batch)
        # Per step, views made before the loop (a slice costs as much as a small call).
        d_hidden, d_through = back[:, :size], d_by_block[:, 0]
        by_dh, d_by_dh = by_block[:, :2], d_by_block[:, :2]  # what dh multiplies, products
        by_dc, d_by_dc = by_block[:, 2:5], d_by_block[:, 2:]  # what dc multiplies, products
        forget = by_block[:, 5]
        d_gates = d_rows[:, size:]
        add, multiply, matmul = np.add, np.multiply, np.matmul
        for t in range(steps - 1, -1, -1):
            dh, dc = d_hidden[t + 1], total_cell[t]
            into_hidden, into_cell = direct_h[t], direct_c[t]
            if into_hidden is not None:
                add(dh, into_hidden, out=dh)
            multiply(dh, by_dh[t], out=d_by_dh[t])  # [dh through_h, da_o]
            add(d_through[t], d_cell, out=dc)
            if into_cell is not None:
                add(dc, into_cell, out=dc)
            multiply(dc, by_dc[t], out=d_by_dc[t])  # da_i, da_f, da_g
            multiply(dc, forget[t], out=d_cell)
            matmul(self.weight_back, d_gates[t], out=back[t])  # [dh_{t-1}; dx_t]
            check_stop(should_stop, steps - 1 - t)
        grads = LayerGrads(hidden=back[1:, :size].transpose(0, 2, 1),
                           cell=total_cell.transpose(0, 2, 1),
                           x=back[:-1, size:].transpose(0, 2, 1),
                           h0=back[0, :size].T.copy(), c0=d_cell.T.copy())
        grads.params = self._param_grads(cache, d_rows[:, size:])
        return grads

    def _param_grads(self, cache: TrainingCache, d_rows: np.ndarray) -> dict[str, np.ndarray]:
        """The parameter gradients over all steps at once: one product of da with the
        steps' operands ``[h_{t-1}; x_t; 1]`` gives dW_hh, dW_ih and the bias together."""
        steps, rows, batch = d_rows.shape
        dtype, size, space = d_rows.dtype, self.hidden_size, self.workspace
        flat_rows = space.array("flat_rows", (rows, steps, batch), dtype)
        flat_rows[...] = d_rows.transpose(1, 0, 2)
        flat_rows = flat_rows.reshape(rows, steps * batch)
        step_operands = cache.operands[:-1]
        operands = space.array("flat_operands", (steps, batch, step_operands.shape[1]), dtype)
        operands[...] = step_operands.transpose(0, 2, 1)
        weights = (flat_rows @ operands.reshape(steps * batch, -1))[self.to_pytorch]
        params = {"weight_ih": np.ascontiguousarray(weights[:, size : size + self.input_size]),
                  "weight_hh": np.ascontiguousarray(weights[:, :size])}
        if self.has_bias:
            params["bias_ih"], params["bias_hh"] = weights[:, -1], weights[:, -1].copy()
        return params


@functools.lru_cache(maxsize=16)
def _row_order(size: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Internal row order (o, i, f, g from PyTorch's i, f, g, o), its inverse, and the
    (4H, 1) column halving the sigmoid rows; made once per size (read-only)."""
    order = np.r_[3 * size : 4 * size, 0 : 3 * size]
    half = np.ones((4 * size, 1), dtype=dtype)
    half[: 3 * size] = 0.5
    made = (order, np.argsort(order), half)
    for array in made:
        array.flags.writeable = False
    return made


def _direct(grad: np.ndarray | None, steps: int, dtype: np.dtype) -> list[np.ndarray | None]:
    """Per step, the direct gradient (T, B, n) as an (n, B) view, or None where it is
    zero (a class read at the last step leaves every other step's zero)."""
    if grad is None:
        return [None] * steps
    present = np.any(grad != 0, axis=(1, 2))
    return [grad[t].T.astype(dtype, copy=False) if present[t] else None
            for t in range(steps)]
