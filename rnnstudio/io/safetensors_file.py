"""The native model format: safetensors with the configuration in the header metadata.

Metadata keys (all values are strings, as safetensors requires):
``rnnstudio`` = ``json.dumps(ModelConfig.to_dict())`` (tokenizer and vocabulary included),
``rnnstudio_format`` = the format version (an integer), ``rnnstudio_version`` = the
writing package's version. A safetensors file without them is read like a state_dict.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy

from .._version import __version__
from ..engine.jsonable import to_jsonable
from ..errors import ModelFileError
from .atomic import write_bytes_atomic
from .config_sources import parse_json_object
from .messages import first_line
from .sniff import safetensors_header

__all__ = ["FORMAT_VERSION", "read_safetensors", "write_safetensors"]

FORMAT_VERSION = 1
CONFIG_KEY = "rnnstudio"
VERSION_KEY = "rnnstudio_format"


def read_safetensors(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any] | None]:
    """Return the tensors and, for a native file, the configuration dict."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    metadata = safetensors_header(path, data).get("__metadata__") or {}
    config = None
    if isinstance(metadata, dict) and CONFIG_KEY in metadata:
        _check_version(path, metadata.get(VERSION_KEY, "1"))
        config = parse_json_object(str(metadata[CONFIG_KEY]), f"{path} metadata {CONFIG_KEY!r}")
    try:
        tensors = safetensors.numpy.load(data)
    except Exception as exc:  # safetensors raises its own error types; all mean "corrupt"
        raise ModelFileError(
            f"{path}: corrupt safetensors file ({first_line(exc)}); save the model again"
        ) from exc
    return dict(tensors), config


def write_safetensors(
    path: str | Path, params: Mapping[str, np.ndarray], config: Mapping[str, Any]
) -> Path:
    """Write ``params`` and ``config`` (a ``ModelConfig.to_dict()``) atomically."""
    metadata = {
        CONFIG_KEY: json.dumps(to_jsonable(config), sort_keys=True),
        VERSION_KEY: str(FORMAT_VERSION),
        "rnnstudio_version": __version__,
    }
    tensors = {name: np.ascontiguousarray(value) for name, value in params.items()}
    return write_bytes_atomic(path, safetensors.numpy.save(tensors, metadata=metadata))


def _check_version(path: Path, version: object) -> None:
    try:
        number = int(str(version))
    except ValueError:
        raise ModelFileError(f"{path}: unreadable format version {version!r}") from None
    if number > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: written in model format {number} by a newer RNN Studio (this one reads "
            f"up to {FORMAT_VERSION}); upgrade rnnstudio"
        )

