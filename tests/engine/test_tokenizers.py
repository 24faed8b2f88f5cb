"""Tokenizer rules (as documented in rnnstudio/engine/tokenizers.py), unknown tokens and
the hashed embedding's determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rnnstudio
from rnnstudio.engine.model import random_model
from rnnstudio.engine.tokenizers import UNK, Tokenizer
from rnnstudio.errors import TextError

from .cases import TEXT, TEXT_WITH_UNKNOWN, VOCABULARY


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Cat  sat.", ["the", "cat", "sat", "."]),
        ("Can't stop, won't stop!", ["can't", "stop", ",", "won't", "stop", "!"]),
        ("at 5 o'clock (sharp)", ["at", "5", "o'clock", "(", "sharp", ")"]),
        ("snake_case", ["snake", "_", "case"]),  # underscore is not a letter or digit
        ("dogs' bowls", ["dogs", "'", "bowls"]),  # apostrophe only joins inside a word
        ("Café naïve 3rd", ["café", "naïve", "3rd"]),  # Unicode letters are letters
        ("\t a \n\n b ", ["a", "b"]),
        ("--", ["-", "-"]),
    ],
)
def test_word_rule(text, expected):
    assert Tokenizer("word").split(text) == expected


def test_word_rule_can_keep_case():
    assert Tokenizer("word", lowercase=False).split("The Cat") == ["The", "Cat"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ab c", ["a", "b", " ", "c"]),
        ("  a \t\n b  ", ["a", " ", "b"]),  # a run of white space is one space; ends trimmed
        ("a,b", ["a", ",", "b"]),
    ],
)
def test_char_rule(text, expected):
    assert Tokenizer("char").split(text) == expected


def test_closed_vocabulary_maps_unknown_tokens_to_unk_and_reports_positions():
    tokenizer = Tokenizer("word", VOCABULARY)
    tokens = tokenizer.encode(tokenizer.split("The dog ate the rug ."))
    assert tokens.tokens == ["the", "dog", "ate", "the", "rug", "."]
    expected_ids = [
        VOCABULARY.index(t) if t in VOCABULARY else VOCABULARY.index(UNK) for t in tokens.tokens
    ]
    assert tokens.ids.tolist() == expected_ids
    assert tokens.ids.dtype == np.int64
    assert tokens.unknown == [2, 4, 5]


@pytest.mark.parametrize("vocabulary", [VOCABULARY, None], ids=["closed", "hashed"])
def test_id_array_gives_encodes_ids_from_any_iterable(vocabulary):
    """The trainer's one-pass lookup: the same ids as encode, unknowns to <unk> (or each
    token's hash), from a generator, with and without the count."""
    tokenizer = Tokenizer("word", vocabulary)
    tokens = tokenizer.split("The dog ate the rug . the the")
    expected = tokenizer.encode(tokens).ids
    assert len(set(expected.tolist())) >= 3  # unknowns and repeats both present
    for count in (len(tokens), -1):
        ids = tokenizer.id_array(iter(tokens), count)
        assert ids.dtype == np.int64
        np.testing.assert_array_equal(ids, expected)
    assert tokenizer.id_array([], 0).shape == (0,)


def test_model_and_trace_report_unknown_positions(vocab_model):
    tokens = vocab_model.tokenize(TEXT_WITH_UNKNOWN)
    unknown_positions = [
        i for i, word in enumerate(TEXT_WITH_UNKNOWN.split()) if word not in VOCABULARY
    ]
    assert tokens.unknown == unknown_positions
    trace = vocab_model.trace(TEXT_WITH_UNKNOWN, loss=None)
    assert trace.unknown == unknown_positions
    assert trace.tokens == TEXT_WITH_UNKNOWN.split()
    assert trace.token_ids[unknown_positions].tolist() == [VOCABULARY.index(UNK)] * len(
        unknown_positions
    )


def test_open_vocabulary_knows_every_word():
    model = random_model("gru", 4, input_size=3)
    tokens = model.tokenize("zyzzyva quux the")
    assert tokens.unknown == []
    assert len(set(tokens.ids.tolist())) == 3


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_is_refused(text):
    with pytest.raises(TextError):
        random_model("rnn", 4, input_size=3).tokenize(text)


def test_too_many_tokens_are_refused():
    from rnnstudio.engine.model import MAX_TOKENS

    model = random_model("rnn", 4, input_size=3)
    assert len(model.tokenize("a " * MAX_TOKENS).ids) == MAX_TOKENS
    with pytest.raises(TextError, match=str(MAX_TOKENS)):
        model.tokenize("a " * (MAX_TOKENS + 1))


def hashed_inputs(text: str, seed: int = 0, input_size: int = 6) -> dict[str, np.ndarray]:
    trace = random_model("lstm", 4, input_size=input_size, seed=seed).trace(text, loss=None)
    return {token: np.asarray(trace.x[i]) for i, token in enumerate(trace.tokens)}


def test_hashed_embedding_same_word_same_vector():
    trace = random_model("lstm", 4, input_size=6).trace(TEXT, loss=None)
    first, again = (i for i, token in enumerate(trace.tokens) if token == "the")
    np.testing.assert_array_equal(trace.x[first], trace.x[again])
    rows = {tuple(row) for row in np.asarray(trace.x)}
    assert len(rows) == len(set(trace.tokens))  # different words, different vectors


def test_hashed_embedding_is_shared_by_models_and_texts():
    one = hashed_inputs("the cat sat", seed=0)
    other = hashed_inputs("a cat, a dog", seed=123)
    np.testing.assert_array_equal(one["cat"], other["cat"])


def test_hashed_embedding_is_the_same_in_another_interpreter():
    """Not Python's salted hash(): a fresh process with another PYTHONHASHSEED agrees."""
    code = (
        "import json, numpy as np; from rnnstudio.engine.model import random_model;"
        "t = random_model('lstm', 4, input_size=6, seed=5).trace('the cat', loss=None);"
        "print(json.dumps(np.asarray(t.x, dtype=float).tolist()))"
    )
    root = str(Path(rnnstudio.__file__).resolve().parents[1])  # this checkout, installed or not
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": path}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    here = hashed_inputs("the cat")
    np.testing.assert_array_equal(
        np.array(json.loads(out.stdout)), np.stack([here["the"], here["cat"]])
    )


def test_hashed_embedding_has_unit_variance_per_component():
    words = " ".join(f"w{i}" for i in range(3000))
    x = np.asarray(random_model("rnn", 4, input_size=8).trace(words, loss=None).x, dtype=np.float64)
    # 3000 samples per component: the variance estimate's standard error is ~0.026.
    np.testing.assert_allclose(x.var(axis=0), 1.0, atol=0.13)
    np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=0.1)
