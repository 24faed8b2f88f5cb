"""Persistent preferences with typed reads and a version number.

Untyped ``QSettings.value`` reads come back as strings from INI files ("false" is truthy),
so every read here passes ``type=``, and every value is checked on read: a wrong type, a
number out of range (``export_width=-5``, ``1e400``), a layout too large to be one, a
recent file that is not a plausible path, all read as the default. A settings file Qt
cannot parse is moved aside and the settings start afresh, with a message
(:attr:`Settings.problem`) instead of a failed start. ``SETTINGS_VERSION`` lets a later
release migrate or drop keys whose meaning changed (window state first: dock names may
change).

What the window showed last is not a preference: it is a session file
(``last_session_path``, beside the settings), written on close and reopened at start.
Version 1 kept the text and the model as settings keys; version 2 reads that text once
(the user's text is never lost) and drops the rest.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QByteArray, QSettings

from ..app_info import APP_NAME, ORGANIZATION
from ..limits import DEFAULT_PNG_WIDTH, MAX_PNG_WIDTH, MIN_PNG_WIDTH

SETTINGS_VERSION = 2
LAST_SESSION_NAME = "last.rnnstudio"
#: Keys of version 1 that a session file now holds.
_OLD_SESSION_KEYS = ("session/last_model", "session/last_model_path", "random_model",
                     "preferences/playback_speed", "preferences/saliency_shown")
MAX_RECENT_FILES = 8
#: View > Theme: follow the system, or always light, or always dark.
THEMES = ("system", "light", "dark")
#: A saved geometry or dock layout is a few kilobytes; more is not one of ours.
_MAX_LAYOUT_BYTES = 1_000_000
_MAX_PATH_CHARS = 4096

_Value = TypeVar("_Value", int, str, QByteArray)


class Settings:
    """Typed accessors over one ``QSettings`` store."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store or QSettings(ORGANIZATION, APP_NAME)
        #: Why the settings file was not used (the window shows it), or None.
        self.problem: str | None = None
        self._reset_if_unreadable()
        self._migrate()

    def _reset_if_unreadable(self) -> None:
        """Move a file Qt cannot parse aside and start from the defaults: Qt would
        otherwise rewrite it from the little it understood on the next save."""
        self.store.allKeys()  # the file is parsed on first use; status() tells after
        status = self.store.status()
        if status == QSettings.Status.NoError:
            return
        path = Path(self.store.fileName())
        if status == QSettings.Status.FormatError and path.is_file():
            kept = path.with_name(path.name + ".unreadable")
            try:
                path.replace(kept)
                where = f"the old file is kept as {kept}"
            except OSError as error:
                where = f"the old file could not be kept ({error.strerror or error})"
            self.store.clear()
            self.store.sync()
            self.problem = (f"The settings file {path} could not be read, so the settings "
                            f"were reset to their defaults; {where}.")
        else:
            self.problem = (f"The settings file {path} cannot be read or written: the app "
                            "uses its default settings and cannot remember new ones; "
                            f"check the permissions of {path.parent}.")

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
        Qt cannot read it as that type (a hand-edited INI line can come back as a list,
        and ``1e400`` read as an int raises)."""
        try:
            value = self.store.value(key, default, type=type(default))
        except (TypeError, ValueError, OverflowError):
            return default
        return value if isinstance(value, type(default)) else default

    def _get_int(self, key: str, default: int, low: int, high: int) -> int:
        """An int setting; ``default`` when it is outside ``low..high``."""
        value = self._get(key, default)
        return value if low <= value <= high else default

    def _get_layout(self, key: str) -> QByteArray:
        """Saved geometry or dock state; empty when it is too large to be Qt's."""
        value = self._get(key, QByteArray())
        return value if value.size() <= _MAX_LAYOUT_BYTES else QByteArray()

    # --- window -----------------------------------------------------------------------

    @property
    def geometry(self) -> QByteArray:
        return self._get_layout("window/geometry")

    @property
    def window_state(self) -> QByteArray:
        return self._get_layout("window/state")

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
        with contextlib.suppress(OSError):  # then nothing is read there, and saving says why
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
        """Files that opened, newest first: at most ``MAX_RECENT_FILES`` plausible paths
        (no control characters, at most 4096 characters)."""
        return self._paths("session/recent_files")

    def _paths(self, key: str) -> list[str]:
        """A newline-joined list of paths: at most ``MAX_RECENT_FILES`` plausible ones
        (no control characters, at most 4096 characters)."""
        joined = self._get(key, "")
        paths = [path for path in joined.split("\n")
                 if path and len(path) <= _MAX_PATH_CHARS and path.isprintable()]
        return paths[:MAX_RECENT_FILES]

    def _set_recent(self, paths: list[str]) -> None:
        self.store.setValue("session/recent_files", "\n".join(paths[:MAX_RECENT_FILES]))

    def add_recent_file(self, path: str) -> None:
        self._set_recent([path] + [old for old in self.recent_files if old != path])

    def remove_recent_file(self, path: str) -> None:
        self._set_recent([old for old in self.recent_files if old != path])

    def clear_recent_files(self) -> None:
        self.store.remove("session/recent_files")

    @property
    def lesson_folders(self) -> list[str]:
        """User lesson folders opened (File › Open lesson folder), newest first: at most
        ``MAX_RECENT_FILES`` plausible paths."""
        return self._paths("lessons/folders")

    def add_lesson_folder(self, path: str) -> None:
        kept = [path] + [old for old in self.lesson_folders if old != path]
        self.store.setValue("lessons/folders", "\n".join(kept[:MAX_RECENT_FILES]))

    # --- preferences -------------------------------------------------------------------

    @property
    def export_width(self) -> int:
        """PNG width the export dialog offers, within what PNG export accepts."""
        return self._get_int("preferences/export_width", DEFAULT_PNG_WIDTH, MIN_PNG_WIDTH,
                             MAX_PNG_WIDTH)

    @export_width.setter
    def export_width(self, width: int) -> None:
        self.store.setValue("preferences/export_width", int(width))

    @property
    def theme(self) -> str:
        """One of ``THEMES``; anything else reads as "system"."""
        value = self._get("preferences/theme", "system")
        return value if value in THEMES else "system"

    @theme.setter
    def theme(self, theme: str) -> None:
        if theme not in THEMES:
            raise ValueError(f"theme {theme!r} is not one of {', '.join(THEMES)}")
        self.store.setValue("preferences/theme", theme)

    def sync(self) -> None:
        self.store.sync()
