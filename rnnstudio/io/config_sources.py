"""Gather a model's configuration from every place it may be written down.

Priority, highest first: keyword overrides (CLI options), the file's own metadata, a
sidecar ``<stem>.json`` next to the file, then what the weight shapes imply. Each source
is a (possibly partial) ``ModelConfig.to_dict()``; recurrent fields may also sit at the
top level (``{"nonlinearity": "relu"}``) so a hand-written sidecar stays short.

No source is trusted: JSON text is parsed within ``MAX_CONFIG_BYTES``,
``MAX_CONFIG_DEPTH`` and ``MAX_CONFIG_VALUES``, and every field's type and range is
checked here (:mod:`.config_fields`), so a wrong value is one :class:`ConfigError` line
naming the source and the key, never a ``TypeError`` or ``RecursionError`` from inside.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine.config import RecurrentConfig
from ..errors import ConfigError
from .config_fields import MAX_CONFIG_DEPTH, check_model_fields, check_recurrent_fields
from .json_values import parse_json_bytes, read_json_file, show

__all__ = [
    "ConfigParts", "MAX_CONFIG_BYTES", "MAX_CONFIG_VALUES", "MODEL_FIELDS",
    "RECURRENT_FIELDS", "parse_config_text", "read_sidecar", "sidecar_path",
]

RECURRENT_FIELDS = tuple(RecurrentConfig.__dataclass_fields__)
#: Fields files written before them lack; their defaults hold (no weight shapes needed).
_NEWER_FIELDS = ("reset_after",)
#: Top-level fields of ``ModelConfig.to_dict()`` besides ``recurrent``, and the shorthands
#: ``vocabulary``, ``lowercase``, ``unk`` and ``pad`` for ``tokenizer.vocabulary`` etc.
MODEL_FIELDS = ("tokenizer", "vocabulary", "embedding", "task", "labels", "dtype", "card",
                "readout", "lowercase", "unk", "pad")
#: The tokenizer fields that may be written at the top level (see ``MODEL_FIELDS``).
TOKENIZER_SHORTHANDS = ("vocabulary", "lowercase", "unk", "pad")
#: Longest configuration JSON (metadata, ``config`` key or sidecar): a 1,000,000-token
#: vocabulary of English words is about 12 MB; the same bound as a trace's meta.
MAX_CONFIG_BYTES = 16_000_000
#: Most JSON values in a configuration: a full-size vocabulary plus labels and a card.
#: ``json.loads`` needs 60-80 bytes per value, so this bounds parsing to about 160 MB.
MAX_CONFIG_VALUES = 2_000_000
_FIX = "fix or remove it"


@dataclass
class ConfigParts:
    """A partial model configuration and the names of the sources that gave it.

    ``model["tokenizer"]``, when present, is a dict merged field by field over the
    sources: a sidecar's ``{"vocabulary": [...]}`` keeps the file's tokenizer kind, and
    ``tokenizer="whitespace"`` from the caller keeps the file's vocabulary.
    """

    recurrent: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def add(self, data: Mapping[str, Any], source: str) -> None:
        """Lay ``data`` over what is here (later calls win); ``None`` values are skipped.

        Raises :class:`ConfigError` naming ``source`` and the key for an unknown key or
        a value of the wrong type or range.
        """
        recurrent, model = split_config(data, source)
        if recurrent or model:
            self.recurrent.update(check_recurrent_fields(recurrent, source))
            checked = check_model_fields(model, source)
            tokenizer = _tokenizer_fields(checked)
            if tokenizer:
                self.model["tokenizer"] = _merged_tokenizer(self.model.get("tokenizer", {}),
                                                            tokenizer)
            self.model.update(checked)
            self.sources.append(source)

    def recurrent_complete(self) -> bool:
        return all(name in self.recurrent for name in RECURRENT_FIELDS
                   if name not in _NEWER_FIELDS)


def _tokenizer_fields(checked: dict[str, Any]) -> dict[str, Any]:
    """Take the tokenizer and its shorthands out of ``checked`` as one dict."""
    tokenizer = checked.pop("tokenizer", {})
    fields = {"kind": tokenizer} if isinstance(tokenizer, str) else dict(tokenizer)
    fields.update({key: checked.pop(key) for key in TOKENIZER_SHORTHANDS if key in checked})
    return fields


def _merged_tokenizer(earlier: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    """``later`` over ``earlier``; a new vocabulary drops the earlier unk and pad, which
    named tokens of the vocabulary it replaces."""
    if "vocabulary" in later:
        earlier = {key: value for key, value in earlier.items() if key not in ("unk", "pad")}
    return {**earlier, **later}


def split_config(data: Mapping[str, Any], source: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a config mapping into recurrent and model fields, refusing unknown keys."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: the configuration must be a JSON object")
    recurrent: dict[str, Any] = {}
    model: dict[str, Any] = {}
    nested = data.get("recurrent")
    if nested is not None:
        if not isinstance(nested, Mapping):
            raise ConfigError(f"{source}: 'recurrent' must be a JSON object, got {show(nested)}")
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
                f"{source}: unknown configuration key {show(key)}; known keys: recurrent, "
                f"{', '.join(RECURRENT_FIELDS + MODEL_FIELDS)}"
            )
    unknown = sorted(show(key) for key in set(recurrent) - set(RECURRENT_FIELDS))
    if unknown:
        raise ConfigError(f"{source}: unknown recurrent key {unknown[0]}; known keys: "
                          f"{', '.join(RECURRENT_FIELDS)}")
    return {k: v for k, v in recurrent.items() if v is not None}, model


def sidecar_path(model_path: Path) -> Path:
    """``model.pt`` -> ``model.json`` (the same folder and stem)."""
    return model_path.with_suffix(".json")


def read_sidecar(model_path: Path) -> dict[str, Any] | None:
    """The sidecar's JSON object, or None when there is no sidecar (or it is no regular
    file: a FIFO named ``model.json`` must not block the load). A model folder has its
    ``config.json`` inside, and no sidecar."""
    path = sidecar_path(model_path)
    if model_path.is_dir() or not path.is_file():
        return None
    data = read_json_file(path, ConfigError, max_bytes=MAX_CONFIG_BYTES,
                          max_depth=MAX_CONFIG_DEPTH, max_values=MAX_CONFIG_VALUES,
                          fix="fix or remove the sidecar")
    return _json_object(data, f"sidecar {path}")


def parse_config_text(text: str, source: str) -> dict[str, Any]:
    """Parse ``text`` (a file's configuration JSON) as a JSON object within the bounds
    above; :class:`ConfigError` naming ``source`` otherwise."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{source}: {len(text):,} characters of JSON, more than the "
                          f"{MAX_CONFIG_BYTES:,} allowed; {_FIX}")
    data = parse_json_bytes(text.encode("utf-8", "surrogatepass"), source, ConfigError,
                            max_depth=MAX_CONFIG_DEPTH, max_values=MAX_CONFIG_VALUES,
                            fix=_FIX)
    return _json_object(data, source)


def _json_object(data: Any, source: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a JSON object {{...}}, got "
                          f"{type(data).__name__} {show(data)}")
    return data
