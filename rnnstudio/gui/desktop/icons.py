"""Find the app icon in an install, a source checkout and a PyInstaller bundle alike."""

from __future__ import annotations

import contextlib
import sys
from importlib import resources
from pathlib import Path

from PySide6.QtGui import QIcon

ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


def icon_folder() -> Path | None:
    """``resources/icons``: inside the installed package, the bundle or the checkout."""
    candidates: list[Path] = []
    with contextlib.suppress(ModuleNotFoundError, TypeError):
        candidates.append(Path(str(resources.files("rnnstudio.resources") / "icons")))
    bundle = getattr(sys, "_MEIPASS", None)  # set by PyInstaller's bootloader
    if bundle:
        candidates.append(Path(bundle) / "rnnstudio" / "resources" / "icons")
    candidates.append(Path(__file__).resolve().parents[3] / "resources" / "icons")
    return next((path for path in candidates if (path / "rnnstudio.svg").is_file()), None)


def app_icon() -> QIcon:
    """Every PNG size plus the SVG master, so each platform picks a crisp one.

    PNGs come first: the SVG needs the QtSvg image plugin, which a trimmed bundle might
    lack, and a 16 px PNG drawn for 16 px reads better than the scaled master.
    """
    folder = icon_folder()
    icon = QIcon()
    if folder is None:
        return icon
    for size in ICON_SIZES:
        png = folder / f"rnnstudio-{size}.png"
        if png.is_file():
            icon.addFile(str(png))
    icon.addFile(str(folder / "rnnstudio.svg"))
    return icon
