"""Render ``resources/icons/rnnstudio.svg`` to the PNG sizes desktops and bundles need.

16 and 32 px come from ``rnnstudio-small.svg``, a simplified drawing of the same icon.
Run from anywhere: ``python packaging/render_icons.py``. Writes
``resources/icons/rnnstudio-<size>.png`` (and, with ``--ico``/``--icns`` when Pillow is
installed, Windows and macOS icon files for PyInstaller). Re-run it after editing the SVG;
the PNGs are committed so an install needs no SVG renderer.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QRectF, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"
SIZES = (16, 32, 48, 64, 128, 256, 512)
#: Sizes drawn from the simplified ``rnnstudio-small.svg``: at 16 and 32 px the master's
#: tanh curve and seven heat cells blur into a smudge.
SMALL_SIZES = (16, 32)


def master_for(size: int, folder: Path = ICONS) -> Path:
    """The SVG a PNG of ``size`` pixels is made from."""
    return folder / ("rnnstudio-small.svg" if size in SMALL_SIZES else "rnnstudio.svg")


def render(svg: Path, size: int) -> QImage:
    """One square, transparent, antialiased rendering of ``svg``."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: {svg} is not a valid SVG (QSvgRenderer refused it)")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def write_pngs(masters: Path, folder: Path, sizes: tuple[int, ...] = SIZES) -> list[Path]:
    """``rnnstudio-<size>.png`` for every size from the SVGs in ``masters``."""
    written = []
    for size in sizes:
        path = folder / f"rnnstudio-{size}.png"
        if not render(master_for(size, masters), size).save(str(path), "PNG"):
            raise SystemExit(f"render_icons: could not write {path}")
        written.append(path)
    return written


def write_platform_icons(folder: Path, ico: bool, icns: bool) -> list[Path]:
    """``rnnstudio.ico`` / ``rnnstudio.icns`` from the 512 px PNG, through Pillow."""
    try:
        from PIL import Image
    except ImportError:
        print("render_icons: Pillow is not installed; skipping .ico/.icns", file=sys.stderr)
        return []
    master = Image.open(folder / "rnnstudio-512.png")
    written = []
    if ico:
        master.save(folder / "rnnstudio.ico", sizes=[(s, s) for s in SIZES if s <= 256])
        written.append(folder / "rnnstudio.ico")
    if icns:
        master.save(folder / "rnnstudio.icns")
        written.append(folder / "rnnstudio.icns")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svg-folder", type=Path, default=ICONS,
                        help="folder of rnnstudio.svg and rnnstudio-small.svg")
    parser.add_argument("--out", type=Path, default=ICONS)
    parser.add_argument("--ico", action="store_true", help="also write rnnstudio.ico")
    parser.add_argument("--icns", action="store_true", help="also write rnnstudio.icns")
    options = parser.parse_args(argv)
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841
    options.out.mkdir(parents=True, exist_ok=True)
    written = write_pngs(options.svg_folder, options.out)
    if options.ico or options.icns:
        written += write_platform_icons(options.out, options.ico, options.icns)
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
