"""Tell a model or trace file's format from its first bytes, so a wrong or misleading
extension, an empty file or a truncated archive gets a precise message instead of a
parser's."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

from ..errors import ExportError, ModelFileError
from .keras_file import KERAS_MEMBERS
from .messages import library_line
from .npz_members import ZIP_ERRORS
from .torch_kinds import refuse_program_or_object
from .trace_csv import CSV_HEADER

SAFETENSORS = "safetensors"
NPZ = "npz"
TORCH = "pytorch"
#: A folder holding model.safetensors + config.json + a vocabulary (:mod:`.model_folder`).
FOLDER = "folder"
#: Keras 3 ``.keras`` (a zip archive) and legacy Keras ``.h5`` (HDF5), :mod:`.keras_file`.
KERAS, KERAS_H5 = "keras", "keras-h5"
#: ONNX protobuf: no magic bytes, so the extension is trusted and :mod:`.onnx_file`
#: says precisely what fails to parse.
ONNX = "onnx"

#: File extension -> format it promises (the content decides when the two disagree).
EXTENSIONS = {
    ".safetensors": SAFETENSORS,
    ".npz": NPZ,
    ".pt": TORCH,
    ".pth": TORCH,
    ".bin": TORCH,
    ".pt2": TORCH,  # torch.export.save: recognised, to say how to save a state_dict
    ".keras": KERAS,
    ".h5": KERAS_H5,
    ".hdf5": KERAS_H5,
    ".onnx": ONNX,
}

SUPPORTED = ".safetensors, .npz, .pt, .pth, .bin, .keras, .h5 or .onnx"

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_PICKLE_PROTOCOL = b"\x80"
#: HDF5's signature, at the start of the file or after a user block of 512, 1024 ... bytes.
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
#: Safetensors header lengths above this are garbage, not a header (100 MB of JSON).
_MAX_HEADER = 100_000_000

#: Trace formats, as the content announces them.
TRACE_NPZ, TRACE_JSON, TRACE_CSV = "npz", "json", "csv"
_TRACE_CSV_HEADER = ",".join(CSV_HEADER).encode()
#: Members only a trace ``.npz`` has (a model ``.npz`` holds ``rnn.*`` weights).
_TRACE_MEMBERS = ("meta.npy", "tokens.npy")


def model_format(path: str | Path) -> str:
    """Return ``"safetensors"``, ``"npz"``, ``"pytorch"``, ``"keras"``, ``"keras-h5"``
    or ``"onnx"`` for an existing model file, ``"folder"`` for a folder (whose reader
    says what it lacks).

    Raises :class:`ModelFileError` (one line, naming the file) for a missing file, an
    unknown extension, an empty, truncated or unrecognised file.
    """
    path = Path(path)
    if path.name and path.is_dir():  # Path("") is ".": an empty name is no folder
        return FOLDER
    extension = path.suffix.lower()
    if extension not in EXTENSIONS:
        raise ModelFileError(
            f"{path}: unknown model file extension {extension or '(none)'!r}; "
            f"RNN Studio reads {SUPPORTED}"
        )
    if not path.exists():
        raise ModelFileError(f"{path}: no such file; check the path")
    if not path.is_file():
        raise ModelFileError(f"{path}: not a file; give the path of a model file")
    try:
        with path.open("rb") as stream:
            head = stream.read(4096)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if not head:
        raise ModelFileError(f"{path}: the file is empty; save the model again")
    if extension == ".onnx" and not head.startswith(_ZIP_MAGIC):
        return ONNX
    if head.startswith(_ZIP_MAGIC):
        return _zip_format(path)
    if any(head.startswith(_HDF5_MAGIC, offset) for offset in (0, 512, 1024, 2048)):
        return KERAS_H5
    # Safetensors before pickle: a header of 128 + 256k bytes starts the file with 0x80,
    # the pickle protocol byte (one shipped model's header was 3200 = 0x0c80 bytes).
    if _looks_like_safetensors(path, head):
        return SAFETENSORS
    if head.startswith(_PICKLE_PROTOCOL):
        return TORCH  # torch.save before PyTorch 1.6: a bare pickle stream
    raise ModelFileError(
        f"{path}: not a {EXTENSIONS[extension]} file that RNN Studio can read (unrecognised "
        f"or corrupt content); RNN Studio reads {SUPPORTED}"
    )


def _looks_like_safetensors(path: Path, head: bytes) -> bool:
    if len(head) < 9:
        return False
    (length,) = struct.unpack("<Q", head[:8])
    return 0 < length <= _MAX_HEADER and head[8:9] == b"{"


def _zip_format(path: Path) -> str:
    """An ``.npz`` holds ``*.npy`` members; a PyTorch >= 1.6 file holds ``*/data.pkl``
    (TorchScript, ``torch.export`` and whole pickled modules are refused by name)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            refuse_program_or_object(path, archive)
    except ZIP_ERRORS as exc:
        raise ModelFileError(
            f"{path}: truncated or corrupt zip archive ({library_line(exc)}); copy or save the "
            "model again"
        ) from exc
    if any(name.endswith("data.pkl") for name in names):
        return TORCH
    if names and all(name.endswith(".npy") for name in names):
        return NPZ
    if any(member in names for member in KERAS_MEMBERS):
        return KERAS  # its reader names a missing member
    raise ModelFileError(
        f"{path}: a zip archive that is neither an .npz (only .npy members), a PyTorch "
        f"file (data.pkl) nor a .keras model (config.json, model.weights.h5); RNN Studio "
        f"reads {SUPPORTED}"
    )


def trace_format(path: str | Path) -> str | None:
    """``"npz"`` (a zip archive), ``"json"`` (a JSON object) or ``"csv"`` (the trace CSV
    header line), as the first bytes of ``path`` announce; None for anything else.

    Only the start of the file is read; whether the rest is a valid trace is for the
    reader to say. Raises :class:`ExportError` for a missing, unreadable or empty file.
    """
    path = Path(path)
    try:
        with path.open("rb") as stream:
            head = stream.read(4096)
    except FileNotFoundError as exc:
        raise ExportError(f"{path}: no such file; check the path") from exc
    except OSError as exc:
        raise ExportError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if not head:
        raise ExportError(f"{path}: the file is empty; save the trace again")
    if head.startswith(_ZIP_MAGIC):
        return TRACE_NPZ
    text = head.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte order mark
    if text.lstrip().startswith(b"{"):
        return TRACE_JSON
    if text.startswith(_TRACE_CSV_HEADER):
        return TRACE_CSV
    return None


def is_trace_file(path: str | Path) -> bool:
    """True when the content of ``path`` is a trace rather than a model or a session: a
    trace's JSON object or CSV, or a zip archive with a ``meta`` or ``tokens`` member. Never raises:
    what cannot be read is "not a trace", and the model reader then says why."""
    try:
        found = trace_format(path)
        if found == TRACE_JSON:  # save_trace writes the format first: a session is JSON too
            with Path(path).open("rb") as stream:
                return b'"rnnstudio-trace"' in stream.read(4096)
        if found != TRACE_NPZ:
            return found is not None
        with zipfile.ZipFile(path) as archive:
            return any(name in _TRACE_MEMBERS for name in archive.namelist())
    except (ExportError, *ZIP_ERRORS):
        return False
