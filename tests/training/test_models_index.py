"""The shipped-model index reader: entries, the default, and messages a user can act on
when the index is missing, malformed or from a newer version."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rnnstudio.errors import RnnStudioError
from rnnstudio.models_index import default_model, find_model, models_folder, shipped_models


def _index(folder: Path, **changes: object) -> Path:
    index = {"format": 1, "default": {"task": "adding", "cell": "gru"},
             "tasks": {"adding": {"title": "Adding problem", "sample": "1 + 2", "metric": "acc",
                                  "models": {"rnn": {"file": "a-rnn.safetensors", "title": "A",
                                                     "accuracy": 0.5},
                                             "gru": {"file": "a-gru.safetensors", "title": "B",
                                                     "accuracy": 0.9}}}}}
    index.update(changes)
    (folder / "index.json").write_text(json.dumps(index))
    return folder


def test_entries_keep_index_order_and_mark_the_default(tmp_path: Path) -> None:
    models = shipped_models(_index(tmp_path))
    assert [(m.key, m.accuracy, m.default) for m in models] == [
        ("adding-rnn", 0.5, False), ("adding-gru", 0.9, True)]
    assert models[1].path == tmp_path / "a-gru.safetensors"
    assert default_model(tmp_path).key == "adding-gru"
    assert find_model("adding-rnn", tmp_path).title == "A"


def test_unknown_name_lists_the_shipped_ones(tmp_path: Path) -> None:
    with pytest.raises(RnnStudioError, match="no shipped model 'x-lstm': use one of "
                                             "adding-rnn, adding-gru"):
        find_model("x-lstm", _index(tmp_path))


def test_missing_malformed_and_newer_indexes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RnnStudioError, match="missing; build the shipped models with"):
        shipped_models(tmp_path)
    with pytest.raises(RnnStudioError, match="format 2 is not 1; rebuild it or upgrade"):
        shipped_models(_index(tmp_path, format=2))
    with pytest.raises(RnnStudioError, match="malformed model index"):
        shipped_models(_index(tmp_path, tasks={"adding": {"models": {"rnn": {}}}}))
    (tmp_path / "index.json").write_text("{not json")
    with pytest.raises(RnnStudioError, match="unreadable model index"):
        shipped_models(tmp_path)


def test_listing_needs_neither_numpy_nor_qt() -> None:
    """The CLI and the GUI's menu list models before the engine is imported."""
    code = ("import sys, rnnstudio.models_index as m; m.shipped_models(); "
            "print(sorted(k for k in sys.modules if k.split('.')[0] in "
            "('numpy', 'PySide6', 'safetensors')))")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=root, env={"PYTHONPATH": str(root)}).stdout
    assert out.strip() == "[]"
    assert Path(str(models_folder())).is_dir()
