"""Desktop entry, AppStream metainfo and icons: valid for the tools that read them."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtSvg import QSvgRenderer

from rnnstudio import app_info

from .conftest import RESOURCES, ROOT, load_script

METAINFO = RESOURCES / f"{app_info.APP_ID}.metainfo.xml"
DESKTOP = RESOURCES / f"{app_info.APP_ID}.desktop"
ICONS = RESOURCES / "icons"
SCREENSHOTS = ("main.png", "compare.png")

# Desktop Entry Specification 1.4: the keys an Application entry may use (others need X-).
KNOWN_DESKTOP_KEYS = {
    "Type", "Version", "Name", "GenericName", "NoDisplay", "Comment", "Icon", "Hidden",
    "OnlyShowIn", "NotShowIn", "DBusActivatable", "TryExec", "Exec", "Path", "Terminal",
    "Actions", "MimeType", "Categories", "Implements", "Keywords", "StartupNotify",
    "StartupWMClass", "PrefersNonDefaultGPU",
}
MAIN_CATEGORIES = {"AudioVideo", "Audio", "Video", "Development", "Education", "Game",
                   "Graphics", "Network", "Office", "Science", "Settings", "System", "Utility"}


# --- AppStream ---------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("appstreamcli") is None,
                    reason="appstreamcli not installed (apt-get install appstream); "
                    "the structure checks below still run")
def test_metainfo_passes_appstreamcli() -> None:
    done = subprocess.run(["appstreamcli", "validate", "--no-net", "--explain", str(METAINFO)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_metainfo_structure() -> None:
    """What appstreamcli requires of a desktop-application, checked without it."""
    root = ElementTree.parse(METAINFO).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    for tag in ("id", "metadata_license", "project_license", "name", "summary"):
        assert (root.findtext(tag) or "").strip(), f"<{tag}> missing or empty"
    assert root.findtext("metadata_license") in {"CC0-1.0", "FSFAP", "MIT", "CC-BY-4.0"}
    summary = root.findtext("summary") or ""
    assert len(summary) < 80 and not summary.endswith(".")  # AppStream style rules
    paragraphs = root.findall("description/p")
    assert paragraphs and all((p.text or "").strip() for p in paragraphs)
    assert root.find("content_rating[@type='oars-1.1']") is not None
    for release in root.findall("releases/release"):
        assert release.get("version") and release.get("date")


def test_metainfo_screenshots_point_at_docs_screenshots() -> None:
    root = ElementTree.parse(METAINFO).getroot()
    images = [image.text or "" for image in root.findall("screenshots/screenshot/image")]
    assert [image.rsplit("/", 1)[-1] for image in images] == list(SCREENSHOTS)
    for image in images:
        assert image.startswith(f"{app_info.RAW_FILES_URL}/docs/screenshots/")
    defaults = root.findall("screenshots/screenshot[@type='default']")
    assert len(defaults) == 1 and defaults[0].findtext("caption")


@pytest.mark.parametrize("name", SCREENSHOTS)
def test_screenshot_referenced_by_metainfo_exists(name: str) -> None:
    path = ROOT / "docs" / "screenshots" / name
    if not (ROOT / "docs" / "screenshots").is_dir():
        pytest.skip("docs/screenshots/ not produced yet (packaging/screenshots.py)")
    assert path.is_file(), f"metainfo shows {path.relative_to(ROOT)}, which does not exist"
    image = QImage(str(path))
    assert not image.isNull() and image.width() >= 620  # Flathub's minimum useful width


# --- desktop entry -----------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate not installed (apt-get install "
                    "desktop-file-utils); the parser check below still runs")
def test_desktop_file_passes_desktop_file_validate() -> None:
    done = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def _desktop_entry() -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    assert parser.sections() == ["Desktop Entry"]
    return dict(parser["Desktop Entry"])


def test_desktop_entry_keys() -> None:
    entry = _desktop_entry()
    unknown = {key for key in entry if key not in KNOWN_DESKTOP_KEYS
               and not key.startswith("X-") and "[" not in key}
    assert not unknown, f"keys that are neither standard nor X-: {unknown}"
    assert entry["Type"] == "Application"
    assert entry["Name"] == app_info.APP_NAME
    assert entry["Exec"].split()[0] == app_info.EXECUTABLE
    assert entry["TryExec"] == app_info.EXECUTABLE
    assert entry["Terminal"] == "false"
    assert entry["StartupWMClass"] == app_info.EXECUTABLE
    for key in ("Categories", "Keywords"):
        assert entry[key].endswith(";"), f"{key} is a list and must end with ';'"
    categories = entry["Categories"].rstrip(";").split(";")
    assert len(set(categories) & MAIN_CATEGORIES) == 1  # else the app shows up twice
    codes = {code for code in entry["Exec"].split()[1:] if code.startswith("%")}
    assert codes <= {"%f", "%F", "%u", "%U"}


def test_desktop_entry_comment_says_the_summary() -> None:
    entry = _desktop_entry()
    assert app_info.SUMMARY.split(":")[0].lower() in entry["Comment"].lower()


# --- icons -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["rnnstudio.svg", "rnnstudio-small.svg"])
def test_svg_masters_render(qapp, name: str) -> None:  # type: ignore[no-untyped-def]
    renderer = QSvgRenderer(str(ICONS / name))
    assert renderer.isValid()
    assert renderer.defaultSize().width() == renderer.defaultSize().height()


def test_png_sizes_exist_and_are_square(qapp) -> None:  # type: ignore[no-untyped-def]
    render_icons = load_script("render_icons")
    for size in render_icons.SIZES:
        image = QImage(str(ICONS / f"rnnstudio-{size}.png"))
        assert (image.width(), image.height()) == (size, size)
        assert image.hasAlphaChannel()
        # Rounded corners: the corner pixel is transparent, the centre is opaque.
        assert image.pixelColor(0, 0).alpha() == 0
        assert image.pixelColor(size // 2, size // 2).alpha() == 255


def test_pngs_are_up_to_date_with_the_svg(qapp) -> None:  # type: ignore[no-untyped-def]
    """A PNG left over from an older drawing would show a different icon per size."""
    render_icons = load_script("render_icons")
    for size in (16, 32, 128):
        fresh = render_icons.render(render_icons.master_for(size), size).convertToFormat(
            QImage.Format.Format_ARGB32)
        committed = QImage(str(ICONS / f"rnnstudio-{size}.png")).convertToFormat(
            QImage.Format.Format_ARGB32)
        differing = sum(
            1 for y in range(size) for x in range(size)
            if _far(fresh.pixelColor(x, y), committed.pixelColor(x, y)))
        # Antialiasing may differ between Qt versions by a few levels, not by a drawing.
        assert differing <= size * size // 100, f"{size} px: re-run packaging/render_icons.py"


def _far(first: QColor, second: QColor) -> bool:
    return max(abs(first.red() - second.red()), abs(first.green() - second.green()),
               abs(first.blue() - second.blue()), abs(first.alpha() - second.alpha())) > 24


def test_icon_has_a_transparent_background_outside_the_rounded_square(qapp) -> None:  # type: ignore[no-untyped-def]
    image = QImage(str(ICONS / "rnnstudio-512.png"))
    assert image.pixelColor(4, 4).alpha() == 0
    assert image.pixelColor(256, 40).alpha() == 255
    assert image.pixelColor(256, 40) != Qt.GlobalColor.white
