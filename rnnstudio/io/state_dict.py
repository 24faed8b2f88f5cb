"""Turn a foreign state_dict into RNN Studio's names, and read the architecture off it.

PyTorch stores no architecture in a state_dict, but the shapes pin most of it down:
``weight_hh_l0`` has ``G * hidden`` rows with G = 1 (RNN), 3 (GRU) or 4 (LSTM); the
``_l{k}`` suffixes count layers; ``_reverse`` means bidirectional; ``weight_hr_l0``
means an LSTM projection. What shapes cannot tell (an RNN's nonlinearity, a
vocabulary) must come from the file's metadata, a sidecar or the caller.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.config import GATE_COUNT
from ..errors import ConfigError, ParameterError
from .config_sources import sidecar_path

__all__ = ["canonical_names", "infer_recurrent"]

_RECURRENT_KEY = re.compile(r"^(?P<prefix>.*?)weight_ih_l(?P<layer>\d+)(?P<reverse>_reverse)?$")
_RECURRENT_PARAM = re.compile(r"^(weight|bias)_(ih|hh|hr)_l\d+(_reverse)?$")
_CELL_FOR_GATES = {count: cell for cell, count in GATE_COUNT.items()}
_CONVENTION = (
    "RNN Studio reads a bare nn.RNN/LSTM/GRU state_dict, or a module whose submodules are "
    "named embedding, rnn and head"
)


def canonical_names(params: Mapping[str, np.ndarray], path: Path) -> dict[str, np.ndarray]:
    """Rename keys to ``embedding.weight``, ``rnn.*``, ``head.*``.

    Accepts ``weight_ih_l0`` (bare ``nn.LSTM``), ``rnn.weight_ih_l0`` (our convention),
    any other name for the recurrent submodule (``lstm.weight_ih_l0``) and a common
    wrapper prefix (``module.`` from DataParallel, ``model.`` from Lightning).
    """
    prefixes = {
        match["prefix"] for key in params if (match := _RECURRENT_KEY.match(key)) is not None
    }
    if not prefixes:
        raise ParameterError(
            f"{path}: missing key weight_ih_l0 (or rnn.weight_ih_l0): no recurrent weights "
            f"found among {_key_list(params)}; {_CONVENTION}"
        )
    if len(prefixes) > 1:
        stacks = ", ".join(sorted(prefix or "(top level)" for prefix in prefixes))
        raise ParameterError(
            f"{path}: more than one recurrent stack ({stacks}); save only the one to view"
        )
    recurrent = prefixes.pop()
    root = recurrent.rsplit(".", 2)[0] + "." if recurrent.count(".") >= 2 else ""
    renamed: dict[str, np.ndarray] = {}
    for key, value in params.items():
        if key.startswith(recurrent) and _RECURRENT_PARAM.match(key[len(recurrent):]):
            name = "rnn." + key[len(recurrent):]
        elif key.startswith(root) and key[len(root):].split(".")[0] in ("embedding", "head"):
            name = key[len(root):]
        else:
            raise ParameterError(f"{path}: unexpected key {key!r}; {_CONVENTION}")
        renamed[name] = value
    return renamed


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
    projection = params.get("rnn.weight_hr_l0")
    inferred: dict[str, Any] = {
        "num_layers": max(layer for layer, _ in layers) + 1,
        "bidirectional": any(reverse for _, reverse in layers),
        "bias": "rnn.bias_ih_l0" in params or "rnn.bias_hh_l0" in params,
        "input_size": int(w_ih.shape[1]),
        "proj_size": int(projection.shape[0]) if projection is not None else 0,
    }
    hidden = given.get("hidden_size") or (
        int(projection.shape[1]) if projection is not None and projection.ndim == 2
        else int(w_hh.shape[1])
    )
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
        match = _RECURRENT_KEY.match(key)
        if match is not None:
            layers.append((int(match["layer"]), bool(match["reverse"])))
    if not layers:
        raise ParameterError(f"{path}: missing key rnn.weight_ih_l0; {_CONVENTION}")
    count = max(layer for layer, _ in layers) + 1
    missing = sorted(set(range(count)) - {layer for layer, _ in layers})
    if missing:
        raise ParameterError(
            f"{path}: missing key rnn.weight_ih_l{missing[0]} (layers 0..{count - 1} "
            "must all be present)"
        )
    return layers


def _matrix(params: Mapping[str, np.ndarray], key: str, path: Path) -> np.ndarray:
    value = params.get(key)
    if value is None:
        raise ParameterError(f"{path}: missing key {key}; {_CONVENTION}")
    if value.ndim != 2:
        raise ParameterError(
            f"{path}: key {key} has shape {tuple(value.shape)}; expected a matrix (2 dims)"
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


def _key_list(params: Mapping[str, Any], most: int = 6) -> str:
    keys = sorted(params)
    shown = ", ".join(keys[:most]) + (f" ... ({len(keys)} keys)" if len(keys) > most else "")
    return shown or "(no keys)"

