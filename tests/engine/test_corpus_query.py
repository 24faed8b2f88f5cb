"""Corpus queries against brute force: spans equal a plain scan of each document's
``model.trace``, top-k equals a full sort, chunk sizes change nothing, spans never cross
documents; ArrayCorpus holds exactly the traces' values."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from rnnstudio.engine.corpus_query import (
    ArrayCorpus,
    Span,
    check_query,
    find_spans,
    search_spans,
    top_activations,
)
from rnnstudio.engine.model import Model, random_model
from rnnstudio.engine.saturation import trace_saturation
from rnnstudio.engine.tokenizers import Tokenizer
from rnnstudio.engine.trajectory import model_fingerprint
from rnnstudio.errors import Cancelled, ConfigError
from rnnstudio.io.model_files import load_model
from rnnstudio.models_index import find_model

WORD_TEXTS = ("the cat sat on the mat", "", "a dog barked at the moon and the cat ran",
              "the cat sat on the mat", "quiet", "seven wizards hex the jolly brown cat "
              "while the dog sleeps and the fox jumps over it")
BRACKETS = ("(()(()))()", "((()))", "()()()", "(()((())))()", "((", "((()))", ")(", "(((())))")
CHAR_TEXTS = ("the cat sat on the mat .", "a bird ran to the park .", "the cat sat on the mat .",
              "to the park a dog ran .")


@cache
def shipped(name: str) -> Model:
    return load_model(str(find_model(name).path))


def _random(cell: str) -> Model:
    return random_model(cell, 6, num_layers=2, bidirectional=True, seed=3, gain=2.0,
                        tokenizer=Tokenizer("word"))


def brute_spans(model: Model, texts, quantity, layer, direction, units, threshold,
                min_length=1) -> list[Span]:
    """Every maximal run, one token at a time over each document's own trace."""
    spans, offset = [], 0
    for doc, text in enumerate(texts):
        tokens = model.tokenizer.split(text)
        if not tokens:
            continue
        values = model.trace(text, loss=None, jacobian=False).layers[
            layer, direction].quantities()[quantity]
        run_start = None
        for position in range(len(tokens) + 1):
            on = position < len(tokens) and all(values[position, u] >= threshold
                                                for u in units)
            if on and run_start is None:
                run_start = position
            if not on and run_start is not None:
                floor = min(float(np.float32(values[t, u])) for t in range(run_start, position)
                            for u in units)
                if position - run_start >= min_length:
                    spans.append(Span(doc, run_start, position, offset + run_start,
                                      position - run_start, floor))
                run_start = None
        offset += len(tokens)
    return sorted(spans, key=lambda span: (-span.length, -span.score, span.corpus_start))


CASES = [  # model, texts, quantity, layer, direction, units, threshold
    (lambda: shipped("brackets-lstm"), BRACKETS, "h", 0, "fwd", (7, 21), 0.3),
    (lambda: shipped("brackets-lstm"), BRACKETS, "c", 0, "fwd", (3,), -0.5),
    (lambda: shipped("charlm-lstm"), CHAR_TEXTS, "h", 0, "fwd", (0, 5), -0.2),
    (lambda: _random("rnn"), WORD_TEXTS, "h", 1, "bwd", (0, 2), -0.1),
    (lambda: _random("lstm"), WORD_TEXTS, "f", 0, "bwd", (1, 4), 0.45),
    (lambda: _random("gru"), WORD_TEXTS, "z", 1, "fwd", (5,), 0.5),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_spans_equal_a_scan_of_each_documents_trace(case) -> None:
    make, texts, quantity, layer, direction, units, threshold = CASES[case]
    model = make()
    corpus = ArrayCorpus.from_texts(model, texts, quantities=(quantity,))
    expected = brute_spans(model, texts, quantity, layer, direction, units, threshold)
    assert len(expected) >= 3  # the case has spans to rank
    for chunk in (1, 2, 3, 7, 1 << 20):
        assert find_spans(corpus, quantity, layer, direction, units, threshold,
                          chunk_tokens=chunk) == expected
    longer = [span for span in expected if span.length >= 2]
    assert find_spans(corpus, quantity, layer, direction, units, threshold, min_length=2,
                      limit=3, chunk_tokens=2) == longer[:3]
    cut = search_spans(corpus, quantity, layer, direction, units, threshold, min_length=2,
                       limit=2, chunk_tokens=3)
    assert (cut.spans, cut.total) == (longer[:2], len(longer))


def test_spans_never_cross_documents() -> None:
    """Documents that are "on" end to end stay separate spans, whatever the chunks."""
    model = _random("rnn")
    corpus = ArrayCorpus.from_texts(model, WORD_TEXTS)
    spans = find_spans(corpus, "h", 0, "fwd", [0], -2.0, chunk_tokens=4)  # every token is on
    lengths = np.diff(corpus.doc_starts)
    assert [(span.document, span.start, span.stop) for span in spans] == sorted(
        ((doc, 0, int(size)) for doc, size in enumerate(lengths) if size),
        key=lambda item: (-item[2], item[0]))
    assert all(span.corpus_start == corpus.doc_starts[span.document] for span in spans)


@pytest.mark.parametrize("lowest", [False, True])
@pytest.mark.parametrize("case", [0, 2, 4])
def test_top_activations_equal_a_full_sort(case, lowest) -> None:
    make, texts, quantity, layer, direction, units, _ = CASES[case]
    model = make()
    corpus = ArrayCorpus.from_texts(model, texts, quantities=(quantity,))
    values = corpus.values(quantity, layer, direction, [units[0]])[0]
    order = sorted(range(len(values)), key=lambda n: (values[n] if lowest else -values[n], n))
    for k in (1, 5, len(values), len(values) + 3):
        for chunk in (1, 3, 1 << 20):
            found = top_activations(corpus, quantity, layer, direction, units[0], k, lowest,
                                    chunk_tokens=chunk)
            assert [hit.corpus_position for hit in found] == order[:k]
            assert [hit.value for hit in found] == [float(values[n]) for n in order[:k]]
    for hit in found:
        trace = model.trace(texts[hit.document], loss=None, jacobian=False)
        stored = trace.layers[layer, direction].quantities()[quantity][hit.position, units[0]]
        assert hit.value == float(np.float32(stored))


def test_top_activations_keep_ties_in_corpus_order() -> None:
    """Repeated documents give equal values: the earlier copy comes first."""
    model = shipped("brackets-lstm")
    texts = ("(())", "(())", "(())")
    corpus = ArrayCorpus.from_texts(model, texts)
    found = top_activations(corpus, "h", 0, "fwd", 7, k=3, chunk_tokens=2)
    assert [hit.document for hit in found] == [0, 1, 2]
    assert len({hit.value for hit in found}) == 1 and len({hit.position for hit in found}) == 1


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_array_corpus_holds_each_documents_trace(cell) -> None:
    model = _random(cell)
    quantities = {"rnn": ("h",), "lstm": ("h", "c", "i", "g"), "gru": ("h", "r", "n")}[cell]
    corpus = ArrayCorpus.from_texts(model, WORD_TEXTS, quantities=quantities)
    assert corpus.quantities == quantities
    assert corpus.keys == ((0, "fwd"), (0, "bwd"), (1, "fwd"), (1, "bwd"))
    assert corpus.fingerprint == model_fingerprint(model.params)
    assert corpus.joiner == " "
    assert corpus.doc_starts.dtype == np.int64 and corpus.doc_starts[0] == 0
    assert corpus.token_count == corpus.doc_starts[-1] == sum(
        len(model.tokenizer.split(text)) for text in WORD_TEXTS)
    traces = {doc: model.trace(text, loss=None, jacobian=False)
              for doc, text in enumerate(WORD_TEXTS) if text}
    for doc, trace in traces.items():
        assert corpus.document_tokens(doc) == model.tokenizer.split(WORD_TEXTS[doc])
        assert corpus.document_text(doc) == WORD_TEXTS[doc]
        first, last = corpus.doc_starts[doc], corpus.doc_starts[doc + 1]
        for (layer, direction) in corpus.keys:
            for name in quantities:
                recorded = trace.layers[layer, direction].quantities()[name]
                units = list(range(recorded.shape[1]))[::-1]
                stored = corpus.values(name, layer, direction, units, first, last)
                assert stored.dtype == np.float32 and stored.shape == (len(units), last - first)
                np.testing.assert_array_equal(stored, recorded[:, units].T.astype(np.float32))
    expected = None
    for trace in traces.values():
        counted = trace_saturation(trace)
        expected = counted if expected is None else expected.merged(counted)
    assert corpus.saturation is not None and expected is not None
    assert (corpus.saturation.steps, corpus.saturation.texts) == (expected.steps, len(traces))
    for key in expected.keys:
        np.testing.assert_array_equal(corpus.saturation.left_counts[key],
                                      expected.left_counts[key])


def test_char_corpus_joins_without_spaces_and_relu_has_no_saturation() -> None:
    assert ArrayCorpus.from_texts(shipped("charlm-lstm"), CHAR_TEXTS[:1]).joiner == ""
    relu = random_model("rnn", 4, nonlinearity="relu")
    assert ArrayCorpus.from_texts(relu, ["a b c"]).saturation is None


@pytest.mark.parametrize(("arguments", "argument"), [
    (("x", 0, "fwd", [1]), "quantity"), (("h", 2, "fwd", [1]), "layer"),
    (("h", 0, "up", [1]), "direction"), (("h", 0, "fwd", [6]), "units"),
    (("h", 0, "fwd", [-1]), "units"), (("h", 0, "fwd", []), "units"),
    (("h", 0, "fwd", [1, 1]), "units"), (("h", 0, "fwd", [True]), "units")])
def test_bad_queries_name_the_argument(arguments, argument) -> None:
    corpus = ArrayCorpus.from_texts(random_model("gru", 6, num_layers=2), ["a b c"])
    with pytest.raises(ConfigError) as caught:
        check_query(corpus, *arguments)
    assert caught.value.argument == argument
    assert check_query(corpus, "h", 1, "fwd", [5, 0]) == (5, 0)


@pytest.mark.parametrize(("keywords", "argument"), [
    ({"threshold": float("nan")}, "threshold"), ({"min_length": 0}, "min_length"),
    ({"limit": 0}, "limit")])
def test_bad_search_settings_are_refused(keywords, argument) -> None:
    corpus = ArrayCorpus.from_texts(random_model("gru", 6), ["a b c"])
    settings = {"threshold": 0.5, **keywords}
    with pytest.raises(ConfigError) as caught:
        find_spans(corpus, "h", 0, "fwd", [1], **settings)
    assert caught.value.argument == argument
    with pytest.raises(ConfigError, match="k must be"):
        top_activations(corpus, "h", 0, "fwd", 1, k=0)


def test_queries_report_progress_and_stop_when_asked() -> None:
    corpus = ArrayCorpus.from_texts(_random("gru"), WORD_TEXTS)
    seen: list[tuple[int, int]] = []
    find_spans(corpus, "h", 0, "fwd", [0], 0.0, chunk_tokens=10,
               on_progress=lambda done, total: seen.append((done, total)))
    total = corpus.token_count
    assert seen == [(min(stop, total), total) for stop in range(10, total + 10, 10)]
    with pytest.raises(Cancelled):
        top_activations(corpus, "h", 0, "fwd", 0, should_stop=lambda: True)
