"""Write instead of read: a language model continues a prompt, one sampled token a step.

The primer's one-to-many case. The prompt is read token by token with the incremental
:class:`~rnnstudio.engine.stepper.Stepper`; then, at every step, the head's logits
``l`` (V,) of the newest state choose the next token, which the stepper reads in turn,
so each new token costs one step of the cell, never a re-read of the text::

    p      = softmax(l / T)                     temperature T > 0
    token  = argmax(l)                          T = 0 (greedy, exactly; no random draw)
    p'     = p on the k largest logits, 0 elsewhere, renormalized      (top-k)
    token ~ p'                                  one uniform draw of a seeded numpy Generator

The unknown and padding tokens stand for no text, so they are never written (their
probability is removed before the draw and renormalized away). A vocabulary that holds
an end token (the first of :data:`END_SPELLINGS`) stops the writing when it is drawn;
the shipped char LMs (``charlm-rnn``, ``charlm-lstm``, ``charlm-gru``: a vocabulary of
``<unk>``, space, ``.`` and 23 letters) have none, so they write exactly ``length``
tokens. Each written token records the probability the model gave it, ``softmax(l /
T)`` over the whole vocabulary (``softmax(l)`` at T = 0), and its rank among all
logits (0: the model's most likely token).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ConfigError
from ..limits import MAX_SEED, check_number, check_whole
from .tokenizers import PIECE_PREFIX, Tokenizer
from .trace import Trace

if TYPE_CHECKING:
    from .model import Model

#: Spellings of an end-of-text token, found in a vocabulary in this order (fairseq /
#: torchtext, SentencePiece, BERT, GPT-2).
END_SPELLINGS = ("<eos>", "</s>", "[SEP]", "<|endoftext|>")
#: Why the writing ended.
STOP_REASONS = ("length", "end token", "stopped")
#: The highest temperature: at T = 1000 logits spread over +-100 (far more than a trained
#: model's) still differ by at most e^0.2 in weight, so a higher T changes nothing a
#: reader could see; the bound only keeps "--temperature 1e308" a message.
MAX_TEMPERATURE = 1000.0
#: Models that can write, as the error for any other model names them.
WRITERS = ("a model with a next-token head (task next-token, e.g. the shipped charlm-rnn, "
           "charlm-lstm and charlm-gru)")


@dataclass(frozen=True)
class GenerationOptions:
    """Checked options of one writing: ``length`` tokens at most, ``temperature``
    (0: greedy), ``top_k`` (None: every token), ``seed`` (None: fresh entropy)."""

    length: int
    temperature: float = 1.0
    top_k: int | None = None
    seed: int | None = None


def check_options(model: Model, length: int, temperature: float = 1.0,
                  top_k: int | None = None, seed: int | None = None) -> GenerationOptions:
    """The options, checked against ``model`` before anything is computed: one-line
    :class:`ConfigError` naming the option (and a model that cannot write)."""
    if model.config.task != "next-token":
        raise ConfigError(f"this model (task {model.config.task or 'none: a bare cell'}) "
                          f"has no next-token head, so it cannot write; open {WRITERS}")
    length = check_whole("length", length, 1, model.config.max_tokens(),
                         "the prompt and the tokens written are traced together")
    temperature = check_number("temperature", temperature,
                               "use 0 for greedy, 1 for the model's own distribution",
                               low=0, high=MAX_TEMPERATURE)
    if top_k is not None:
        top_k = check_whole("top_k", top_k, 1, model.config.head_size,
                            "give at most the vocabulary's size, or none for every token")
    if seed is not None:
        seed = check_whole("seed", seed, 0, MAX_SEED, "give a seed in that range")
    return GenerationOptions(length, temperature, top_k, seed)


@dataclass(frozen=True)
class WrittenToken:
    """One written token: its ``step`` in the whole text (prompt first), the model's
    ``probability`` of it and its ``rank`` among all logits (0: the most likely)."""

    step: int
    token: str
    token_id: int
    probability: float
    rank: int


@dataclass(frozen=True)
class Generation:
    """A finished writing. ``tokens`` (N,) were written after ``prompt_tokens``;
    ``token_ids``, ``probabilities`` and ``ranks`` are (N,) and aligned with them;
    ``text`` is the prompt and the continuation as one string; ``stop_reason`` is one
    of :data:`STOP_REASONS`."""

    prompt: str
    prompt_tokens: tuple[str, ...]
    tokens: tuple[str, ...]
    token_ids: np.ndarray
    probabilities: np.ndarray
    ranks: np.ndarray
    text: str
    options: GenerationOptions
    stop_reason: str

    @property
    def all_tokens(self) -> list[str]:
        """Prompt and continuation as tokens: what ``model.trace`` reads exactly (the
        text, re-split, would lose a trailing space a char model wrote)."""
        return [*self.prompt_tokens, *self.tokens]


def joined(tokenizer: Tokenizer, text: str, token: str) -> str:
    """``text`` with ``token`` written after it, as the tokenizer would split it again:
    characters touch, words are separated by a space, a ``##`` piece joins its word."""
    if tokenizer.kind == "char":
        return text + token
    if tokenizer.subwords and token.startswith(PIECE_PREFIX):
        return text + token[len(PIECE_PREFIX):]
    return f"{text} {token}" if text else token


class Writer:
    """Writes after ``prompt`` with ``model``, one token per ``next(iter(writer))``.

    ``trace()`` is the forward trace (states, gates, logits; no gradients) of the text so
    far, built from what the stepper already computed: a view can show the cell writing
    without re-reading the text.
    """

    def __init__(self, model: Model, prompt: str, options: GenerationOptions) -> None:
        self.model, self.options = model, options
        tokenizer = model.tokenizer
        if isinstance(prompt, str) and not tokenizer.split(prompt):
            raise ConfigError("prompt is empty: give at least one token for the model to "
                              "continue", argument="prompt")
        prompt_tokens = model.tokenize(prompt).tokens
        if len(prompt_tokens) + options.length > model.config.max_tokens():
            raise ConfigError(f"length {options.length} and the prompt's "
                              f"{len(prompt_tokens)} tokens are more than the "
                              f"{model.config.max_tokens():,} a trace of this model reads; "
                              "write fewer tokens", argument="length")
        self.prompt, self.prompt_tokens = prompt, tuple(prompt_tokens)
        self.text = prompt.rstrip()  # white space the tokenizer dropped is not read
        self.written: list[WrittenToken] = []
        self.stop_reason = "length"
        vocabulary = tokenizer.vocabulary or ()
        self._writable = np.array([token not in (tokenizer.unk, tokenizer.pad)
                                   for token in vocabulary])
        self._end = next((vocabulary.index(s) for s in END_SPELLINGS if s in vocabulary), None)
        self._random = np.random.default_rng(options.seed)
        self._stepper = model.stepper()
        self._logits: list[np.ndarray] = []
        for token in self.prompt_tokens:
            self._read(token)

    def _read(self, token: str) -> np.ndarray:
        """Step the cell over ``token``; the head's logits (V,) after it."""
        record = self._stepper.step(token)
        top = record.layers[max(record.layers)]["h"]
        logits = self.model.head(top[None, None, :])
        assert logits is not None  # check_options: a next-token head
        self._logits.append(logits[0, 0])
        return logits[0, 0]

    def __iter__(self) -> Iterator[WrittenToken]:
        while len(self.written) < self.options.length:
            logits = self._logits[-1].astype(np.float64)
            token_id = self._choose(logits)
            if token_id == self._end:
                self.stop_reason = "end token"
                return
            token = self.model.tokenizer.vocabulary[token_id]  # type: ignore[index]
            written = WrittenToken(len(self._logits), token, token_id,
                                   float(tempered(logits, self.options.temperature)[token_id]),
                                   int(np.count_nonzero(logits > logits[token_id])))
            self.written.append(written)
            self.text = joined(self.model.tokenizer, self.text, token)
            self._read(token)
            yield written

    def _choose(self, logits: np.ndarray) -> int:
        """The next token's id (module docstring: greedy, or top-k then one draw)."""
        candidates = np.flatnonzero(self._writable)
        if self.options.temperature == 0:
            return int(candidates[np.argmax(logits[candidates])])
        if self.options.top_k is not None:
            order = np.argsort(-logits[candidates], kind="stable")
            candidates = candidates[order[:self.options.top_k]]
        weights = tempered(logits[candidates], self.options.temperature)
        cumulative = np.cumsum(weights)
        drawn = self._random.random() * cumulative[-1]
        return int(candidates[min(np.searchsorted(cumulative, drawn, side="right"),
                                  len(candidates) - 1)])

    def trace(self) -> Trace:
        """The forward trace (T, ...) of the prompt and every token written so far (the
        last token's logits included: they choose the next one)."""
        trace = self._stepper.trace()
        trace.logits = np.stack(self._logits)
        return trace

    def stop(self) -> None:
        """Say the writing was cut short (a Stop button): :meth:`result` reports it."""
        self.stop_reason = "stopped"

    def result(self) -> Generation:
        """What was written, as a frozen record."""
        written = self.written
        return Generation(
            self.prompt, self.prompt_tokens, tuple(w.token for w in written),
            np.array([w.token_id for w in written], dtype=np.int64),
            np.array([w.probability for w in written], dtype=np.float64),
            np.array([w.rank for w in written], dtype=np.int64),
            self.text, self.options, self.stop_reason)


def tempered(logits: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(logits / T) (float64, stable); T = 0 gives softmax(logits)."""
    scaled = np.asarray(logits, dtype=np.float64) / (temperature or 1.0)
    weights = np.exp(scaled - scaled.max())
    return weights / weights.sum()


def generate(model: Model, prompt: str, length: int, temperature: float = 1.0,
             top_k: int | None = None, seed: int | None = None,
             on_token: Callable[[WrittenToken], None] | None = None,
             should_stop: Callable[[], bool] | None = None) -> Generation:
    """Continue ``prompt`` by up to ``length`` tokens (see the module docstring).

    ``on_token`` is called with each :class:`WrittenToken` as it is written (to watch);
    ``should_stop()`` is asked before each token and, when True, ends the writing there
    (``stop_reason`` "stopped"; what was written is kept).
    """
    writer = Writer(model, prompt, check_options(model, length, temperature, top_k, seed))
    tokens = iter(writer)
    while should_stop is None or not should_stop():
        written = next(tokens, None)
        if written is None:
            return writer.result()
        if on_token is not None:
            on_token(written)
    writer.stop()
    return writer.result()
