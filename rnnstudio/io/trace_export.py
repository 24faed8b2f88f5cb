"""Write a trace to ``.npz``, ``.csv`` or ``.json``, atomically (:mod:`.trace_read`
reads it back).

The keys are DESIGN.md's trace-file table, taken from ``trace.arrays()``; ``meta`` is
``trace.meta`` as a JSON string. docs/formats.md documents every key and column.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np

from ..engine.jsonable import NONFINITE_TEXT, to_jsonable
from ..engine.trace import TRACE_FORMAT, TRACE_FORMAT_VERSION
from ..engine.trace_keys import META, TOKENS
from ..errors import ExportError
from .atomic import check_writable, write_atomic
from .trace_csv import write_trace_csv

if TYPE_CHECKING:
    from ..engine.trace import Trace

__all__ = ["TRACE_EXTENSIONS", "save_trace", "trace_file_arrays", "write_trace_arrays"]

TRACE_EXTENSIONS = (".npz", ".csv", ".json")
#: NumPy's text for a non-finite number -> its JSON string (see NONFINITE_TEXT).
_NONFINITE = {text: json.dumps(name) for text, name in NONFINITE_TEXT.items()}


def save_trace(trace: Trace, path: str | Path) -> Path:
    """Write ``trace`` to ``path``; the extension (.npz, .csv, .json) picks the format.

    Raises :class:`ExportError` naming the path for an unknown extension or a place that
    cannot be written; an existing file is replaced only once the new one is complete.
    """
    return write_trace_arrays(trace_file_arrays(trace), path)


def trace_file_arrays(trace: Trace) -> dict[str, np.ndarray]:
    """``trace.arrays()`` with ``tokens`` as a unicode array and ``meta`` as JSON text."""
    arrays = {key: np.asarray(value) for key, value in trace.arrays().items()}
    arrays[TOKENS] = np.array(list(trace.tokens), dtype=str)
    arrays[META] = np.array(json.dumps(to_jsonable(trace.meta), sort_keys=True))
    return arrays


def write_trace_arrays(arrays: Mapping[str, np.ndarray], path: str | Path) -> Path:
    """Write trace-file ``arrays`` (as from :func:`trace_file_arrays`) by extension."""
    target = Path(path)
    extension = target.suffix.lower()
    if extension not in TRACE_EXTENSIONS:
        raise ExportError(
            f"cannot write {target}: unknown trace extension {extension or '(none)'!r}; "
            "use .npz, .csv or .json"
        )
    check_writable(target)
    writers = {".npz": _write_npz, ".csv": write_trace_csv, ".json": _write_json}
    writer = writers[extension]

    def write(stream: IO[bytes]) -> None:
        writer(arrays, stream)

    return write_atomic(target, write)


def _write_npz(arrays: Mapping[str, np.ndarray], stream: IO[bytes]) -> None:
    np.savez(stream, **arrays)  # type: ignore[arg-type]  # stubs: allow_pickle


def _write_json(arrays: Mapping[str, np.ndarray], stream: IO[bytes]) -> None:
    """Hand-written so floats keep their shortest exact text (float32 ``0.1`` stays
    ``0.1``, not ``0.10000000149011612``) and NaN/inf become standard JSON strings."""
    numeric = {key: value for key, value in arrays.items() if key != META}
    meta = to_jsonable(json.loads(str(arrays[META]))) if META in arrays else {}
    dtypes = {key: _dtype_name(value) for key, value in numeric.items()}
    shapes = {key: list(value.shape) for key, value in numeric.items()}
    stream.write(
        f'{{"format": "{TRACE_FORMAT}", "format_version": {TRACE_FORMAT_VERSION},\n'
        f'"meta": {json.dumps(meta, sort_keys=True, allow_nan=False)},\n'
        f'"dtypes": {json.dumps(dtypes)},\n"shapes": {json.dumps(shapes)},\n'
        '"arrays": {'.encode()
    )
    for position, (key, value) in enumerate(numeric.items()):
        stream.write(f'{"," if position else ""}\n{json.dumps(key)}: '.encode())
        for chunk in _json_chunks(value):
            stream.write(chunk.encode("utf-8"))
    stream.write(b"\n}}\n")


def _dtype_name(value: np.ndarray) -> str:
    return "str" if value.dtype.kind == "U" else value.dtype.str


def _json_chunks(value: np.ndarray) -> Iterator[str]:
    """Nested JSON lists, one row of the last axis at a time (bounded memory)."""
    if value.ndim == 0:
        yield _json_row(value.reshape(1))[1:-1]
        return
    if value.ndim == 1:
        yield _json_row(value)
        return
    yield "["
    for index in range(value.shape[0]):
        if index:
            yield ","
        yield from _json_chunks(value[index])
    yield "]"


def _json_row(row: np.ndarray) -> str:
    if row.dtype.kind in "US":
        return json.dumps([str(item) for item in row.tolist()], ensure_ascii=False)
    if row.dtype.kind == "b":
        return json.dumps(row.tolist())
    texts = row.astype(str).tolist()
    if row.dtype.kind == "f" and not np.isfinite(row).all():
        texts = [_NONFINITE.get(text, text) for text in texts]
    return "[" + ",".join(texts) + "]"
