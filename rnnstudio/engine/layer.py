"""What the three cell modules share: prepared weight rows, gradients, cancellation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import Cancelled
from .params import LayerWeights

StopCheck = Callable[[], bool]
ProgressCallback = Callable[[int, int], None]

#: How many steps run between two calls of ``should_stop`` (a call costs ~0.1 us).
STOP_INTERVAL = 64


def check_stop(should_stop: StopCheck | None, step: int) -> None:
    if should_stop is not None and step % STOP_INTERVAL == 0 and should_stop():
        raise Cancelled("stopped before the work finished")


@dataclass(frozen=True)
class Rows:
    """A layer's weights with rows in the cell's internal order.

    ``weight_ih_t``/``weight_hh_t``/``bias`` are the forward copies (transposed, some rows
    scaled by 0.5 for the tanh form of the sigmoid, ``bias_hh`` folded in where the
    equations allow); ``weight_ih``/``weight_hh`` are the unscaled rows for backward.
    Internal row ``j`` is PyTorch row ``order[j]``.
    """

    order: np.ndarray
    weight_ih_t: np.ndarray  # (in, G*H)
    weight_hh_t: np.ndarray  # (H_out, G*H)
    bias: np.ndarray | None  # (G*H,)
    weight_ih: np.ndarray  # (G*H, in)
    weight_hh: np.ndarray  # (G*H, H_out)
    has_bias: bool

    def input_projection(self, x: np.ndarray) -> np.ndarray:
        """W_ih x_t (+ biases) for every step at once: one matrix product, (T, B, G*H)."""
        steps, batch, width = x.shape
        flat = np.ascontiguousarray(x, dtype=self.weight_ih_t.dtype).reshape(-1, width)
        projected = flat @ self.weight_ih_t
        if self.bias is not None:
            projected += self.bias
        return projected.reshape(steps, batch, -1)

    def to_pytorch(self, internal: np.ndarray) -> np.ndarray:
        """Rows in internal order back to PyTorch's gate order."""
        return internal[np.argsort(self.order)]


def prepare_rows(
    weights: LayerWeights, order: np.ndarray, scale: np.ndarray, folded_hh_rows: int
) -> Rows:
    """Permute and scale a layer's rows once; ``folded_hh_rows`` leading internal rows of
    ``bias_hh`` are added to the input bias (all rows for RNN/LSTM, r and z for GRU)."""
    weight_ih = np.ascontiguousarray(weights.weight_ih[order])
    weight_hh = np.ascontiguousarray(weights.weight_hh[order])
    bias = None
    if weights.bias_ih is not None and weights.bias_hh is not None:
        bias = weights.bias_ih[order].copy()
        bias[:folded_hh_rows] += weights.bias_hh[order][:folded_hh_rows]
        bias *= scale
    return Rows(
        order=order,
        weight_ih_t=np.ascontiguousarray((weight_ih * scale[:, None]).T),
        weight_hh_t=np.ascontiguousarray((weight_hh * scale[:, None]).T),
        bias=bias,
        weight_ih=weight_ih,
        weight_hh=weight_hh,
        has_bias=bias is not None,
    )


@dataclass
class LayerGrads:
    """Gradients of one layer and direction, in processing order (T, B, ...).

    ``hidden``/``cell`` are total derivatives dL/dh_t, dL/dc_t (through time and the
    direct path); ``params`` uses PyTorch's short names (``weight_ih`` ...), rows in
    PyTorch's gate order. For a Jacobian pass ``hidden`` holds (T,) norms only.
    """

    hidden: np.ndarray
    cell: np.ndarray | None = None
    x: np.ndarray | None = None
    h0: np.ndarray | None = None
    c0: np.ndarray | None = None
    params: dict[str, np.ndarray] = field(default_factory=dict)


def input_grads(
    rows: Rows, cache: Any, d_input_rows: np.ndarray, d_recurrent_rows: np.ndarray,
    dtype: np.dtype,
) -> LayerGrads:
    """Parameter and input gradients formed once after the time loop.

    ``d_input_rows`` (T, B, G*H) is dL/d(W_ih x_t + b_ih) and ``d_recurrent_rows``
    dL/d(W_hh h_{t-1} + b_hh), both in internal row order (equal except for GRU's n).
    """
    steps, batch, rows_count = d_input_rows.shape
    x = np.ascontiguousarray(cache.x, dtype=dtype).reshape(steps * batch, -1)
    h0 = cache.h0.astype(dtype, copy=False)
    hidden = cache.hidden.astype(dtype, copy=False)
    h_prev = np.concatenate([h0[None], hidden[:-1]]).reshape(steps * batch, -1)
    flat_input = d_input_rows.reshape(-1, rows_count)
    flat_recurrent = d_recurrent_rows.reshape(-1, rows_count)
    params = {
        "weight_ih": rows.to_pytorch(flat_input.T @ x),
        "weight_hh": rows.to_pytorch(flat_recurrent.T @ h_prev),
    }
    if rows.has_bias:
        params["bias_ih"] = rows.to_pytorch(flat_input.sum(axis=0))
        params["bias_hh"] = rows.to_pytorch(flat_recurrent.sum(axis=0))
    d_x = (flat_input @ rows.weight_ih).reshape(steps, batch, -1)
    return LayerGrads(hidden=np.empty(0), x=d_x, params=params)
