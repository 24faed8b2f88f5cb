"""Files in and out, no Qt: model formats, trace export, atomic writes.

See docs/formats.md for every format, key and column.
"""

from __future__ import annotations

from .atomic import check_writable, write_atomic, write_bytes_atomic, write_text_atomic
from .model_files import LoadedModel, convert_model, load_model, read_model, save_model
from .trace_export import (
    load_trace,
    load_trace_json,
    load_trace_npz,
    save_trace,
    trace_file_arrays,
    write_trace_arrays,
)

__all__ = [
    "LoadedModel", "check_writable", "convert_model", "load_model", "load_trace",
    "load_trace_json", "load_trace_npz", "read_model", "save_model", "save_trace",
    "trace_file_arrays", "write_atomic", "write_bytes_atomic", "write_text_atomic",
    "write_trace_arrays",
]
