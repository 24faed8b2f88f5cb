"""Time a corpus search and a top-k query over 10M tokens (issue 15: search <= 1 s).

By default it builds, in a temporary folder, a unit-major float16 ``np.memmap`` of
H = 256 units x 10M tokens (a sparse file: only the two searched units are written, so
the disk holds 40 MB of the 5 GB), documents of 50-350 tokens, and a CorpusSource over
it that reads as the on-disk index does (a (units, tokens) slice converted to float32).
``--corpus NAME.rscorpus`` times the same queries on a real index instead (through
``rnnstudio.io.corpus_file.open_corpus``)::

    PYTHONPATH=. python tests/benchmarks/bench_corpus_search.py [--tokens N] [--corpus FILE]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rnnstudio.engine.corpus_query import find_spans, top_activations
from rnnstudio.engine.corpus_source import CorpusSource
from rnnstudio.engine.saturation import Saturation

UNITS = 256
SEARCHED = (3, 17)


class MemmapCorpus:
    """A CorpusSource over one (UNITS, N) float16 memmap of h, layer 0 forward."""

    def __init__(self, values: np.memmap, doc_starts: np.ndarray) -> None:
        self._values, self._doc_starts = values, doc_starts

    token_count = property(lambda self: int(self._doc_starts[-1]))
    doc_starts = property(lambda self: self._doc_starts)
    quantities = property(lambda self: ("h",))
    keys = property(lambda self: ((0, "fwd"),))
    fingerprint = property(lambda self: "0" * 16)
    joiner = property(lambda self: " ")

    @property
    def saturation(self) -> Saturation | None:
        return None

    def unit_count(self, quantity: str) -> int:
        return UNITS

    def values(self, quantity: str, layer: int, direction: str, units: Sequence[int],
               start: int = 0, stop: int | None = None) -> np.ndarray:
        return np.stack([self._values[unit, start:stop] for unit in units]).astype(np.float32)

    def document_text(self, doc: int) -> str:
        return " ".join(self.document_tokens(doc))

    def document_tokens(self, doc: int) -> list[str]:
        return ["w"] * int(self._doc_starts[doc + 1] - self._doc_starts[doc])


def build(folder: Path, tokens: int) -> MemmapCorpus:
    """Sparse (UNITS, tokens) float16 file; the searched units hold a smoothed random
    walk (on for runs of a few to a few hundred tokens, like a unit tracking a state)."""
    values = np.memmap(folder / "h.f16", dtype=np.float16, mode="w+", shape=(UNITS, tokens))
    rng = np.random.default_rng(0)
    for unit in SEARCHED:
        for start in range(0, tokens, 1 << 20):
            stop = min(start + (1 << 20), tokens)
            walk = np.cumsum(rng.normal(0, 0.2, stop - start))
            values[unit, start:stop] = np.tanh(np.sin(walk) * 2)
    values.flush()
    lengths = rng.integers(50, 351, size=tokens // 50)
    doc_starts = np.concatenate(([0], np.cumsum(lengths)))
    doc_starts = doc_starts[doc_starts < tokens].astype(np.int64)
    return MemmapCorpus(values, np.append(doc_starts, tokens))


def timed(label: str, query, repeats: int = 3) -> None:  # type: ignore[no-untyped-def]
    """Print the first and best of ``repeats`` runs of ``query()``."""
    times, result = [], None
    for _ in range(repeats):
        began = time.perf_counter()
        result = query()
        times.append(time.perf_counter() - began)
    count = len(result) if result is not None else 0
    print(f"{label:<56} first {times[0]:6.3f} s  best {min(times):6.3f} s  ({count:,} results)")


def run(source: CorpusSource, units: Sequence[int]) -> None:
    print(f"corpus: {source.token_count:,} tokens, {len(source.doc_starts) - 1:,} documents")
    timed(f"search units {list(units)} >= 0.5", lambda: find_spans(
        source, "h", 0, "fwd", units, 0.5))
    timed(f"search units {list(units)} >= 0.5, min length 5, limit 100", lambda: find_spans(
        source, "h", 0, "fwd", units, 0.5, min_length=5, limit=100))
    timed(f"top 20 of unit {units[0]}", lambda: top_activations(source, "h", 0, "fwd",
                                                                units[0], 20))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=10_000_000)
    parser.add_argument("--corpus", type=Path, help="a real index to time instead")
    options = parser.parse_args()
    if options.corpus is not None:
        from rnnstudio.io.corpus_reader import open_corpus

        run(open_corpus(options.corpus), SEARCHED)
        return
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        source = build(Path(folder), options.tokens)
        print(f"built a sparse float16 memmap ({UNITS} x {options.tokens:,}) in "
              f"{time.perf_counter() - began:.1f} s")
        run(source, SEARCHED)


if __name__ == "__main__":
    main()
