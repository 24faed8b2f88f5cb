"""The options that complete a model file as its user has it: ``vocab=``, ``labels=``,
``task=``, ``tokenizer=``, ``lowercase=``, ``unk=``, ``pad=`` (and every other
configuration field), turned into configuration sources for :mod:`.config_sources`.

``vocab`` is a vocabulary file (:mod:`.vocab_files`) or, like ``vocabulary``, a list of
tokens or a ``{token: index}`` dict. ``labels`` is a list, a file (a JSON list, a JSON
``{label: index}`` or ``{"index": label}`` object such as a Hugging Face ``id2label``,
or one label a line) or a comma list ``"neg,pos"``. What a vocabulary file states
(``kind``, ``lowercase``, ``unk``, ``pad``) ranks below the options given beside it, so
``--vocab tokenizer.json --no-lowercase`` does not lowercase.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.tokenizers import tokens_by_index
from ..errors import ConfigError
from ..limits import MAX_LABELS
from .config_fields import MAX_CONFIG_DEPTH
from .config_sources import MAX_CONFIG_BYTES, MAX_CONFIG_VALUES
from .json_values import read_json_file, show
from .vocab_files import read_text_lines, read_vocabulary_file

__all__ = ["OptionSources", "option_sources", "read_labels"]

_FIX = "fix the file"


@dataclass(frozen=True)
class OptionSources:
    """Configuration sources from the caller's options, lowest priority first, as
    ``(config dict, source name)`` pairs, and notes from a vocabulary file."""

    sources: tuple[tuple[dict[str, Any], str], ...]
    notes: tuple[str, ...] = ()


def option_sources(overrides: Mapping[str, Any]) -> OptionSources:
    """``overrides`` (keyword options; None values are unset) as configuration sources:
    a vocabulary file's fields under ``"vocabulary file PATH"``, the rest under
    ``"options"``; a ``Tokenizer`` object becomes its dict."""
    plain = {key: value for key, value in overrides.items() if value is not None}
    tokenizer = plain.get("tokenizer")
    if tokenizer is not None and hasattr(tokenizer, "to_dict"):
        plain["tokenizer"] = tokenizer.to_dict()
    if "labels" in plain:
        plain["labels"] = read_labels(plain["labels"])
    vocab = plain.pop("vocab", None)
    if vocab is None:
        return OptionSources(((plain, "options"),))
    if not isinstance(vocab, (str, Path)):
        return OptionSources((({"vocabulary": vocab}, "vocab"), (plain, "options")))
    if not Path(vocab).exists():
        raise ConfigError(f"vocab {show(str(vocab))}: no such file; give the path of the "
                          "vocabulary file", argument="vocab")
    pad = plain.get("pad")
    read = read_vocabulary_file(vocab, pad if isinstance(pad, str) else None)
    return OptionSources((({"tokenizer": read.fields}, f"vocabulary file {vocab}"),
                          (plain, "options")),
                         read.notes)


def read_labels(value: Any) -> list[str] | Any:
    """Labels from a list (returned as given: the config check names a bad entry), a
    file, or a comma list. :class:`ConfigError` naming ``labels`` otherwise."""
    if not isinstance(value, (str, Path)):
        return value
    path = Path(value)
    if path.is_file():
        return _labels_file(path)
    text = str(value)
    if "," in text:
        return [label.strip() for label in text.split(",")]
    raise ConfigError(f"labels {show(text)}: no such file; give a file (a JSON list or one "
                      "label a line) or a comma list such as neg,pos", argument="labels")


def _labels_file(path: Path) -> list[str]:
    """A JSON list or object (``.json``), else one label a line."""
    if path.suffix.lower() != ".json":
        return read_text_lines(path)
    data = read_json_file(path, ConfigError, max_bytes=MAX_CONFIG_BYTES,
                          max_depth=MAX_CONFIG_DEPTH, max_values=MAX_CONFIG_VALUES, fix=_FIX)
    if isinstance(data, list):
        return data
    if not isinstance(data, Mapping) or len(data) > MAX_LABELS:
        raise ConfigError(f"{path}: expected a list of labels or an object {{label: index}}"
                          f" of at most {MAX_LABELS:,}, got {show(data)}; {_FIX}")
    if all(isinstance(key, str) and key.isdecimal() for key in data):  # HF id2label
        by_index = {int(index): label for index, label in data.items()}
        missing = next((index for index in range(len(data)) if index not in by_index), None)
        if missing is not None:
            raise ConfigError(f"{path}: no label for index {missing}; indices must be "
                              f"0..{len(data) - 1}, each once; {_FIX}")
        return [by_index[index] for index in range(len(data))]
    return tokens_by_index(data, str(path))
