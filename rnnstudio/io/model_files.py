"""Load and save models: the native safetensors format, ``.npz`` and PyTorch files.

``load_model(path, key_map, **overrides)`` reads any supported file, renames its keys
(:mod:`.name_map`), gathers the configuration
(overrides > file metadata > sidecar ``<stem>.json`` > weight shapes, see
:mod:`.config_sources`) and validates everything through ``Model(config, params)``.
Every failure is a one-line :class:`ModelFileError`, :class:`ParameterError` or
:class:`ConfigError` that names the file, the key and what to do. What each reader
refuses and the limits it uses: docs/formats.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.model import Model, ModelConfig
from ..errors import ConfigError, ExportError
from .config_fields import check_model_fields
from .config_guesses import fill_guesses
from .config_sources import ConfigParts, read_sidecar, sidecar_path
from .keras_file import read_keras, read_keras_h5
from .keras_layers import keras_options, keras_overrides
from .messages import naming
from .model_folder import VOCABULARY_FIX, config_source, read_folder
from .name_map import KeyMap, check_key_map, map_names
from .npz_file import read_npz, write_npz
from .onnx_file import read_onnx
from .safetensors_file import read_safetensors, write_safetensors
from .sniff import FOLDER, KERAS, KERAS_H5, NPZ, ONNX, SAFETENSORS, TORCH, model_format
from .state_dict import FileContents, infer_recurrent
from .torch_file import read_torch
from .vocab_options import OptionSources, option_sources

__all__ = ["LoadedModel", "SAVE_EXTENSIONS", "assemble_model", "convert_model", "load_model",
           "read_model", "save_model"]

Reader = Callable[[Path], FileContents]
READERS: dict[str, Reader] = {SAFETENSORS: read_safetensors, NPZ: read_npz, TORCH: read_torch,
                              FOLDER: read_folder, KERAS: read_keras, KERAS_H5: read_keras_h5,
                              ONNX: read_onnx}
SAVE_EXTENSIONS = (".safetensors", ".npz")
#: Formats whose configuration is not RNN Studio's own metadata, and how to name it.
_NOT_NATIVE: dict[str, Callable[[Path], str]] = {
    FOLDER: config_source,  # names the folder's files
    KERAS: lambda path: f"{path} Keras configuration",
    KERAS_H5: lambda path: f"{path} Keras configuration",
    ONNX: lambda path: f"{path} graph"}


@dataclass(frozen=True)
class LoadedModel:
    """A model and where it came from: the file, its format, the config sources and
    what was converted while reading (``notes``, e.g. ``"converted from bfloat16 to
    float32 (4 tensors)"``; also at the end of ``format``, which ``rnnstudio info``
    and ``trace`` print) and which submodules were renamed (``names``, e.g.
    ``(("embed", "embedding"), ("lstm", "rnn"), ("fc", "head"))``), and which config
    fields no source gave and were guessed (``guessed``, e.g. ``("task", "readout")``;
    :mod:`.config_guesses`); ``head_left_out``: the head the engine cannot reproduce was
    left out, the model is its recurrent part only (no verdict)."""

    model: Model
    path: Path
    format: str
    config_sources: tuple[str, ...]
    notes: tuple[str, ...] = ()
    names: KeyMap = ()
    guessed: tuple[str, ...] = ()
    head_left_out: bool = False


def load_model(path: str | Path, key_map: Mapping[str, str] | None = None,
               **overrides: Any) -> Model:
    """Read a model file (.safetensors, .npz, .pt/.pth/.bin, .keras/.h5, .onnx) or a model
    folder (model.safetensors + config.json + vocab.json, vocab.txt or tokenizer.json).

    ``key_map`` names the parts of a state_dict that are not recognised by their names
    (docs/formats.md), e.g. ``{"fc.0": "head", "enc": "embedding", "stack": "rnn"}``:
    key prefix -> ``"embedding"``, ``"rnn"`` or ``"head"``. It is checked before the
    file is read.

    ``overrides`` are configuration fields that win over the file: recurrent fields
    (``cell``, ``hidden_size``, ``num_layers``, ``nonlinearity``, ``bidirectional``,
    ``proj_size``, ``input_size``, ``bias``, ``reset_after``), ``tokenizer``
    (``"word"``, ``"char"``, ``"whitespace"``, a dict or a Tokenizer), ``vocab`` (a
    vocabulary file: vocab.txt, a JSON list or ``{token: index}``, a Keras word_index or
    Tokenizer JSON, a word-level Hugging Face tokenizer.json; or a list / dict like
    ``vocabulary``), ``vocabulary`` (list of tokens or ``{token: index}``),
    ``lowercase``, ``unk`` and ``pad`` (spellings of the unknown and padding tokens),
    ``embedding``, ``task`` (``"classify"``, ``"tag"``, ``"next-token"``), ``labels`` (a
    list, a file or ``"neg,pos"``), ``readout``, ``dtype``, ``card``. ``None`` values
    are ignored. See docs/formats.md, "Vocabularies, labels and options".
    """
    return read_model(path, key_map, **overrides).model


def read_model(path: str | Path, key_map: Mapping[str, str] | None = None,
               **overrides: Any) -> LoadedModel:
    """:func:`load_model` that also reports the format, the configuration sources and
    the renamed submodules."""
    checked_map = check_key_map(key_map)
    options = option_sources(overrides)  # a wrong --vocab or --labels before the model
    path = Path(path)
    file_format = model_format(path)
    contents = READERS[file_format](path)
    parts = ConfigParts()
    sidecar = read_sidecar(path)
    if sidecar is not None:
        if file_format in (KERAS, KERAS_H5):
            sidecar = keras_overrides(sidecar, contents)
        parts.add(sidecar, f"sidecar {sidecar_path(path)}")
    if contents.config is not None:
        parts.add(contents.config, _NOT_NATIVE.get(file_format, _metadata_source)(path))
    if file_format in (KERAS, KERAS_H5):
        options = keras_options(options, contents)
    details = ("RNN Studio",) * (contents.config is not None and file_format not in _NOT_NATIVE)
    return assemble_model(contents, parts, path, checked_map, options,
                          (file_format, *details),
                          VOCABULARY_FIX if file_format == FOLDER else None)


def assemble_model(contents: FileContents, parts: ConfigParts, where: Path, key_map: KeyMap,
                   options: OptionSources, label: tuple[str, ...],
                   vocabulary_fix: str | None = None, found: KeyMap = ()) -> LoadedModel:
    """Rename, configure and validate what a reader (or :mod:`.torch_module`, from
    memory) found: one path for files and live modules, so both are checked alike.

    ``parts`` holds the sources found so far (sidecar, metadata, a module's attributes);
    ``options`` (:func:`.vocab_options.option_sources`) win over them. ``where`` names
    the origin in messages and in ``Model.source``; ``label`` is the format and its
    details (``("pytorch", "RNN Studio")``); ``vocabulary_fix`` says how to give a
    missing vocabulary (default: --vocab or a sidecar next to the file); ``found`` are
    parts found by type, not named by the user (:func:`.name_map.map_names`).
    """
    for data, source in options.sources:
        parts.add(data, source)
    with naming(where):
        renamed = map_names(contents.params, where, key_map, found)
        params = renamed.params
        if renamed.head_left_out:  # no head: what a head would read or say does not apply
            for field_name in ("task", "labels", "readout"):
                parts.model.pop(field_name, None)
        if not parts.recurrent_complete():
            parts.recurrent = infer_recurrent(params, parts.recurrent, where)
            parts.sources.insert(0, "weight shapes")
        fields, guessed = _model_fields(parts, params, where, vocabulary_fix)
        config = ModelConfig.from_dict(fields)
        _check_rows(config.tokenizer.vocabulary, params.get("embedding.weight"), where)
        model = Model(config, params, source=str(where))
    notes = contents.notes + options.notes + tuple(filter(None, [renamed.note()]))
    kind, details = label[0], label[1:] + notes
    shown = f"{kind} ({'; '.join(details)})" if details else kind
    return LoadedModel(model, where, shown, tuple(reversed(parts.sources)), notes,
                       renamed.names, guessed, renamed.head_left_out)


def save_model(model: Model, path: str | Path) -> Path:
    """Write ``model`` atomically: ``.safetensors`` (native) or ``.npz`` (no pickle).

    The configuration, tokenizer and vocabulary go into the file, so
    ``load_model(path)`` needs nothing else.
    """
    target = Path(path)
    extension = target.suffix.lower()
    config = model.config.to_dict()
    # What the readers would refuse is not written: a card with a 10 MB string saved
    # fine and then could not be opened.
    check_model_fields({"card": config["card"]}, f"cannot write {target}: the model's")
    if extension == ".safetensors":
        return write_safetensors(target, model.state_dict(), config)
    if extension == ".npz":
        return write_npz(target, model.state_dict(), config)
    raise ExportError(
        f"cannot write {target}: models are saved as .safetensors (native) or .npz"
    )


def convert_model(source: str | Path, target: str | Path,
                  key_map: Mapping[str, str] | None = None, **overrides: Any) -> LoadedModel:
    """Read any supported model file and save it natively (``rnnstudio convert``)."""
    target = Path(target)
    if target.suffix.lower() not in SAVE_EXTENSIONS:
        raise ExportError(f"cannot write {target}: convert to .safetensors or .npz")
    loaded = read_model(source, key_map, **overrides)
    save_model(loaded.model, target)
    return loaded


def _metadata_source(path: Path) -> str:
    return f"{path} metadata"


def _model_fields(parts: ConfigParts, params: Mapping[str, np.ndarray], path: Path,
                  vocabulary_fix: str | None = None) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The full config dict (given fields, else what the weights imply, else guesses)
    and the names of the guessed fields."""
    fields = {**parts.model, "tokenizer": dict(parts.model.get("tokenizer", {}))}
    embedding = fields.setdefault(
        "embedding", "table" if "embedding.weight" in params else "hashed"
    )
    if embedding == "table" and fields["tokenizer"].get("vocabulary") is None:
        rows = _rows(params.get("embedding.weight"))
        fix = vocabulary_fix or (
            "give it with --vocab FILE (Python: vocab=...; vocab.txt, a JSON list or "
            f"{{token: index}}, tokenizer.json), or put {sidecar_path(path).name} next to "
            'it with {"vocabulary": [...]}')
        raise ConfigError(
            f"{path}: has an embedding table ({rows or '?'} tokens) but no vocabulary: "
            f"{fix} (one token per embedding row, with an unknown token)"
        )
    guessed = fill_guesses(fields, params, bool(parts.recurrent.get("bidirectional")))
    fields.setdefault("dtype", _dtype_of(params))
    return {"recurrent": parts.recurrent, **fields}, guessed


def _check_rows(vocabulary: tuple[str, ...] | None, table: np.ndarray | None, path: Path) -> None:
    """One token per embedding row, said before the shape check's bare numbers."""
    rows = _rows(table)
    if vocabulary is not None and rows is not None and len(vocabulary) != rows:
        keras = (" (a Keras word_index lists every word seen: save Tokenizer.to_json(), "
                 "whose num_words keeps the rows the model has)") * (len(vocabulary) > rows)
        raise ConfigError(f"{path}: the vocabulary has {len(vocabulary):,} tokens but "
                          f"embedding.weight {rows:,} rows, one per token; give the "
                          f"vocabulary the model was trained with{keras}")


def _rows(weight: np.ndarray | None) -> int | None:
    """Rows of a weight matrix; None without one (a 0-d array has no rows to count:
    the shape check names it later)."""
    return None if weight is None or weight.ndim == 0 else int(weight.shape[0])


def _dtype_of(params: Mapping[str, np.ndarray]) -> str:
    """float64 only when every weight is float64 (keeps float64 files bit-exact)."""
    floats = [value.dtype for value in params.values() if value.dtype.kind == "f"]
    return "float64" if floats and all(d == np.float64 for d in floats) else "float32"
