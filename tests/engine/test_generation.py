"""Generation: checked against the model's own trace of the written text, step by step."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from rnnstudio.engine.generation import END_SPELLINGS, generate, joined, tempered
from rnnstudio.engine.model import Model, ModelConfig, random_model
from rnnstudio.engine.tokenizers import Tokenizer
from rnnstudio.errors import ConfigError
from rnnstudio.io.model_files import load_model
from rnnstudio.models_index import find_model

CHAR_LMS = ("charlm-rnn", "charlm-lstm", "charlm-gru")
PROMPT = "the cat sat"


@cache
def shipped(name: str) -> Model:
    return load_model(str(find_model(name).path))


def word_model(vocabulary: tuple[str, ...], seed: int = 0, scale: float = 1.0) -> Model:
    """A random next-token GRU over a word ``vocabulary`` (embedding table and head)."""
    base = random_model("gru", 8, input_size=4, seed=seed)
    config = ModelConfig(base.config.recurrent, Tokenizer("word", vocabulary), "table",
                         "next-token")
    rng = np.random.default_rng(seed)
    params = {name: scale * rng.standard_normal(shape)
              for name, shape in config.expected_shapes().items()}
    return Model(config, params)


def written_logits(model: Model, generation) -> np.ndarray:
    """The logits (N, V) that chose each written token, from a trace of the whole text."""
    trace = model.trace(generation.all_tokens, loss=None)
    start = len(generation.prompt_tokens) - 1
    return np.asarray(trace.logits, dtype=np.float64)[start:start + len(generation.tokens)]


@pytest.mark.parametrize("name", CHAR_LMS)
def test_temperature_zero_is_the_greedy_argmax_of_the_traced_logits(name: str) -> None:
    model = shipped(name)
    generation = model.generate(PROMPT, length=60, temperature=0)
    logits = written_logits(model, generation)
    writable = np.array([t != "<unk>" for t in model.tokenizer.vocabulary])
    expected = np.where(writable, logits, -np.inf).argmax(axis=1)
    assert list(generation.token_ids) == list(expected)
    assert generation.text == PROMPT + "".join(generation.tokens)
    assert len(generation.tokens) == 60 and generation.stop_reason == "length"


@pytest.mark.parametrize("name", CHAR_LMS)
def test_probabilities_and_ranks_are_those_of_the_traced_logits(name: str) -> None:
    model = shipped(name)
    generation = model.generate(PROMPT, length=80, temperature=1.7, seed=3)
    logits = written_logits(model, generation)
    rows = np.arange(len(generation.tokens))
    expected = np.array([tempered(row, 1.7) for row in logits])[rows, generation.token_ids]
    np.testing.assert_allclose(generation.probabilities, expected, rtol=1e-5)
    chosen = logits[rows, generation.token_ids]
    assert list(generation.ranks) == list((logits > chosen[:, None]).sum(axis=1))
    assert generation.ranks.max() > 0  # at T = 1.7 not every draw is the top token


@pytest.mark.parametrize("name", CHAR_LMS)
@pytest.mark.parametrize("top_k", [1, 2, 3])
def test_top_k_never_writes_outside_the_k_largest_logits(name: str, top_k: int) -> None:
    model = shipped(name)
    generation = model.generate("a bird", length=150, temperature=5.0, top_k=top_k, seed=7)
    logits = written_logits(model, generation)
    writable = np.array([t != "<unk>" for t in model.tokenizer.vocabulary])
    logits = np.where(writable, logits, -np.inf)
    chosen = logits[np.arange(len(logits)), generation.token_ids]
    above = (logits > chosen[:, None]).sum(axis=1)
    assert above.max() < top_k
    if top_k > 1:  # at T = 5 the k-th token is drawn too: the limit is what held it
        assert above.max() == top_k - 1


@pytest.mark.parametrize("name", CHAR_LMS)
def test_a_seed_decides_the_text(name: str) -> None:
    model = shipped(name)
    first = model.generate(PROMPT, length=100, temperature=1.5, seed=11)
    again = model.generate(PROMPT, length=100, temperature=1.5, seed=11)
    other = model.generate(PROMPT, length=100, temperature=1.5, seed=12)
    assert first.text == again.text
    np.testing.assert_array_equal(first.probabilities, again.probabilities)
    assert other.text != first.text


def test_the_callback_sees_each_token_and_stop_keeps_what_was_written() -> None:
    model = shipped("charlm-lstm")
    seen: list[str] = []
    generation = generate(model, PROMPT, 50, seed=0, on_token=lambda w: seen.append(w.token),
                          should_stop=lambda: len(seen) >= 12)
    assert tuple(seen) == generation.tokens and len(seen) == 12
    assert generation.stop_reason == "stopped"
    full = model.generate(PROMPT, length=50, seed=0)
    assert full.tokens[:12] == generation.tokens


def test_an_end_token_stops_the_writing_and_is_not_written() -> None:
    vocabulary = ("<unk>", "the", "cat", "sat", END_SPELLINGS[0])
    for seed in range(40):
        generation = word_model(vocabulary, seed, scale=2.0).generate(
            "the cat", length=30, temperature=1.0, seed=seed)
        if generation.stop_reason == "end token":
            break
    else:
        pytest.fail("no model drew its end token within 30 tokens")
    assert END_SPELLINGS[0] not in generation.tokens and len(generation.tokens) < 30
    assert generation.text == " ".join(["the cat", *generation.tokens])


def test_a_word_model_joins_words_and_pieces_as_its_tokenizer_splits_them() -> None:
    words = Tokenizer("word", ("<unk>", "disappoint", "##ing", "the"), subwords=True)
    assert joined(words, "the", "disappoint") == "the disappoint"
    assert joined(words, "the disappoint", "##ing") == "the disappointing"
    assert words.split("the disappointing") == ["the", "disappoint", "##ing"]
    model = word_model(("<unk>", "the", "cat", "sat", "on"), seed=1)
    generation = model.generate("the cat ", length=20, temperature=0)
    assert model.tokenizer.split(generation.text) == generation.all_tokens
    assert "<unk>" not in generation.tokens


def test_the_writer_s_forward_trace_equals_the_trace_of_the_text() -> None:
    from rnnstudio.engine.generation import Writer, check_options

    model = shipped("charlm-gru")
    writer = Writer(model, PROMPT, check_options(model, 25, 0.9, None, 5))
    tokens = [written.token for written in writer]
    stepped, traced = writer.trace(), model.trace([*writer.prompt_tokens, *tokens], loss=None)
    assert stepped.tokens == traced.tokens and stepped.grads is None
    np.testing.assert_allclose(stepped.logits, traced.logits, atol=1e-5)
    np.testing.assert_allclose(stepped.layer(0).h, traced.layer(0).h, atol=1e-5)


@pytest.mark.parametrize(("options", "named"), [
    ({"temperature": -0.5}, "temperature"), ({"temperature": float("nan")}, "temperature"),
    ({"temperature": float("inf")}, "temperature"), ({"top_k": 0}, "top_k"),
    ({"top_k": 27}, "top_k"), ({"length": 0}, "length"), ({"length": 20_001}, "length"),
    ({"length": 19_995}, "length"), ({"seed": -1}, "seed"), ({"length": 2.5}, "length"),
])
def test_bad_options_are_one_line_errors_naming_the_option(options, named) -> None:
    with pytest.raises(ConfigError) as raised:
        shipped("charlm-rnn").generate(PROMPT, **{"length": 10, **options})
    assert raised.value.argument == named and "\n" not in str(raised.value)


def test_a_model_without_a_next_token_head_says_which_models_write() -> None:
    with pytest.raises(ConfigError, match="no next-token head.*charlm-rnn"):
        shipped("sentiment-lstm").generate("great", length=5)
    with pytest.raises(ConfigError, match="bare cell"):
        random_model("lstm", 8).generate("x", length=5)
