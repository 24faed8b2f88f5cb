"""docs/notebook.ipynb runs: its code cells in order in one namespace, each cell's last
expression shown as Jupyter would (``_repr_html_``, else ``_repr_png_``), without
nbclient; a cell tagged ``requires-X`` is skipped only where X is not installed. The
committed file has no outputs."""

from __future__ import annotations

import ast
import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "notebook.ipynb"
REQUIRES = "requires-"


def code_cells() -> list[dict[str, Any]]:
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    return [cell for cell in cells if cell["cell_type"] == "code"]


def missing(cell: dict[str, Any]) -> list[str]:
    """The packages a cell's tags ask for that are not installed."""
    wanted = [tag[len(REQUIRES):] for tag in cell["metadata"].get("tags", [])
              if tag.startswith(REQUIRES)]
    return [name for name in wanted if importlib.util.find_spec(name) is None]


def shown(value: object) -> str | bytes | None:
    """What Jupyter displays of a cell's last value: its HTML, else its PNG."""
    for method in ("_repr_html_", "_repr_png_"):
        if hasattr(value, method):
            return getattr(value, method)()
    return None


def test_the_committed_notebook_has_no_outputs() -> None:
    for cell in code_cells():
        assert cell["outputs"] == [] and cell["execution_count"] is None, cell["source"][:1]


def test_the_notebook_runs_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict[str, Any] = {"__name__": "__main__"}
    ran, displayed = 0, []
    for cell in code_cells():
        if missing(cell):
            continue
        tree = ast.parse("".join(cell["source"]))
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, str(NOTEBOOK), "exec"), namespace)  # noqa: S102 - our own docs
        if last is not None:
            value = eval(compile(ast.Expression(last.value), str(NOTEBOOK), "eval"),  # noqa: S307
                         namespace)
            displayed.append(shown(value))
        ran += 1
    assert ran >= 5
    assert namespace["again"] == namespace["trace"]
    assert type(namespace["again"]).__name__ == "Trace"  # rs.load_trace gives a Trace
    html = [item for item in displayed if isinstance(item, str)]
    assert any("<img src='data:image/png;base64," in item for item in html)  # the trace
    if "logits" in namespace:  # torch installed: from_torch equals torch
        difference = abs(namespace["logits"] - namespace["theirs"].logits[-1]).max()
        assert difference <= 1e-5
