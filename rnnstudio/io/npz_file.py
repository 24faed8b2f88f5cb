"""Models as ``.npz``: one array per parameter plus an optional ``config`` JSON string.

Read with ``np.load(allow_pickle=False)``: an object array would need unpickling, which
can run arbitrary code, so it is refused before anything in it is executed.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..engine.jsonable import to_jsonable
from ..errors import ModelFileError
from .atomic import write_atomic
from .config_sources import parse_json_object

__all__ = ["CONFIG_KEY", "read_npz", "write_npz"]

CONFIG_KEY = "config"


def read_npz(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any] | None]:
    """Return the arrays and the configuration from key ``config`` (None if absent)."""
    params: dict[str, np.ndarray] = {}
    config = None
    try:
        with np.load(path, allow_pickle=False) as archive:
            for key in archive.files:
                value = _member(archive, key, path)
                if key == CONFIG_KEY:
                    config = parse_json_object(_json_text(value, path), f"{path} key 'config'")
                else:
                    params[key] = value
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise ModelFileError(
            f"{path}: truncated or corrupt .npz ({exc}); copy or save the model again"
        ) from exc
    return params, config


def write_npz(
    path: str | Path, params: Mapping[str, np.ndarray], config: Mapping[str, Any]
) -> Path:
    """Write ``params`` and ``config`` (stored as a 0-d unicode array) atomically."""
    arrays = {CONFIG_KEY: np.array(json.dumps(to_jsonable(config), sort_keys=True)), **params}

    def write(stream: IO[bytes]) -> None:
        np.savez(stream, **arrays)  # type: ignore[arg-type]  # stubs: allow_pickle

    return write_atomic(path, write)


def _member(archive: Any, key: str, path: Path) -> np.ndarray:
    try:
        return np.asarray(archive[key])
    except ValueError as exc:
        if "pickle" in str(exc):
            raise ModelFileError(
                f"{path}: key {key!r} holds pickled Python objects, which can run code when "
                "loaded; RNN Studio refuses them: save plain numeric arrays"
            ) from None
        raise ModelFileError(f"{path}: key {key!r} is corrupt ({exc})") from exc


def _json_text(value: np.ndarray, path: Path) -> str:
    """``config`` may be a 0-d or 1-element unicode (or UTF-8 bytes) array."""
    if value.size == 1 and value.dtype.kind in "US":
        item = value.reshape(()).item()
        return item.decode("utf-8") if isinstance(item, bytes) else str(item)
    raise ModelFileError(
        f"{path}: key 'config' must be one JSON string, got a {value.dtype} array of "
        f"shape {value.shape}"
    )
