"""Small helpers that keep error messages to one line that names the file."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from ..errors import RnnStudioError

__all__ = ["MAX_QUOTED_CHARS", "first_line", "library_line", "naming"]

#: Longest library message quoted inside one of ours.
MAX_QUOTED_CHARS = 200


def first_line(exc: BaseException) -> str:
    """The first line of an exception's text (library messages can span many lines)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def library_line(exc: BaseException) -> str:
    """:func:`first_line` of a library's exception, non-printable characters escaped
    and cut at ``MAX_QUOTED_CHARS``: a library may quote the hostile file itself (torch
    names the pickle's globals, zipfile the archive's member names)."""
    line = first_line(exc)
    shown = "".join(char if char.isprintable() else repr(char)[1:-1]
                    for char in line[:MAX_QUOTED_CHARS])
    return shown + ("..." if len(line) > MAX_QUOTED_CHARS else "")


@contextlib.contextmanager
def naming(path: Path) -> Iterator[None]:
    """Prefix ``path`` to any :class:`RnnStudioError` raised inside, unless it names it.

    The engine says "missing parameter 'rnn.weight_hh_l0'"; the user also needs to know
    which file is at fault.
    """
    try:
        yield
    except RnnStudioError as exc:
        message = first_line(exc)
        if str(path) in message:
            raise
        raise type(exc)(f"{path}: {message}") from exc
