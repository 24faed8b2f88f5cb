"""Many documents through the recurrent stack at once: one GEMM per step over the batch.

A batch of documents is packed (:class:`.packing.Packing`: longest first, step t the
documents still running, no padding) and runs through the weights of the layer objects
:meth:`RecurrentStack.forward` uses, by the forward-only gate-major steps of
:mod:`.corpus_cells`, every document from the zero state. The reverse direction reads
each document reversed within its own length (``Packing.reversal``), so it too starts at
the document's last token from zero; the same gather puts its outputs back in forward
time. Layer k + 1 reads layer k's outputs of both directions concatenated, as the stack
does. What a document gets is therefore exactly the arithmetic of
``model.trace(document)`` with a batch axis (equal within float rounding: BLAS may order
a GEMM's sums differently than a single row's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .corpus_cells import forward_record
from .layer import StopCheck
from .packing import Packing
from .stack import Key, RecurrentStack

__all__ = ["BatchRecord", "batch_forward"]


@dataclass(frozen=True)
class BatchRecord:
    """Named per-token arrays of each layer and direction, packed (N, n) as ``packing``
    lays the batch out, in forward time."""

    packing: Packing
    arrays: dict[Key, dict[str, np.ndarray]]

    def document(self, key: Key, name: str, document: int) -> np.ndarray:
        """(n_b, n) values of the caller's document ``document``, in time order."""
        return self.arrays[key][name][self.packing.rows(document)]


def batch_forward(
    stack: RecurrentStack,
    documents: Sequence[np.ndarray],
    dtype: np.dtype,
    should_stop: StopCheck | None = None,
    names: Sequence[str] | None = None,
) -> BatchRecord:
    """Run ``documents`` (input vectors (n_b, I) each, at least one token) through every
    layer and direction from the zero state (module docstring). Returns the recorded
    quantities ``names`` (default every one: h, c, gates), packed, in forward time; h is
    always there (the next layer reads it). Fewer names save the reverse direction's
    gathers."""
    cfg = stack.config
    layers = stack.layers(dtype)
    packing = Packing.of([len(document) for document in documents])
    reverse = packing.reversal
    arrays: dict[Key, dict[str, np.ndarray]] = {}
    layer_input = packing.pack(documents).astype(dtype, copy=False)
    for layer in range(cfg.num_layers):
        parts = []
        for direction in cfg.directions:
            forward_x = layer_input if direction == "fwd" else layer_input[reverse]
            recorded = forward_record(layers[layer, direction], forward_x, packing.starts,
                                      should_stop)
            record = {name: values for name, values in recorded.items()
                      if names is None or name == "h" or name in names}
            if direction == "bwd":
                record = {name: values[reverse] for name, values in record.items()}
            arrays[layer, direction] = record
            parts.append(record["h"])
        layer_input = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)
    return BatchRecord(packing, arrays)
