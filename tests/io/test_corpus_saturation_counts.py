"""Corpus-wide saturation counts of big batches (hundreds of padded rows, counted in
blocks of 255) equal the merged counts of each document's own trace."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnstudio.engine.model import random_model
from rnnstudio.engine.saturation import trace_saturation
from rnnstudio.io.corpus_index import index_corpus
from rnnstudio.io.corpus_reader import open_corpus
from rnnstudio.io.corpus_settings import CorpusSettings

WORDS = ("the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "far")


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_counts_of_batches_of_40_documents_equal_the_traces_counts(
        tmp_path: Path, cell: str) -> None:
    rng = np.random.default_rng(4)
    paragraphs = [" ".join(rng.choice(WORDS, size=n)) for n in rng.integers(1, 60, 90)]
    (tmp_path / "text.txt").write_text("\n\n".join(paragraphs) + "\n", "utf-8")
    model = random_model(cell, hidden_size=6, input_size=4, num_layers=2,
                         bidirectional=True, gain=8.0, seed=1)
    settings = CorpusSettings("h", batch_size=40)
    index_corpus(model, tmp_path / "text.txt", tmp_path / "c.rscorpus", settings)
    corpus = open_corpus(tmp_path / "c.rscorpus")
    traces = [model.trace(corpus.document_text(doc), loss=None, jacobian=False)
              for doc in range(len(corpus.doc_starts) - 1)]
    counted = trace_saturation(traces[0])
    for trace in traces[1:]:
        counted = counted.merged(trace_saturation(trace))
    assert corpus.saturation is not None
    assert corpus.saturation.to_dict() == counted.to_dict()
    # some unit is saturated on more than 255 tokens of one batch (a uint8 block limit)
    assert max(int(counts.max()) for counts in counted.right_counts.values()) > 600
