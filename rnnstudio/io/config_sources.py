"""Gather a model's configuration from every place it may be written down.

Priority, highest first: keyword overrides (CLI options), the file's own metadata, a
sidecar ``<stem>.json`` next to the file, then what the weight shapes imply. Each source
is a (possibly partial) ``ModelConfig.to_dict()``; recurrent fields may also sit at the
top level (``{"nonlinearity": "relu"}``) so a hand-written sidecar stays short.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine.config import RecurrentConfig
from ..errors import ConfigError

__all__ = [
    "ConfigParts", "MODEL_FIELDS", "RECURRENT_FIELDS", "parse_json_object", "read_sidecar",
    "sidecar_path",
]

RECURRENT_FIELDS = tuple(RecurrentConfig.__dataclass_fields__)
#: Top-level fields of ``ModelConfig.to_dict()`` besides ``recurrent``, and ``vocabulary``
#: (a shorthand for ``tokenizer.vocabulary``).
MODEL_FIELDS = ("tokenizer", "vocabulary", "embedding", "task", "labels", "dtype", "card")


@dataclass
class ConfigParts:
    """A partial model configuration and the names of the sources that gave it."""

    recurrent: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def add(self, data: Mapping[str, Any], source: str) -> None:
        """Lay ``data`` over what is here (later calls win); ``None`` values are skipped."""
        recurrent, model = split_config(data, source)
        if recurrent or model:
            self.recurrent.update(recurrent)
            self.model.update(model)
            self.sources.append(source)

    def recurrent_complete(self) -> bool:
        return all(name in self.recurrent for name in RECURRENT_FIELDS)


def split_config(data: Mapping[str, Any], source: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a config mapping into recurrent and model fields, refusing unknown keys."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: the configuration must be a JSON object")
    recurrent: dict[str, Any] = {}
    model: dict[str, Any] = {}
    nested = data.get("recurrent")
    if nested is not None:
        if not isinstance(nested, Mapping):
            raise ConfigError(f"{source}: 'recurrent' must be a JSON object")
        recurrent.update(nested)
    for key, value in data.items():
        if key == "recurrent" or value is None:
            continue
        if key in RECURRENT_FIELDS:
            recurrent[key] = value
        elif key in MODEL_FIELDS:
            model[key] = value
        else:
            raise ConfigError(
                f"{source}: unknown configuration key {key!r}; known keys: recurrent, "
                f"{', '.join(RECURRENT_FIELDS + MODEL_FIELDS)}"
            )
    unknown = sorted(set(recurrent) - set(RECURRENT_FIELDS))
    if unknown:
        raise ConfigError(f"{source}: unknown recurrent key {unknown[0]!r}")
    return {k: v for k, v in recurrent.items() if v is not None}, model


def sidecar_path(model_path: Path) -> Path:
    """``model.pt`` -> ``model.json`` (the same folder and stem)."""
    return model_path.with_suffix(".json")


def read_sidecar(model_path: Path) -> dict[str, Any] | None:
    """The sidecar's JSON object, or None when there is no sidecar."""
    path = sidecar_path(model_path)
    if not path.is_file():
        return None
    return parse_json_object(_read_text(path), f"sidecar {path}")


def parse_json_object(text: str, source: str) -> dict[str, Any]:
    """Parse ``text`` as a JSON object; ConfigError naming ``source`` otherwise."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{source}: invalid JSON ({exc}); fix or remove it") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a JSON object {{...}}, got {type(data).__name__}")
    return data


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"sidecar {path}: cannot be read ({exc}); fix or remove it") from exc


