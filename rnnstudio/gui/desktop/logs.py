"""Where the app writes its logs: a rotating app log and a rotating crash log.

Users of a frozen bundle have no terminal, so a crash or a Qt warning that only went to
stderr is lost; the log folder is what a bug report can attach. ``RNNSTUDIO_LOG_DIR``
overrides the folder (tests, the smoke test, users who want logs elsewhere).

Both files are bounded: each rotates at :data:`MAX_LOG_BYTES` and keeps
:data:`LOG_BACKUPS` older files, and one crash report is cut to
:data:`MAX_REPORT_CHARS` (a 10 MB string in an exception message once made one report
10 MB), so a loop of warnings or errors can never fill the disk.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path

from PySide6.QtCore import QStandardPaths

from ... import app_info

LOG_DIR_VARIABLE = "RNNSTUDIO_LOG_DIR"
LOG_FILE_NAME = "rnnstudio.log"
CRASH_LOG_NAME = "crash.log"
#: The logger whose records go to ``crash.log`` (and not to the app log).
CRASH_LOGGER = "rnnstudio.crash"
#: One megabyte times four files per log: weeks of warnings, never a disk filled by a loop.
MAX_LOG_BYTES = 1_000_000
LOG_BACKUPS = 3
#: Longest crash report kept whole; longer ones lose their middle (the first frames and
#: the exception line at the end are what a bug report needs).
MAX_REPORT_CHARS = 100_000
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_handlers_lock = threading.Lock()  # workers and the GUI thread may both log a crash


def log_folder() -> Path:
    """The user's log folder for this app (not created here).

    Qt's ``AppLocalDataLocation`` + ``/logs`` (built from the organisation and application
    names, so call ``apply_identity`` first); where Qt has no answer, the platform's usual
    place, as ``platformdirs`` would choose it.
    """
    override = os.environ.get(LOG_DIR_VARIABLE)
    if override:
        return Path(override)
    location = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppLocalDataLocation)
    if location:
        return Path(location) / "logs"
    return _fallback_log_folder()


def _fallback_log_folder() -> Path:
    """platformdirs' ``user_log_dir`` choices, without the dependency."""
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
        return base / app_info.ORGANIZATION / app_info.APP_NAME / "Logs"
    if sys.platform == "darwin":
        return home / "Library" / "Logs" / app_info.APP_NAME
    state = os.environ.get("XDG_STATE_HOME") or str(home / ".local" / "state")
    return Path(state) / app_info.EXECUTABLE / "log"


def _attach_rotating_file(logger: logging.Logger, path: Path, pattern: str,
                          only_one: bool) -> Path | None:
    """Give ``logger`` a bounded rotating file at ``path`` (none twice for one path;
    ``only_one``: drop its files elsewhere). ``None`` when the folder cannot be written."""
    with _handlers_lock:
        for handler in list(logger.handlers):
            if not isinstance(handler, RotatingFileHandler):
                continue
            if Path(handler.baseFilename) == path:
                return path
            if only_one:
                logger.removeHandler(handler)
                handler.close()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = RotatingFileHandler(path, maxBytes=MAX_LOG_BYTES,
                                          backupCount=LOG_BACKUPS, encoding="utf-8")
        except OSError:
            return None
        handler.setFormatter(logging.Formatter(pattern))
        logger.addHandler(handler)
        return path


def install_log_file(folder: Path | None = None, level: int = logging.INFO) -> Path | None:
    """Send records of the ``rnnstudio`` logger (Qt's included) to a rotating file.

    Returns the file's path, or ``None`` when the folder cannot be written: logging must
    never be the reason the app fails to start. Calling it twice adds no second handler.
    """
    logger = logging.getLogger("rnnstudio")
    path = _attach_rotating_file(logger, (folder or log_folder()) / LOG_FILE_NAME, _FORMAT,
                                 only_one=False)
    if path is not None and (logger.level == logging.NOTSET or logger.level > level):
        logger.setLevel(level)
    return path


def cut_middle(text: str, limit: int = MAX_REPORT_CHARS) -> str:
    """``text`` whole if it has at most ``limit`` characters, else its start and end with
    the number of characters cut between them (where a report or a message says what
    happened, and what to do)."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[... {len(text) - 2 * half} characters cut ...]\n{text[-half:]}"


def write_crash_report(text: str, folder: Path | None = None) -> Path | None:
    """Append one report (a traceback with its header line) to ``crash.log`` in
    ``folder`` (default: :func:`log_folder`), rotating it; returns the file's path, or
    ``None`` when it cannot be written (the caller then says so)."""
    logger = logging.getLogger(CRASH_LOGGER)
    logger.propagate = False  # tracebacks belong in crash.log, not in the app log
    logger.setLevel(logging.ERROR)
    path = _attach_rotating_file(logger, (folder or log_folder()) / CRASH_LOG_NAME,
                                 "%(message)s", only_one=True)
    if path is None:
        return None
    logger.error("%s", cut_middle(text).rstrip("\n"))
    return path
