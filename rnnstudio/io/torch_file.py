"""PyTorch ``state_dict`` files, read with ``torch.load(weights_only=True)``.

torch is optional: without it the message points at ``rnnstudio convert``, which can run
on any machine that has torch. ``weights_only=True`` restricts unpickling to tensors and
plain containers, so a file that would run code is refused, not executed.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelFileError, ParameterError
from .messages import first_line

__all__ = ["read_torch"]

#: Checkpoint dicts often wrap the state_dict next to optimizer state and epochs.
WRAPPER_KEYS = ("state_dict", "model_state_dict")


def read_torch(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any] | None]:
    """Return the state_dict as NumPy arrays (a PyTorch file carries no configuration)."""
    try:
        import torch
    except ImportError:
        raise ModelFileError(
            f"{path}: a PyTorch file, and PyTorch is not installed here: run "
            f"'rnnstudio convert {path} {path.with_suffix('.safetensors')}' where torch is "
            "installed, or install torch"
        ) from None
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ModelFileError(
            f"{path}: refused: it holds Python objects other than tensors, and loading them "
            f"could run code ({first_line(exc)}); save model.state_dict() instead"
        ) from None
    except Exception as exc:  # torch reports truncation as RuntimeError, EOFError, ...
        raise ModelFileError(
            f"{path}: truncated or corrupt PyTorch file ({first_line(exc)}); save it again"
        ) from None
    state = _unwrap(loaded, path)
    return {name: _to_numpy(name, value, path, torch) for name, value in state.items()}, None


def _unwrap(loaded: object, path: Path) -> Mapping[str, Any]:
    if not isinstance(loaded, Mapping):
        raise ModelFileError(
            f"{path}: holds a {type(loaded).__name__}, not a state_dict; save "
            "model.state_dict() with torch.save"
        )
    for key in WRAPPER_KEYS:
        inner = loaded.get(key)
        if isinstance(inner, Mapping):
            return inner
    return loaded


def _to_numpy(name: object, value: object, path: Path, torch: Any) -> np.ndarray:
    if not isinstance(value, torch.Tensor):
        raise ParameterError(
            f"{path}: key {name!r} holds a {type(value).__name__}, not a tensor; save "
            "model.state_dict() (or a dict with it under 'state_dict')"
        )
    tensor = value.detach().cpu()
    if tensor.dtype in (torch.float16, torch.bfloat16):
        tensor = tensor.float()  # NumPy has no bfloat16; float32 holds both exactly
    return np.array(tensor.numpy(), copy=True)

