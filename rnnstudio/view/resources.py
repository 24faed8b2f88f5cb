"""Sample sentences shipped with the app, found in an install and in a checkout alike."""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

_FALLBACK_SAMPLES = ["the cat sat on the mat"]


def _read_samples_text() -> str | None:
    try:
        return (resources.files("rnnstudio.resources") / "samples" / "sentences.txt").read_text(
            encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        pass
    # A source checkout run without installing: resources/ sits beside the package.
    checkout = Path(__file__).resolve().parents[2] / "resources" / "samples" / "sentences.txt"
    return checkout.read_text(encoding="utf-8") if checkout.is_file() else None


def sample_sentences() -> list[str]:
    """Non-empty lines of ``resources/samples/sentences.txt`` that are not comments."""
    text = _read_samples_text()
    if text is None:
        return list(_FALLBACK_SAMPLES)
    lines = [line.strip() for line in text.splitlines()]
    return [line for line in lines if line and not line.startswith("#")] or _FALLBACK_SAMPLES


def resource_folder(name: str) -> Traversable:
    """``resources/<name>`` of the installed (or frozen) package, else of this checkout."""
    try:
        root: Traversable = resources.files("rnnstudio.resources")
    except ModuleNotFoundError:  # a checkout: resources/ sits beside rnnstudio/
        root = Path(__file__).resolve().parents[2] / "resources"
    except (TypeError, ValueError):  # a namespace package some Pythons refuse
        import rnnstudio.resources as package  # type: ignore[import-not-found]

        root = Path(next(iter(package.__path__)))
    return root / name
