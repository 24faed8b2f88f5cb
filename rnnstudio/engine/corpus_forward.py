"""Many documents through the recurrent stack at once: one GEMM per step over the batch.

A batch of B documents of lengths ``n_b`` is right-padded to T = max n_b and runs through
the weights of the layer objects :meth:`RecurrentStack.forward` uses, by the forward-only
gate-major steps of :mod:`.corpus_cells` (``forward_record(layer, x (T, B, I))``), every
document from the zero state. Right padding never changes a real
token of the forward direction (step t reads only steps before it). The reverse direction
reads each document reversed *within its own length*::

    reversed[t, b] = x[n_b - 1 - t, b]   for t < n_b;   padding rows stay where they are

so it too starts at the document's last real token from zero, and padding comes after
every real token. The index map is its own inverse, so the same gather puts the reverse
outputs back in forward time; layer k + 1 reads layer k's outputs of both directions
concatenated, as the stack does. What a document gets is therefore exactly the
arithmetic of ``model.trace(document)`` with a batch axis (equal within float rounding:
BLAS may order a GEMM's sums differently than a single row's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .corpus_cells import forward_record
from .layer import StopCheck
from .stack import Key, RecurrentStack

__all__ = ["BatchRecord", "batch_forward", "padded_batch", "reversal_index"]


def reversal_index(lengths: np.ndarray, steps: int) -> np.ndarray:
    """(T, B) int64 rows: ``n_b - 1 - t`` for ``t < n_b``, else ``t`` (its own inverse)."""
    time = np.arange(steps, dtype=np.int64)[:, None]
    lengths = np.asarray(lengths, dtype=np.int64)[None, :]
    return np.where(time < lengths, lengths - 1 - time, time)


def padded_batch(vectors: Sequence[np.ndarray], dtype: np.dtype) -> np.ndarray:
    """Input vectors of each document, (n_b, I) each, right-padded with zeros to
    (T, B, I), T = the longest."""
    steps = max(len(v) for v in vectors)
    batch = np.zeros((steps, len(vectors), vectors[0].shape[1]), dtype=dtype)
    for column, values in enumerate(vectors):
        batch[: len(values), column] = values
    return batch


@dataclass(frozen=True)
class BatchRecord:
    """Named per-token arrays of each layer and direction, forward time, (T, B, n);
    rows at or past a document's length are padding."""

    lengths: np.ndarray  # (B,) int64
    arrays: dict[Key, dict[str, np.ndarray]]

    def document(self, key: Key, name: str, column: int) -> np.ndarray:
        """(n_b, n) values of document ``column`` (a view, no padding)."""
        return self.arrays[key][name][: self.lengths[column], column]

    def mask(self) -> np.ndarray:
        """(T, B) bool, True on real tokens."""
        steps = next(iter(self.arrays.values()))["h"].shape[0]
        return np.arange(steps)[:, None] < self.lengths[None, :]


def batch_forward(
    stack: RecurrentStack,
    inputs: np.ndarray,
    lengths: np.ndarray,
    dtype: np.dtype,
    should_stop: StopCheck | None = None,
    names: Sequence[str] | None = None,
) -> BatchRecord:
    """Run right-padded documents ``inputs`` (T, B, I) of ``lengths`` (B,) through every
    layer and direction from the zero state (module docstring). Returns the recorded
    quantities ``names`` (default every one: h, c, gates) in forward time; h is always
    there (the next layer reads it). Fewer names save the reverse direction's copies."""
    cfg = stack.config
    layers = stack.layers(dtype)
    steps, batch = inputs.shape[:2]
    lengths = np.asarray(lengths, dtype=np.int64)
    columns = np.arange(batch)[None, :]
    reverse = reversal_index(lengths, steps) if cfg.bidirectional else None
    arrays: dict[Key, dict[str, np.ndarray]] = {}
    layer_input = inputs.astype(dtype, copy=False)
    for layer in range(cfg.num_layers):
        parts = []
        for direction in cfg.directions:
            forward_x = layer_input if direction == "fwd" else layer_input[reverse, columns]
            recorded = forward_record(layers[layer, direction], forward_x, should_stop)
            record = {name: values for name, values in recorded.items()
                      if names is None or name == "h" or name in names}
            if direction == "bwd":
                record = {name: values[reverse, columns] for name, values in record.items()}
            arrays[layer, direction] = record
            parts.append(record["h"])
        layer_input = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)
    return BatchRecord(lengths, arrays)
