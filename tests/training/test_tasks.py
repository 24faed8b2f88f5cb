"""The generated tasks: labels follow the stated rule, batches are well-formed."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine.tasks import (
    ALLERGIES,
    IDIOMS,
    NEGATIVE,
    POSITIVE,
    TASKS,
    make_task,
    span_starts,
)
from rnnstudio.errors import ConfigError


@pytest.mark.parametrize("name", sorted(TASKS))
def test_batches_have_one_length_and_known_tokens(name: str) -> None:
    task = make_task(name)
    vocabulary = set(task.vocabulary())
    for seed in range(5):
        batch = task.sample(np.random.default_rng(seed), 16)
        assert len({len(seq) for seq in batch.tokens}) == 1
        assert {tok for seq in batch.tokens for tok in seq} <= vocabulary
        if task.kind in ("classify", "tag"):
            length = len(batch.tokens[0])
            assert batch.targets is not None
            assert batch.targets.shape == ((16,) if task.kind == "classify" else (length, 16))
            assert batch.targets.min() >= 0 and batch.targets.max() < len(task.labels)
        else:
            assert batch.targets is None


def test_brackets_label_is_balance() -> None:
    batch = make_task("brackets").sample(np.random.default_rng(3), 200)
    for chars, label in zip(batch.tokens, batch.targets, strict=True):
        depth, ok = 0, True
        for ch in chars:
            depth += 1 if ch == "(" else -1
            ok &= depth >= 0
        assert label == int(ok and depth == 0)
    assert 0.3 < batch.targets.mean() < 0.7


def test_adding_label_is_sum_of_marked_digits() -> None:
    batch = make_task("adding").sample(np.random.default_rng(4), 100)
    for words, label in zip(batch.tokens, batch.targets, strict=True):
        marked = [int(words[k + 1]) for k, w in enumerate(words) if w == "+"]
        assert len(marked) == 2 and label == sum(marked)


def test_recall_label_is_the_dish_of_the_first_allergen() -> None:
    task = make_task("recall")
    batch = task.sample(np.random.default_rng(5), 100)
    for words, label in zip(batch.tokens, batch.targets, strict=True):
        assert task.labels[label] == ALLERGIES[words[4]]
        assert words[-5:] == ["so", words[-4], "cannot", "eat", "the"]


def test_sentiment_label_flips_with_not() -> None:
    task = make_task("sentiment")
    seen_negated = set()
    for seed in range(20):
        batch = task.sample(np.random.default_rng(seed), 20)
        for words, label in zip(batch.tokens, batch.targets, strict=True):
            keyword = next(w for w in words if w in POSITIVE or w in NEGATIVE)
            negated = "not" in words
            seen_negated.add(negated)
            assert label == int((keyword in POSITIVE) != negated)
    assert seen_negated == {True, False}


def test_curriculum_shortens_sequences() -> None:
    task = make_task("recall")
    easy = task.at_difficulty(0.0)
    lengths = {len(easy.sample(np.random.default_rng(s), 2).tokens[0]) for s in range(20)}
    assert max(lengths) == 11 + easy.max_gap
    assert easy.max_gap == task.min_gap < task.max_gap


def test_unknown_task_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown task 'nope'"):
        make_task("nope")


def test_idiom_tags_follow_the_last_word_of_the_phrase() -> None:
    """Each sentence has one "<first> the <last>" phrase: its three words are tagged idiom
    when <last> is that idiom's word, literal otherwise; every other word is "other"."""
    task = make_task("idioms")
    endings = {first: idiom for first, idiom, _ in IDIOMS}
    tagged = {"idiom": 0, "literal": 0}
    for seed in range(10):
        batch = task.sample(np.random.default_rng(seed), 50)
        starts = span_starts(batch.targets)
        for b, words in enumerate(batch.tokens):
            tags = [task.labels[k] for k in batch.targets[:, b]]
            (start,) = np.flatnonzero(starts[:, b])
            first, the, last = words[start : start + 3]
            expected = "idiom" if endings[first] == last else "literal"
            assert the == "the" and tags[start : start + 3] == [expected] * 3
            assert set(tags[:start] + tags[start + 3 :]) <= {"other"}
            tagged[expected] += 1
    assert 0.4 < tagged["idiom"] / sum(tagged.values()) < 0.6


def test_words_before_the_phrase_do_not_tell_idiom_from_literal() -> None:
    """The lead-in is drawn independently of the tag: the same lead-ins precede idioms and
    literal uses, so only the words after "under" can settle it."""
    task = make_task("idioms")
    leads: dict[str, set[str]] = {"idiom": set(), "literal": set()}
    batch = task.sample(np.random.default_rng(0), 4000)
    for b, words in enumerate(batch.tokens):
        (start,) = np.flatnonzero(span_starts(batch.targets)[:, b])
        leads[task.labels[batch.targets[start, b]]].add(" ".join(words[: start + 2]))
    assert leads["idiom"] == leads["literal"]
