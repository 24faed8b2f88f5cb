"""LSTMVis's brush rule against a direct check per unit, the context of a hit, and the
rule's claim on a real model: units brushed on one nested span fire on the nested spans
of other texts (brackets-lstm tracks nesting depth >= 2 exactly)."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine.corpus_query import ArrayCorpus, find_spans
from rnnstudio.engine.corpus_query_brush import (
    BRUSH_AFTER,
    BRUSH_BEFORE,
    BRUSH_THRESHOLD,
    brush_rule,
    brush_units,
)
from rnnstudio.engine.corpus_query_context import context
from rnnstudio.errors import ConfigError

from .test_corpus_query import WORD_TEXTS, _random, shipped


def direct_brush(values, start, stop, threshold, before, after) -> list[int]:
    """One unit at a time, one position at a time."""
    chosen = []
    for unit in range(values.shape[1]):
        inside = all(values[t, unit] >= threshold for t in range(start, stop))
        outside = [t for t in range(start - before, start) if t >= 0] + [
            t for t in range(stop, stop + after) if t < len(values)]
        if inside and all(values[t, unit] < threshold for t in outside):
            chosen.append(unit)
    return chosen


def test_brush_equals_a_direct_check_per_unit() -> None:
    rng = np.random.default_rng(0)
    values = rng.uniform(-1, 1, size=(12, 40)).astype(np.float32)
    values[3:6, :20] = 0.8  # many units on over the span, some off around it
    values[3:6, 20:30] = -0.9
    values[2, :10] = -0.5
    values[2, 10:20] = 0.9
    values[6, 5:15] = -0.5
    values[7, 5:8] = np.nan
    seen = set()
    for start, stop in ((3, 6), (0, 2), (10, 12), (4, 5), (0, 12)):
        for threshold in (0.0, 0.3, 0.75):
            for before, after in ((0, 0), (1, 0), (1, 1), (2, 3), (12, 12)):
                found = brush_units(values, start, stop, threshold, before, after)
                assert found == direct_brush(values, start, stop, threshold, before, after)
                seen.add(len(found))
    assert len(seen) > 4  # the cases select different numbers of units
    assert brush_units(values, 3, 6, 0.3, 1, 0) == list(range(10))


def test_brush_defaults_are_lstmvis_s() -> None:
    assert (BRUSH_THRESHOLD, BRUSH_BEFORE, BRUSH_AFTER) == (0.3, 1, 0)
    assert "0.3" in brush_rule(0.3, 1, 0) and "LSTMVis" in brush_rule(0.3, 1, 0)


@pytest.mark.parametrize(("start", "stop", "argument"), [
    (5, 5, "stop"), (-1, 2, "start"), (0, 13, "stop"), (12, 13, "start")])
def test_brush_outside_the_text_is_refused(start, stop, argument) -> None:
    with pytest.raises(ConfigError) as caught:
        brush_units(np.zeros((12, 3)), start, stop)
    assert caught.value.argument == argument


def test_context_stays_inside_the_document_and_marks_the_hit() -> None:
    corpus = ArrayCorpus.from_texts(_random("gru"), WORD_TEXTS)
    around = context(corpus, 2, 3, 5, before=2, after=20)
    assert (around.before, around.hit, around.after) == ("dog barked", "at the",
                                                         "moon and the cat ran")
    assert around.marked() == "…dog barked [at the] moon and the cat ran"
    char = ArrayCorpus.from_texts(shipped("brackets-lstm"), ["(()(()))()", "((()))"])
    assert context(char, 1, 0, 2, after=1).marked("<", ">") == "<((>(…"
    with pytest.raises(ConfigError, match="stop"):
        context(char, 1, 0, 7)


def _balanced(rng: np.random.Generator, pairs: int) -> str:
    text, depth = "", 0
    while len(text) + depth < 2 * pairs or depth:
        opens = depth == 0 or (len(text) + depth < 2 * pairs and rng.random() < 0.5)
        text, depth = text + ("(" if opens else ")"), depth + (1 if opens else -1)
    return text


def _depth(text: str) -> np.ndarray:
    return np.cumsum([1 if char == "(" else -1 for char in text])


@pytest.mark.parametrize(("brushed", "start", "stop"), [
    ("(()((())))()", 3, 8), ("(()((())))()", 1, 2), ("((()))", 1, 4), ("()(((())))", 3, 8)])
def test_units_brushed_on_nesting_fire_on_nesting_elsewhere(brushed, start, stop) -> None:
    """Brush the tokens at depth >= 2 (with LSTMVis's defaults: on at threshold 0.3, off
    at the one token before, at depth 1): the units chosen are on exactly over the
    depth >= 2 runs of 300 other balanced strings (lengths 4-24, as the model was
    trained on): every span found is at depth >= 2 and every such token is in one."""
    model = shipped("brackets-lstm")
    assert _depth(brushed)[start:stop].min() >= 2 and _depth(brushed)[start - 1] == 1
    hidden = model.trace(brushed, loss=None, jacobian=False).layers[0, "fwd"].h
    units = brush_units(hidden, start, stop)
    assert units == [7, 21, 24]
    rng = np.random.default_rng(1)
    texts = [_balanced(rng, int(rng.integers(2, 13))) for _ in range(300)]
    corpus = ArrayCorpus.from_texts(model, texts)
    spans = find_spans(corpus, "h", 0, "fwd", units, BRUSH_THRESHOLD)
    found = [np.zeros(len(text), dtype=bool) for text in texts]
    for span in spans:
        found[span.document][span.start:span.stop] = True
    deep = [_depth(text) >= 2 for text in texts]
    assert sum(int(mask.sum()) for mask in deep) > 1000
    assert all(np.array_equal(mask, expected) for mask, expected in zip(found, deep, strict=True))
