"""Tokenizers: how text becomes the tokens a cell reads, by a rule a user can predict.

* ``word``: lower-cased (unless ``lowercase=False``); a token is a run of letters and
  digits, optionally joined by inner apostrophes (``can't``, ``o'clock``), or any other
  single non-space character (punctuation: ``,`` ``.`` ``(``). White space separates;
  control characters (NUL, escape, ...) count as white space. With ``subwords=True``
  (a closed vocabulary holding WordPiece continuation pieces such as ``##ing``) a word
  not in the vocabulary is then split as BERT's WordPiece splits it, greedy
  longest-match-first: the longest vocabulary entry that starts the word, then the
  longest ``##`` piece that starts the rest, and so on (``disappointingly`` ->
  ``disappoint`` ``##ing`` ``##ly``); a word with no such split, or longer than
  :data:`~rnnstudio.limits.MAX_PIECE_WORD_CHARS`, stays whole (and is unknown). Words
  in the vocabulary are never split.
* ``char``: every character is a token; runs of white space become one space and white
  space at either end is dropped.
* ``whitespace``: ``str.split()``: white space separates, punctuation stays attached
  (``"movie!"`` is one token), as many tutorials tokenize and as Hugging Face's
  ``WhitespaceSplit`` does.

A closed vocabulary maps tokens to indices and every other token to its unknown token
(reported by position). The unknown token is spelled as the vocabulary spells it: the
first of :data:`UNK_SPELLINGS` it holds, or ``unk=`` naming another. An optional padding
token (``pad=``, or the first of :data:`PAD_SPELLINGS` found) is only recorded: like
PyTorch's ``padding_idx``, its embedding row is an ordinary row, which no text produces
unless it contains the token itself. An open vocabulary (``vocabulary=None``, for models
with a hashed embedding) knows every token; its ids are 63-bit BLAKE2b hashes of the
token.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ConfigError, shown
from ..limits import MAX_PIECE_WORD_CHARS, MAX_VOCABULARY, check_flag, check_texts

#: The unknown token of the vocabularies RNN Studio builds.
UNK = "<unk>"
#: Spellings of the unknown token, found in this order: torchtext / fairseq, BERT,
#: Keras-style upper case, word2vec-era corpora, Keras ``Tokenizer(oov_token="<OOV>")``.
UNK_SPELLINGS = (UNK, "[UNK]", "<UNK>", "UNK", "<OOV>")
#: Spellings of the padding token, found in this order.
PAD_SPELLINGS = ("<pad>", "[PAD]", "<PAD>")
KINDS = ("word", "char", "whitespace")
#: How a WordPiece continuation piece begins (BERT's spelling): ``##ing`` ends a word.
PIECE_PREFIX = "##"
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*|\S")
_SPACE = re.compile(r"\s+")
#: Control characters (NUL, escape, ...) are read as white space: they are never words.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def token_hash(token: str) -> int:
    """A stable 63-bit id for a token (the same on every machine and run)."""
    digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


@dataclass(frozen=True)
class Tokens:
    """A tokenized text: ``ids`` (T,) int64 and the positions mapped to ``<unk>``."""

    tokens: list[str]
    ids: np.ndarray
    unknown: list[int]


@dataclass(frozen=True)
class Tokenizer:
    """A ``word``, ``char`` or ``whitespace`` tokenizer with a closed or open vocabulary.

    ``unk`` and ``pad`` spell the unknown and padding tokens of a closed vocabulary;
    ``None`` finds them (:data:`UNK_SPELLINGS`, :data:`PAD_SPELLINGS`). After
    construction ``unk`` holds the spelling in use (None for an open vocabulary) and
    ``pad`` the padding token or None. ``subwords`` splits words the vocabulary lacks
    into its ``##`` pieces (module docstring); it is switched on explicitly, never
    guessed from the vocabulary, and refused on a vocabulary without pieces.
    """

    kind: str = "word"
    vocabulary: tuple[str, ...] | None = None
    lowercase: bool = True
    unk: str | None = None
    pad: str | None = None
    subwords: bool = False
    _index: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"unknown tokenizer {shown(self.kind)}: use "
                              f"{', '.join(map(repr, KINDS))}", argument="kind")
        object.__setattr__(self, "lowercase", check_flag("lowercase", self.lowercase))
        object.__setattr__(self, "subwords", check_flag("subwords", self.subwords))
        if self.vocabulary is None:
            if self.unk is not None or self.pad is not None or self.subwords:
                raise ConfigError("unk, pad and subwords need a vocabulary; this tokenizer "
                                  "has none (an open vocabulary)", argument="unk")
            return
        vocabulary = _checked_vocabulary(self.vocabulary)
        object.__setattr__(self, "vocabulary", vocabulary)
        self._index.update({token: i for i, token in enumerate(vocabulary)})
        object.__setattr__(self, "unk", _special(self._index, self.unk, "unk", UNK_SPELLINGS))
        object.__setattr__(self, "pad", _special(self._index, self.pad, "pad", PAD_SPELLINGS))
        if self.subwords:
            _check_pieces(self.kind, vocabulary)

    @property
    def open(self) -> bool:
        return self.vocabulary is None

    @property
    def joiner(self) -> str:
        """What goes between tokens shown as text: nothing between characters, a space
        between words (a corpus's context lines, its manifest)."""
        return "" if self.kind == "char" else " "

    def split(self, text: str) -> list[str]:
        """Text to tokens by the rule in the module docstring."""
        text = _CONTROL.sub(" ", text)
        if self.lowercase:
            text = text.lower()
        if self.kind == "char":
            return list(_SPACE.sub(" ", text).strip())
        if self.kind == "whitespace":
            return text.split()
        words = _WORD.findall(text)
        if not self.subwords:
            return words
        return [piece for word in words
                for piece in (word_pieces(word, self._index) or [word])]

    def encode(self, tokens: list[str]) -> Tokens:
        if self.vocabulary is None:
            return Tokens(tokens, np.array([token_hash(t) for t in tokens], np.int64), [])
        assert self.unk is not None  # set with the vocabulary
        unk = self._index[self.unk]
        ids = np.array([self._index.get(t, unk) for t in tokens], dtype=np.int64)
        unknown = [pos for pos, t in enumerate(tokens) if t not in self._index]
        return Tokens(tokens, ids, unknown)

    def id_array(self, tokens: Iterable[str], count: int = -1) -> np.ndarray:
        """The int64 ids of ``tokens`` (``count`` of them, when known), as
        :meth:`encode` gives them, without the unknown positions: one pass in C for the
        trainer, which reads ids alone (the 992 tokens of a batch: 64 -> 42 us)."""
        if self.vocabulary is None:
            return np.fromiter(map(token_hash, tokens), np.int64, count)
        assert self.unk is not None  # set with the vocabulary
        unk = itertools.repeat(self._index[self.unk])
        return np.fromiter(map(self._index.get, tokens, unk), np.int64, count)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; ``unk`` and ``pad`` only when the vocabulary alone would not tell
        (a spelling it would not find first), so files stay readable by older versions."""
        if self.vocabulary is None:
            return {"kind": self.kind, "vocabulary": None, "lowercase": self.lowercase}
        data: dict[str, Any] = {"kind": self.kind, "vocabulary": list(self.vocabulary),
                                "lowercase": self.lowercase}
        if self.subwords:
            data["subwords"] = True
        for name, spellings in (("unk", UNK_SPELLINGS), ("pad", PAD_SPELLINGS)):
            value = getattr(self, name)
            if value is not None and value != _found(self._index, spellings):
                data[name] = value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tokenizer:
        return cls(kind=data.get("kind", "word"), vocabulary=data.get("vocabulary"),
                   lowercase=data.get("lowercase", True), unk=data.get("unk"),
                   pad=data.get("pad"), subwords=data.get("subwords", False))


def word_pieces(word: str, vocabulary: Mapping[str, int] | frozenset[str],
                whole: bool = True) -> list[str] | None:
    """``word`` as BERT's WordPiece splits it: greedy longest-match-first over the
    ``vocabulary``'s entries (a first piece) and ``##`` pieces (the rest).

    Parameters
    ----------
    word : str
        One word as the ``word`` tokenizer found it (already lower-cased).
    vocabulary : mapping or set of str
        The tokens known (a tokenizer's token -> row index, or a set).
    whole : bool
        False never takes the whole word as its own first piece, so a known word is
        split too (how a task shows a model the pieces of words it knows).

    Returns
    -------
    list of str or None
        The pieces (``[word]`` for a known word when ``whole``), or None when some
        part of the word starts no piece or the word is longer than
        :data:`~rnnstudio.limits.MAX_PIECE_WORD_CHARS` (the word is then unknown).
    """
    if whole and word in vocabulary:
        return [word]
    if len(word) > MAX_PIECE_WORD_CHARS:
        return None
    pieces: list[str] = []
    start = 0
    while start < len(word):
        end = len(word) if start or whole else len(word) - 1
        while end > start:
            piece = word[start:end] if start == 0 else PIECE_PREFIX + word[start:end]
            if piece in vocabulary:
                break
            end -= 1
        if end == start:
            return None
        pieces.append(piece)
        start = end
    return pieces


def _check_pieces(kind: str, vocabulary: tuple[str, ...]) -> None:
    """Refuse ``subwords`` where it could never split: not a ``word`` tokenizer, or a
    vocabulary without one ``##`` piece."""
    if kind != "word":
        raise ConfigError(f"subwords splits words into pieces; a {kind} tokenizer has no "
                          "words: use kind='word' or subwords=False", argument="subwords")
    if not any(token.startswith(PIECE_PREFIX) and len(token) > len(PIECE_PREFIX)
               for token in vocabulary):
        raise ConfigError(f"subwords is on but the vocabulary holds no continuation piece "
                          f"({PIECE_PREFIX}ing, {PIECE_PREFIX}ly, ...): add pieces to it or "
                          "use subwords=False", argument="subwords")


def tokens_by_index(indices: Mapping[Any, Any], where: str = "the vocabulary") -> list[Any]:
    """``{token: index}`` (torchtext's ``stoi``, Keras's ``word_index``, a ``vocab.json``)
    as tokens in embedding-row order. Every index 0..N-1 exactly once: read in the dict's
    own order the indices were ignored and every token id was silently wrong."""
    if len(indices) > MAX_VOCABULARY:
        raise ConfigError(f"{where}: {len(indices):,} tokens, more than the "
                          f"{MAX_VOCABULARY:,} allowed; use a smaller vocabulary",
                          argument="vocabulary")
    by_index: dict[int, Any] = {}
    for token, index in indices.items():
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not \
                0 <= index < len(indices):
            raise ConfigError(f"{where}: token {shown(token)} has index {shown(index)}; "
                              f"indices must be whole numbers 0..{len(indices) - 1}",
                              argument="vocabulary")
        if int(index) in by_index:
            raise ConfigError(f"{where}: tokens {shown(by_index[int(index)])} and "
                              f"{shown(token)} both have index {index}; give each token its "
                              "own row", argument="vocabulary")
        by_index[int(index)] = token
    return [by_index[index] for index in range(len(indices))]


def _checked_vocabulary(vocabulary: Any) -> tuple[str, ...]:
    """The vocabulary as a tuple of distinct strings holding ``<unk>``; at most
    :data:`~rnnstudio.limits.MAX_VOCABULARY` tokens are read from any iterable; a
    ``{token: index}`` mapping is read by its indices."""
    if isinstance(vocabulary, Mapping):
        vocabulary = tokens_by_index(vocabulary)
    tokens = check_texts("vocabulary", vocabulary, MAX_VOCABULARY, "tokens",
                         "use a smaller vocabulary")
    first: dict[str, int] = {}
    for index, token in enumerate(tokens):
        if first.setdefault(token, index) != index:
            raise ConfigError(f"the vocabulary lists the token {shown(token)} twice (entries "
                              f"{first[token]} and {index}); keep one (each token has one "
                              "embedding row)", argument="vocabulary")
    return tokens


def _found(index: Mapping[str, int], spellings: tuple[str, ...]) -> str | None:
    """The first of ``spellings`` in the vocabulary ``index`` (token -> row), or None."""
    return next((spelling for spelling in spellings if spelling in index), None)


def _special(index: Mapping[str, int], given: Any, name: str,
             spellings: tuple[str, ...]) -> str | None:
    """The unknown (``name="unk"``) or padding token: ``given`` if the vocabulary holds
    it, else the first spelling found; an unknown token is required, padding is not."""
    if given is not None:
        if not isinstance(given, str) or given not in index:
            raise ConfigError(f"{name} {shown(given)} is not in the vocabulary; name one of "
                              f"its tokens with --{name} (Python: {name}=)", argument=name)
        return given
    found = _found(index, spellings)
    if found is None and name == "unk":
        listed = ", ".join(map(repr, spellings))
        raise ConfigError(f"the vocabulary has no unknown token ({listed}); name the one "
                          "it uses with unk=TOKEN (--unk TOKEN)", argument="unk")
    return found


class HashedEmbedding:
    """Deterministic input vectors for models without an embedding table (a bare
    ``nn.LSTM``): a token's vector is drawn N(0, 1) from a generator seeded by its hash,
    so the same word always gets the same vector, in every run and on every machine."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._vectors: dict[int, np.ndarray] = {}

    def vector(self, token_id: int) -> np.ndarray:
        vector = self._vectors.get(token_id)
        if vector is None:
            vector = np.random.default_rng(token_id).standard_normal(self.size)
            vector.flags.writeable = False
            if len(self._vectors) < 100_000:  # bounded: a pasted novel must not leak memory
                self._vectors[token_id] = vector
        return vector

    def __call__(self, ids: np.ndarray) -> np.ndarray:
        if len(ids) == 0:
            return np.zeros((0, self.size))
        return np.stack([self.vector(int(i)) for i in ids])
