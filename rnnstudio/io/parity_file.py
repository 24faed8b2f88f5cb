"""A model's PyTorch reference values: one small JSON file, read without pickle.

``resources/models/parity/<key>.json`` holds, for one shipped model, what PyTorch computed
once (``packaging/parity_references.py``) for a few tokens of the model's own task::

    {"format": "rnnstudio-parity", "version": 1, "model": "recall-lstm",
     "model_sha256": "<hex of the .safetensors file>", "text": "alice is allergic to",
     "tokens": ["alice", ...], "token_ids": [5, ...], "loss": "class",
     "torch": "2.13.0+cpu", "created": "2026-11-30",
     "values": {"l0.fwd.h": {"shape": [4, 32], "float64": "<base64>"}, ..., "loss": ...}}

Values are keyed like the trace file (docs/formats.md) and stored as little-endian float64
bytes in base64: exact, and a third of the size of decimal text (27 models in about
250 KB). Reading is bounded (:data:`~rnnstudio.limits.MAX_PARITY_BYTES`), and every field
is checked; a malformed file raises :class:`ModelFileError` naming it and the fix.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelFileError
from ..limits import MAX_PARITY_BYTES
from .atomic import write_text_atomic
from .json_values import parse_json_bytes

__all__ = ["PARITY_FORMAT", "PARITY_VERSION", "ParityReferences", "file_sha256",
           "read_references", "write_references"]

PARITY_FORMAT = "rnnstudio-parity"
PARITY_VERSION = 1
REGENERATE = "regenerate it with: python packaging/parity_references.py"
#: A trace-file key (``l0.fwd.h``, ``grad.l1.bwd.c``, ``logits``, ``grad.x``) or ``loss``.
VALUE_KEY = re.compile(r"(grad\.)?l\d{1,3}\.(fwd|bwd)\.[a-z]|logits|grad\.x|loss")
MAX_VALUES = 20_000  # JSON values counted before parsing (a shipped file has about 60)


@dataclass(frozen=True)
class ParityReferences:
    """What PyTorch computed for ``tokens`` (ids ``token_ids``) read by model ``model``.

    ``values`` maps trace-file keys to float64 arrays ((T, n) per quantity, ``loss`` 0-d);
    ``model_sha256`` is the SHA-256 of the weights file they were computed from.
    """

    model: str
    model_sha256: str
    text: str
    tokens: tuple[str, ...]
    token_ids: tuple[int, ...]
    loss: str
    torch_version: str
    created: str
    values: Mapping[str, np.ndarray]

    def to_json(self) -> str:
        encoded = {key: {"shape": list(value.shape), "float64": base64.b64encode(
            np.ascontiguousarray(value, "<f8").tobytes()).decode("ascii")}
            for key, value in sorted(self.values.items())}
        return json.dumps({
            "format": PARITY_FORMAT, "version": PARITY_VERSION, "model": self.model,
            "model_sha256": self.model_sha256, "text": self.text, "tokens": list(self.tokens),
            "token_ids": list(self.token_ids), "loss": self.loss, "torch": self.torch_version,
            "created": self.created, "values": encoded}, indent=1, ensure_ascii=False) + "\n"


def file_sha256(path: Path | Traversable) -> str:
    """Hex SHA-256 of a file's bytes (the model file the references belong to)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_references(references: ParityReferences, path: Path) -> Path:
    """Write ``references`` atomically as JSON (see the module docstring)."""
    return write_text_atomic(path, references.to_json())


def read_references(path: Path | Traversable) -> ParityReferences:
    """The references in ``path``; :class:`ModelFileError` if missing, too large or
    malformed (a one-line message naming the file and :data:`REGENERATE`)."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_PARITY_BYTES + 1)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read the PyTorch references "
                             f"({exc.strerror or exc}); {REGENERATE}") from exc
    if len(data) > MAX_PARITY_BYTES:
        raise ModelFileError(f"{path}: larger than {MAX_PARITY_BYTES:,} bytes, too large for "
                             f"a references file; {REGENERATE}")
    raw = parse_json_bytes(data, str(path), ModelFileError, max_depth=4, fix=REGENERATE,
                           max_values=MAX_VALUES)
    try:
        return _references(raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: malformed PyTorch references ({_reason(exc)}); "
                             f"{REGENERATE}") from exc


def _reason(exc: Exception) -> str:
    return f"missing {exc}" if isinstance(exc, KeyError) else str(exc)


def _references(raw: Any) -> ParityReferences:
    if not isinstance(raw, dict) or raw.get("format") != PARITY_FORMAT:
        raise ValueError(f"format is not {PARITY_FORMAT!r}")
    if raw.get("version") != PARITY_VERSION:
        raise ValueError(f"version {raw.get('version')!r} is not {PARITY_VERSION}")
    tokens = tuple(_strings(raw["tokens"], "tokens"))
    token_ids = tuple(raw["token_ids"])
    if len(token_ids) != len(tokens) or not tokens or not all(
            type(index) is int and index >= 0 for index in token_ids):
        raise ValueError("token_ids must be one index >= 0 per token")
    values = {key: _array(key, entry, len(tokens)) for key, entry in _mapping(raw["values"])}
    if "loss" not in values or not any(key.endswith(".h") for key in values):
        raise ValueError("values need 'loss' and at least one hidden state")
    text, loss, model, sha, version, created = _strings(
        [raw["text"], raw["loss"], raw["model"], raw["model_sha256"], raw["torch"],
         raw["created"]], "header")
    return ParityReferences(model, sha, text, tokens, token_ids, loss, version, created,
                            values)


def _strings(items: Any, what: str) -> list[str]:
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise TypeError(f"{what} must be strings")
    return items


def _mapping(values: Any) -> list[tuple[str, Any]]:
    if not isinstance(values, dict) or not values:
        raise TypeError("values must be a non-empty object")
    bad = [key for key in values if not VALUE_KEY.fullmatch(key)]
    if bad:
        raise ValueError(f"unknown quantity {bad[0][:40]!r}")
    return list(values.items())


def _array(key: str, entry: Any, steps: int) -> np.ndarray:
    """One stored array: its shape is checked against its bytes and the token count."""
    shape = tuple(entry["shape"])
    if not all(type(size) is int and 0 < size <= MAX_PARITY_BYTES for size in shape):
        raise ValueError(f"{key}: shape {list(shape)} is not a list of sizes")
    if key == "loss" and shape != () or key != "loss" and (len(shape) != 2 or shape[0] != steps):
        raise ValueError(f"{key}: shape {list(shape)} does not fit {steps} tokens")
    try:
        data = base64.b64decode(entry["float64"], validate=True)
    except (binascii.Error, TypeError) as exc:
        raise ValueError(f"{key}: not base64") from exc
    if len(data) != 8 * int(np.prod(shape, dtype=np.int64)):
        raise ValueError(f"{key}: {len(data)} bytes for shape {list(shape)}")
    array = np.frombuffer(data, "<f8").reshape(shape).astype(np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"{key}: holds NaN or infinite values")
    return array
