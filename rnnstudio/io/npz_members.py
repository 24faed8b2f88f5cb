"""Read an ``.npz`` archive's arrays without trusting its headers.

``np.load`` allocates what each ``.npy`` header claims before reading a byte of data, so
a 1.9 MB file whose header says (2**18, 2**11) float32 makes it reserve 2 GB, and one
claiming 4 TB ends in ``MemoryError``. Here every claim is checked against the bytes
that are really there before anything is allocated:

* a stored (uncompressed) member's bytes lie in the file: all of them together are at
  most the file's size;
* compressed members (``np.savez_compressed``) may expand to at most
  ``MAX_EXPANSION`` times the file's size (see there);
* each header's shape x itemsize, plus the header, is exactly the member's size;
* only plain numbers, booleans and text: no objects (they would need unpickling, which
  can run code), no structured or zero-width types.

Then each member is read into a buffer of that size, 16 MB at a time.
"""

from __future__ import annotations

import math
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO

import numpy as np

from ..errors import RnnStudioError
from .json_values import show
from .messages import library_line

__all__ = ["MAX_EXPANSION", "ZIP_ERRORS", "check_archive_sizes", "read_npz_arrays"]

#: Largest total expansion of compressed members, relative to the file's size. Measured
#: with np.savez_compressed on random-model traces (T = 600, H = 64): 1.2-4x for every
#: cell, 88x for an overflowed ReLU RNN (inf everywhere); deflate's own ceiling is 1032x.
MAX_EXPANSION = 256
_CHUNK = 1 << 24
_KINDS = "biufU"  # bool, integers, floats, unicode text
#: What zipfile raises for a damaged archive: a member name that is not UTF-8 under
#: the UTF-8 flag is a UnicodeDecodeError (a ValueError), an unknown compression method
#: NotImplementedError, an encrypted member RuntimeError.
ZIP_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError,
              RuntimeError, zlib.error)
_NUMPY_ERRORS = (*ZIP_ERRORS, SyntaxError)
Fail = Callable[[str], RnnStudioError]


def read_npz_arrays(path: Path, error: type[RnnStudioError], *,
                    max_expansion: int = MAX_EXPANSION) -> dict[str, np.ndarray]:
    """Every array of the archive at ``path``, by key (member name without ``.npy``).

    Raises ``error`` with one line naming ``path`` and what is wrong: not a zip, a member
    that is not ``.npy``, a header promising more data than the file holds, compressed
    members expanding to more than ``max_expansion`` times the file's size, an unsafe
    dtype, truncated or corrupt data.
    """
    def fail(reason: str) -> RnnStudioError:
        return error(f"{path}: {reason}")

    try:
        size = path.stat().st_size
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_members(infos, fail)
            check_archive_sizes(infos, size, fail, max_expansion)
            return {info.filename[:-4]: _member(archive, info, fail) for info in infos}
    except RnnStudioError:
        raise
    except _NUMPY_ERRORS as exc:
        raise fail(f"truncated or corrupt .npz archive ({library_line(exc)}); save it "
                   "again") from exc


def _check_members(infos: list[zipfile.ZipInfo], fail: Fail) -> None:
    """Members are ``.npy`` files, each named once."""
    names = [info.filename for info in infos]
    for name in names:
        if not name.endswith(".npy"):
            raise fail(f"member {show(name)} is not a .npy array: not an .npz RNN Studio reads")
    if len(set(names)) != len(names):
        raise fail("the archive lists a member twice: it is corrupt or was tampered with")


def check_archive_sizes(infos: list[zipfile.ZipInfo], size: int, fail: Fail,
                        max_expansion: int = MAX_EXPANSION,
                        fix: str = "re-save it with np.savez") -> None:
    """Raise ``fail(reason)`` unless a zip archive of ``size`` bytes can back the sizes
    its directory ``infos`` declares: stored bytes within the file, a stored member's two
    sizes equal, and all members together expanding to at most ``max_expansion`` times
    the file (a zip bomb declares gigabytes in kilobytes)."""
    stored = sum(info.compress_size for info in infos)
    if stored > size:
        raise fail(f"its members claim {stored:,} bytes, the file has {size:,}: it is "
                   "truncated or corrupt")
    for info in infos:
        if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
            raise fail(f"member {show(info.filename)} is corrupt (stored sizes differ)")
    expanded = sum(info.file_size for info in infos)
    if expanded > max_expansion * size:
        raise fail(f"its compressed members would expand to {expanded:,} bytes, more than "
                   f"{max_expansion} times the file's {size:,}; {fix}")


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, fail: Fail) -> np.ndarray:
    """One member: header checked against its size, then the data read into place."""
    name = show(info.filename[:-4])  # the key: quoted, control characters escaped, cut at 40
    with archive.open(info) as stream:
        dtype, shape, fortran, header_bytes = _header(stream, name, fail)
        data_bytes = math.prod(shape) * dtype.itemsize
        if header_bytes + data_bytes != info.file_size:
            raise fail(f"key {name}: its header promises {shape} {dtype} "
                       f"({data_bytes:,} bytes), the member holds "
                       f"{info.file_size - header_bytes:,}: it is corrupt or was tampered with")
        buffer = bytearray(data_bytes)
        filled = 0
        while filled < data_bytes:
            chunk = stream.read(min(_CHUNK, data_bytes - filled))
            if not chunk:
                raise fail(f"key {name} is truncated")
            buffer[filled:filled + len(chunk)] = chunk
            filled += len(chunk)
    array = np.frombuffer(buffer, dtype=dtype)
    return array.reshape(shape, order="F" if fortran else "C")


def _header(stream: IO[bytes], name: str,
            fail: Fail) -> tuple[np.dtype, tuple[int, ...], bool, int]:
    """(dtype, shape, Fortran order, header length) of a ``.npy`` stream (``name``
    is its key as messages show it)."""
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        raise fail(f"key {name} is .npy format {version}, which RNN Studio does not read")
    if dtype.hasobject:
        raise fail(f"key {name} holds pickled Python objects, which can run code when "
                   "loaded; RNN Studio refuses them: save plain numeric arrays")
    if dtype.kind not in _KINDS or dtype.itemsize == 0 or dtype.shape:
        raise fail(f"key {name} holds {dtype} values; RNN Studio reads numbers, "
                   "booleans and text")
    if any(extent < 0 for extent in shape):
        raise fail(f"key {name} has a negative shape {shape}: it is corrupt")
    return dtype, tuple(shape), bool(fortran), stream.tell()
