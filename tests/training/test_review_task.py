"""The ``reviews`` task: thousands of everyday words plus pieces, one length a batch,
and neutral words, negations and punctuation drawn alike for both classes."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from rnnstudio.engine import review_words
from rnnstudio.engine.review_task import PIECES, review, review_vocabulary
from rnnstudio.engine.tasks import make_task
from rnnstudio.engine.tokenizers import UNK
from rnnstudio.engine.training import TrainConfig, model_config_for
from rnnstudio.errors import ConfigError


def counts_by_label(task_options: dict[str, int], batches: int = 150) -> list[Counter[str]]:
    task = make_task("reviews", **task_options)
    rng = np.random.default_rng(11)
    counts: list[Counter[str]] = [Counter(), Counter()]
    for _ in range(batches):
        batch = task.sample(rng, 32)
        assert batch.targets is not None
        for tokens, label in zip(batch.tokens, batch.targets, strict=True):
            counts[int(label)].update(tokens)
    return counts


def test_the_vocabulary_has_thousands_of_words_and_the_pieces() -> None:
    vocabulary = review_vocabulary()
    assert vocabulary[0] == UNK
    assert len(vocabulary) == len(set(vocabulary)) > 2000
    assert set(PIECES) <= set(vocabulary)
    assert {"cereal", "breakfast", "battery", "amazing", "terrible", "perfectly",
            "definitely", "absolutely", "never", "wasn't", "although"} <= set(vocabulary)
    assert vocabulary == make_task("reviews").vocabulary()  # the same tuple every time


def test_the_model_a_run_trains_splits_unknown_words_into_pieces() -> None:
    tokenizer = model_config_for(TrainConfig(task="reviews", steps=1),
                                 make_task("reviews")).tokenizer
    assert tokenizer.subwords
    assert "disappointingly" not in tokenizer.vocabulary
    assert tokenizer.split("Disappointingly loud") == ["disappointing", "##ly", "loud"]


def test_labels_are_balanced_and_neutral_words_say_nothing() -> None:
    """The words the primer says a reader lets fade, negations and punctuation are
    about as frequent in negative reviews as in positive ones (within 25%)."""
    negative, positive = counts_by_label({})
    assert 0.9 < sum(positive.values()) / sum(negative.values()) < 1.1
    for word in ("this", "gave", "all", "!", ".", ",", "but", "although", "not",
                 "doesn't"):
        ratio = positive[word] / negative[word]
        assert 0.75 < ratio < 1.33, f"{word!r}: {positive[word]} vs {negative[word]}"
    # Adjectives lean to their class, not more: "not bad", "wasn't amazing" and the
    # weaker clause of "X but Y" put them in the other class too (measured 1.5-1.7).
    for lean, words in ((positive, review_words.POSITIVE), (negative, review_words.NEGATIVE)):
        other = negative if lean is positive else positive
        assert sum(lean[w] for w in words) > 1.4 * sum(other[w] for w in words)


def test_pieces_and_unknown_tokens_are_shown_at_their_rates() -> None:
    plain = counts_by_label({"piece_percent": 0, "unk_percent": 0}, 40)
    assert not any(token.startswith("##") or token == UNK
                   for counts in plain for token in counts)
    noisy = counts_by_label({"piece_percent": 50, "unk_percent": 10}, 40)
    total = sum(sum(counts.values()) for counts in noisy)
    unknown = sum(counts[UNK] for counts in noisy)
    assert 0.07 < unknown / total < 0.13
    assert sum(counts["##ed"] + counts["##s"] for counts in noisy) > 100


def test_the_cereal_review_is_one_the_grammar_can_write() -> None:
    """The primer's review, word for word, is made of the grammar's clauses: found
    among its neutral clauses, repurchase intents and noun phrases."""
    assert "as all things should be" in review_words.NEUTRAL_CLAUSES
    assert "i only ate half of it" in review_words.NEUTRAL_CLAUSES
    assert ("will definitely be buying again", 1, 3) in review_words.REPURCHASE
    assert {"cereal", "breakfast"} <= set(review_words.PRODUCTS)
    assert review_words.POSITIVE["balanced"] >= 1 and "perfectly" in \
        review_words.INTENSIFIERS


def test_reviews_are_reproducible_and_short_enough() -> None:
    first = [review(random.Random(5), label, 4) for label in (0, 1)]
    again = [review(random.Random(5), label, 4) for label in (0, 1)]
    assert first == again
    task = make_task("reviews")
    batch = task.sample(np.random.default_rng(3), 64)
    assert len(batch.tokens[0]) <= task.longest
    assert task.at_difficulty(0.0).max_sentences == 2
    assert task.at_difficulty(1.0) == task


@pytest.mark.parametrize(("option", "value"), [("max_sentences", 0), ("piece_percent", 101),
                                               ("unk_percent", -1), ("max_sentences", 9)])
def test_options_out_of_range_are_refused(option: str, value: int) -> None:
    with pytest.raises(ConfigError, match=option):
        make_task("reviews", **{option: value})
