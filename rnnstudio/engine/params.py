"""Parameter names, shapes and initialisation, exactly as ``torch.nn.RNN/LSTM/GRU``.

A model's parameters live in one flat ``dict[str, ndarray]`` keyed by PyTorch's names
(``rnn.weight_ih_l0``, ``rnn.weight_hh_l1_reverse``, ``embedding.weight``, ``head.bias``)
so a PyTorch ``state_dict`` maps onto it one-to-one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import DTypeLike

from ..errors import ParameterError
from .config import RecurrentConfig

RNN_PREFIX = "rnn."


def layer_suffix(layer: int, direction: str) -> str:
    """``l0`` or ``l0_reverse``: PyTorch's suffix for one layer and direction."""
    return f"l{layer}" + ("_reverse" if direction == "bwd" else "")


def recurrent_shapes(config: RecurrentConfig) -> dict[str, tuple[int, ...]]:
    """Names (without prefix) and shapes of every recurrent parameter, in PyTorch's order."""
    rows = config.gate_count * config.hidden_size
    shapes: dict[str, tuple[int, ...]] = {}
    for layer in range(config.num_layers):
        for direction in config.directions:
            sfx = layer_suffix(layer, direction)
            shapes[f"weight_ih_{sfx}"] = (rows, config.layer_input_size(layer))
            shapes[f"weight_hh_{sfx}"] = (rows, config.output_size)
            if config.bias:
                shapes[f"bias_ih_{sfx}"] = (rows,)
                shapes[f"bias_hh_{sfx}"] = (rows,)
            if config.proj_size:
                shapes[f"weight_hr_{sfx}"] = (config.proj_size, config.hidden_size)
    return shapes


def init_recurrent(
    config: RecurrentConfig,
    rng: np.random.Generator,
    gain: float = 1.0,
    dtype: DTypeLike = np.float32,
) -> dict[str, np.ndarray]:
    """PyTorch's default init, U(-1/sqrt(H), 1/sqrt(H)) for every tensor, then
    ``weight_hh *= gain`` so a user can make gradients vanish (gain < 1) or explode (> 1)."""
    bound = 1.0 / np.sqrt(config.hidden_size)
    params = {}
    for name, shape in recurrent_shapes(config).items():
        values = rng.uniform(-bound, bound, size=shape)
        if name.startswith("weight_hh"):
            values = values * gain
        params[RNN_PREFIX + name] = values.astype(dtype)
    return params


def check_params(
    expected: Mapping[str, tuple[int, ...]], params: Mapping[str, np.ndarray], source: str
) -> None:
    """Raise :class:`ParameterError` naming the first missing, unexpected, mis-shaped or
    non-finite parameter; ``source`` (a file name or "model") goes into the message."""
    missing = [name for name in expected if name not in params]
    if missing:
        raise ParameterError(
            f"{source}: missing parameter {missing[0]!r}"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
            + "; check that the file matches the configured cell, layers and directions"
        )
    unexpected = [name for name in params if name not in expected]
    if unexpected:
        raise ParameterError(
            f"{source}: unexpected parameter {unexpected[0]!r}; expected only "
            f"{', '.join(list(expected)[:6])}{' ...' if len(expected) > 6 else ''}"
        )
    for name, shape in expected.items():
        value = params[name]
        if tuple(value.shape) != tuple(shape):
            raise ParameterError(
                f"{source}: parameter {name!r} has shape {tuple(value.shape)}, expected "
                f"{tuple(shape)} for this configuration"
            )
        if not np.issubdtype(value.dtype, np.floating):
            raise ParameterError(f"{source}: parameter {name!r} has dtype {value.dtype}; "
                                 "weights must be floating point")
        finite = np.isfinite(value)
        if not finite.all():
            index = tuple(int(i) for i in np.argwhere(~finite)[0])
            raise ParameterError(
                f"{source}: parameter {name!r} holds {value[index]} at index {index}; "
                "weights must be finite: retrain or fix the file"
            )


@dataclass(frozen=True)
class LayerWeights:
    """One layer and direction in PyTorch's layout (rows in PyTorch gate order)."""

    weight_ih: np.ndarray  # (G*H, in)
    weight_hh: np.ndarray  # (G*H, H_out)
    bias_ih: np.ndarray | None  # (G*H,)
    bias_hh: np.ndarray | None  # (G*H,)
    weight_hr: np.ndarray | None  # (P, H), LSTM with proj_size only


def layer_weights(
    params: Mapping[str, np.ndarray], layer: int, direction: str, dtype: np.dtype
) -> LayerWeights:
    sfx = layer_suffix(layer, direction)

    def get(kind: str) -> np.ndarray | None:
        value = params.get(f"{RNN_PREFIX}{kind}_{sfx}")
        return None if value is None else np.asarray(value, dtype=dtype)

    weight_ih, weight_hh = get("weight_ih"), get("weight_hh")
    assert weight_ih is not None and weight_hh is not None
    return LayerWeights(weight_ih, weight_hh, get("bias_ih"), get("bias_hh"), get("weight_hr"))
