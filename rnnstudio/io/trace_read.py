"""Read a trace file back: :func:`load_trace` gives the engine's ``Trace``,
:func:`read_trace_arrays` the raw arrays by key.

The content decides the format (:func:`.sniff.trace_format`): an ``.npz`` archive, a JSON
document, or a trace CSV (numbers only: ``load_trace`` refuses it). Nothing in the file
is trusted, and nothing is allocated beyond what its real size justifies:

* ``.npz`` headers are checked against the bytes really there (:mod:`.npz_members`);
* a JSON document's arrays come with a dtype from a short list of numbers and text, and
  a shape their values must fill exactly;
* ``meta`` is a JSON object of at most ``MAX_META_CHARS`` characters nested at most
  ``MAX_META_DEPTH`` levels;
* ``Trace.from_arrays`` then checks every key and shape against the model in ``meta``.

Every failure is one :class:`ExportError` line that names the file and what is wrong.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.trace import TRACE_FORMAT, TRACE_FORMAT_VERSION, Trace
from ..engine.trace_keys import META
from ..errors import ExportError
from .messages import first_line, naming
from .npz_members import read_npz_arrays
from .sniff import TRACE_CSV, TRACE_JSON, TRACE_NPZ, trace_format
from .trace_csv import read_trace_csv

__all__ = ["MAX_META_CHARS", "MAX_META_DEPTH", "load_trace", "read_trace_arrays"]

#: A shipped model's meta is 2-6 kB; a 100,000-word vocabulary adds about 1 MB.
MAX_META_CHARS = 16_000_000
#: Deepest real meta: 4 levels (a model card's nested evaluation results).
MAX_META_DEPTH = 32
#: Text arrays (tokens) may take at most this many bytes per byte of a JSON file: NumPy
#: stores every token at the longest one's width, 4 bytes a character.
_TEXT_EXPANSION = 16
_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
               int: "a number", float: "a number", type(None): "null"}


def load_trace(path: str | Path) -> Trace:
    """The trace saved at ``path`` (``.npz`` or ``.json``, by content) as the engine's
    ``Trace``, equal to the one that was saved in every array and field except the
    gradients of weights and initial states (not kept in files, see ``Gradients``).

    Raises :class:`ExportError` naming the file: missing, unreadable, a CSV (it holds no
    meta), corrupt, or arrays and meta that do not make a trace.
    """
    target = Path(path)
    found = trace_format(target)
    if found == TRACE_CSV:
        raise ExportError(
            f"{target}: a CSV trace holds only numbers (no model, loss or token ids), so it "
            "cannot be opened as a trace; save the trace as .npz or .json"
        )
    arrays = _read(target, found)
    meta = arrays.pop(META, None)
    if meta is None:
        raise ExportError(f"{target}: no meta, so not an RNN Studio trace (a model file? "
                          "open it as a model)")
    with naming(target):
        return Trace.from_arrays(arrays, meta)


def read_trace_arrays(path: str | Path) -> dict[str, Any]:
    """A trace file's arrays by key, and ``meta`` decoded to a dict, as stored.

    For callers that want the numbers without a ``Trace``, and for CSV files, which
    have no ``meta`` or ``token_ids`` and give every number as float64.
    """
    target = Path(path)
    return _read(target, trace_format(target))


def _read(target: Path, found: str | None) -> dict[str, Any]:
    if found == TRACE_NPZ:
        arrays: dict[str, Any] = read_npz_arrays(target, ExportError)
        if META in arrays:
            arrays[META] = _meta_from_text(target, arrays[META])
        return arrays
    if found == TRACE_JSON:
        return _read_json(target)
    if found == TRACE_CSV:
        return read_trace_csv(target)
    raise ExportError(f"{target}: not a trace file (neither an .npz archive, a JSON trace "
                      "nor a trace CSV); save the trace again")


def _meta_from_text(target: Path, value: np.ndarray) -> dict[str, Any]:
    """``meta`` of an ``.npz``: one JSON string (a 0-d unicode array)."""
    if value.dtype.kind != "U" or value.size != 1:
        raise ExportError(f"{target}: meta must be one JSON string, got {value.dtype} "
                          f"values of shape {value.shape}")
    text = str(value.reshape(()))
    if len(text) > MAX_META_CHARS:
        raise ExportError(f"{target}: meta has {len(text):,} characters, more than "
                          f"{MAX_META_CHARS:,}: not a meta RNN Studio wrote")
    return _checked_meta(target, _parse_json(target, text, "meta"))


def _parse_json(target: Path, text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise ExportError(f"{target}: {what} is JSON nested too deeply to read") from None
    except ValueError as exc:
        raise ExportError(f"{target}: {what} is not valid JSON ({first_line(exc)})") from exc


def _checked_meta(target: Path, meta: Any) -> dict[str, Any]:
    """``meta`` if it is a JSON object nested at most ``MAX_META_DEPTH`` levels."""
    if not isinstance(meta, dict):
        raise ExportError(f"{target}: meta must be a JSON object, got {_json_type(meta)}")
    level: list[Any] = [meta]
    for _depth in range(MAX_META_DEPTH):
        level = [item for value in level
                 for item in (value.values() if isinstance(value, dict) else value)
                 if isinstance(item, (dict, list))]
        if not level:
            return meta
    raise ExportError(f"{target}: meta is nested more than {MAX_META_DEPTH} levels deep: "
                      "not a meta RNN Studio wrote")


def _read_json(target: Path) -> dict[str, Any]:
    """Arrays of a trace ``.json`` with their saved dtypes and shapes, and ``meta``."""
    try:
        data = target.read_bytes()
    except OSError as exc:
        raise ExportError(f"{target}: cannot be read ({exc.strerror or exc})") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExportError(f"{target}: not UTF-8 text ({first_line(exc)})") from exc
    document = _parse_json(target, text, "the file")
    if not isinstance(document, dict) or document.get("format") != TRACE_FORMAT:
        raise ExportError(f"{target}: not a readable trace .json (no \"format\": "
                          f"\"{TRACE_FORMAT}\"); save the trace again")
    version = document.get("format_version")
    if not isinstance(version, int) or version > TRACE_FORMAT_VERSION:
        raise ExportError(f"{target}: trace format {version!r:.20} is not one this "
                          f"rnnstudio reads (up to {TRACE_FORMAT_VERSION}): upgrade rnnstudio")
    arrays, dtypes, shapes = (document.get(name) for name in ("arrays", "dtypes", "shapes"))
    if not (isinstance(arrays, dict) and isinstance(dtypes, dict) and isinstance(shapes, dict)):
        raise ExportError(f"{target}: not a readable trace .json (\"arrays\", \"dtypes\" "
                          "and \"shapes\" must be objects)")
    result: dict[str, Any] = {
        key: _json_array(target, key, values, dtypes.get(key), shapes.get(key), len(data))
        for key, values in arrays.items()
    }
    result[META] = _checked_meta(target, document.get(META, {}))
    return result


def _json_array(target: Path, key: str, values: Any, dtype_name: Any, shape: Any,
                file_size: int) -> np.ndarray:
    """One array of a JSON trace, refused unless its values fill ``shape`` exactly."""
    if not (isinstance(shape, list) and len(shape) <= 32 and all(
            isinstance(extent, int) and not isinstance(extent, bool) and extent >= 0
            for extent in shape)):
        raise ExportError(f"{target}: the shape of {key!r} is {shape!r:.40}, not a list of "
                          "sizes")
    dtype: Any = _json_dtype(target, key, dtype_name)
    if dtype is str:
        if not (isinstance(values, list) and all(isinstance(item, str) for item in values)):
            raise ExportError(f"{target}: {key!r} must be a list of strings")
        width = 4 * max((len(item) for item in values), default=1)
        if width * len(values) > _TEXT_EXPANSION * file_size:
            raise ExportError(f"{target}: {key!r} would take {width * len(values):,} bytes "
                              "as NumPy text, far more than the file's size justifies")
    try:
        return np.array(values, dtype=dtype).reshape(shape)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ExportError(f"{target}: {key!r} does not hold {dtype_name} values of shape "
                          f"{tuple(shape)} ({first_line(exc)})") from exc


def _json_dtype(target: Path, key: str, name: Any) -> Any:
    """``str`` for text, else a plain number or boolean dtype of at most 8 bytes."""
    if name == "str":
        return str
    try:
        dtype = np.dtype(name) if isinstance(name, str) and len(name) <= 8 else None
    except (TypeError, ValueError):
        dtype = None
    if dtype is None or dtype.kind not in "biuf" or dtype.itemsize > 8 or dtype.shape:
        raise ExportError(f"{target}: the dtype of {key!r} is {name!r:.40}; a trace holds "
                          "numbers, booleans or text (\"str\")")
    return dtype


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)
