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

A corpus repeats its tokens: given a :class:`TokenTable` (the input vectors of the
distinct tokens), documents are rows of it, and the first layer's input projection is
made once per distinct token and gathered per token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .corpus_cells import CorpusLayer, forward_projected, forward_record, project
from .layer import StopCheck
from .packing import Packing
from .stack import Key, RecurrentStack

__all__ = ["BatchRecord", "TokenTable", "batch_forward"]


class TokenTable:
    """The input vectors (V, I) of distinct tokens, and the first layer's input
    projection of each, made on first use per direction and kept for every batch that
    reads the table (one owner, one model: not shared between threads)."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors
        self._projected: dict[str, np.ndarray] = {}

    def gates(self, direction: str, layer: CorpusLayer, rows: np.ndarray) -> np.ndarray:
        """The input projection (G, N, H) of the tokens ``rows`` (N,) of this table."""
        if direction not in self._projected:
            self._projected[direction] = project(layer, self.vectors)
        return np.take(self._projected[direction], rows, axis=1)


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
    table: TokenTable | None = None,
) -> BatchRecord:
    """Run ``documents`` (input vectors (n_b, I) each, or with ``table`` its rows (n_b,)
    each; at least one token) through every layer and direction from the zero state
    (module docstring). Returns the recorded quantities ``names`` (default every one:
    h, c, gates), packed, in forward time; h is always there (the next layer reads it).
    Fewer names save the reverse direction's gathers."""
    cfg = stack.config
    layers = stack.layers(dtype)
    packing = Packing.of([len(document) for document in documents])
    reverse = packing.reversal
    arrays: dict[Key, dict[str, np.ndarray]] = {}
    packed = packing.pack(documents)
    layer_input = packed if table is not None else packed.astype(dtype, copy=False)
    for layer in range(cfg.num_layers):
        parts = []
        for direction in cfg.directions:
            cell = layers[layer, direction]
            forward_x = layer_input if direction == "fwd" else layer_input[reverse]
            if layer == 0 and table is not None:
                recorded = forward_projected(cell, table.gates(direction, cell, forward_x),
                                             packing.starts, should_stop)
            else:
                recorded = forward_record(cell, forward_x, packing.starts, should_stop)
            record = {name: values for name, values in recorded.items()
                      if names is None or name == "h" or name in names}
            if direction == "bwd":
                record = {name: values[reverse] for name, values in record.items()}
            arrays[layer, direction] = record
            parts.append(record["h"])
        layer_input = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)
    return BatchRecord(packing, arrays)
