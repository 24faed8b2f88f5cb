"""WordPiece fallback of the ``word`` tokenizer (``subwords=True``): unknown words split
greedy longest-match-first into the vocabulary's pieces, as BERT's WordPiece does."""

from __future__ import annotations

import time

import pytest

from rnnstudio.engine.tokenizers import Tokenizer, word_pieces
from rnnstudio.errors import ConfigError
from rnnstudio.limits import MAX_PIECE_WORD_CHARS

VOCABULARY = ("<unk>", "disappoint", "disappointing", "the", "un", "##ing", "##ly", "##s",
              "##ed", "##happy", "happy", "box", "##es", "!")


@pytest.fixture
def tokenizer() -> Tokenizer:
    return Tokenizer("word", VOCABULARY, subwords=True)


@pytest.mark.parametrize(("text", "expected"), [
    # longest first piece wins: "disappointing" is known, so "##ly" is all that is left
    ("Disappointingly", ["disappointing", "##ly"]),
    ("disappoints", ["disappoint", "##s"]),
    ("disappointed!", ["disappoint", "##ed", "!"]),
    ("boxes", ["box", "##es"]),
    ("unhappy", ["un", "##happy"]),
    # a known word is never split, even where pieces would fit
    ("disappointing the box", ["disappointing", "the", "box"]),
    # no split: the rest "x" starts no piece, so the WHOLE word stays (and is unknown)
    ("thex boxy", ["thex", "boxy"]),
])
def test_unknown_words_split_into_the_longest_known_pieces(
        tokenizer: Tokenizer, text: str, expected: list[str]) -> None:
    assert tokenizer.split(text) == expected


def test_pieces_get_their_own_rows_and_only_unsplittable_words_are_unknown(
        tokenizer: Tokenizer) -> None:
    encoded = tokenizer.encode(tokenizer.split("disappointingly thex"))
    assert encoded.tokens == ["disappointing", "##ly", "thex"]
    assert list(encoded.ids) == [2, 6, 0]
    assert encoded.unknown == [2]


def test_the_textbook_example_with_bert_like_pieces() -> None:
    """"disappointingly" -> "disappoint" "##ing" "##ly" when only the stem is known."""
    vocabulary = {"disappoint", "##ing", "##ly"}
    assert word_pieces("disappointingly", vocabulary) == ["disappoint", "##ing", "##ly"]


def test_a_known_word_can_be_forced_into_pieces() -> None:
    vocabulary = frozenset(VOCABULARY)
    assert word_pieces("disappointing", vocabulary) == ["disappointing"]
    assert word_pieces("disappointing", vocabulary, whole=False) == ["disappoint", "##ing"]
    assert word_pieces("box", vocabulary, whole=False) is None


def test_without_subwords_nothing_is_split() -> None:
    plain = Tokenizer("word", VOCABULARY)
    assert plain.split("disappointingly") == ["disappointingly"]
    assert plain.encode(["disappointingly"]).unknown == [0]


def test_a_very_long_word_is_not_split_and_costs_no_time(tokenizer: Tokenizer) -> None:
    word = "un" + "happy" * 40_000  # 200,002 letters: n^2/2 look-ups would take minutes
    started = time.perf_counter()
    assert tokenizer.split(word) == [word]
    assert time.perf_counter() - started < 1.0
    longest = "un" + "happy" * ((MAX_PIECE_WORD_CHARS - 2) // 5)
    assert len(tokenizer.split(longest)) == (MAX_PIECE_WORD_CHARS - 2) // 5 + 1


@pytest.mark.parametrize(("kind", "vocabulary", "needle"), [
    ("word", ("<unk>", "the", "box"), "no continuation piece"),
    ("word", ("<unk>", "##"), "no continuation piece"),  # a bare prefix is no piece
    ("char", ("<unk>", "a", "##s"), "char tokenizer has no words"),
    ("word", None, "need a vocabulary"),
])
def test_subwords_are_refused_where_they_could_never_split(
        kind: str, vocabulary: tuple[str, ...] | None, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle) as caught:
        Tokenizer(kind, vocabulary, subwords=True)
    assert caught.value.argument in ("subwords", "unk")


def test_subwords_must_be_a_flag() -> None:
    with pytest.raises(ConfigError, match="subwords"):
        Tokenizer("word", VOCABULARY, subwords="yes")  # type: ignore[arg-type]


def test_the_switch_round_trips_and_is_written_only_when_on(tokenizer: Tokenizer) -> None:
    data = tokenizer.to_dict()
    assert data["subwords"] is True
    again = Tokenizer.from_dict(data)
    assert again == tokenizer
    assert again.split("disappointingly") == ["disappointing", "##ly"]
    assert "subwords" not in Tokenizer("word", VOCABULARY).to_dict()  # old readers
    assert Tokenizer.from_dict({"kind": "word", "vocabulary": list(VOCABULARY)}).subwords \
        is False
