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
from ..engine.tokenizers import UNK
from ..errors import ConfigError, ExportError
from .config_fields import check_model_fields
from .config_sources import ConfigParts, read_sidecar, sidecar_path
from .messages import naming
from .model_folder import CONFIG_FILE, read_folder
from .name_map import KeyMap, check_key_map, map_names
from .npz_file import read_npz, write_npz
from .onnx_file import read_onnx
from .safetensors_file import read_safetensors, write_safetensors
from .sniff import FOLDER, NPZ, ONNX, SAFETENSORS, TORCH, model_format
from .state_dict import FileContents, infer_recurrent
from .torch_file import read_torch

__all__ = ["LoadedModel", "SAVE_EXTENSIONS", "convert_model", "load_model", "read_model",
           "save_model"]

Reader = Callable[[Path], FileContents]
READERS: dict[str, Reader] = {SAFETENSORS: read_safetensors, NPZ: read_npz, TORCH: read_torch,
                              FOLDER: read_folder, ONNX: read_onnx}
#: Formats whose configuration is the reader's reading of the file, not RNN Studio's own.
_READ_CONFIG = (FOLDER, ONNX)
SAVE_EXTENSIONS = (".safetensors", ".npz")


@dataclass(frozen=True)
class LoadedModel:
    """A model and where it came from: the file, its format, the config sources and
    what was converted while reading (``notes``, e.g. ``"converted from bfloat16 to
    float32 (4 tensors)"``; also at the end of ``format``, which ``rnnstudio info``
    and ``trace`` print) and which submodules were renamed (``names``, e.g.
    ``(("embed", "embedding"), ("lstm", "rnn"), ("fc", "head"))``)."""

    model: Model
    path: Path
    format: str
    config_sources: tuple[str, ...]
    notes: tuple[str, ...] = ()
    names: KeyMap = ()


def load_model(path: str | Path, key_map: Mapping[str, str] | None = None,
               **overrides: Any) -> Model:
    """Read a model file (.safetensors, .npz, .pt/.pth/.bin, .onnx) or a model folder
    (model.safetensors + config.json + vocab.json or vocab.txt).

    ``key_map`` names the parts of a state_dict that are not recognised by their names
    (docs/formats.md), e.g. ``{"fc.0": "head", "enc": "embedding", "stack": "rnn"}``:
    key prefix -> ``"embedding"``, ``"rnn"`` or ``"head"``. It is checked before the
    file is read.

    ``overrides`` are configuration fields that win over the file: recurrent fields
    (``cell``, ``hidden_size``, ``num_layers``, ``nonlinearity``, ``bidirectional``,
    ``proj_size``, ``input_size``, ``bias``, ``reset_after``), ``tokenizer`` (dict or Tokenizer),
    ``vocabulary`` (list of tokens), ``embedding``, ``task``, ``labels``, ``dtype``,
    ``card``. ``None`` values are ignored.
    """
    return read_model(path, key_map, **overrides).model


def read_model(path: str | Path, key_map: Mapping[str, str] | None = None,
               **overrides: Any) -> LoadedModel:
    """:func:`load_model` that also reports the format, the configuration sources and
    the renamed submodules."""
    checked_map = check_key_map(key_map)
    path = Path(path)
    file_format = model_format(path)
    contents = READERS[file_format](path)
    parts = ConfigParts()
    sidecar = read_sidecar(path)
    if sidecar is not None:
        parts.add(sidecar, f"sidecar {sidecar_path(path)}")
    if contents.config is not None:
        parts.add(contents.config, _config_source(path, file_format))
    parts.add(_plain(overrides), "options")
    with naming(path):
        renamed = map_names(contents.params, path, checked_map)
        params = renamed.params
        if not parts.recurrent_complete():
            parts.recurrent = infer_recurrent(params, parts.recurrent, path)
            parts.sources.insert(0, "weight shapes")
        config = ModelConfig.from_dict(_model_fields(parts, params, path))
        model = Model(config, params, source=str(path))
    details = ("RNN Studio",) * (contents.config is not None and file_format not in _READ_CONFIG) \
        + contents.notes
    label = f"{file_format} ({'; '.join(details)})" if details else file_format
    return LoadedModel(model, path, label, tuple(reversed(parts.sources)), contents.notes,
                       renamed.names)


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


def _config_source(path: Path, file_format: str) -> str:
    if file_format == FOLDER:
        return f"{path / CONFIG_FILE} and vocabulary file"
    return f"{path} graph" if file_format == ONNX else f"{path} metadata"


def _plain(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Drop unset (None) options; a Tokenizer object becomes its dict."""
    plain = {key: value for key, value in overrides.items() if value is not None}
    tokenizer = plain.get("tokenizer")
    if tokenizer is not None and hasattr(tokenizer, "to_dict"):
        plain["tokenizer"] = tokenizer.to_dict()
    return plain


def _model_fields(parts: ConfigParts, params: Mapping[str, np.ndarray], path: Path) -> dict:
    """The full config dict: given fields, else what the weights imply."""
    fields = dict(parts.model)
    tokenizer = _tokenizer_dict(fields.pop("tokenizer", None), fields.pop("vocabulary", None))
    embedding = fields.setdefault(
        "embedding", "table" if "embedding.weight" in params else "hashed"
    )
    if embedding == "table" and tokenizer.get("vocabulary") is None:
        rows = _rows(params.get("embedding.weight"))
        raise ConfigError(
            f"{path}: has an embedding table ({rows or '?'} tokens) but no vocabulary: put "
            f'{sidecar_path(path).name} next to it with {{"tokenizer": {{"kind": "word", '
            f'"vocabulary": [...]}}}} (one token per embedding row, including "{UNK}")'
        )
    head_rows = _rows(params.get("head.weight"))
    if head_rows is not None and "task" not in fields:
        vocabulary = tokenizer.get("vocabulary")
        if fields.get("labels") or vocabulary is None or len(vocabulary) != head_rows:
            fields["task"] = "classify"
        else:
            fields["task"] = "next-token"
    if fields.get("task") in ("classify", "tag") and not fields.get("labels") and head_rows:
        fields["labels"] = [str(index) for index in range(head_rows)]
    fields.setdefault("dtype", _dtype_of(params))
    return {"recurrent": parts.recurrent, "tokenizer": tokenizer, **fields}


def _rows(weight: np.ndarray | None) -> int | None:
    """Rows of a weight matrix; None without one (a 0-d array has no rows to count:
    the shape check names it later)."""
    return None if weight is None or weight.ndim == 0 else int(weight.shape[0])


def _tokenizer_dict(tokenizer: str | Mapping[str, Any] | None,
                    vocabulary: list[str] | None) -> dict[str, Any]:
    """``"char"``/``"word"`` or a dict (checked by :mod:`.config_fields`), and a separate
    vocabulary list."""
    result: dict[str, Any] = (
        {"kind": tokenizer} if isinstance(tokenizer, str) else dict(tokenizer or {}))
    if vocabulary is not None:
        result["vocabulary"] = vocabulary
    return result


def _dtype_of(params: Mapping[str, np.ndarray]) -> str:
    """float64 only when every weight is float64 (keeps float64 files bit-exact)."""
    floats = [value.dtype for value in params.values() if value.dtype.kind == "f"]
    return "float64" if floats and all(d == np.float64 for d in floats) else "float32"
