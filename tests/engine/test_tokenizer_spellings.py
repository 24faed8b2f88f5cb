"""The unknown and padding tokens as vocabularies spell them, and the ``whitespace``
tokenizer (issue 12: ``[UNK]`` / ``<UNK>`` vocabularies were refused)."""

from __future__ import annotations

import pytest

from rnnstudio.engine.tokenizers import UNK_SPELLINGS, Tokenizer
from rnnstudio.errors import ConfigError


@pytest.mark.parametrize("spelling", UNK_SPELLINGS)
def test_every_unknown_spelling_is_found_and_used(spelling: str) -> None:
    tokenizer = Tokenizer("word", ("the", spelling, "cat"))
    assert tokenizer.unk == spelling
    encoded = tokenizer.encode(tokenizer.split("the dog, the cat"))
    assert list(encoded.ids) == [0, 1, 1, 0, 2]
    assert encoded.unknown == [1, 2]
    assert "unk" not in tokenizer.to_dict()  # found again on reading: nothing to write


def test_a_named_unknown_token_wins_and_round_trips() -> None:
    tokenizer = Tokenizer("word", ("oov", "<unk>", "a"), unk="oov")
    assert list(tokenizer.encode(["zzz"]).ids) == [0]
    data = tokenizer.to_dict()
    assert data["unk"] == "oov"
    assert Tokenizer.from_dict(data) == tokenizer
    assert Tokenizer.from_dict(data).unk == "oov"


def test_old_dicts_without_unk_still_load() -> None:
    tokenizer = Tokenizer.from_dict({"kind": "char", "vocabulary": ["<unk>", "a"],
                                     "lowercase": True})
    assert (tokenizer.unk, tokenizer.pad) == ("<unk>", None)


def test_no_unknown_token_is_one_line_naming_the_spellings_and_the_option() -> None:
    with pytest.raises(ConfigError) as info:
        Tokenizer("word", ("a", "b"))
    message = str(info.value)
    assert "\n" not in message and "'[UNK]'" in message and "--unk" in message
    assert info.value.argument == "unk"


@pytest.mark.parametrize("name", ["unk", "pad"])
def test_a_named_token_missing_from_the_vocabulary_is_refused(name: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{name} 'zz' is not in the vocabulary"):
        Tokenizer("word", ("<unk>", "a"), **{name: "zz"})


def test_padding_is_found_recorded_and_never_produced_by_text() -> None:
    tokenizer = Tokenizer("whitespace", ("[PAD]", "[UNK]", "hi"))
    assert (tokenizer.unk, tokenizer.pad) == ("[UNK]", "[PAD]")
    assert list(tokenizer.encode(tokenizer.split("hi there")).ids) == [2, 1]
    named = Tokenizer("word", ("_", "<unk>"), pad="_")
    assert named.to_dict()["pad"] == "_" and Tokenizer.from_dict(named.to_dict()).pad == "_"


def test_whitespace_keeps_punctuation_attached_and_word_splits_it() -> None:
    text = "Don't   stop,\tbelieving!"
    assert Tokenizer("whitespace").split(text) == ["don't", "stop,", "believing!"]
    assert Tokenizer("word").split(text) == ["don't", "stop", ",", "believing", "!"]
    assert Tokenizer("whitespace", lowercase=False).split(text)[0] == "Don't"


def test_an_open_vocabulary_has_no_unknown_token() -> None:
    assert Tokenizer("word").unk is None
    with pytest.raises(ConfigError, match="open vocabulary"):
        Tokenizer("word", None, unk="<unk>")
