"""Read a ``.rscorpus`` folder: :func:`open_corpus` gives a :class:`CorpusIndex`, the
on-disk :class:`~rnnstudio.engine.corpus_source.CorpusSource` the corpus queries read.

Opening reads the manifest and every shard's document lengths and checks every listed
file's header and size (:func:`~rnnstudio.io.corpus_file.check_array`), so a truncated
or missing file is one line naming it before any query. Values are memory-mapped on first
use: one unit over a shard is a contiguous run of 2-byte floats, so a query of a few
units reads a few bytes a token, never the whole file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.corpus_source import StoredLayout
from ..engine.saturation import Saturation
from ..engine.tokenizers import Tokenizer
from .corpus_file import (
    STORAGE_DTYPE,
    CorpusFileError,
    array_name,
    check_array,
    read_manifest,
    shard_name,
)

__all__ = ["CorpusIndex", "open_corpus"]


def open_corpus(path: str | os.PathLike[str]) -> CorpusIndex:
    """Open a corpus index folder (``NAME.rscorpus``) for queries; a
    :class:`~rnnstudio.io.corpus_file.CorpusFileError` names any file at fault."""
    return CorpusIndex(Path(path))


class CorpusIndex(StoredLayout):
    """A finished (or partly finished) corpus index: the shards the manifest lists."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.manifest: dict[str, Any] = read_manifest(folder)
        settings = self.manifest["settings"]
        self._quantities = tuple(settings["quantities"])
        self._keys = tuple((int(layer), str(direction)) for layer, direction in settings["keys"])
        self._units = {str(name): int(count) for name, count in settings["units"].items()}
        self._tokenizer = Tokenizer.from_dict(self.manifest["tokenizer"])
        self._shards = [folder / shard_name(i) for i in range(len(self.manifest["shards"]))]
        lengths = [self._checked_shard(i) for i in range(len(self._shards))]
        counts = np.array([len(part) for part in lengths], dtype=np.int64)
        every = np.concatenate(lengths) if lengths else np.zeros(0, np.int64)
        self._doc_starts = np.concatenate([[0], np.cumsum(every)]).astype(np.int64)
        self._doc_starts.flags.writeable = False
        self._shard_docs = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._shard_tokens = self._doc_starts[self._shard_docs]
        self._mapped: dict[tuple[int, str], np.ndarray] = {}

    def _checked_shard(self, index: int) -> np.ndarray:
        """Check shard ``index``'s files against the manifest; its document lengths."""
        entry = self.manifest["shards"][index]
        tokens, docs, folder = int(entry["tokens"]), int(entry["documents"]), self._shards[index]
        int64 = np.dtype(np.int64)
        check_array(folder / "token_ids.npy", int64, (tokens,))
        check_array(folder / "doc_lengths.npy", int64, (docs,))
        check_array(folder / "text_offsets.npy", int64, (docs + 1,))
        for layer, direction in self._keys:
            for quantity in self._quantities:
                check_array(folder / array_name(layer, direction, quantity), STORAGE_DTYPE,
                            (self._units[quantity], tokens))
        lengths = np.load(folder / "doc_lengths.npy", allow_pickle=False)
        text_bytes = int(np.load(folder / "text_offsets.npy", allow_pickle=False)[-1])
        text = folder / "text.bin"
        if int(lengths.sum()) != tokens or not text.is_file() or \
                text.stat().st_size != text_bytes:
            raise CorpusFileError(f"{folder}: its documents do not add up to the manifest's "
                                  f"{tokens:,} tokens, or text.bin is missing or truncated; "
                                  "index the corpus again with --restart")
        return np.asarray(lengths, dtype=np.int64)

    # ----------------------------------- CorpusSource (token_count ... keys: StoredLayout)
    @property
    def fingerprint(self) -> str:
        return str(self.manifest["model"]["fingerprint"])

    @property
    def saturation(self) -> Saturation | None:
        counted = self.manifest.get("saturation")
        return None if counted is None else Saturation.from_dict(counted)

    @property
    def joiner(self) -> str:
        return str(self.manifest["joiner"])

    @property
    def document_count(self) -> int:
        return len(self._doc_starts) - 1

    def unit_count(self, quantity: str) -> int:
        self._check_quantity(quantity)
        return self._units[quantity]

    def values(self, quantity: str, layer: int, direction: str, units: Sequence[int],
               start: int = 0, stop: int | None = None) -> np.ndarray:
        """(len(units), stop - start) float32 values of tokens ``start:stop`` (corpus
        order), read from each shard's unit-major array."""
        self._check_quantity(quantity)
        if (layer, direction) not in self._keys:
            raise KeyError(f"layer {layer} {direction} is not stored; stored: {self._keys}")
        stop = self.token_count if stop is None else stop
        if not 0 <= start <= stop <= self.token_count:
            raise IndexError(f"tokens {start}:{stop} outside the corpus's 0:{self.token_count}")
        rows = np.asarray(units, dtype=np.int64)
        if rows.size and (rows.min() < 0 or rows.max() >= self._units[quantity]):
            raise IndexError(f"units {units} outside 0..{self._units[quantity] - 1}")
        out = np.empty((len(rows), stop - start), dtype=np.float32)
        origin = start
        shard = int(np.searchsorted(self._shard_tokens, start, side="right")) - 1
        while start < stop:
            first, last = int(self._shard_tokens[shard]), int(self._shard_tokens[shard + 1])
            end = min(stop, last)
            stored = self._array(shard, array_name(layer, direction, quantity))
            out[:, start - origin:end - origin] = stored[rows, start - first:end - first]
            start, shard = end, shard + 1
        return out

    def document_text(self, doc: int) -> str:
        shard = int(np.searchsorted(self._shard_docs, doc, side="right")) - 1
        if not 0 <= doc < self.document_count:
            raise IndexError(f"document {doc} outside 0..{self.document_count - 1}")
        offsets = self._array(shard, "text_offsets.npy")
        local = doc - int(self._shard_docs[shard])
        begin, end = int(offsets[local]), int(offsets[local + 1])
        with open(self._shards[shard] / "text.bin", "rb") as stream:
            stream.seek(begin)
            return stream.read(end - begin).decode("utf-8")

    def document_tokens(self, doc: int) -> list[str]:
        return self._tokenizer.split(self.document_text(doc))

    def token_ids(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """(stop - start,) int64 vocabulary ids of tokens ``start:stop``."""
        stop = self.token_count if stop is None else stop
        parts = []
        for shard in range(len(self._shards)):
            first, last = int(self._shard_tokens[shard]), int(self._shard_tokens[shard + 1])
            if last > start and first < stop:
                ids = self._array(shard, "token_ids.npy")
                parts.append(ids[max(start, first) - first:min(stop, last) - first])
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    def _check_quantity(self, quantity: str) -> None:
        if quantity not in self._quantities:
            raise KeyError(f"quantity {quantity!r} is not stored; stored: "
                           f"{', '.join(self._quantities)} (index again with --quantities all)")

    def _array(self, shard: int, name: str) -> np.ndarray:
        """A memory map of one checked file of one shard, kept for later reads."""
        key = (shard, name)
        if key not in self._mapped:
            self._mapped[key] = np.load(self._shards[shard] / name, mmap_mode="r",
                                        allow_pickle=False)
        return self._mapped[key]
