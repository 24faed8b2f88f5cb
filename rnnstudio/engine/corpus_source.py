"""What a corpus query reads: document bounds, tokens and stored per-token values.

A Protocol, so the on-disk index (:mod:`rnnstudio.io.corpus_file`) and an in-memory corpus
(:class:`rnnstudio.engine.corpus_query.ArrayCorpus`, built from ``model.trace`` of each
document, used by tests and notebooks) answer the same queries.

Both: a value at corpus token n of document d at position p = n - doc_starts[d] equals
``model.trace(document_text(d)).layers[layer, direction].quantities()[quantity][p, unit]``
(within float16 storage rounding for the on-disk index, exactly for ArrayCorpus).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from .saturation import Saturation


class CorpusSource(Protocol):
    @property
    def token_count(self) -> int:
        """N, tokens of every document together."""
        ...

    @property
    def doc_starts(self) -> np.ndarray:
        """(D + 1,) int64 token offsets: [0] = 0, [-1] = N."""
        ...

    @property
    def quantities(self) -> tuple[str, ...]:
        """Stored names, trace spelling: "h", "c", "i", "f", "g", "o", "r", "z", "n"."""
        ...

    @property
    def keys(self) -> tuple[tuple[int, str], ...]:
        """Stored (layer, direction) pairs, e.g. ((0, "fwd"), (0, "bwd"))."""
        ...

    @property
    def fingerprint(self) -> str:
        """rnnstudio.engine.trajectory.model_fingerprint(model.params) of the model that
        made it."""
        ...

    @property
    def saturation(self) -> Saturation | None:
        """Corpus-wide saturation counts (exact, counted in float32 while indexing), None
        if not counted."""
        ...

    @property
    def joiner(self) -> str:
        """How tokens are joined for display: "" for a char tokenizer, " " otherwise."""
        ...

    def unit_count(self, quantity: str) -> int: ...

    def values(self, quantity: str, layer: int, direction: str, units: Sequence[int],
               start: int = 0, stop: int | None = None) -> np.ndarray:
        """(len(units), stop - start) float32, token order of the corpus (document after
        document; a bwd direction's value at token n is the one the model gives token n,
        as in a Trace)."""
        ...

    def document_text(self, doc: int) -> str:
        """The document's text as it was indexed."""
        ...

    def document_tokens(self, doc: int) -> list[str]:
        """The model's tokenizer.split(document_text(doc)); len == doc_starts[doc+1] -
        doc_starts[doc]."""
        ...


class StoredLayout:
    """What every corpus source keeps as plain attributes, set by its constructor: the
    documents' token offsets, the stored quantities and (layer, direction) keys; the
    :class:`CorpusSource` properties that only read them live here once."""

    _doc_starts: np.ndarray
    _quantities: tuple[str, ...]
    _keys: tuple[tuple[int, str], ...]

    @property
    def token_count(self) -> int:
        return int(self._doc_starts[-1])

    @property
    def doc_starts(self) -> np.ndarray:
        return self._doc_starts

    @property
    def quantities(self) -> tuple[str, ...]:
        return self._quantities

    @property
    def keys(self) -> tuple[tuple[int, str], ...]:
        return self._keys
