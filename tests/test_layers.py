"""The layers' one direction (gui -> view -> io -> engine), checked on the code itself.

The view layer imports no Qt in a fresh interpreter; no panel under ``gui/widgets``
imports ``rnnstudio.engine`` or ``rnnstudio.io`` at run time (type names under
``TYPE_CHECKING`` are allowed: a panel may name the session's types, it may not call
the engine or read files); engine and io import nothing above them.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "rnnstudio"


def _runtime_imports(path: Path) -> set[str]:
    """Absolute module names ``path`` imports outside ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    type_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                 and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
                 for node in ast.walk(block)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _modules("gui/widgets"), ids=lambda path: path.name)
def test_no_panel_calls_the_engine_or_reads_files(path: Path) -> None:
    bad = {name for name in _runtime_imports(path)
           if name.startswith(("rnnstudio.engine", "rnnstudio.io"))}
    assert not bad, f"{path.name} imports {sorted(bad)}: go through the session or the view"


@pytest.mark.parametrize(("folder", "above"), [
    ("engine", ("rnnstudio.io", "rnnstudio.view", "rnnstudio.gui", "PySide6", "pyqtgraph")),
    ("io", ("rnnstudio.view", "rnnstudio.gui", "PySide6", "pyqtgraph")),
    ("view", ("rnnstudio.gui", "PySide6", "pyqtgraph")),
])
def test_lower_layers_import_nothing_above_them(folder: str, above: tuple[str, ...]) -> None:
    bad = {f"{path.name}: {name}" for path in _modules(folder)
           for name in _runtime_imports(path) if name.startswith(above)}
    assert not bad, sorted(bad)


def test_the_import_scan_sees_relative_and_type_only_imports(tmp_path: Path) -> None:
    """The scanner itself: a relative import resolves; a TYPE_CHECKING one is skipped."""
    module = PACKAGE / "gui" / "widgets" / "heatmaps.py"
    names = _runtime_imports(module)
    assert "rnnstudio.gui.session" in names and "PySide6.QtCore" in names
    typed = PACKAGE / "gui" / "widgets" / "model_panel.py"
    assert "rnnstudio.io.model_source" not in _runtime_imports(typed)
    assert "TYPE_CHECKING" in typed.read_text(encoding="utf-8")


def test_the_view_layer_loads_no_qt() -> None:
    code = ("import sys, pkgutil, importlib, rnnstudio.view as view\n"
            "for info in pkgutil.iter_modules(view.__path__):\n"
            "    importlib.import_module('rnnstudio.view.' + info.name)\n"
            "print(','.join(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6'))))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    assert result.stdout.strip() == ""
