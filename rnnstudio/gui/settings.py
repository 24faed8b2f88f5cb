"""Persistent preferences with typed reads and a version number.

Untyped ``QSettings.value`` reads come back as strings from INI files ("false" is truthy),
so every read here passes ``type=``. ``SETTINGS_VERSION`` lets a later release migrate
or drop keys whose meaning changed (window state first: dock names may change).

What the window showed last is not a preference: it is a session file
(``last_session_path``, beside the settings), written on close and reopened at start.
Version 1 kept the text and the model as settings keys; version 2 reads that text once
(the user's text is never lost) and drops the rest.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QByteArray, QSettings

from ..app_info import APP_NAME, ORGANIZATION

SETTINGS_VERSION = 2
LAST_SESSION_NAME = "last.rnnstudio"
#: Keys of version 1 that a session file now holds.
_OLD_SESSION_KEYS = ("session/last_model", "session/last_model_path", "random_model",
                     "preferences/playback_speed", "preferences/saliency_shown")
MAX_RECENT_FILES = 8

_Value = TypeVar("_Value", int, str, QByteArray)


class Settings:
    """Typed accessors over one ``QSettings`` store."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store or QSettings(ORGANIZATION, APP_NAME)
        self._migrate()

    def _migrate(self) -> None:
        version = self._get("settings/version", 0)
        if version > SETTINGS_VERSION:
            # Written by a newer release: its window layout may name docks we lack.
            self.store.remove("window")
        if version < 2:
            for key in _OLD_SESSION_KEYS:
                self.store.remove(key)
        self.store.setValue("settings/version", SETTINGS_VERSION)

    def _get(self, key: str, default: _Value) -> _Value:
        """The value at ``key`` read as ``default``'s type; ``default`` if it is missing or
        Qt cannot read it as that type (a hand-edited INI line can come back as a list)."""
        value = self.store.value(key, default, type=type(default))
        return value if isinstance(value, type(default)) else default

    # --- window -----------------------------------------------------------------------

    @property
    def geometry(self) -> QByteArray:
        return self._get("window/geometry", QByteArray())

    @property
    def window_state(self) -> QByteArray:
        return self._get("window/state", QByteArray())

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.store.setValue("window/geometry", geometry)
        self.store.setValue("window/state", state)

    def forget_window(self) -> None:
        self.store.remove("window")

    # --- the last session ------------------------------------------------------------

    @property
    def last_session_path(self) -> Path:
        """Where the window's session is kept between runs: beside the settings file (the
        folder is made if needed: QSettings makes it only when it first writes)."""
        folder = Path(self.store.fileName()).parent
        folder.mkdir(parents=True, exist_ok=True)
        return folder / LAST_SESSION_NAME

    @property
    def remembered_text(self) -> str:
        """A text kept without a session file: written by version 1, or when the session
        could not be saved (a model trained here and never saved)."""
        return self._get("session/last_text", "")

    def remember_text(self, text: str) -> None:
        self.store.setValue("session/last_text", text)

    @property
    def recent_files(self) -> list[str]:
        joined = self._get("session/recent_files", "")
        return [path for path in joined.split("\n") if path]

    def add_recent_file(self, path: str) -> None:
        paths = [path] + [old for old in self.recent_files if old != path]
        self.store.setValue("session/recent_files", "\n".join(paths[:MAX_RECENT_FILES]))

    # --- preferences -------------------------------------------------------------------

    @property
    def export_width(self) -> int:
        return self._get("preferences/export_width", 1600)

    @export_width.setter
    def export_width(self, width: int) -> None:
        self.store.setValue("preferences/export_width", int(width))

    def sync(self) -> None:
        self.store.sync()
