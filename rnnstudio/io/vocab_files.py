"""Vocabulary files as people have them, read into tokenizer fields.

One function, :func:`read_vocabulary_file`, tells the format by name and content:

* ``*.txt`` (or any file but ``*.json`` not starting with ``{`` / ``["``): one token
  per line, line k = embedding row k-1 (BERT's ``vocab.txt``, torchtext's ``itos``);
* a JSON list of tokens, in row order;
* a JSON ``{token: index}`` object (torchtext's ``stoi``, a ``vocab.json``): indices
  0..N-1, each once; indices 1..N are Keras's ``word_index``, whose row 0 is reserved
  for padding: the padding token (``pad=``, else ``<pad>``) is put in row 0;
* Keras's ``Tokenizer.to_json()``: its ``word_index`` as above, ``oov_token`` as the
  unknown token, ``lower`` as ``lowercase``, ``num_words`` as the embedding's rows;
* a Hugging Face ``tokenizer.json`` whose model is ``WordLevel``: its ``vocab`` and
  ``added_tokens``, ``unk_token``, a ``Lowercase`` normalizer, and the
  ``WhitespaceSplit`` (-> ``whitespace``) or ``Whitespace`` (-> ``word``) pre-tokenizer.
  Subword models (BPE, WordPiece, Unigram) are refused by name.

The result is a dict of tokenizer fields (``vocabulary`` and whatever the file states of
``kind``, ``lowercase``, ``unk``, ``pad``) plus notes on what RNN Studio reads
differently, so the caller can lay it over other configuration sources. Every file is
read within ``MAX_CONFIG_BYTES``, ``MAX_CONFIG_DEPTH``, ``MAX_CONFIG_VALUES`` and
``MAX_VOCABULARY``; a wrong file is one :class:`ConfigError` naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine.tokenizers import PAD_SPELLINGS, tokens_by_index
from ..errors import ConfigError
from ..limits import MAX_VOCABULARY
from .config_fields import MAX_CONFIG_DEPTH
from .config_sources import MAX_CONFIG_BYTES, MAX_CONFIG_VALUES
from .json_values import parse_json_bytes, read_bounded, show

__all__ = ["VocabularyFile", "read_text_lines", "read_vocabulary_file"]

_FIX = "fix the file"
#: Hugging Face pre-tokenizers and the tokenizer kind that splits text the same way.
_HF_SPLITS = {"WhitespaceSplit": "whitespace", "Whitespace": "word"}
_HF_WORD_NOTE = ("Whitespace pre-tokenizer read as the word tokenizer (they differ on "
                 "apostrophes and runs of punctuation)")
_KERAS_NOTE = ("Keras drops punctuation (and unknown words without oov_token); read as the "
               "unknown token")


@dataclass(frozen=True)
class VocabularyFile:
    """Tokenizer fields a vocabulary file states (``vocabulary`` always; ``kind``,
    ``lowercase``, ``unk``, ``pad`` when it says), and notes on where RNN Studio's
    reading of text differs from the library that wrote it."""

    fields: dict[str, Any]
    notes: tuple[str, ...] = field(default=())


def read_vocabulary_file(path: str | Path, pad: str | None = None) -> VocabularyFile:
    """Read any vocabulary file in the module docstring; ``pad`` spells the padding
    token put in row 0 of a Keras ``word_index`` (default ``<pad>``)."""
    path = Path(path)
    data = read_bounded(path, ConfigError, MAX_CONFIG_BYTES)
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:2]
    looks_json = start.startswith(b"{") or start == b'["'
    if path.suffix.lower() == ".txt" or (path.suffix.lower() != ".json" and not looks_json):
        return VocabularyFile({"vocabulary": _checked(_lines(data, path), path)})
    parsed = parse_json_bytes(data, str(path), ConfigError, max_depth=MAX_CONFIG_DEPTH,
                              max_values=MAX_CONFIG_VALUES, fix=_FIX)
    if isinstance(parsed, Mapping) and isinstance(parsed.get("model"), Mapping):
        return _hugging_face(parsed, path)
    if isinstance(parsed, Mapping) and parsed.get("class_name") == "Tokenizer":
        return _keras_tokenizer(parsed, path, pad)
    if isinstance(parsed, Mapping):
        return VocabularyFile(_indexed(parsed, path, pad))
    if not isinstance(parsed, list) or not all(isinstance(token, str) for token in parsed):
        raise ConfigError(f"{path}: expected a list of tokens or an object "
                          f'{{"token": index}}, got {show(parsed)}; {_FIX}')
    return VocabularyFile({"vocabulary": _checked(parsed, path)})


def read_text_lines(path: Path) -> list[str]:
    """The lines of the UTF-8 text file ``path`` (read within ``MAX_CONFIG_BYTES``)."""
    return _lines(read_bounded(path, ConfigError, MAX_CONFIG_BYTES), path)


def _lines(data: bytes, path: Path) -> list[str]:
    """One entry a line; ``\\r\\n`` and a final newline are no part of a token."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (offset {exc.start}); save it as "
                          "UTF-8") from exc
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    return [line.removesuffix("\r") for line in lines]


def _checked(tokens: list[str], path: Path) -> list[str]:
    """At most ``MAX_VOCABULARY`` tokens, each listed once (one embedding row each)."""
    if len(tokens) > MAX_VOCABULARY:
        raise ConfigError(f"{path}: {len(tokens):,} tokens, more than the "
                          f"{MAX_VOCABULARY:,} allowed; use a smaller vocabulary")
    first: dict[str, int] = {}
    for row, token in enumerate(tokens):
        if first.setdefault(token, row) != row:
            raise ConfigError(f"{path}: the token {show(token)} is listed twice (rows "
                              f"{first[token]} and {row}); keep one, each token has one row")
    return tokens


def _indexed(indices: Mapping[str, Any], path: Path, pad: str | None) -> dict[str, Any]:
    """``{token: index}``: 0..N-1, or Keras's 1..N with the padding token in row 0."""
    numbers = [index for index in indices.values()
               if isinstance(index, int) and not isinstance(index, bool)]
    if numbers and len(numbers) == len(indices) == len(set(numbers)) and \
            (min(numbers), max(numbers)) == (1, len(numbers)):
        spelling = pad or PAD_SPELLINGS[0]
        if spelling in indices:
            raise ConfigError(f"{path}: row 0 is padding (Keras's word_index starts at 1) "
                              f"but {show(spelling)} has index {indices[spelling]}; name "
                              "another padding token with --pad")
        tokens = [spelling, *tokens_by_index({t: i - 1 for t, i in indices.items()},
                                             str(path))]
        return {"vocabulary": _checked(tokens, path), "pad": spelling}
    return {"vocabulary": _checked(tokens_by_index(indices, str(path)), path)}


def _keras_tokenizer(data: Mapping[str, Any], path: Path, pad: str | None) -> VocabularyFile:
    """``keras.preprocessing.text.Tokenizer.to_json()``: ``config.word_index`` is itself
    JSON text; ``num_words`` keeps the rows the model's embedding has."""
    config = data.get("config")
    word_index = config.get("word_index") if isinstance(config, Mapping) else None
    if isinstance(word_index, str):
        word_index = parse_json_bytes(word_index.encode("utf-8", "surrogatepass"),
                                      f"{path}: config.word_index", ConfigError,
                                      max_depth=MAX_CONFIG_DEPTH,
                                      max_values=MAX_CONFIG_VALUES, fix=_FIX)
    if not isinstance(word_index, Mapping) or not word_index:
        raise ConfigError(f"{path}: a Keras Tokenizer without config.word_index; {_FIX}")
    assert isinstance(config, Mapping)
    limit = config.get("num_words")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
        word_index = {token: index for token, index in word_index.items()
                      if not isinstance(index, int) or index < limit}
    fields = _indexed(word_index, path, pad)
    if isinstance(config.get("oov_token"), str):
        fields["unk"] = config["oov_token"]
    if isinstance(config.get("lower"), bool):
        fields["lowercase"] = config["lower"]
    return VocabularyFile(fields, (_KERAS_NOTE,))


def _hugging_face(data: Mapping[str, Any], path: Path) -> VocabularyFile:
    """A ``tokenizer.json`` of the ``tokenizers`` library, word-level only."""
    model = data["model"]
    kind = model.get("type")
    if kind != "WordLevel":
        raise ConfigError(f"{path}: a Hugging Face {show(kind)} tokenizer (subwords); RNN "
                          "Studio reads word-level tokenizers (WordLevel) only: train the "
                          "model on words or characters, or give a vocabulary with --vocab")
    indices = model.get("vocab")
    if not isinstance(indices, Mapping):
        raise ConfigError(f"{path}: model.vocab must be an object {{token: index}}; {_FIX}")
    indices = dict(indices)
    for added in data.get("added_tokens") or ():
        if isinstance(added, Mapping) and indices.setdefault(
                added.get("content"), added.get("id")) != added.get("id"):
            raise ConfigError(f"{path}: added token {show(added.get('content'))} has id "
                              f"{show(added.get('id'))} but index "
                              f"{show(indices[added.get('content')])} in model.vocab; {_FIX}")
    fields: dict[str, Any] = {"vocabulary": _checked(tokens_by_index(indices, str(path)), path),
                              "kind": _hf_kind(data.get("pre_tokenizer"), path),
                              "lowercase": _hf_lowercase(data.get("normalizer"), path)}
    if isinstance(model.get("unk_token"), str):
        fields["unk"] = model["unk_token"]
    return VocabularyFile(fields, (_HF_WORD_NOTE,) * (fields["kind"] == "word"))


def _hf_kind(pre_tokenizer: Any, path: Path) -> str:
    """The tokenizer kind that splits text as ``pre_tokenizer`` does."""
    name = pre_tokenizer.get("type") if isinstance(pre_tokenizer, Mapping) else None
    if name == "Sequence" and len(pre_tokenizer.get("pretokenizers") or ()) == 1:
        return _hf_kind(pre_tokenizer["pretokenizers"][0], path)
    if name not in _HF_SPLITS:
        raise ConfigError(f"{path}: pre_tokenizer {show(name)} is not read; RNN Studio "
                          "splits text like Whitespace or WhitespaceSplit only (or give the "
                          "vocabulary alone with --vocab and --tokenizer)")
    return _HF_SPLITS[name]


def _hf_lowercase(normalizer: Any, path: Path) -> bool:
    """True for ``Lowercase`` (alone or in a ``Sequence``), False for none."""
    if normalizer is None:
        return False
    steps = normalizer.get("normalizers") if isinstance(normalizer, Mapping) and \
        normalizer.get("type") == "Sequence" else [normalizer]
    names = [step.get("type") if isinstance(step, Mapping) else step for step in steps or ()]
    other = [name for name in names if name != "Lowercase"]
    if other:
        raise ConfigError(f"{path}: normalizer {show(other[0])} is not read; RNN Studio "
                          "lowercases or not (--lowercase / --no-lowercase), nothing else")
    return bool(names)
