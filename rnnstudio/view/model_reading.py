"""How a model file was read, in words (no Qt): the Model dock's *How it is read*.

A foreign model is read by guessing and converting: its submodules are renamed, a
bfloat16 file converted, a head the engine cannot reproduce left out, and what the
file does not say (task, labels, readout, tokenizer) guessed. Each changes what the
window shows, so the dock names each, in the words ``rnnstudio info`` prints
(:func:`~rnnstudio.io.config_guesses.guess_line`, one wording for both), and which
control of the window changes a guess. A model loaded as its recurrent part only has
no verdict: :data:`NO_VERDICT` says why where the verdict would be.
"""

from __future__ import annotations

from typing import Any

from ..io.config_guesses import guess_line
from .readout import renamed_words

#: A reader's format (``LoadedModel.format``'s first word) as a user names the file.
FORMAT_WORDS = {
    "pytorch": "PyTorch state_dict",
    "safetensors": "safetensors",
    "npz": "NumPy .npz",
    "keras": "Keras 3 .keras",
    "keras-h5": "Keras .h5 (legacy)",
    "onnx": "ONNX graph",
    "folder": "model folder (model.safetensors + config.json)",
}
#: The window's control for a guessed field (``info`` names a command-line flag; the
#: tokenizer's kind and case have no control: a sidecar or the flag sets them).
GUESS_CONTROLS = {"readout": "the Readout box above", "task": "Models › Model details…",
                  "labels": "Models › Model details…"}
#: Said instead of a verdict when the file's head was left out.
NO_VERDICT = ("No verdict: only the recurrent part was loaded (its head is not one Linear "
              "layer: the Model dock names what was left out); states and gradients are "
              "the model's own.")
#: A configuration source as the window names it: its "options" are the overrides
#: chosen in the window (the Readout box, Model details kept for the session).
_WINDOW_SOURCES = {"options": "this window's choices"}
_NATIVE = "RNN Studio"


def format_words(loaded: Any) -> str:
    """``"PyTorch state_dict"``; a file RNN Studio wrote says so (``"safetensors
    written by RNN Studio"``)."""
    kind, _, details = str(loaded.format).partition(" ")
    words = FORMAT_WORDS.get(kind, kind)
    return f"{words} written by {_NATIVE}" if details.startswith(f"({_NATIVE}") else words


def recurrent_part_only(loaded: Any) -> bool:
    """The file's head was left out (the engine reads one Linear head): no verdict."""
    return loaded is not None and bool(loaded.head_left_out)


def reading_lines(loaded: Any) -> list[tuple[str, str]]:
    """``(label, text)`` lines, in reading order: the format, renamed submodules, each
    note (converted, left out, skipped), where the settings came from, then each guess
    as ``info`` prints it and where the window changes it. Empty for no file.

    ``loaded`` is a :class:`~rnnstudio.io.model_files.LoadedModel` or None.
    """
    if loaded is None:
        return []
    lines = [("read as", format_words(loaded))]
    renamed = renamed_words(loaded.names)
    if renamed:
        lines.append(("renamed", renamed))
    lines.extend(("note", str(note)) for note in loaded.notes)
    folder = f"{loaded.path.parent}/"
    sources = [_WINDOW_SOURCES.get(source, str(source).replace(folder, ""))
               for source in loaded.config_sources]
    lines.append(("settings from", ", ".join(sources)))
    config = loaded.model.config
    lines.extend(("guessed", guess_line(name, config)) for name in loaded.guessed)
    controls: dict[str, list[str]] = {}
    for name in loaded.guessed:
        if name in GUESS_CONTROLS:
            controls.setdefault(GUESS_CONTROLS[name], []).append(name)
    if controls:
        lines.append(("change", "; ".join(f"{', '.join(names)}: {control}"
                                          for control, names in controls.items())))
    return lines
