"""Where the app writes its logs, and a rotating log file for the ``rnnstudio`` logger.

Users of a frozen bundle have no terminal, so a crash or a Qt warning that only went to
stderr is lost; the log folder is what a bug report can attach. ``RNNSTUDIO_LOG_DIR``
overrides the folder (tests, the smoke test, users who want logs elsewhere).
"""

from __future__ import annotations

import logging
import os
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

from PySide6.QtCore import QStandardPaths

from ... import app_info

LOG_DIR_VARIABLE = "RNNSTUDIO_LOG_DIR"
LOG_FILE_NAME = "rnnstudio.log"
#: One megabyte times four files: weeks of warnings, never a disk filled by a loop.
_MAX_BYTES = 1_000_000
_BACKUPS = 3
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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


def install_log_file(folder: Path | None = None, level: int = logging.INFO) -> Path | None:
    """Send records of the ``rnnstudio`` logger (Qt's included) to a rotating file.

    Returns the file's path, or ``None`` when the folder cannot be written: logging must
    never be the reason the app fails to start. Calling it twice adds no second handler.
    """
    folder = folder or log_folder()
    path = folder / LOG_FILE_NAME
    logger = logging.getLogger("rnnstudio")
    for handler in logger.handlers:
        if isinstance(handler, RotatingFileHandler) and Path(handler.baseFilename) == path:
            return path
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=_MAX_BYTES, backupCount=_BACKUPS,
                                      encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.setLevel(level)
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > level:
        logger.setLevel(level)
    return path
