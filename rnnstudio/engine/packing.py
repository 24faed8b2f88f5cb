"""Documents of different lengths laid out step by step, with no padding.

A batch of B documents is packed as PyTorch's ``PackedSequence`` packs it: the documents
sorted longest first (a stable sort), step t holds the k_t documents still running,
k_0 >= k_1 >= ... >= 1, as rows ``starts[t] : starts[t + 1]`` of one (N, n) array,
N the batch's real tokens. Because the running documents are always the first k_t
columns, step t's previous state is the first k_t rows of step t - 1's block, and a step
is one GEMM over exactly the documents that have a token there: no work, and no memory,
is spent on padding (in right-padded batches of a 300 K-character corpus in paragraphs,
24% of the slots were padding).

Reverse direction: packed row (t, b) reads token ``n_b - 1 - t`` of document b
(:attr:`Packing.reversal`), so each document starts from its own last token; the map is
its own inverse, so the same gather puts the reverse outputs back in forward time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Packing"]


@dataclass(frozen=True)
class Packing:
    """Where every token of a batch sits once packed; make one with :meth:`of`.

    ``order`` (B,): packed column -> the caller's document index; ``lengths`` (B,): the
    documents' lengths in packed order (non-increasing); ``starts`` (T + 1,): the first
    row of each step and N; ``source`` (N,): packed row -> the row of the caller's
    documents concatenated in their own order; ``reversal`` (N,): packed row (t, b) ->
    the packed row of (n_b - 1 - t, b).
    """

    order: np.ndarray
    lengths: np.ndarray
    starts: np.ndarray
    source: np.ndarray
    reversal: np.ndarray

    @classmethod
    def of(cls, lengths: Sequence[int] | np.ndarray) -> Packing:
        """The packing of documents of ``lengths`` (each at least 1 token)."""
        given = np.asarray(lengths, dtype=np.int64)
        if given.ndim != 1 or not given.size or given.min() < 1:
            raise ValueError("a packed batch needs at least one document, each of at "
                             "least one token")
        order = np.argsort(-given, kind="stable")
        ordered = given[order]
        time = np.arange(int(ordered[0]), dtype=np.int64)[:, None]
        running = time < ordered[None, :]  # (T, B): packed rows, row-major
        starts = np.concatenate([[0], np.cumsum(running.sum(axis=1))])
        first_rows = np.concatenate([[0], np.cumsum(given)[:-1]])
        source = (first_rows[order][None, :] + time)[running]
        packed_row = np.full(running.shape, -1, dtype=np.int64)
        packed_row[running] = np.arange(int(starts[-1]))
        steps, columns = np.nonzero(running)
        reversal = packed_row[ordered[columns] - 1 - steps, columns]
        return cls(order, ordered, starts, source, reversal)

    @property
    def tokens(self) -> int:
        """N, the real tokens of the batch."""
        return int(self.starts[-1])

    def pack(self, documents: Sequence[np.ndarray]) -> np.ndarray:
        """(N, ...) rows of ``documents`` (each (n_b, ...), in the caller's order)."""
        return np.concatenate(documents)[self.source]

    def rows(self, document: int) -> np.ndarray:
        """The packed rows of the caller's document ``document``, in time order."""
        column = int(np.flatnonzero(self.order == document)[0])
        return self.starts[: self.lengths[column]] + column
