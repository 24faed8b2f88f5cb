"""Models as ``.npz``: one array per parameter plus an optional ``config`` JSON string.

Read through :func:`.npz_members.read_npz_arrays`, never ``np.load``: ``np.load`` trusts
each member's header (a 1.9 MB file can make it allocate 2 GB) and inflates compressed
members fully. Here every header is checked against the bytes really in the file, object
arrays (which would need unpickling, and unpickling can run code) and non-numeric dtypes
are refused before anything is allocated, and compressed members may expand to at most
``MAX_EXPANSION`` times the file's size. float16 arrays are widened to float32.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..engine.jsonable import to_jsonable
from ..errors import ModelFileError
from .atomic import write_atomic
from .config_sources import parse_config_text
from .npz_members import read_npz_arrays
from .state_dict import FileContents, conversion_notes, widen_float16

__all__ = ["CONFIG_KEY", "MAX_EXPANSION", "read_npz", "write_npz"]

CONFIG_KEY = "config"
#: Largest expansion of a model's compressed members, relative to the file's size.
#: Trained or random float32 weights compress 1.05-1.1x with np.savez_compressed and
#: float64 copies of float32 weights about 2x; only a model of (nearly) constant weights
#: compresses further, and it can be saved uncompressed. A trace's bound is 256.
MAX_EXPANSION = 32


def read_npz(path: Path) -> FileContents:
    """The arrays and the configuration from key ``config`` (None if absent).

    Raises :class:`ModelFileError` (corrupt, truncated, unsafe or oversize members) or
    :class:`ConfigError` (``config`` that is not a JSON object within bounds), one line
    naming the file and the member.
    """
    arrays = read_npz_arrays(path, ModelFileError, max_expansion=MAX_EXPANSION)
    stored_config = arrays.pop(CONFIG_KEY, None)
    config = None
    if stored_config is not None:
        config = parse_config_text(_json_text(stored_config, path), f"{path} key 'config'")
    params, widened = widen_float16(arrays)
    return FileContents(params, config, conversion_notes({"float16": widened}))


def write_npz(
    path: str | Path, params: Mapping[str, np.ndarray], config: Mapping[str, Any]
) -> Path:
    """Write ``params`` and ``config`` (stored as a 0-d unicode array) atomically."""
    arrays = {CONFIG_KEY: np.array(json.dumps(to_jsonable(config), sort_keys=True)), **params}

    def write(stream: IO[bytes]) -> None:
        np.savez(stream, **arrays)  # type: ignore[arg-type]  # stubs: allow_pickle

    return write_atomic(path, write)


def _json_text(value: np.ndarray, path: Path) -> str:
    """``config`` must be a 0-d or 1-element unicode array."""
    if value.size == 1 and value.dtype.kind == "U":
        return str(value.reshape(()).item())
    raise ModelFileError(
        f"{path}: key 'config' must be one JSON string, got a {value.dtype} array of "
        f"shape {value.shape}; save np.array(json.dumps(config)) under 'config'"
    )
