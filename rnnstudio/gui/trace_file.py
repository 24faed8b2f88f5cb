"""A saved trace (.npz or .json) in the shape the panels draw (NumPy only).

``rnnstudio.io.load_trace`` gives the file's arrays by key; this adapter puts them behind
the attributes of the engine's ``Trace`` (``layer(k, direction)``, ``grads`` ...), so the
headless ``plot`` command renders a trace without the model that made it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..engine.config import RecurrentConfig
from ..errors import RnnStudioError

_LAYER_KEY = re.compile(r"^l(\d+)\.(fwd|bwd)\.(\w+)$")
_GRAD_KEY = re.compile(r"^grad\.l(\d+)\.(fwd|bwd)\.(h|c)$")
_JACOBIAN_KEY = re.compile(r"^jacobian\.l(\d+)\.(fwd|bwd)$")


class TraceFileError(RnnStudioError):
    """A file that is not a readable RNN Studio trace."""


@dataclass
class _LayerArrays:
    h: np.ndarray
    c: np.ndarray | None
    gates: dict[str, np.ndarray]


@dataclass
class SavedTrace:
    """A trace file's arrays behind the same attributes as the engine's ``Trace``."""

    tokens: list[str]
    x: np.ndarray
    config: Any
    layers: dict[tuple[int, str], _LayerArrays]
    grads: Any
    unknown: list[int] = field(default_factory=list)
    nonfinite: Any = None
    meta: dict[str, Any] = field(default_factory=dict)

    def layer(self, layer: int = 0, direction: str = "fwd") -> _LayerArrays:
        return self.layers[layer % self.config.recurrent.num_layers, direction]


TRACE_SUFFIXES = (".npz", ".json")


def is_trace_file(path: str | Path) -> bool:
    """True for an .npz or .json holding trace keys (a model .npz holds ``rnn.*``)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".json":
        return True
    if suffix != ".npz":
        return False
    try:
        with np.load(path, allow_pickle=False) as data:
            return "meta" in data.files and "tokens" in data.files
    except (OSError, ValueError, EOFError):
        return False


def _recurrent_config(meta: dict[str, Any]) -> RecurrentConfig:
    known = set(RecurrentConfig.__dataclass_fields__)
    return RecurrentConfig(**{key: value for key, value in meta.items() if key in known})


def load_trace(path: str | Path) -> SavedTrace:
    """Read a trace written by ``save_trace``; raises ``TraceFileError`` with the reason."""
    from .. import io as rnn_io

    arrays = dict(rnn_io.load_trace(path))
    try:
        meta = arrays.pop("meta")
        meta = json.loads(str(meta)) if not isinstance(meta, dict) else meta
        recurrent = _recurrent_config(meta)
    except (ValueError, KeyError, TypeError) as error:
        raise TraceFileError(f"{path} is not an RNN Studio trace: {error}") from error
    states: dict[tuple[int, str], dict[str, np.ndarray]] = {}
    grads_h: dict[tuple[int, str], np.ndarray] = {}
    grads_c: dict[tuple[int, str], np.ndarray] = {}
    jacobian: dict[tuple[int, str], np.ndarray] = {}
    for key, values in arrays.items():
        if match := _LAYER_KEY.match(key):
            states.setdefault((int(match[1]), match[2]), {})[match[3]] = values
        elif match := _GRAD_KEY.match(key):
            (grads_h if match[3] == "h" else grads_c)[int(match[1]), match[2]] = values
        elif match := _JACOBIAN_KEY.match(key):
            jacobian[int(match[1]), match[2]] = values
    layers = {}
    for key, quantities in states.items():
        hidden, cell = quantities.pop("h"), quantities.pop("c", None)
        layers[key] = _LayerArrays(hidden, cell, quantities)
    grads = None
    if grads_h:
        grads = SimpleNamespace(loss_name=meta.get("loss") or "", loss_value=float(
            meta.get("loss_value") or 0.0), h=grads_h, c=grads_c, x=arrays.get("grad.x"),
            jacobian=jacobian)
    nonfinite = meta.get("nonfinite")
    return SavedTrace(
        tokens=[str(token) for token in np.asarray(arrays["tokens"])], x=arrays.get("x"),
        config=SimpleNamespace(recurrent=recurrent, tokenizer=None), layers=layers,
        grads=grads, unknown=list(meta.get("unknown") or []),
        nonfinite=SimpleNamespace(message=lambda: nonfinite) if nonfinite else None,
        meta=meta)
