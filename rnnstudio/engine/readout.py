"""Backward through the parts around the recurrent stack: readout head and embedding.

Shared by the tracer (one text) and the trainer (batches), so both compute the same
gradients.
"""

from __future__ import annotations

import numpy as np

from .config import RecurrentConfig

StateKey = tuple[int, str, str]


def head_backward(
    head_weight: np.ndarray,
    top: np.ndarray,
    grad_logits: np.ndarray,
    recurrent: RecurrentConfig,
    grad_states: dict[StateKey, np.ndarray],
) -> dict[str, np.ndarray]:
    """Gradients of ``head.weight``/``head.bias`` from dL/dlogits (T, B, C); adds
    dL/d(top output) to ``grad_states`` for each direction of the top layer (in place)."""
    dtype = grad_logits.dtype
    flat_top = top.reshape(-1, top.shape[-1]).astype(dtype, copy=False)
    flat_logits = grad_logits.reshape(-1, grad_logits.shape[-1])
    params = {"head.weight": flat_logits.T @ flat_top, "head.bias": flat_logits.sum(axis=0)}
    grad_top = grad_logits @ head_weight.astype(dtype, copy=False)  # (T, B, D)
    width, top_layer = recurrent.output_size, recurrent.num_layers - 1
    for j, direction in enumerate(recurrent.directions):
        key = (top_layer, direction, "h")
        part = grad_top[..., j * width : (j + 1) * width]
        grad_states[key] = part if key not in grad_states else grad_states[key] + part
    return params


def embedding_backward(
    table_shape: tuple[int, ...], ids: np.ndarray, grad_x: np.ndarray
) -> np.ndarray:
    """dL/d(embedding.weight): each token's input gradient added to its row."""
    table = np.zeros(table_shape, grad_x.dtype)
    np.add.at(table, ids.reshape(-1), grad_x.reshape(-1, table_shape[1]))
    return table
