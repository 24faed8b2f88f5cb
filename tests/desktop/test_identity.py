"""One application id, name and version, identical everywhere the desktop looks for them."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from rnnstudio import _version, app_info

from .conftest import PACKAGING, RESOURCES, ROOT

METAINFO = RESOURCES / f"{app_info.APP_ID}.metainfo.xml"
DESKTOP = RESOURCES / f"{app_info.APP_ID}.desktop"


def test_app_id_is_reverse_dns() -> None:
    # AppStream/Flathub rules: at least three parts, letters, digits, _ only, no leading digit.
    parts = app_info.APP_ID.split(".")
    assert len(parts) >= 3
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part) for part in parts)
    assert f"https://github.com/{parts[2]}/rnnstudio" == app_info.HOMEPAGE


def test_desktop_file_and_metainfo_are_named_after_the_app_id() -> None:
    assert DESKTOP.is_file(), f"missing {DESKTOP.name}"
    assert METAINFO.is_file(), f"missing {METAINFO.name}"
    assert sorted(path.name for path in RESOURCES.glob("*.desktop")) == [DESKTOP.name]
    assert sorted(path.name for path in RESOURCES.glob("*.metainfo.xml")) == [METAINFO.name]


def test_metainfo_id_launchable_and_icon_name_are_the_app_id() -> None:
    root = ElementTree.parse(METAINFO).getroot()
    assert root.findtext("id") == app_info.APP_ID
    assert root.findtext("launchable[@type='desktop-id']") == DESKTOP.name
    assert root.findtext("name") == app_info.APP_NAME
    assert root.findtext("url[@type='homepage']") == app_info.HOMEPAGE
    assert root.findtext("provides/binary") == app_info.EXECUTABLE


def test_desktop_entry_icon_is_the_app_id() -> None:
    text = DESKTOP.read_text(encoding="utf-8")
    assert f"\nIcon={app_info.ICON_NAME}\n" in text
    assert app_info.ICON_NAME == app_info.APP_ID


def test_spec_bundle_identifier_is_the_app_id() -> None:
    """The spec must take the id from app_info, not a literal that could drift."""
    tree = ast.parse((PACKAGING / "rnnstudio.spec").read_text(encoding="utf-8"))
    calls = [node for node in ast.walk(tree)
             if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "BUNDLE"]
    assert len(calls) == 1
    keywords = {keyword.arg: ast.unparse(keyword.value) for keyword in calls[0].keywords}
    assert keywords["bundle_identifier"] == "app_info.APP_ID"
    assert keywords["version"] == "app_info.VERSION"


def _pyproject() -> dict:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_version_has_one_source() -> None:
    assert _version.__version__ == app_info.VERSION
    assert app_info.version_line() == f"RNN Studio {_version.__version__}"
    pyproject = _pyproject()
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "rnnstudio._version.__version__"}


def test_newest_metainfo_release_is_the_package_version() -> None:
    """Releasing means bumping _version.py *and* adding a <release>: this catches the second."""
    root = ElementTree.parse(METAINFO).getroot()
    releases = root.findall("releases/release")
    assert releases, "metainfo has no <release>"
    assert releases[0].get("version") == _version.__version__


def test_apply_identity_sets_every_name(identity_restored) -> None:  # type: ignore[no-untyped-def]
    from rnnstudio.gui.desktop.identity import apply_identity

    app = identity_restored
    apply_identity(app)
    assert app.desktopFileName() == app_info.APP_ID
    assert app.applicationName() == app_info.APP_NAME
    assert app.organizationName() == app_info.ORGANIZATION
    assert app.organizationDomain() == app_info.ORGANIZATION_DOMAIN
    assert app.applicationVersion() == _version.__version__
    assert not app.windowIcon().isNull()
    assert app.windowIcon().availableSizes()  # the PNGs were found, not only the SVG


def _app_wires_the_smoke_test() -> bool:
    app_py = ROOT / "rnnstudio" / "gui" / "app.py"
    return app_py.is_file() and "run_smoke_test" in app_py.read_text(encoding="utf-8")


@pytest.mark.skipif(not _app_wires_the_smoke_test(),
                    reason="rnnstudio/gui/app.py does not call run_smoke_test yet")
def test_running_app_reports_the_app_id(tmp_path: Path) -> None:
    """The real app, started as users start it, has the desktop file name and passes."""
    env = {"QT_QPA_PLATFORM": "offscreen", "RNNSTUDIO_LOG_DIR": str(tmp_path / "logs"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path),
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "rnnstudio", "--smoke-test"], env=env,
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Traceback" not in output
    assert f"({app_info.APP_ID})" in done.stdout


def test_every_package_is_listed_in_pyproject() -> None:
    """pyproject lists packages by hand: a package left out is missing from `pip install .`."""
    pyproject = _pyproject()
    listed = set(pyproject["tool"]["setuptools"]["packages"])
    found = {".".join(path.parent.relative_to(ROOT).parts)
             for path in (ROOT / "rnnstudio").rglob("__init__.py")}
    assert found - listed == set(), "add these to [tool.setuptools] packages"


def test_app_info_imports_no_qt() -> None:
    """The spec, the CLI and scripts read app_info without starting Qt."""
    code = ("import sys, rnnstudio.app_info\n"
            "loaded = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6')]\n"
            "assert not loaded, loaded\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
