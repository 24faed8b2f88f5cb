"""Corpus queries: every span where chosen units fire, the tokens where one unit is
highest or lowest, and the units a brushed span selects (LSTMVis's rule).

They read any :class:`~rnnstudio.engine.corpus_source.CorpusSource` (the on-disk index or
:class:`ArrayCorpus`) in chunks of :data:`CHUNK_TOKENS` tokens, so memory stays bounded
whatever the corpus size, and work on whole chunks at once (no Python loop per token).

Search (:func:`find_spans`). A *span* is a maximal run of consecutive tokens of one
document where every selected unit is ``>= threshold``::

    on[n]  = min over selected units u of value[u, n] >= threshold
    span   = [a, b) with on[a..b-1], inside one document, not extendable either side

A span never crosses a document boundary (each document was read from the zero state).
Its *score* is its floor: the lowest value any selected unit takes inside it (how far
above the threshold all of them stay). Spans are ranked **longer first, then higher
floor, then earlier in the corpus**. The floor is a minimum, so it is exact whatever the
chunking (a mean would change with the order of additions and make ties depend on it).

Top activations (:func:`top_activations`): the k tokens of the corpus where one unit is
highest (or lowest), exact, equal values in corpus order; NaN values are never listed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import Cancelled, ConfigError, TextError, shown
from ..limits import MAX_TOP_K, check_number, check_whole
from .corpus_source import CorpusSource, StoredLayout
from .saturation import Saturation, countable_gates, trace_saturation
from .trajectory import model_fingerprint

if TYPE_CHECKING:
    from .model import Model
    from .trace import Trace

__all__ = ["CHUNK_TOKENS", "RANKING", "Activation", "ArrayCorpus", "Span", "SpanSearch",
           "check_query", "find_spans", "search_spans", "top_activations"]

#: Tokens read at once: a (2, 1M) float32 block is 8 MB, and numpy's per-call overhead
#: is negligible at that size (10M tokens, 2 units: 0.2 s, tests/benchmarks).
CHUNK_TOKENS = 1 << 20
#: The ranking rule, in words (docs, the panel and the CLI show it).
RANKING = "longer first, then higher floor (lowest selected value in the span), then earlier"


@dataclass(frozen=True)
class Span:
    """A run of tokens ``[start, stop)`` of ``document`` where every selected unit is at
    or above the threshold; ``corpus_start`` is its first token in the whole corpus,
    ``score`` its floor (the lowest selected value inside it)."""

    document: int
    start: int
    stop: int
    corpus_start: int
    length: int
    score: float


@dataclass(frozen=True)
class Activation:
    """One token of the corpus and a unit's ``value`` there: token ``position`` of
    ``document`` (``corpus_position`` in the whole corpus)."""

    document: int
    position: int
    corpus_position: int
    value: float


def check_query(source: CorpusSource, quantity: str, layer: int, direction: str,
                units: Iterable[int]) -> tuple[int, ...]:
    """The units as a tuple after checking that ``source`` stores ``quantity`` at
    (``layer``, ``direction``) and holds every unit; else a :class:`ConfigError` naming
    the argument (``quantity``, ``layer``, ``direction``, ``units``) and the value."""
    if quantity not in source.quantities:
        raise ConfigError(f"quantity {shown(quantity)} is not stored in this corpus; it holds "
                          f"{', '.join(source.quantities)}", argument="quantity")
    layers = sorted({key[0] for key in source.keys})
    if layer not in layers:
        raise ConfigError(f"layer {shown(layer)} is not stored in this corpus; it holds "
                          f"layer(s) {', '.join(map(str, layers))}", argument="layer")
    if (layer, direction) not in source.keys:
        held = [key[1] for key in source.keys if key[0] == layer]
        raise ConfigError(f"direction {shown(direction)} is not stored for layer {layer}; "
                          f"use {' or '.join(held)}", argument="direction")
    count = source.unit_count(quantity)
    checked = tuple(check_whole("units", unit, 0, count - 1, f"{quantity} has {count} units")
                    for unit in units)
    if not checked:
        raise ConfigError("units must name at least one unit, e.g. 3,17", argument="units")
    if len(set(checked)) != len(checked):
        raise ConfigError(f"units {shown(list(checked))} repeat a unit; name each once",
                          argument="units")
    return checked


def _chunks(count: int, size: int, should_stop: Callable[[], bool] | None,
            on_progress: Callable[[int, int], None] | None) -> Iterator[tuple[int, int]]:
    """(start, stop) of each chunk of ``size`` tokens of ``count``; asks ``should_stop``
    before each and reports progress after each."""
    size = check_whole("chunk_tokens", size, 1, 2**62, "give e.g. 1048576")
    for start in range(0, count, size):
        if should_stop is not None and should_stop():
            raise Cancelled("corpus query cancelled")
        yield start, min(start + size, count)
        if on_progress is not None:
            on_progress(min(start + size, count), count)


def _chunk_runs(on: np.ndarray, floor_values: np.ndarray, doc_start: np.ndarray,
                offset: int, min_length: int) -> tuple[np.ndarray, ...]:
    """(starts, stops, floors) of the runs of ``on`` inside one chunk, split where a
    document starts; runs touching the chunk's edges are kept whatever their length (the
    next or previous chunk may extend them)."""
    before = np.concatenate(([False], on[:-1]))
    after = np.concatenate((on[1:], [False]))
    next_is_doc_start = np.concatenate((doc_start[1:], [False]))
    starts = np.flatnonzero(on & (~before | doc_start))
    stops = np.flatnonzero(on & (~after | next_is_doc_start)) + 1
    edges = np.empty(2 * len(starts), dtype=np.int64)
    edges[0::2], edges[1::2] = starts, stops
    # reduceat over [start, stop) pairs; the appended +inf lets a stop equal len(on)
    floors = np.minimum.reduceat(np.append(floor_values, np.inf), edges)[0::2]
    keep = (stops - starts >= min_length) | (starts == 0) | (stops == len(on))
    return starts[keep] + offset, stops[keep] + offset, floors[keep]


def _joined_runs(starts: np.ndarray, stops: np.ndarray, floors: np.ndarray,
                 doc_starts: np.ndarray) -> tuple[np.ndarray, ...]:
    """Runs split only by a chunk edge joined again: a run that begins where the previous
    one ended, at a token that does not start a document, continues it."""
    if not len(starts):
        return starts, stops, floors
    continues = np.zeros(len(starts), dtype=bool)
    continues[1:] = (starts[1:] == stops[:-1]) & ~np.isin(starts[1:], doc_starts)
    heads = np.flatnonzero(~continues)
    tails = np.append(heads[1:], len(starts)) - 1
    return starts[heads], stops[tails], np.minimum.reduceat(floors, heads)


@dataclass(frozen=True)
class SpanSearch:
    """The first spans of a search and how many there are in all (``total``), so a
    list cut at ``limit`` can say "the first 200 of 208,598"."""

    spans: list[Span]
    total: int


def find_spans(source: CorpusSource, quantity: str, layer: int, direction: str,
               units: Sequence[int], threshold: float, min_length: int = 1,
               limit: int | None = None, chunk_tokens: int = CHUNK_TOKENS,
               should_stop: Callable[[], bool] | None = None,
               on_progress: Callable[[int, int], None] | None = None) -> list[Span]:
    """The spans of :func:`search_spans` (its arguments), without their count."""
    return search_spans(source, quantity, layer, direction, units, threshold, min_length,
                        limit, chunk_tokens, should_stop, on_progress).spans


def search_spans(source: CorpusSource, quantity: str, layer: int, direction: str,
                 units: Sequence[int], threshold: float, min_length: int = 1,
                 limit: int | None = None, chunk_tokens: int = CHUNK_TOKENS,
                 should_stop: Callable[[], bool] | None = None,
                 on_progress: Callable[[int, int], None] | None = None) -> SpanSearch:
    """Every maximal span of at least ``min_length`` tokens inside one document where
    each of ``units`` is ``>= threshold``, ranked (see the module docstring: longer
    first, then higher floor, then earlier in the corpus); the first ``limit`` of them
    (all when None).

    Values are read ``chunk_tokens`` at a time: (len(units), chunk) float32 blocks;
    ``should_stop()`` is asked before each (True: :class:`Cancelled`) and
    ``on_progress(tokens read, token count)`` told after each.
    """
    units = check_query(source, quantity, layer, direction, units)
    threshold = check_number("threshold", threshold, "give e.g. 0.5")
    min_length = check_whole("min_length", min_length, 1, 2**62, "give e.g. 2")
    if limit is not None:
        limit = check_whole("limit", limit, 1, 2**62, "give e.g. 100, or no limit")
    doc_starts = np.asarray(source.doc_starts, dtype=np.int64)
    pieces = []
    for offset, stop in _chunks(source.token_count, chunk_tokens, should_stop, on_progress):
        values = source.values(quantity, layer, direction, units, offset, stop)
        lowest = values.min(axis=0)
        doc_start = np.zeros(stop - offset, dtype=bool)
        inside = doc_starts[(doc_starts >= offset) & (doc_starts < stop)]
        doc_start[inside - offset] = True
        pieces.append(_chunk_runs(lowest >= threshold, lowest, doc_start, offset,
                                  min_length))
    if not pieces:
        return SpanSearch([], 0)
    runs = [np.concatenate([piece[part] for piece in pieces]) for part in range(3)]
    starts, stops, floors = _joined_runs(runs[0], runs[1], runs[2], doc_starts)
    lengths = stops - starts
    keep = lengths >= min_length
    starts, lengths, floors = starts[keep], lengths[keep], floors[keep]
    order = np.lexsort((starts, -floors, -lengths))[:limit]
    documents = np.searchsorted(doc_starts, starts[order], side="right") - 1
    return SpanSearch([Span(int(doc), int(first - doc_starts[doc]),
                            int(first - doc_starts[doc] + size), int(first), int(size),
                            float(floor))
                       for doc, first, size, floor in zip(documents, starts[order],
                                                          lengths[order], floors[order],
                                                          strict=True)], len(starts))


def _best(keys: np.ndarray, positions: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` smallest ``keys`` with their positions, equal keys in position order."""
    if len(keys) > k:  # everything strictly below the k-th key, then equal ones in order
        kth = np.partition(keys, k - 1)[k - 1]
        below = keys < kth
        equal = np.flatnonzero(keys == kth)[:k - int(below.sum())]
        chosen = np.sort(np.concatenate((np.flatnonzero(below), equal)))
        keys, positions = keys[chosen], positions[chosen]
    order = np.lexsort((positions, keys))
    return keys[order], positions[order]


def top_activations(source: CorpusSource, quantity: str, layer: int, direction: str,
                    unit: int, k: int = 20, lowest: bool = False,
                    chunk_tokens: int = CHUNK_TOKENS,
                    should_stop: Callable[[], bool] | None = None,
                    on_progress: Callable[[int, int], None] | None = None,
                    ) -> list[Activation]:
    """The ``k`` tokens of the corpus where ``unit`` is highest (``lowest``: lowest),
    highest first (lowest first), equal values in corpus order; exact: each chunk keeps
    its own best k (a partition), and the best of those are the corpus's.
    ``should_stop`` and ``on_progress`` as in :func:`find_spans`."""
    (unit,) = check_query(source, quantity, layer, direction, [unit])
    k = check_whole("k", k, 1, MAX_TOP_K, "give e.g. 20")
    keys, positions = np.empty(0, np.float32), np.empty(0, np.int64)
    for offset, stop in _chunks(source.token_count, chunk_tokens, should_stop, on_progress):
        values = source.values(quantity, layer, direction, [unit], offset, stop)[0]
        chunk_keys = values if lowest else -values
        finite = np.flatnonzero(~np.isnan(chunk_keys))
        keys, positions = _best(np.concatenate((keys, chunk_keys[finite])),
                                np.concatenate((positions, finite + offset)), k)
    doc_starts = np.asarray(source.doc_starts, dtype=np.int64)
    documents = np.searchsorted(doc_starts, positions, side="right") - 1
    signed = keys if lowest else -keys
    return [Activation(int(doc), int(position - doc_starts[doc]), int(position), float(value))
            for doc, position, value in zip(documents, positions, signed,
                                                                strict=True)]


class ArrayCorpus(StoredLayout):
    """A :class:`~rnnstudio.engine.corpus_source.CorpusSource` held in memory, made from
    ``model.trace`` of each document (each from the zero state): for tests, notebooks and
    corpora small enough to trace at once. Values are exactly the traces' (float32)."""

    def __init__(self, texts: Sequence[str], tokens: Sequence[list[str]],
                 values: dict[tuple[str, int, str], np.ndarray], fingerprint: str,
                 joiner: str, saturation: Saturation | None) -> None:
        self._texts, self._tokens = list(texts), [list(doc) for doc in tokens]
        self._values = values
        self._doc_starts = np.concatenate(([0], np.cumsum([len(doc) for doc in tokens])))
        self._doc_starts = self._doc_starts.astype(np.int64)
        self._fingerprint, self._joiner, self._saturation = fingerprint, joiner, saturation
        names = dict.fromkeys(name for name, _, _ in values)
        self._quantities = tuple(names)
        self._keys = tuple(dict.fromkeys((layer, direction) for _, layer, direction in values))

    @classmethod
    def from_texts(cls, model: Model, texts: Iterable[str],
                   quantities: Sequence[str] = ("h",)) -> ArrayCorpus:
        """Trace each of ``texts`` with ``model`` (state reset per document, no loss) and
        keep ``quantities`` of every layer and direction, unit-major float32 (H, N).
        A text without tokens is a document of 0 tokens."""
        texts = list(texts)
        rec = model.config.recurrent
        traces = [model.trace(text, loss=None, jacobian=False)
                  if model.tokenizer.split(text) else None for text in texts]
        values: dict[tuple[str, int, str], np.ndarray] = {}
        for name in dict.fromkeys(quantities):
            for layer in range(rec.num_layers):
                for direction in rec.directions:
                    values[name, layer, direction] = _stacked(traces, name, layer, direction)
        counted = [trace for trace in traces if trace is not None]
        saturation = None
        if counted and countable_gates(rec.cell, rec.nonlinearity):
            saturation = trace_saturation(counted[0])
            for trace in counted[1:]:
                saturation = saturation.merged(trace_saturation(trace))
        tokens = [trace.tokens if trace is not None else [] for trace in traces]
        return cls(texts, tokens, values, model_fingerprint(model.params),
                   model.tokenizer.joiner, saturation)

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    @property
    def saturation(self) -> Saturation | None:
        return self._saturation

    @property
    def joiner(self) -> str:
        return self._joiner

    def unit_count(self, quantity: str) -> int:
        return next(len(array) for (name, _, _), array in self._values.items()
                    if name == quantity)

    def values(self, quantity: str, layer: int, direction: str, units: Sequence[int],
               start: int = 0, stop: int | None = None) -> np.ndarray:
        """(len(units), stop - start) float32 copy of the stored values."""
        stored = self._values[quantity, layer, direction]
        return stored[np.asarray(units, dtype=np.int64), start:stop]

    def document_text(self, doc: int) -> str:
        return self._texts[doc]

    def document_tokens(self, doc: int) -> list[str]:
        return list(self._tokens[doc])


def _stacked(traces: Sequence[Trace | None], name: str, layer: int, direction: str) -> np.ndarray:
    """(H, N) float32: ``name`` of (``layer``, ``direction``) of every trace, documents
    one after the other; a quantity the cell does not record is a :class:`ConfigError`."""
    parts = []
    for trace in traces:
        if trace is None:
            continue
        recorded = trace.layers[layer, direction].quantities()
        if name not in recorded:
            raise ConfigError(f"quantity {shown(name)} is not recorded by this model; it "
                              f"records {', '.join(recorded)}", argument="quantities")
        parts.append(recorded[name])
    if not parts:
        raise TextError("the texts hold no tokens: give at least one non-empty text")
    return np.ascontiguousarray(np.concatenate(parts).T, dtype=np.float32)
