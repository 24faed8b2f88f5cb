"""A Hugging Face style model folder: ``model.safetensors`` + ``config.json`` + a
vocabulary file, opened as one model.

``config.json`` is read like a sidecar (:mod:`.config_sources`): RNN Studio's own
``ModelConfig.to_dict()`` (what a native file keeps in its metadata), or the short form
with recurrent fields at the top level (``{"cell": "lstm", "hidden_size": 64}``); keys
it does not know are refused by name. The vocabulary is ``vocab.json`` (a list of
tokens, or ``{token: index}`` whose indices must be 0..N-1, each once) or ``vocab.txt``
(one token per line, line k = embedding row k-1). Priority, highest first: the
vocabulary file, ``config.json``, the safetensors metadata. Every file is read within
the configuration bounds (``MAX_CONFIG_BYTES``, ``MAX_VOCABULARY`` tokens).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..engine.tokenizers import tokens_by_index
from ..errors import ConfigError, ModelFileError
from ..limits import MAX_VOCABULARY
from .config_fields import MAX_CONFIG_DEPTH
from .config_sources import MAX_CONFIG_BYTES, MAX_CONFIG_VALUES, ConfigParts
from .json_values import read_bounded, read_json_file, show
from .safetensors_file import read_safetensors
from .state_dict import FileContents

__all__ = ["CONFIG_FILE", "VOCABULARY_FILES", "WEIGHTS_FILE", "read_folder"]

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
VOCABULARY_FILES = ("vocab.json", "vocab.txt")
_FIX = "fix the file"


def read_folder(folder: Path) -> FileContents:
    """The weights of ``folder/model.safetensors`` and the configuration gathered from
    its metadata, ``config.json`` and the vocabulary file.

    Raises :class:`ModelFileError` naming what is missing (one line), or
    :class:`ConfigError` naming the file and the key or token at fault.
    """
    vocabulary_path = next((folder / name for name in VOCABULARY_FILES
                            if (folder / name).is_file()), None)
    missing = [name for name in (WEIGHTS_FILE, CONFIG_FILE) if not (folder / name).is_file()]
    if missing:
        _refuse_missing(folder, missing + ["vocab.json or vocab.txt"] * (vocabulary_path is None))
    contents = read_safetensors(folder / WEIGHTS_FILE)
    parts = ConfigParts()
    if contents.config is not None:
        parts.add(contents.config, f"{folder / WEIGHTS_FILE} metadata")
    config_path = folder / CONFIG_FILE
    parts.add(_json_file(config_path), str(config_path))
    if vocabulary_path is not None:
        parts.add({"vocabulary": read_vocabulary(vocabulary_path)}, str(vocabulary_path))
    elif "embedding.weight" in contents.params and not _has_vocabulary(parts.model):
        _refuse_missing(folder, ["vocab.json or vocab.txt"])
    config = {"recurrent": parts.recurrent, **parts.model}
    return FileContents(contents.params, config, contents.notes)


def _refuse_missing(folder: Path, missing: list[str]) -> None:
    raise ModelFileError(
        f"{folder}: a model folder needs {WEIGHTS_FILE}, {CONFIG_FILE} and vocab.json or "
        f"vocab.txt; missing: {', '.join(missing)}"
    )


def _has_vocabulary(model_fields: dict[str, Any]) -> bool:
    return model_fields.get("tokenizer", {}).get("vocabulary") is not None


def _json_file(path: Path) -> Any:
    return read_json_file(path, ConfigError, max_bytes=MAX_CONFIG_BYTES,
                          max_depth=MAX_CONFIG_DEPTH, max_values=MAX_CONFIG_VALUES, fix=_FIX)


def read_vocabulary(path: Path) -> list[str]:
    """The tokens of ``vocab.txt`` (one a line) or ``vocab.json`` (a list, or a dict of
    token -> index), in embedding-row order. :class:`ConfigError` naming the file and
    the token for a gap, a repeated index or token, or more than ``MAX_VOCABULARY``."""
    if path.suffix == ".txt":
        tokens = _text_lines(path)
    else:
        data = _json_file(path)
        tokens = tokens_by_index(data, str(path)) if isinstance(data, dict) else data
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise ConfigError(f"{path}: expected a list of tokens or an object "
                              f'{{"token": index}}, got {show(data)}; {_FIX}')
    if len(tokens) > MAX_VOCABULARY:
        raise ConfigError(f"{path}: {len(tokens):,} tokens, more than the "
                          f"{MAX_VOCABULARY:,} allowed; use a smaller vocabulary")
    first: dict[str, int] = {}
    for row, token in enumerate(tokens):
        if first.setdefault(token, row) != row:
            raise ConfigError(f"{path}: the token {show(token)} is listed twice (rows "
                              f"{first[token]} and {row}); keep one, each token has one row")
    return tokens


def _text_lines(path: Path) -> list[str]:
    try:
        text = read_bounded(path, ConfigError, MAX_CONFIG_BYTES).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (offset {exc.start}); save it as "
                          "UTF-8") from exc
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    return [line.removesuffix("\r") for line in lines]
