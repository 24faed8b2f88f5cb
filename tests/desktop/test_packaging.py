"""The packaging scripts: the smoke test's verdicts, the spec's choices, the build script."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import PACKAGING, RESOURCES, ROOT, load_script

smoke_test = load_script("smoke_test")


def _fake_app(tmp_path: Path, body: str) -> list[str]:
    """A command that behaves like the app under ``--smoke-test``, per ``body``."""
    script = tmp_path / "fake_app.py"
    script.write_text("import os, sys\nassert sys.argv[1:] == ['--smoke-test']\n" + body)
    return [sys.executable, str(script)]


def _verdict(tmp_path: Path, body: str) -> smoke_test.Target:
    target = smoke_test.Target("fake", _fake_app(tmp_path, body))
    smoke_test.run_once(target, timeout=60)
    return target


def test_clean_run_is_timed(tmp_path: Path) -> None:
    target = _verdict(tmp_path, "print('smoke-test: ok')\n")
    assert target.failures == [] and len(target.seconds) == 1


@pytest.mark.parametrize("body, reason", [
    ("raise SystemExit(3)\n", "exit status 3"),
    ("import traceback\ntry:\n    1/0\nexcept Exception:\n    traceback.print_exc()\n",
     "Traceback"),
    ("print('qt.qpa.plugin: Could not load the Qt platform plugin \"xcb\"', file=sys.stderr)\n",
     "could not load the Qt platform plugin"),
    ("os.makedirs(os.environ['RNNSTUDIO_LOG_DIR'])\n"
     "open(os.path.join(os.environ['RNNSTUDIO_LOG_DIR'], 'crash.log'), 'w').write('boom')\n",
     "crash.log written"),
])
def test_broken_runs_fail(tmp_path: Path, body: str, reason: str) -> None:
    target = _verdict(tmp_path, body)
    assert target.seconds == [] and len(target.failures) == 1
    assert reason in target.failures[0]


def test_window_up_time_is_read_from_the_app(tmp_path: Path) -> None:
    body = ("assert float(os.environ['RNNSTUDIO_LAUNCHED_AT']) > 0\n"
            "print('smoke-test: window up 640 ms after launch')\n")
    target = _verdict(tmp_path, body)
    assert target.window_seconds == [0.64]
    assert "window up in 0.64 s" in smoke_test.describe(target)


def test_run_is_isolated_and_offscreen(tmp_path: Path) -> None:
    body = ("assert os.environ['QT_QPA_PLATFORM'] == 'offscreen'\n"
            "assert 'rnnstudio-smoke-' in os.environ['XDG_CONFIG_HOME']\n")
    assert _verdict(tmp_path, body).failures == []


def test_timeout_fails(tmp_path: Path) -> None:
    target = smoke_test.Target("fake", _fake_app(tmp_path, "import time\ntime.sleep(30)\n"))
    smoke_test.run_once(target, timeout=0.5)
    assert len(target.failures) == 1 and target.failures[0].startswith("no exit within")


def test_bundle_executable_and_size(tmp_path: Path) -> None:
    folder = tmp_path / "dist" / "rnnstudio"
    (folder / "_internal").mkdir(parents=True)
    (folder / "rnnstudio").write_bytes(b"x" * 10)
    (folder / "_internal" / "lib.so").write_bytes(b"y" * 90)
    assert smoke_test.bundle_executable(folder) == folder / "rnnstudio"
    assert smoke_test.folder_size(folder) == 100
    with pytest.raises(SystemExit, match="build it first"):
        smoke_test.bundle_executable(tmp_path)


def test_installed_size_counts_this_environment() -> None:
    size = smoke_test.installed_size(sys.executable)
    assert size is not None and size > 10_000_000  # numpy and PySide6 at least


def _spec_list(name: str) -> list[str]:
    """The value of a module-level list in the spec (plain expressions, no names)."""
    tree = ast.parse((PACKAGING / "rnnstudio.spec").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == name:
            return list(eval(compile(ast.Expression(node.value), "spec", "eval"), {}))
    raise AssertionError(f"{name} not assigned in the spec")


def test_spec_keeps_the_qt_modules_the_app_uses() -> None:
    excluded = set(_spec_list("QT_EXCLUDES"))
    for needed in ("QtCore", "QtGui", "QtWidgets", "QtSvg", "QtOpenGL", "QtOpenGLWidgets"):
        assert f"PySide6.{needed}" not in excluded, f"{needed} is needed (pyqtgraph, icon)"
    for unused in ("QtQml", "QtQuick", "QtWebEngineCore", "QtNetwork", "Qt3DCore"):
        assert f"PySide6.{unused}" in excluded


def test_spec_bundles_resources_and_excludes_torch() -> None:
    text = (PACKAGING / "rnnstudio.spec").read_text(encoding="utf-8")
    assert '(str(ROOT / "resources"), "rnnstudio/resources")' in text
    assert "torch" in _spec_list("PY_EXCLUDES")
    assert "console=sys.platform != \"win32\"" in text  # no console window on Windows


def test_build_script_is_valid_bash() -> None:
    done = subprocess.run(["bash", "-n", str(PACKAGING / "build.sh")], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_render_icons_writes_every_size(qapp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    render_icons = load_script("render_icons")
    written = render_icons.write_pngs(PACKAGING.parent / "resources" / "icons", tmp_path)
    assert [path.name for path in written] == [f"rnnstudio-{size}.png"
                                               for size in render_icons.SIZES]


def test_desktop_files_install_and_uninstall(tmp_path: Path) -> None:
    script = PACKAGING / "install-desktop-files.sh"
    env = {"PATH": "/usr/bin:/bin", "PREFIX": str(tmp_path), "HOME": str(tmp_path)}
    bundle = tmp_path / "bundle" / "rnnstudio"
    done = subprocess.run(["bash", str(script), "--exec", str(bundle)], env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    entry = tmp_path / "applications" / "io.github.rnnstudio.RnnStudio.desktop"
    assert f'Exec="{bundle}" %f' in entry.read_text(encoding="utf-8")
    assert (tmp_path / "metainfo" / "io.github.rnnstudio.RnnStudio.metainfo.xml").is_file()
    icons = sorted(path.relative_to(tmp_path / "icons" / "hicolor").as_posix()
                   for path in (tmp_path / "icons").rglob("io.github.*"))
    assert "scalable/apps/io.github.rnnstudio.RnnStudio.svg" in icons
    assert "48x48/apps/io.github.rnnstudio.RnnStudio.png" in icons and len(icons) == 8
    done = subprocess.run(["bash", str(script), "--uninstall"], env=env, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert not list(tmp_path.rglob("io.github.*"))


def test_platform_can_be_chosen(tmp_path: Path) -> None:
    env = smoke_test.isolated_environment(tmp_path, "xcb")
    assert env["QT_QPA_PLATFORM"] == "xcb"
    assert env["RNNSTUDIO_LOG_DIR"] == str(tmp_path / "logs")


# --- release metadata: what can be checked without building ------------------------

REPOSITORY = "https://github.com/rnnstudio/rnnstudio"


def _pyproject() -> dict[str, Any]:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)  # type: ignore[no-any-return]


def test_license_is_an_spdx_string_with_its_file() -> None:
    pyproject = _pyproject()
    project = pyproject["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    # PEP 639: setuptools >= 77 reads these, and refuses License classifiers beside them.
    assert "setuptools>=77" in pyproject["build-system"]["requires"]
    assert not [item for item in project["classifiers"] if item.startswith("License ::")]
    lines = (ROOT / "LICENSE").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "MIT License"
    assert "Copyright (c) 2026 The RNN Studio developers" in lines
    metainfo = (RESOURCES / "io.github.rnnstudio.RnnStudio.metainfo.xml").read_text(
        encoding="utf-8")
    assert "<project_license>MIT</project_license>" in metainfo


def test_project_metadata_for_the_package_index() -> None:
    project = _pyproject()["project"]
    assert {"Intended Audience :: Education", "Intended Audience :: Science/Research",
            "Typing :: Typed"} <= set(project["classifiers"])
    assert any(item.startswith("Development Status :: ") for item in project["classifiers"])
    assert {"rnn", "lstm", "gru"} <= set(project["keywords"])
    urls = project["urls"]
    assert set(urls) == {"Homepage", "Documentation", "Issues", "Changelog"}
    assert all(url.startswith(REPOSITORY) for url in urls.values())
    assert urls["Homepage"] == REPOSITORY


def test_readme_links_work_on_the_package_index() -> None:
    """PyPI shows the README without the repository: relative links would break there."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)]+)\)", readme)
    assert len(targets) >= 10
    relative = [target for target in targets if not target.startswith(("https://", "#"))]
    assert relative == []
    for target in targets:
        if target.startswith(f"{REPOSITORY}/"):
            kind, branch, path = target[len(REPOSITORY) + 1:].split("/", 2)
            assert (kind, branch) in {("blob", "main"), ("raw", "main")}, target
            assert (ROOT / path.split("#")[0]).exists(), f"{target}: no such file here"


def test_the_sdist_carries_tests_docs_and_release_files() -> None:
    manifest = (ROOT / "MANIFEST.in").read_text(encoding="utf-8").splitlines()
    commands = [line.split() for line in manifest if line and not line.startswith("#")]
    assert ["include", "LICENSE", "README.md", "CHANGELOG.md", "CITATION.cff",
            "CONTRIBUTING.md"] in commands
    grafted = {words[1] for words in commands if words[0] == "graft"}
    assert grafted == {"tests", "docs", "resources", "packaging", ".ci"}
    for name in ("LICENSE", "README.md", "CHANGELOG.md", "CITATION.cff", "CONTRIBUTING.md",
                 *grafted):
        assert (ROOT / name).exists(), name


def test_changelog_and_citation_follow_the_project() -> None:
    from rnnstudio._version import __version__

    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in changelog and "keepachangelog.com" in changelog
    citation = {}
    for line in (ROOT / "CITATION.cff").read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition(":")
        if value and not line.startswith((" ", "#")):
            citation[key] = value.strip().strip('"')
    assert citation["cff-version"] == "1.2.0"
    assert citation["version"] == __version__
    assert citation["license"] == _pyproject()["project"]["license"]
    assert citation["repository-code"] == REPOSITORY
    assert citation["title"] == "RNN Studio"
