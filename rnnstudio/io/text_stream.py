"""Read a large text file a paragraph at a time, in bounded memory.

Statistics over a corpus (:func:`rnnstudio.engine.saturation.saturation`) read it as
texts: one paragraph (lines up to a blank line) is one text. A regular file larger than
``MAX_STATS_FILE_BYTES`` is refused before anything is read; any other stream (standard
input, a pipe, ``/dev/zero``) is refused once that many bytes have been read. A
paragraph longer than :data:`PARAGRAPH_CHARS` characters is cut there (the next part is
a new text), and so is a line, so no single read holds more than that.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from ..errors import TextError
from ..limits import MAX_STATS_FILE_BYTES

__all__ = ["PARAGRAPH_CHARS", "read_paragraphs"]

#: Characters of one text read from a file: a paragraph of a book is a few thousand; a
#: file without blank lines is read as texts of 100,000 characters (the cut may fall
#: inside a line or a word: one token split in two every 100,000 characters).
PARAGRAPH_CHARS = 100_000


class _CountingReader(io.RawIOBase):
    """A binary stream that counts the bytes read through it and stops past a limit."""

    def __init__(self, stream: IO[bytes], source: str, limit: int) -> None:
        super().__init__()
        self.stream, self.source, self.limit = stream, source, limit
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.stream.read(len(buffer))
        self.bytes_read += len(data)
        if self.bytes_read > self.limit:
            raise TextError(f"{self.source}: more than {self.limit:,} bytes of text, more "
                            "than RNN Studio counts at once; split it into parts")
        buffer[:len(data)] = data
        return len(data)


def read_paragraphs(
    source: str | Path | IO[bytes],
    limit: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    name: str | None = None,
) -> Iterator[str]:
    """The paragraphs of a UTF-8 text file (a path, or a binary stream such as
    ``sys.stdin.buffer``), one string each, without their final newline; blank lines
    separate them and are not yielded. ``on_progress(bytes_read, total_bytes)`` follows
    each paragraph (``total_bytes`` 0 when the size is unknown). A file over ``limit``
    bytes (default ``MAX_STATS_FILE_BYTES``), unreadable or not UTF-8 is a
    :class:`TextError` naming it (``name``, the path, or ``"standard input"``)."""
    limit = MAX_STATS_FILE_BYTES if limit is None else limit
    if isinstance(source, (str, Path)):
        path = Path(source)
        label = name or str(path)
        total = _checked_size(path, limit)
        try:
            stream: IO[bytes] = path.open("rb")
        except OSError as exc:
            raise TextError(f"cannot read text file {label}: {exc.strerror or exc}") from None
    else:
        stream, label, total = source, name or "standard input", 0
    return _paragraphs(stream, label, limit, total, on_progress,
                       close=isinstance(source, (str, Path)))


def _checked_size(path: Path, limit: int) -> int:
    """A regular file's size, refused over ``limit`` before reading; 0 for a stream."""
    try:
        status = path.stat()
    except OSError as exc:
        raise TextError(f"cannot read text file {path}: {exc.strerror or exc}") from None
    if not os.path.isfile(path):
        return 0
    if status.st_size > limit:
        raise TextError(f"{path}: {status.st_size:,} bytes, more than the {limit:,} "
                        "RNN Studio counts at once; split it into parts")
    return status.st_size


def _paragraphs(stream: IO[bytes], label: str, limit: int, total: int,
                on_progress: Callable[[int, int], None] | None, close: bool) -> Iterator[str]:
    counting = _CountingReader(stream, label, limit)
    text = io.TextIOWrapper(io.BufferedReader(counting), encoding="utf-8-sig")
    lines: list[str] = []
    size = 0
    try:
        while True:
            line = text.readline(PARAGRAPH_CHARS - size)
            ends = not line or not line.strip()
            if line.strip():
                lines.append(line)
                size += len(line)
            if lines and (ends or size >= PARAGRAPH_CHARS):
                yield "".join(lines).removesuffix("\n")
                lines, size = [], 0
                if on_progress is not None:
                    on_progress(counting.bytes_read, total)
            if not line:
                return
    except UnicodeDecodeError:
        raise TextError(f"{label}: not UTF-8 text; convert it to UTF-8") from None
    except OSError as exc:
        raise TextError(f"cannot read text file {label}: {exc.strerror or exc}") from None
    finally:
        if close:
            stream.close()
