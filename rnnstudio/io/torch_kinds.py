"""Recognise PyTorch files that hold a program or a whole object rather than weights,
so the message says what they are and how to save a state_dict instead of "corrupt".

Three kinds are told apart by the zip archive's member names and, for a pickle, by its
first opcodes (read with :func:`pickletools.genops`, which decodes and never executes):

- TorchScript (``torch.jit.save``): ``*/code/...`` and ``*/constants.pkl`` members;
- ``torch.export.save`` (``.pt2``): ``*/archive_format``, ``*/models/*.json`` or
  ``*/serialized_exported_program.json`` members, and no ``data.pkl``;
- a whole pickled module (``torch.save(model)``): ``data.pkl`` whose top-level object is
  built by ``NEWOBJ`` from a class (``__main__ MyModel``, ``torch.nn.modules.rnn LSTM``),
  where a state_dict starts with ``collections OrderedDict`` + ``REDUCE`` or a ``dict``.
"""

from __future__ import annotations

import pickletools
import zipfile
from pathlib import Path

from ..errors import ModelFileError

__all__ = ["refuse_program_or_object"]

#: Bytes of ``data.pkl`` decoded to find the top-level object: its class comes first.
PICKLE_HEAD_BYTES = 4096
#: Opcodes decoded at most (the class and the NEWOBJ that builds it come within ~8).
_MAX_OPCODES = 16
_MEMO = {"PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE", "FRAME", "PROTO"}
_STRINGS = {"SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8"}
_SAVE = "torch.save(model.state_dict(), PATH)"
_PIPX = "pipx users also need 'pipx inject rnnstudio torch' to open .pt files"


def refuse_program_or_object(path: Path, archive: zipfile.ZipFile) -> None:
    """Raise :class:`ModelFileError` (one line naming ``path``, what the file is and
    how to save a state_dict) for a TorchScript or ``torch.export`` archive or a whole
    pickled module; return for anything else (a state_dict, or what the reader judges).
    """
    names = archive.namelist()
    what = _program_kind(names)
    if what is None:
        pickled = next((name for name in names if name.endswith("data.pkl")), None)
        if pickled is not None:
            with archive.open(pickled) as stream:
                class_name = pickled_class(stream.read(PICKLE_HEAD_BYTES))
            if class_name is not None:
                what = (f"a whole pickled object of class {class_name} (torch.save(model)), "
                        "which only its own Python code can rebuild")
    if what is not None:
        raise ModelFileError(
            f"{path}: {what}, not a state_dict; RNN Studio reads weights only: save them "
            f"with {_SAVE} and open that ({_PIPX})"
        )


def _program_kind(names: list[str]) -> str | None:
    """What a TorchScript or ``torch.export`` archive is, from its member names."""
    parts = [name.split("/", 1)[-1] for name in names]  # without the archive's folder
    if any(part.startswith("code/") for part in parts) and "constants.pkl" in parts:
        return "a TorchScript program (torch.jit.save / torch.jit.script / torch.jit.trace)"
    exported = any(part == "archive_format" or part == "serialized_exported_program.json"
                   or (part.startswith("models/") and part.endswith(".json"))
                   for part in parts)
    if exported and "data.pkl" not in parts:
        return "an exported program (torch.export.save, .pt2)"
    return None


def pickled_class(head: bytes) -> str | None:
    """``"module.Class"`` when the pickle in ``head`` builds its top-level object with
    ``NEWOBJ`` from that class (a whole object, not a state_dict); None otherwise.

    Only opcodes are decoded; a head cut mid-opcode simply ends the scan.
    """
    strings: list[str] = []
    found: str | None = None
    try:
        for count, (opcode, argument, _) in enumerate(pickletools.genops(head)):
            name = opcode.name
            if count >= _MAX_OPCODES or name in ("REDUCE", "STOP"):
                return None
            if name in _MEMO:
                continue
            if name in _STRINGS:
                strings.append(str(argument))
            elif name == "GLOBAL" and found is None:
                found = str(argument).replace(" ", ".")
            elif name == "STACK_GLOBAL" and found is None and len(strings) >= 2:
                found = f"{strings[-2]}.{strings[-1]}"
            elif name in ("NEWOBJ", "NEWOBJ_EX"):
                return found
            elif name != "EMPTY_TUPLE" or found is None:
                return None  # a dict, a list, a string ...: not an object built first
    except ValueError:  # the head ends inside an opcode, or is no pickle
        return None
    return None
