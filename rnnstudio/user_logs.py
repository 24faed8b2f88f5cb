"""The user's log folder without Qt, and a bounded log of the command line's bugs.

The GUI asks Qt for ``AppLocalDataLocation`` + ``/logs``; the ``rnnstudio`` commands
must not import Qt, so :func:`log_folder` builds the same path by Qt's rules (measured
against Qt 6 on Linux: ``~/.local/share/rnnstudio/RNN Studio/logs``). An unexpected
error in a command (a bug, never bad input) goes to :data:`CLI_LOG_NAME` there, with
its traceback, so the terminal shows one line and a bug report can attach the file.
"""

from __future__ import annotations

import datetime
import os
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path

from . import app_info
from .limits import MAX_ERROR_LOG_BYTES

__all__ = ["CLI_LOG_NAME", "LOG_DIR_VARIABLE", "log_folder", "log_bug"]

#: Overrides the folder (tests, the smoke test, users who want logs elsewhere).
LOG_DIR_VARIABLE = "RNNSTUDIO_LOG_DIR"
CLI_LOG_NAME = "cli-errors.log"


def log_folder() -> Path:
    """Where RNN Studio writes logs: ``$RNNSTUDIO_LOG_DIR``, else Qt's
    ``AppLocalDataLocation/logs`` for this app, computed without Qt (not created here).
    """
    override = os.environ.get(LOG_DIR_VARIABLE)
    if override:
        return Path(override)
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / app_info.ORGANIZATION / app_info.APP_NAME / "logs"


def log_bug(error: BaseException, argv: Sequence[str]) -> Path | None:
    """Append ``error``'s traceback, the version and the command to the CLI log.

    The log is rotated to ``<name>.1`` (one older copy) once it passes
    ``MAX_ERROR_LOG_BYTES``, so a loop of failures never fills the disk. Falls back to
    the temporary folder when the log folder cannot be written; returns the file
    written, or None when nothing could be (the caller then prints the traceback).
    """
    stamp = datetime.datetime.now().isoformat(timespec="seconds")
    entry = (f"--- {stamp} {app_info.version_line()} on Python {sys.version.split()[0]}\n"
             f"command: rnnstudio {' '.join(argv)}\n"
             + "".join(traceback.format_exception(error)) + "\n")
    for folder in (log_folder(), Path(tempfile.gettempdir()) / app_info.EXECUTABLE):
        path = folder / CLI_LOG_NAME
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if path.exists() and path.stat().st_size > MAX_ERROR_LOG_BYTES:
                os.replace(path, path.with_name(CLI_LOG_NAME + ".1"))
            with path.open("a", encoding="utf-8", errors="backslashreplace") as stream:
                stream.write(entry)
        except OSError:
            continue
        return path
    return None
