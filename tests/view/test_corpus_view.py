"""The rows the Corpus dock and the CLI show: each row's numbers are the query's, its
context is the document's own tokens around the hit; the description says what the
corpus holds and whether the open model made it."""

from __future__ import annotations

from rnnstudio.engine.corpus_query import ArrayCorpus, find_spans, top_activations
from rnnstudio.engine.model import random_model
from rnnstudio.engine.saturation import trace_saturation
from rnnstudio.engine.trajectory import model_fingerprint
from rnnstudio.view.corpus import (
    activation_rows,
    describe_corpus,
    fingerprint_line,
    model_matches,
    saturation_line,
    search_rule,
    span_rows,
)

TEXTS = ("the cat sat on the mat", "a dog barked at the moon and the cat ran", "quiet")


def _corpus() -> tuple[ArrayCorpus, object]:
    model = random_model("lstm", 6, seed=2, gain=2.0)
    return ArrayCorpus.from_texts(model, TEXTS, quantities=("h", "f")), model


def test_span_rows_carry_the_spans_and_their_context() -> None:
    corpus, _ = _corpus()
    spans = find_spans(corpus, "h", 0, "fwd", [0, 1], -0.3)
    rows = span_rows(corpus, spans, before=2, after=1)
    assert [row.rank for row in rows] == list(range(1, len(spans) + 1)) and len(rows) >= 2
    for row, span in zip(rows, spans, strict=True):
        assert (row.document, row.position, row.length, row.score) == (
            span.document, span.start, span.length, span.score)
        tokens = corpus.document_tokens(span.document)
        assert row.context.hit == " ".join(tokens[span.start:span.stop])
        assert row.context.before == " ".join(tokens[max(span.start - 2, 0):span.start])
        assert row.context.after == " ".join(tokens[span.stop:span.stop + 1])
        assert row.to_dict()["context"]["marked"] == row.context.marked()


def test_activation_rows_and_saturation_line() -> None:
    corpus, model = _corpus()
    hits = top_activations(corpus, "f", 0, "fwd", 3, k=4)
    rows = activation_rows(corpus, hits)
    assert [(row.document, row.position, row.score) for row in rows] == [
        (hit.document, hit.position, hit.value) for hit in hits]
    assert rows[0].where == f"doc {hits[0].document}, token {hits[0].position}"
    expected = trace_saturation(model.trace(TEXTS[0], loss=None, jacobian=False))
    for text in TEXTS[1:]:
        expected = expected.merged(trace_saturation(model.trace(text, loss=None,
                                                                jacobian=False)))
    line = saturation_line(corpus, "f", 0, "fwd", 3)
    left = expected.left_fraction((0, "fwd", "f"))[3]
    assert line is not None and f"left-saturated {left:.3f}" in line
    assert saturation_line(corpus, "h", 0, "fwd", 3) is None  # h of an LSTM is not counted


def test_description_and_fingerprint() -> None:
    corpus, model = _corpus()
    own = model_fingerprint(model.params)
    lines = describe_corpus(corpus, "tiny.rscorpus", own)
    assert lines[0] == "tiny.rscorpus: 3 documents, 17 tokens"
    assert lines[1] == "stores h, f of layer 0 fwd"
    assert "made with the open model" in lines[2] and model_matches(corpus, own)
    other = model_fingerprint(random_model("lstm", 6, seed=3).params)
    assert not model_matches(corpus, other) and not model_matches(corpus, None)
    assert "another model" in fingerprint_line(corpus, other)
    assert search_rule([3], 0.5, 2).startswith("spans of at least 2 tokens inside one "
                                               "document where unit 3 is >= 0.5; ranked longer")
