"""A Hugging Face style model folder: ``model.safetensors`` + ``config.json`` + a
vocabulary file, opened as one model.

``config.json`` is read like a sidecar (:mod:`.config_sources`): RNN Studio's own
``ModelConfig.to_dict()`` (what a native file keeps in its metadata), or the short form
with recurrent fields at the top level (``{"cell": "lstm", "hidden_size": 64}``); keys
it does not know are refused by name. The vocabulary is the first of ``vocab.json`` (a
list of tokens, or ``{token: index}`` whose indices must be 0..N-1, each once),
``vocab.txt`` (one token per line, line k = embedding row k-1) and a word-level
``tokenizer.json``, read by :mod:`.vocab_files`. Priority, highest first: the vocabulary
file, ``config.json``, the safetensors metadata. Every file is read within the
configuration bounds (``MAX_CONFIG_BYTES``, ``MAX_VOCABULARY`` tokens).

A folder without a vocabulary file is read all the same: a vocabulary given as an
option (``--vocab``, the window's Model details) completes it, and without one
:func:`.model_files.read_model` refuses it with :data:`VOCABULARY_FIX`. The folder's
files are never written to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ConfigError, ModelFileError
from .config_fields import MAX_CONFIG_DEPTH
from .config_sources import MAX_CONFIG_BYTES, MAX_CONFIG_VALUES, ConfigParts
from .json_values import read_json_file
from .safetensors_file import read_safetensors
from .state_dict import FileContents
from .vocab_files import read_vocabulary_file

__all__ = ["CONFIG_FILE", "VOCABULARY_FILES", "VOCABULARY_FIX", "WEIGHTS_FILE", "config_source",
           "read_folder"]

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
VOCABULARY_FILES = ("vocab.json", "vocab.txt", "tokenizer.json")
_VOCABULARY_NAMES = "vocab.json, vocab.txt or tokenizer.json"
_FIX = "fix the file"
#: How to give a folder's missing vocabulary (the end of read_model's refusal).
VOCABULARY_FIX = (f"the folder has no {_VOCABULARY_NAMES}: add one, or give it with "
                  "--vocab FILE (Python: vocab=...)")


def read_folder(folder: Path) -> FileContents:
    """The weights of ``folder/model.safetensors`` and the configuration gathered from
    its metadata, ``config.json`` and the vocabulary file (when there is one).

    Raises :class:`ModelFileError` naming what is missing (one line), or
    :class:`ConfigError` naming the file and the key or token at fault.
    """
    vocabulary_path = _vocabulary_file(folder)
    missing = [name for name in (WEIGHTS_FILE, CONFIG_FILE) if not (folder / name).is_file()]
    if missing:
        _refuse_missing(folder, missing + [_VOCABULARY_NAMES] * (vocabulary_path is None))
    contents = read_safetensors(folder / WEIGHTS_FILE)
    parts = ConfigParts()
    if contents.config is not None:
        parts.add(contents.config, f"{folder / WEIGHTS_FILE} metadata")
    config_path = folder / CONFIG_FILE
    parts.add(_json_file(config_path), str(config_path))
    notes = contents.notes
    if vocabulary_path is not None:
        vocabulary = read_vocabulary_file(vocabulary_path)
        parts.add({"tokenizer": vocabulary.fields}, str(vocabulary_path))
        notes += vocabulary.notes
    config = {"recurrent": parts.recurrent, **parts.model}
    return FileContents(contents.params, config, notes)


def config_source(folder: Path) -> str:
    """Where the folder's configuration was read, as ``info`` and the window name it:
    ``m/config.json and vocab.txt``, or ``m/config.json`` without a vocabulary file."""
    vocabulary_path = _vocabulary_file(folder)
    return f"{folder / CONFIG_FILE}" + (f" and {vocabulary_path.name}"
                                        if vocabulary_path is not None else "")


def _vocabulary_file(folder: Path) -> Path | None:
    return next((folder / name for name in VOCABULARY_FILES if (folder / name).is_file()),
                None)


def _refuse_missing(folder: Path, missing: list[str]) -> None:
    raise ModelFileError(
        f"{folder}: a model folder needs {WEIGHTS_FILE}, {CONFIG_FILE} and "
        f"{_VOCABULARY_NAMES}; missing: {', '.join(missing)}"
    )


def _json_file(path: Path) -> Any:
    return read_json_file(path, ConfigError, max_bytes=MAX_CONFIG_BYTES,
                          max_depth=MAX_CONFIG_DEPTH, max_values=MAX_CONFIG_VALUES, fix=_FIX)
