"""Atomic file writes: a reader never sees half a file, a crash never leaves one.

The data goes to a temporary file in the destination's folder (same file system, so
``os.replace`` is an atomic rename), is flushed and fsynced, then replaces the target.
On any failure the temporary file is removed and the old target is left untouched.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import IO

from ..errors import ExportError

_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows would translate line ends otherwise

__all__ = ["check_writable", "write_atomic", "write_atomic_path", "write_bytes_atomic",
           "write_text_atomic"]


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Fail early, before long work, when ``path`` cannot be written.

    Returns the path as a :class:`~pathlib.Path`. Raises :class:`ExportError` naming the
    path when its folder is missing or read-only, or the path is a folder.
    """
    target = Path(path)
    if target.is_symlink():  # write through the link, as open() would, keeping the link
        target = target.resolve()
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise ExportError(f"cannot write {target}: it is a folder; give a file name")
    if not folder.is_dir():
        reason = "is a file, not a folder" if folder.exists() else "does not exist; create it"
        raise ExportError(f"cannot write {target}: {folder} {reason}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError(
            f"cannot write {target}: folder {folder} is not writable; choose another place"
        )
    if target.exists() and not os.access(target, os.W_OK):
        raise ExportError(f"cannot write {target}: the file is read-only; choose another name")
    return target


def write_atomic(
    path: str | os.PathLike[str], writer: Callable[[IO[bytes]], None]
) -> Path:
    """Call ``writer(binary_file)`` on a temporary file, then move it onto ``path``.

    A new file gets the permissions a plain ``open(path, "wb")`` would give (0666 minus
    the umask, applied by the OS); a replaced file keeps its permissions.
    """

    def write(handle: int, temp_name: str) -> None:
        with os.fdopen(handle, "wb") as stream:
            writer(stream)
            stream.flush()
            os.fsync(stream.fileno())

    return _replace_atomically(path, write)


def write_atomic_path(
    path: str | os.PathLike[str], write_to: Callable[[Path], None]
) -> Path:
    """Call ``write_to(temporary_path)``, then move that file onto ``path``: for writers
    that want a file name rather than a stream (ffmpeg writes an MP4 itself, seeking
    back to its index). The temporary name ends in ``.tmp``, not in ``path``'s suffix."""

    def write(handle: int, temp_name: str) -> None:
        os.close(handle)
        write_to(Path(temp_name))
        written = os.open(temp_name, os.O_WRONLY | _O_BINARY)
        try:
            os.fsync(written)
        finally:
            os.close(written)

    return _replace_atomically(path, write)


def _replace_atomically(path: str | os.PathLike[str],
                        write: Callable[[int, str], None]) -> Path:
    """Create a temporary file beside ``path``, ``write(handle, its_name)``, then rename
    it onto ``path``; on any failure remove it and leave ``path`` as it was."""
    target = check_writable(path)
    temp_name = str(target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp"))
    try:
        handle = os.open(temp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o666)
    except OSError as exc:
        raise ExportError(f"cannot write {target}: {exc.strerror or exc}") from exc
    try:
        write(handle, temp_name)
        _keep_mode(target, temp_name)
        os.replace(temp_name, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        if isinstance(exc, OSError):
            raise ExportError(f"cannot write {target}: {exc.strerror or exc}") from exc
        raise
    _fsync_folder(target.parent)
    return target


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""

    def write(stream: IO[bytes]) -> None:
        stream.write(data)

    return write_atomic(path, write)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically (``\\n`` line ends on every OS)."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def _keep_mode(target: Path, temp_name: str) -> None:
    """Give the new file the permissions of the one it replaces, if any."""
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        return
    os.chmod(temp_name, mode)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); Windows cannot open folders, which is fine."""
    try:
        descriptor = os.open(folder if str(folder) else ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
