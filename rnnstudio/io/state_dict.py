"""What every model reader returns, and the architecture read off a state_dict's shapes.

Every reader returns a :class:`FileContents`: the arrays, the file's own configuration
and notes on what was converted while reading (half precision widened to float32).
The keys are renamed to the engine's by :mod:`.name_map`.

PyTorch stores no architecture in a state_dict, but the shapes pin most of it down:
``weight_hh_l0`` has ``G * hidden`` rows with G = 1 (RNN), 3 (GRU) or 4 (LSTM); the
``_l{k}`` suffixes count layers; ``_reverse`` means bidirectional; ``weight_hr_l0``
means an LSTM projection. What shapes cannot tell (an RNN's nonlinearity, a
vocabulary) must come from the file's metadata, a sidecar or the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.config import GATE_COUNT
from ..errors import ConfigError, ParameterError
from .config_sources import sidecar_path
from .name_map import CONVENTION, RECURRENT_KEY

__all__ = ["FileContents", "conversion_notes", "infer_recurrent", "widen_float16"]

_CELL_FOR_GATES = {count: cell for cell, count in GATE_COUNT.items()}


@dataclass(frozen=True)
class FileContents:
    """What a model file holds, before any configuration is applied.

    Attributes
    ----------
    params : arrays by the file's own names; float16 and bfloat16 already widened to
        float32 (NumPy has no bfloat16, and the engine computes in float32 or float64).
    config : the file's own, possibly partial, ``ModelConfig.to_dict()``; None if none.
    notes : what was converted while reading, one phrase each, e.g.
        ``"converted from bfloat16 to float32 (4 tensors)"``.
    """

    params: dict[str, np.ndarray]
    config: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()


def conversion_notes(converted: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """``{"bfloat16": names}`` -> ``("converted from bfloat16 to float32 (N tensors)",)``;
    types with no names give no note."""
    return tuple(
        f"converted from {kind} to float32 ({len(names)} tensor{'s' * (len(names) != 1)})"
        for kind, names in converted.items() if names
    )


def widen_float16(params: Mapping[str, np.ndarray]) -> tuple[dict[str, np.ndarray], list[str]]:
    """float16 arrays as float32 (exact: float32 holds every float16), and their names."""
    widened = {name: value.astype(np.float32) if value.dtype == np.float16 else value
               for name, value in params.items()}
    return widened, [name for name, value in params.items() if value.dtype == np.float16]


def infer_recurrent(
    params: Mapping[str, np.ndarray], given: Mapping[str, Any], path: Path
) -> dict[str, Any]:
    """Fill the recurrent-config fields missing from ``given`` from the weight shapes.

    ``params`` use canonical names. Values in ``given`` win (a wrong one is caught later
    by the model's shape check, which names the key).
    """
    layers = _recurrent_layers(params, path)
    w_ih = _matrix(params, "rnn.weight_ih_l0", path)
    w_hh = _matrix(params, "rnn.weight_hh_l0", path)
    projection = (_matrix(params, "rnn.weight_hr_l0", path)
                  if "rnn.weight_hr_l0" in params else None)
    inferred: dict[str, Any] = {
        "num_layers": max(layer for layer, _ in layers) + 1,
        "bidirectional": any(reverse for _, reverse in layers),
        "bias": "rnn.bias_ih_l0" in params or "rnn.bias_hh_l0" in params,
        "input_size": int(w_ih.shape[1]),
        "proj_size": int(projection.shape[0]) if projection is not None else 0,
    }
    hidden = given.get("hidden_size") or int(
        projection.shape[1] if projection is not None else w_hh.shape[1])
    inferred["hidden_size"] = hidden
    if "cell" not in given:
        inferred["cell"] = _cell_from_rows(int(w_hh.shape[0]), hidden, path)
    merged = {**inferred, **given}
    if merged["cell"] == "rnn" and "nonlinearity" not in given:
        raise ConfigError(
            f"{path}: an RNN's nonlinearity is not stored in a state_dict: pass "
            "--nonlinearity tanh|relu (Python: nonlinearity=...), or put "
            f'{{"nonlinearity": "tanh"}} (or "relu") in {sidecar_path(path).name} next to it'
        )
    return merged


def _recurrent_layers(params: Mapping[str, np.ndarray], path: Path) -> list[tuple[int, bool]]:
    layers = []
    for key in params:
        match = RECURRENT_KEY.match(key)
        if match is not None:
            layers.append((int(match["layer"]), bool(match["reverse"])))
    if not layers:
        raise ParameterError(f"{path}: missing key rnn.weight_ih_l0; {CONVENTION}")
    present = sorted({layer for layer, _ in layers})
    # The first gap, found without building range(count): weight_ih_l9999 alone is cheap.
    missing = next((index for index, layer in enumerate(present) if index != layer), None)
    if missing is not None:
        raise ParameterError(
            f"{path}: missing key rnn.weight_ih_l{missing} (layers 0..{present[-1]} "
            "must all be present)"
        )
    return layers


def _matrix(params: Mapping[str, np.ndarray], key: str, path: Path) -> np.ndarray:
    value = params.get(key)
    if value is None:
        raise ParameterError(f"{path}: missing key {key}; {CONVENTION}")
    if value.ndim != 2 or 0 in value.shape:
        raise ParameterError(
            f"{path}: key {key} has shape {tuple(value.shape)}; expected a matrix (2 dims, "
            "neither of them 0)"
        )
    return value


def _cell_from_rows(rows: int, hidden: int, path: Path) -> str:
    count, remainder = divmod(rows, hidden)
    if remainder or count not in _CELL_FOR_GATES:
        raise ParameterError(
            f"{path}: key rnn.weight_hh_l0 has {rows} rows for hidden size {hidden}; expected "
            "1, 3 or 4 times the hidden size (RNN, GRU, LSTM): check the file or pass --cell "
            "and --hidden"
        )
    return _CELL_FOR_GATES[count]
