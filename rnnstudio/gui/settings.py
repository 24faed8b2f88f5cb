"""Persistent preferences with typed reads and a version number.

Untyped ``QSettings.value`` reads come back as strings from INI files ("false" is truthy),
so every read here passes ``type=``. ``SETTINGS_VERSION`` lets a later release migrate
or drop keys whose meaning changed (window state first: dock names may change).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from ..app_info import APP_NAME, ORGANIZATION
from .engine_bridge import RandomModelSpec

SETTINGS_VERSION = 1
MAX_RECENT_FILES = 8


class Settings:
    """Typed accessors over one ``QSettings`` store."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store or QSettings(ORGANIZATION, APP_NAME)
        self._migrate()

    def _migrate(self) -> None:
        version = self.store.value("settings/version", 0, type=int)
        if version > SETTINGS_VERSION:
            # Written by a newer release: its window layout may name docks we lack.
            self.store.remove("window")
        self.store.setValue("settings/version", SETTINGS_VERSION)

    def _get(self, key: str, default: Any, kind: type) -> Any:
        return self.store.value(key, default, type=kind)

    # --- window -----------------------------------------------------------------------

    @property
    def geometry(self) -> QByteArray:
        return self._get("window/geometry", QByteArray(), QByteArray)

    @property
    def window_state(self) -> QByteArray:
        return self._get("window/state", QByteArray(), QByteArray)

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.store.setValue("window/geometry", geometry)
        self.store.setValue("window/state", state)

    def forget_window(self) -> None:
        self.store.remove("window")

    # --- session -----------------------------------------------------------------------

    @property
    def last_text(self) -> str:
        return self._get("session/last_text", "", str)

    @last_text.setter
    def last_text(self, text: str) -> None:
        self.store.setValue("session/last_text", text)

    @property
    def last_model_path(self) -> str:
        return self._get("session/last_model_path", "", str)

    @last_model_path.setter
    def last_model_path(self, path: str) -> None:
        self.store.setValue("session/last_model_path", path)

    @property
    def last_model(self) -> str:
        """What the window showed last: ``shipped:KEY``, ``file:PATH``, ``random`` or ""
        (never saved: start with the index's default trained model)."""
        value = self._get("session/last_model", "", str)
        if not value and self.last_model_path:  # written before shipped models existed
            return f"file:{self.last_model_path}"
        return value

    @last_model.setter
    def last_model(self, value: str) -> None:
        self.store.setValue("session/last_model", value)

    @property
    def random_spec(self) -> RandomModelSpec:
        values = {}
        for spec_field in fields(RandomModelSpec):
            default = spec_field.default
            values[spec_field.name] = self._get(f"random_model/{spec_field.name}", default,
                                                type(default))
        try:
            return RandomModelSpec(**values)
        except (TypeError, ValueError):
            return RandomModelSpec()

    @random_spec.setter
    def random_spec(self, spec: RandomModelSpec) -> None:
        for spec_field in fields(RandomModelSpec):
            self.store.setValue(f"random_model/{spec_field.name}",
                                getattr(spec, spec_field.name))

    @property
    def recent_files(self) -> list[str]:
        joined = self._get("session/recent_files", "", str)
        return [path for path in joined.split("\n") if path]

    def add_recent_file(self, path: str) -> None:
        paths = [path] + [old for old in self.recent_files if old != path]
        self.store.setValue("session/recent_files", "\n".join(paths[:MAX_RECENT_FILES]))

    # --- preferences -------------------------------------------------------------------

    @property
    def playback_speed(self) -> float:
        return self._get("preferences/playback_speed", 4.0, float)

    @playback_speed.setter
    def playback_speed(self, speed: float) -> None:
        self.store.setValue("preferences/playback_speed", float(speed))

    @property
    def saliency_shown(self) -> bool:
        return self._get("preferences/saliency_shown", False, bool)

    @saliency_shown.setter
    def saliency_shown(self, shown: bool) -> None:
        self.store.setValue("preferences/saliency_shown", bool(shown))

    @property
    def export_width(self) -> int:
        return self._get("preferences/export_width", 1600, int)

    @export_width.setter
    def export_width(self, width: int) -> None:
        self.store.setValue("preferences/export_width", int(width))

    def sync(self) -> None:
        self.store.sync()
