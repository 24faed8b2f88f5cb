"""Files in and out, no Qt: model formats, traces, session files, atomic writes.

See docs/formats.md for every format, key and column.
"""

from __future__ import annotations

from .atomic import check_writable, write_atomic, write_bytes_atomic, write_text_atomic
from .model_files import LoadedModel, convert_model, load_model, read_model, save_model
from .model_source import ModelSource, RandomModelSpec
from .session_file import SessionFile, is_session_file, load_session, save_session
from .sniff import is_trace_file
from .trace_export import TRACE_EXTENSIONS, save_trace, trace_file_arrays, write_trace_arrays
from .trace_read import load_trace, read_trace_arrays

__all__ = [
    "TRACE_EXTENSIONS", "LoadedModel", "ModelSource", "RandomModelSpec", "SessionFile",
    "check_writable", "convert_model", "is_session_file", "is_trace_file", "load_model",
    "load_session", "load_trace", "read_model", "read_trace_arrays", "save_model",
    "save_session", "save_trace", "trace_file_arrays", "write_atomic", "write_bytes_atomic",
    "write_text_atomic", "write_trace_arrays",
]
