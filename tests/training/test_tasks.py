"""The generated tasks: labels follow the stated rule, batches are well-formed."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine.tasks import (
    ALLERGIES,
    FACT_PHRASES,
    IDIOMS,
    NAMES,
    NEGATIVE,
    POSITIVE,
    QUESTIONS,
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


def _last_fact(words: list[str]) -> str:
    """The allergen of the last stated fact: the first allergen after the last name
    (mentions sit in the gaps, after their fact's allergen)."""
    last_name = max(k for k, w in enumerate(words) if w in dict(NAMES))
    return next(w for w in words[last_name:] if w in ALLERGIES)


def test_recall_label_is_the_dish_of_the_fact_and_templates_vary() -> None:
    task = make_task("recall")
    cues, phrases = set(), set()
    rng = np.random.default_rng(5)
    for words, label in ((words, label) for _ in range(30) for batch in [task.sample(rng, 20)]
                         for words, label in zip(batch.tokens, batch.targets, strict=True)):
        assert task.labels[label] == ALLERGIES[_last_fact(words)]
        name = next(k for k, w in enumerate(words) if w in dict(NAMES))
        phrases.add(" ".join(words[name + 1 : words.index(_last_fact(words))]))
        cues.add(next(q for q in QUESTIONS
                      if words[-len(q.split()):] == [dict(NAMES)[words[name]]
                                                     if w == "she" else w for w in q.split()]))
    assert phrases == set(FACT_PHRASES) and cues == set(QUESTIONS)


def test_gap_zero_is_the_primers_sentence() -> None:
    """"alice is allergic to nuts . she can't eat" is one of the task's sentences at gap 0:
    no lead-in, the question right after the fact."""
    task = make_task("recall", min_gap=0, max_gap=0)
    rng = np.random.default_rng(7)
    seen = {" ".join(words) for _ in range(400) for words in task.sample(rng, 50).tokens}
    assert "alice is allergic to nuts . she can't eat" in seen
    assert "peanut butter" in task.labels and "can't" in task.vocabulary()


@pytest.mark.parametrize("name", ["recall", "overwrite"])
def test_recall_longest_is_reached_by_the_longest_templates(name: str) -> None:
    task = make_task(name, min_gap=3, max_gap=3)
    rng = np.random.default_rng(8)
    lengths = {len(task.sample(rng, 1).tokens[0]) for _ in range(300)}
    assert max(lengths) == task.longest and min(lengths) < task.longest


def test_overwrite_asks_for_the_second_fact_with_its_pronoun() -> None:
    task = make_task("overwrite", min_gap=2, max_gap=2)
    batch = task.sample(np.random.default_rng(6), 200)
    for words, label in zip(batch.tokens, batch.targets, strict=True):
        names = [w for w in words if w in dict(NAMES)]
        allergens = [w for w in words if w in ALLERGIES]
        assert len(names) == 2 and names[0] != names[1] and allergens[0] != allergens[1]
        assert task.labels[label] == ALLERGIES[allergens[1]]
        assert dict(NAMES)[names[1]] in words[-6:]


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
    assert max(lengths) == easy.longest == 12 + easy.max_gap
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
