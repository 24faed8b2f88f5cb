"""The native model format: safetensors with the configuration in the header metadata.

Metadata keys (all values are strings, as safetensors requires):
``rnnstudio`` = ``json.dumps(ModelConfig.to_dict())`` (tokenizer and vocabulary included),
``rnnstudio_format`` = the format version (an integer), ``rnnstudio_version`` = the
writing package's version. A safetensors file without them is read like a state_dict.

Reading does not trust the file (the ``safetensors`` package is used only to write):
the header is at most ``MAX_HEADER_BYTES`` of JSON, nested at most ``MAX_HEADER_DEPTH``
and holding at most ``MAX_HEADER_VALUES`` values, checked before it is parsed; every
tensor's dtype, shape and ``data_offsets`` are checked, and the offsets must tile the
data exactly (no overlap, no gap, nothing past the end of the file), so no tensor can
claim more bytes than the file holds. Each tensor is then read into its own buffer:
what is allocated is what the file holds. F16 and BF16 tensors are widened to float32
(BF16 by shifting its 16 bits into the high half of a float32: exact, no dependency).
"""

from __future__ import annotations

import io
import json
import math
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy

from .._version import __version__
from ..engine.jsonable import to_jsonable
from ..errors import ModelFileError
from .atomic import write_bytes_atomic
from .config_sources import parse_config_text
from .json_values import parse_json_bytes, show
from .state_dict import FileContents, conversion_notes

__all__ = ["FORMAT_VERSION", "MAX_HEADER_BYTES", "bfloat16_to_float32", "read_safetensors",
           "write_safetensors"]

FORMAT_VERSION = 1
CONFIG_KEY = "rnnstudio"
VERSION_KEY = "rnnstudio_format"
METADATA_KEY = "__metadata__"
#: Longest header read: room for a configuration of MAX_CONFIG_BYTES (16 MB) escaped
#: inside a JSON string (a quote becomes two bytes). Our own models' headers are 1-50 KB.
MAX_HEADER_BYTES = 32_000_000
#: A header nests 3 levels ({name: {"shape": [...]}}); metadata values are strings.
MAX_HEADER_DEPTH = 8
#: About 8 values a tensor: room for 10,000 tensors (an RNN has at most a few hundred).
MAX_HEADER_VALUES = 100_000
#: Most dimensions of a tensor (weights have 1 or 2).
MAX_DIMS = 8
#: safetensors dtype -> the little-endian NumPy type its bytes are read as.
DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8",
          "I32": "<i4", "I16": "<i2", "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2",
          "U8": "u1", "BOOL": "?"}
_WIDENED = {"F16": "float16", "BF16": "bfloat16"}
_ENTRY_KEYS = {"dtype", "shape", "data_offsets"}
_RESAVE = "save the model again"


@dataclass(frozen=True)
class _Entry:
    """One tensor as the header describes it; offsets relative to the data start."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


def read_safetensors(path: Path) -> FileContents:
    """The tensors and, for a native file, the configuration dict.

    Raises :class:`ModelFileError` (a header or tensor that is malformed, truncated or
    of a dtype RNN Studio does not read) or :class:`ConfigError` (the ``rnnstudio``
    metadata), one line naming the file and the key.
    """
    try:
        with path.open("rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            header, data_start = _read_header(path, stream, size)
            metadata = _metadata(path, header.pop(METADATA_KEY, {}))
            entries = _entries(path, header, size - data_start)
            tensors = {entry.name: _read_tensor(path, stream, data_start, entry)
                       for entry in entries}
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    config = None
    if CONFIG_KEY in metadata:
        _check_version(path, metadata.get(VERSION_KEY, "1"))
        config = parse_config_text(metadata[CONFIG_KEY], f"{path} metadata {CONFIG_KEY!r}")
    converted = {kind: [e.name for e in entries if e.dtype == code]
                 for code, kind in _WIDENED.items()}
    return FileContents(tensors, config, conversion_notes(converted))


def bfloat16_to_float32(bits: np.ndarray) -> np.ndarray:
    """bfloat16 values, given as their uint16 bit patterns, as float32 (exact).

    bfloat16 is the high half of a float32 (sign, 8 exponent bits, 7 mantissa bits), so
    shifting the 16 bits left by 16 gives the same number, inf and NaN included.
    """
    return (bits.astype(np.uint32) << 16).view(np.float32)


def write_safetensors(
    path: str | Path, params: Mapping[str, np.ndarray], config: Mapping[str, Any]
) -> Path:
    """Write ``params`` and ``config`` (a ``ModelConfig.to_dict()``) atomically."""
    metadata = {
        CONFIG_KEY: json.dumps(to_jsonable(config), sort_keys=True),
        VERSION_KEY: str(FORMAT_VERSION),
        "rnnstudio_version": __version__,
    }
    tensors = {name: np.ascontiguousarray(value) for name, value in params.items()}
    return write_bytes_atomic(path, safetensors.numpy.save(tensors, metadata=metadata))


def _read_header(path: Path, stream: io.BufferedReader, size: int) -> tuple[dict[str, Any], int]:
    """The header object and where the data starts; the header's length is checked
    against the file's size and ``MAX_HEADER_BYTES`` before it is read."""
    if size < 8:
        raise ModelFileError(f"{path}: truncated safetensors file ({size} bytes, not even "
                             f"the header's length); {_RESAVE}")
    (length,) = struct.unpack("<Q", stream.read(8))
    if length > size - 8:
        raise ModelFileError(f"{path}: truncated safetensors file (header of {length:,} "
                             f"bytes, file of {size:,}); copy or {_RESAVE}")
    if length > MAX_HEADER_BYTES:
        raise ModelFileError(f"{path}: a safetensors header of {length:,} bytes, more than "
                             f"the {MAX_HEADER_BYTES:,} RNN Studio reads; is this a model?")
    data = stream.read(length)
    if len(data) < length:
        raise ModelFileError(f"{path}: truncated safetensors file (it shrank while being "
                             f"read); copy or {_RESAVE}")
    header = parse_json_bytes(data, f"{path}: corrupt safetensors header", ModelFileError,
                              max_depth=MAX_HEADER_DEPTH, max_values=MAX_HEADER_VALUES,
                              fix=_RESAVE)
    if not isinstance(header, dict):
        raise ModelFileError(f"{path}: corrupt safetensors header (not a JSON object); "
                             f"{_RESAVE}")
    return header, 8 + length


def _metadata(path: Path, metadata: Any) -> dict[str, str]:
    """``__metadata__``: a JSON object of strings, as the safetensors format says."""
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ModelFileError(f"{path}: corrupt safetensors header ('{METADATA_KEY}' must "
                             f"map names to strings, got {show(metadata)}); {_RESAVE}")
    return metadata


def _entries(path: Path, header: dict[str, Any], data_size: int) -> list[_Entry]:
    """Every tensor's entry, checked, in data order; they must tile ``data_size`` bytes."""
    entries = sorted((_entry(path, name, value) for name, value in header.items()),
                     key=lambda entry: (entry.begin, entry.end))
    position = 0
    for entry in entries:
        if entry.begin != position:
            relation = "overlaps another" if entry.begin < position else "leaves a gap before it"
            raise ModelFileError(f"{path}: corrupt safetensors header (tensor "
                                 f"{show(entry.name)} {relation}); {_RESAVE}")
        position = entry.end
    if position > data_size:
        raise ModelFileError(f"{path}: truncated safetensors file (its tensors need "
                             f"{position:,} bytes of data, the file holds {data_size:,}); "
                             f"copy or {_RESAVE}")
    if position < data_size:
        raise ModelFileError(f"{path}: corrupt safetensors file ({data_size - position:,} "
                             f"bytes after the last tensor); {_RESAVE}")
    return entries


def _entry(path: Path, name: str, value: Any) -> _Entry:
    """One header entry: ``{"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}``."""
    def corrupt(what: str) -> ModelFileError:
        return ModelFileError(f"{path}: corrupt safetensors header (tensor {show(name)}: "
                              f"{what}); {_RESAVE}")

    if not isinstance(value, dict) or set(value) != _ENTRY_KEYS:
        raise corrupt(f"expected dtype, shape and data_offsets, got {show(value)}")
    dtype, shape, offsets = value["dtype"], value["shape"], value["data_offsets"]
    if not isinstance(dtype, str):
        raise corrupt(f"dtype {show(dtype)} is not a name")
    if dtype not in DTYPES:
        raise ModelFileError(
            f"{path}: tensor {show(name)} has dtype {show(dtype)}, which RNN Studio does not "
            "read (it reads F64, F32, F16, BF16, integers and BOOL); save it as F32")
    if not _whole_numbers(shape) or len(shape) > MAX_DIMS:
        raise corrupt(f"shape {show(shape)} is not a list of at most {MAX_DIMS} sizes")
    if not _whole_numbers(offsets) or len(offsets) != 2 or offsets[0] > offsets[1]:
        raise corrupt(f"data_offsets {show(offsets)} is not [begin, end] with begin <= end")
    needed = math.prod(shape) * np.dtype(DTYPES[dtype]).itemsize
    if needed != offsets[1] - offsets[0]:
        raise corrupt(f"shape {show(tuple(shape))} of {dtype} needs {needed:,} bytes, its "
                      f"data_offsets span {offsets[1] - offsets[0]:,}")
    return _Entry(name, dtype, tuple(shape), offsets[0], offsets[1])


def _whole_numbers(value: Any) -> bool:
    """A JSON list of whole numbers from 0 to 2**64 - 1, the spec's ``usize`` (1e400 is
    a float, true is no size)."""
    return isinstance(value, list) and all(
        isinstance(item, int) and not isinstance(item, bool) and 0 <= item < 2**64
        for item in value)


def _read_tensor(path: Path, stream: io.BufferedReader, data_start: int,
                 entry: _Entry) -> np.ndarray:
    """Read one tensor's bytes into a buffer of exactly their size; widen F16/BF16."""
    buffer = np.empty(entry.end - entry.begin, dtype=np.uint8)
    stream.seek(data_start + entry.begin)
    if stream.readinto(buffer.data) != buffer.size:
        raise ModelFileError(f"{path}: truncated safetensors file (it shrank while being "
                             f"read); copy or {_RESAVE}")
    try:
        values = buffer.view(DTYPES[entry.dtype]).reshape(entry.shape)
    except ValueError:  # (0, 10**30): no bytes, yet more dimensions than NumPy allows
        raise ModelFileError(f"{path}: corrupt safetensors header (tensor {show(entry.name)}:"
                             f" shape {show(entry.shape)} is beyond what NumPy can hold); "
                             f"{_RESAVE}") from None
    if entry.dtype == "BF16":
        return bfloat16_to_float32(values)
    return values.astype(np.float32) if entry.dtype == "F16" else values


def _check_version(path: Path, version: str) -> None:
    if not version.isascii() or not version.isdigit() or len(version) > 6:
        raise ModelFileError(f"{path}: unreadable format version {show(version)} in the "
                             f"metadata; {_RESAVE}")
    if int(version) > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: written in model format {version} by a newer RNN Studio (this one reads "
            f"up to {FORMAT_VERSION}); upgrade rnnstudio"
        )
