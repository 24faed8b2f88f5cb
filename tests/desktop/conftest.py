"""Qt offscreen, settings and logs in a temporary folder, global Qt state restored."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import importlib.util  # noqa: E402
import sys  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"
PACKAGING = ROOT / "packaging"


@pytest.fixture(autouse=True)
def settings_in_tmp(tmp_path: Path) -> Iterator[str]:
    """Every QSettings store of the test lives under tmp_path, never in ~/.config."""
    folder = str(tmp_path / "settings")
    for kind in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(kind, QSettings.Scope.UserScope, folder)
        QSettings.setPath(kind, QSettings.Scope.SystemScope, folder + "-system")
    yield folder


@pytest.fixture(autouse=True)
def logs_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The log folder of the test: nothing is written to the user's real one."""
    folder = tmp_path / "logs"
    monkeypatch.setenv("RNNSTUDIO_LOG_DIR", str(folder))
    return folder


@pytest.fixture
def identity_restored(qapp):  # type: ignore[no-untyped-def]
    """Undo ``apply_identity`` so other test folders see the names they set themselves."""
    saved = (qapp.applicationName(), qapp.applicationDisplayName(), qapp.organizationName(),
             qapp.organizationDomain(), qapp.applicationVersion(), qapp.desktopFileName())
    yield qapp
    qapp.setApplicationName(saved[0])
    qapp.setApplicationDisplayName(saved[1])
    qapp.setOrganizationName(saved[2])
    qapp.setOrganizationDomain(saved[3])
    qapp.setApplicationVersion(saved[4])
    qapp.setDesktopFileName(saved[5])


def load_script(name: str) -> ModuleType:
    """Import ``packaging/<name>.py`` (not a package) as a module."""
    path = PACKAGING / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"packaging_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module
