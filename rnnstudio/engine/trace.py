"""A trace: everything a model computed while reading one text, forward and backward.

Arrays are time-major and in forward time, one row per token: h (T, H_out), c and gates
(T, H), gradients likewise. ``Trace.arrays()`` flattens it to the trace-file keys
(``l0.fwd.h``, ``grad.l0.fwd.c``, ``grad.x`` ...) documented in ``docs/formats.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .._version import __version__
from .jsonable import to_jsonable

if TYPE_CHECKING:
    from .model import ModelConfig

Key = tuple[int, str]
TRACE_FORMAT_VERSION = 1


@dataclass(frozen=True)
class LayerTrace:
    """One layer and direction: h (T, H_out), c (T, H) for LSTM, gates name -> (T, H)."""

    h: np.ndarray
    c: np.ndarray | None
    gates: dict[str, np.ndarray]

    def quantities(self) -> dict[str, np.ndarray]:
        """h, c (LSTM) and every gate, in display order."""
        out = {"h": self.h}
        if self.c is not None:
            out["c"] = self.c
        return {**out, **self.gates}


@dataclass(frozen=True)
class NonFinite:
    """Where a value first became NaN or infinite (earliest step, then lowest layer)."""

    step: int
    layer: int
    direction: str
    quantity: str
    unit: int
    value: float
    token: str = ""

    def message(self) -> str:
        where = f"layer {self.layer} ({self.direction})"
        return (f"non-finite value: {self.quantity} of {where} is {self.value} at step "
                f"{self.step} (token {self.token!r}), unit {self.unit}")


def find_nonfinite(
    arrays: dict[tuple[int, str, str], np.ndarray], tokens: list[str]
) -> NonFinite | None:
    """The earliest step, then first (layer, direction, quantity), holding NaN or inf."""
    best: NonFinite | None = None
    for (layer, direction, quantity), values in arrays.items():
        bad = ~np.isfinite(values.reshape(values.shape[0], -1))
        rows = np.flatnonzero(bad.any(axis=1))
        if rows.size and (best is None or rows[0] < best.step):
            step = int(rows[0])
            unit = int(np.flatnonzero(bad[step])[0])
            value = float(values.reshape(values.shape[0], -1)[step, unit])
            token = tokens[step] if step < len(tokens) else ""
            best = NonFinite(step, layer, direction, quantity, unit, value, token)
    return best


def row_norms(values: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row without squaring tiny values to zero (a vanished
    gradient of 1e-170 has a norm of 1e-170, not 0 as ``np.linalg.norm`` gives)."""
    peak = np.abs(values).max(axis=1, keepdims=True)
    safe = np.where(peak > 0, peak, 1.0)
    return peak[:, 0] * np.sqrt(((values / safe) ** 2).sum(axis=1))


@dataclass
class Gradients:
    """Backward results in ``grad_dtype`` (float64 by default).

    ``h``/``c`` are total derivatives dL/dh_t, dL/dc_t per (layer, direction);
    ``jacobian`` is ||dh_T/dh_t|| (Frobenius, see ``RecurrentStack.jacobian_norms``).
    """

    loss_name: str
    loss_value: float
    h: dict[Key, np.ndarray]
    c: dict[Key, np.ndarray]
    x: np.ndarray
    params: dict[str, np.ndarray]
    h0: np.ndarray
    c0: np.ndarray | None
    jacobian: dict[Key, np.ndarray] = field(default_factory=dict)
    nonfinite: NonFinite | None = None

    def norms(self, layer: int = 0, direction: str = "fwd") -> dict[str, np.ndarray]:
        """Per-step norms (T,): ``h`` ||dL/dh_t||, ``c`` ||dL/dc_t||, ``x`` ||dL/dx_t||
        and ``jacobian`` ||dh_T/dh_t|| where computed."""
        key = (layer, direction)
        out = {"h": row_norms(self.h[key])}
        if key in self.c:
            out["c"] = row_norms(self.c[key])
        out["x"] = row_norms(self.x)
        if key in self.jacobian:
            out["jacobian"] = self.jacobian[key]
        return out


@dataclass
class Trace:
    """Forward (and, with a loss, backward) results for one text."""

    config: ModelConfig
    tokens: list[str]
    token_ids: np.ndarray
    unknown: list[int]
    x: np.ndarray
    layers: dict[Key, LayerTrace]
    logits: np.ndarray | None = None
    grads: Gradients | None = None
    nonfinite: NonFinite | None = None
    seconds: float = 0.0
    h0: np.ndarray | None = None  # initial states as given (None: zeros)
    c0: np.ndarray | None = None

    @property
    def steps(self) -> int:
        return len(self.tokens)

    def layer(self, layer: int = 0, direction: str = "fwd") -> LayerTrace:
        return self.layers[layer % self.config.recurrent.num_layers, direction]

    @property
    def meta(self) -> dict[str, Any]:
        rec = self.config.recurrent
        meta: dict[str, Any] = {
            "format": "rnnstudio-trace",
            "format_version": TRACE_FORMAT_VERSION,
            "version": __version__,
            **rec.to_dict(),
            "dtype": self.config.dtype,
            "tokenizer": self.config.tokenizer.kind,
            "steps": self.steps,
            "unknown": list(self.unknown),
            "labels": list(self.config.labels),
            "loss": None if self.grads is None else self.grads.loss_name,
            "loss_value": None if self.grads is None else self.grads.loss_value,
            "grad_dtype": None if self.grads is None else str(self.grads.x.dtype),
            "nonfinite": None if self.nonfinite is None else self.nonfinite.message(),
        }
        return meta

    def arrays(self) -> dict[str, np.ndarray]:
        """The trace-file keys and arrays (``meta`` as a JSON string)."""
        out: dict[str, np.ndarray] = {
            "tokens": np.array(self.tokens, dtype=np.str_),
            "token_ids": self.token_ids.astype(np.int64),
            "x": self.x,
        }
        for (layer, direction), record in self.layers.items():
            for name, values in record.quantities().items():
                out[f"l{layer}.{direction}.{name}"] = values
        grads = self.grads
        if grads is not None:
            for (layer, direction), values in grads.h.items():
                out[f"grad.l{layer}.{direction}.h"] = values
            for (layer, direction), values in grads.c.items():
                out[f"grad.l{layer}.{direction}.c"] = values
            out["grad.x"] = grads.x
            for (layer, direction), values in grads.jacobian.items():
                out[f"jacobian.l{layer}.{direction}"] = values
        if self.logits is not None:
            out["logits"] = self.logits
        out["meta"] = np.array(json.dumps(to_jsonable(self.meta), allow_nan=False))
        return out
