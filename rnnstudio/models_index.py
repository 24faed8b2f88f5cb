"""The shipped, trained demo models: what ``resources/models/index.json`` lists.

Pure Python (no NumPy, no Qt), so the CLI can list models without loading any and the
GUI can fill its menu before the engine is imported. Files are found through
``importlib.resources`` on the package ``rnnstudio.resources`` (how an installed wheel
ships the top-level ``resources/`` folder, see pyproject.toml); in a source checkout,
where that package does not exist, the same folder is found next to ``rnnstudio/``.

Index format (``format`` 1)::

    {"format": 1, "default": {"task": "sentiment", "cell": "lstm"},
     "tasks": {"<task>": {"title": str, "sample": str, "metric": str,
                          "models": {"<cell>": {"file": str, "title": str,
                                                "accuracy": float, "parameters": int,
                                                "bytes": int}}}}}
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from .errors import RnnStudioError

__all__ = ["INDEX_FORMAT", "MAX_COMPARED", "PARITY_FOLDER", "ShippedModel", "check_compare_keys",
           "default_model", "find_model", "models_folder", "shipped_models",
           "shipped_title"]

INDEX_FORMAT = 1
INDEX_NAME = "index.json"
#: The folder beside the models that holds their PyTorch reference values.
PARITY_FOLDER = "parity"
#: The Compare view shows at most this many models side by side.
MAX_COMPARED = 4


@dataclass(frozen=True)
class ShippedModel:
    """One entry of the index; ``path`` is where the file lives (a ``Traversable``:
    a plain path in a checkout or an unpacked install, use :meth:`as_file` for a real
    file path in every case)."""

    task: str
    cell: str
    file: str
    title: str
    accuracy: float
    metric: str
    sample: str
    task_title: str
    parameters: int
    size_bytes: int
    default: bool
    path: Traversable
    #: PyTorch's reference values for this model (``parity/<key>.json`` beside the
    #: models; ``rnnstudio.io.parity_file`` reads them, Help › Check against PyTorch
    #: compares); written by packaging/parity_references.py.
    parity_path: Traversable | None = None

    @property
    def key(self) -> str:
        """``task-cell``, e.g. ``sentiment-lstm`` (the CLI's name for the model)."""
        return f"{self.task}-{self.cell}"

    def as_file(self) -> AbstractContextManager[Path]:
        """A context manager giving a filesystem path (extracted if zipped)."""
        return resources.as_file(self.path)


def models_folder() -> Traversable:
    """``resources/models`` of the installed package, else of this source checkout."""
    try:
        root: Traversable = resources.files("rnnstudio.resources")
    except ModuleNotFoundError:  # a checkout: resources/ sits beside rnnstudio/
        root = Path(__file__).resolve().parent.parent / "resources"
    except (TypeError, ValueError):  # an installed namespace package some Pythons refuse
        import rnnstudio.resources as package  # type: ignore[import-not-found]

        root = Path(next(iter(package.__path__)))
    return root / "models"


def shipped_models(folder: Traversable | None = None) -> list[ShippedModel]:
    """Every listed model, in index order (tasks as listed, cells as listed)."""
    folder = models_folder() if folder is None else folder
    index = _read_index(folder)
    default = index.get("default") or {}
    entries = []
    try:
        for task, info in index["tasks"].items():
            for cell, model in info["models"].items():
                entries.append(ShippedModel(
                    task=task, cell=cell, file=model["file"], title=model["title"],
                    accuracy=float(model["accuracy"]), metric=info.get("metric", "accuracy"),
                    sample=info["sample"], task_title=info.get("title", task),
                    parameters=int(model.get("parameters", 0)),
                    size_bytes=int(model.get("bytes", 0)),
                    default=(default.get("task"), default.get("cell")) == (task, cell),
                    path=folder / model["file"],
                    parity_path=folder / PARITY_FOLDER / f"{task}-{cell}.json"))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RnnStudioError(
            f"{folder / INDEX_NAME}: malformed model index ({exc!r}); rebuild it with "
            "python packaging/build_models.py --out resources/models") from exc
    return entries


def find_model(key: str, folder: Traversable | None = None) -> ShippedModel:
    """The model named ``task-cell`` (e.g. ``recall-gru``); the error lists the names."""
    models = shipped_models(folder)
    for entry in models:
        if entry.key == key:
            return entry
    names = ", ".join(entry.key for entry in models)
    raise RnnStudioError(f"no shipped model {key!r}: use one of {names}")


def default_model(folder: Traversable | None = None) -> ShippedModel:
    """The model the app opens at startup (a trained one, never random weights)."""
    models = shipped_models(folder)
    for entry in models:
        if entry.default:
            return entry
    if not models:
        raise RnnStudioError("the model index lists no models")
    return models[0]


def shipped_title(key: str, folder: Traversable | None = None) -> str:
    """The index's title of a shipped model, e.g. "Recall across a gap (GRU)"."""
    return find_model(key, folder).title


def check_compare_keys(keys: tuple[str, ...], folder: Traversable | None = None) -> None:
    """Raise :class:`RnnStudioError` unless ``keys`` are 1 to ``MAX_COMPARED`` shipped
    models; the message lists the known names."""
    known = [entry.key for entry in shipped_models(folder)]
    unknown = [key for key in keys if key not in known]
    if not 1 <= len(keys) <= MAX_COMPARED or unknown:
        problem = (f"unknown model {unknown[0]!r}" if unknown
                   else f"{len(keys)} models, not 1 to {MAX_COMPARED}")
        raise RnnStudioError(f"cannot compare {problem}: choose 1 to {MAX_COMPARED} of "
                             f"{', '.join(known)}")


def _read_index(folder: Traversable) -> dict[str, Any]:
    """The index of ``folder``, parsed once per content: the window names its model on
    every edit (the status line), and the file does not change while it runs."""
    target = folder / INDEX_NAME
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise RnnStudioError(
            f"{target}: missing; build the shipped models with "
            "python packaging/build_models.py --out resources/models") from exc
    except OSError as exc:
        raise RnnStudioError(f"{target}: unreadable model index ({exc})") from exc
    return _parse_index(str(target), text)


@lru_cache(maxsize=4)
def _parse_index(target: str, text: str) -> dict[str, Any]:
    try:
        index = json.loads(text)
    except ValueError as exc:
        raise RnnStudioError(f"{target}: unreadable model index ({exc})") from exc
    found = index.get("format") if isinstance(index, dict) else None
    if found != INDEX_FORMAT:
        raise RnnStudioError(f"{target}: model index format {found!r} is not {INDEX_FORMAT};"
                             " rebuild it or upgrade rnnstudio")
    return index
