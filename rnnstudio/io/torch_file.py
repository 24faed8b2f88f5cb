"""PyTorch ``state_dict`` files, read with ``torch.load(weights_only=True)``.

torch is optional: without it the message points at ``rnnstudio convert``, which can run
on any machine that has torch. ``weights_only=True`` restricts unpickling to tensors and
plain containers, so a file that would run code is refused, not executed; but before
torch 2.6 it could be bypassed (CVE-2025-32434, fixed in 2.6.0), so an older torch is
refused before ``torch.load`` is called (``MIN_TORCH``).

The file is not trusted beyond that either: a zip-format file's directory must fit in
the file (torch allocates what a record declares), keys must be names, values dense
real tensors (no sparse, quantized, nested, complex or float8 ones), and all tensors
together may span at most ``MAX_VIEW_FACTOR`` times the file's size (a 1 KB file can
hold a zero-stride view that claims 40 GB). float16 and bfloat16 are widened to float32.
"""

from __future__ import annotations

import pickle
import re
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelFileError, ParameterError
from .json_values import show
from .messages import library_line
from .npz_members import ZIP_ERRORS, check_archive_sizes
from .state_dict import FileContents, conversion_notes

__all__ = ["MIN_TORCH", "check_tensor", "read_torch", "torch_version_is_safe"]

#: Oldest torch whose ``torch.load(weights_only=True)`` has no published bypass:
#: CVE-2025-32434 (remote code execution through weights_only) is fixed in 2.6.0.
MIN_TORCH = (2, 6, 0)
#: All tensors together may span this many times the file's size: a state_dict whose
#: weights share one storage (tied embedding and head) counts it twice.
MAX_VIEW_FACTOR = 2
#: Largest expansion of a zip-format file's members: torch.save stores them
#: uncompressed (1x); the same bound as a model .npz for one re-zipped with deflate.
MAX_EXPANSION = 32
#: Checkpoint dicts often wrap the state_dict next to optimizer state and epochs.
WRAPPER_KEYS = ("state_dict", "model_state_dict")
#: dtypes read as they are, and those widened to float32 (NumPy has no bfloat16).
_AS_IS = ("float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool")
_WIDENED = ("float16", "bfloat16")
#: major.minor[.micro], then an optional pre-release (2.6.0a0, 2.6.0rc1, 2.6.0.dev2024).
_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?(?P<rest>.*)", re.DOTALL)
_PRE_RELEASE = re.compile(r"[-_.]?(a|b|c|rc|alpha|beta|pre|preview|dev)\d*", re.IGNORECASE)


def torch_version_is_safe(version: str) -> bool:
    """True for a torch version at or above ``MIN_TORCH`` (``"2.6.0"``, ``"2.13.0+cpu"``);
    pre-releases of 2.6.0 (``"2.6.0a0+git1234"``, ``"2.6.0rc1"``) and anything
    unparseable count as older, since they may predate the fix."""
    match = _VERSION.match(version.strip())
    if match is None:
        return False
    release = tuple(int(part or 0) for part in match.groups()[:3])
    if release != MIN_TORCH:
        return release > MIN_TORCH
    return _PRE_RELEASE.match(match["rest"]) is None


def read_torch(path: Path) -> FileContents:
    """The state_dict as NumPy arrays (a PyTorch file carries no configuration).

    Raises :class:`ModelFileError` (no or too old torch, an unsafe, corrupt or oversize
    file) or :class:`ParameterError` (a key or value that is no weight), one line naming
    the file and the key.
    """
    torch = _import_torch(path)
    size = _check_archive(path)
    try:
        with warnings.catch_warnings():  # deprecation notes would add lines to stderr
            warnings.simplefilter("ignore")
            loaded = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ModelFileError(
            f"{path}: refused: it holds Python objects other than tensors, and loading them "
            f"could run code ({library_line(exc)}); save model.state_dict() instead"
        ) from None
    except Exception as exc:  # torch reports truncation as RuntimeError, EOFError, ...
        raise ModelFileError(
            f"{path}: truncated or corrupt PyTorch file ({library_line(exc)}); save it "
            "again"
        ) from None
    state = _unwrap(loaded, path)
    params: dict[str, np.ndarray] = {}
    widened: dict[str, list[str]] = {kind: [] for kind in _WIDENED}
    spanned = 0
    for name, value in state.items():
        kind = check_tensor(name, value, path, torch)
        spanned += value.numel() * value.element_size()
        if spanned > MAX_VIEW_FACTOR * size:
            raise ModelFileError(
                f"{path}: its tensors span {spanned:,} bytes (at key {show(name)}), more than "
                f"{MAX_VIEW_FACTOR} times the file's {size:,}: views over shared storage; save "
                "model.state_dict() of a freshly built model")
        tensor = value.detach().resolve_conj().resolve_neg()
        if kind in _WIDENED:
            widened[kind].append(name)
            tensor = tensor.float()  # exact: float32 holds every float16 and bfloat16
        params[name] = tensor.numpy()
    return FileContents(params, None, conversion_notes(widened))


def _import_torch(path: Path) -> Any:
    """torch, if installed and at least ``MIN_TORCH``; else a message saying what to do."""
    convert = (f"or run 'rnnstudio convert {path} {path.with_suffix('.safetensors')}' "
               "where torch >= 2.6 is installed")
    try:
        import torch
    except ImportError:
        raise ModelFileError(
            f"{path}: a PyTorch file, and PyTorch is not installed here: install it "
            f"(pip install 'rnnstudio[torch]') {convert}"
        ) from None
    version = str(getattr(torch, "__version__", "unknown"))
    if not torch_version_is_safe(version):
        raise ModelFileError(
            f"{path}: torch {show(version)[1:-1]} is installed, and torch.load before 2.6 "
            "can run code hidden in a .pt file even with weights_only=True "
            f"(CVE-2025-32434); install torch>=2.6 (pip install 'rnnstudio[torch]') {convert}"
        )
    return torch


def _check_archive(path: Path) -> int:
    """The file's size, after checking that a zip-format file's directory fits in it."""
    try:
        size = path.stat().st_size
        if not zipfile.is_zipfile(path):
            return size  # torch.save before 1.6: a pickle stream, which torch bounds itself
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except ZIP_ERRORS as exc:
        raise ModelFileError(f"{path}: truncated or corrupt PyTorch file "
                             f"({library_line(exc)}); save it again") from exc

    def fail(reason: str) -> ModelFileError:
        return ModelFileError(f"{path}: {reason}")

    check_archive_sizes(infos, size, fail, MAX_EXPANSION, fix="save it again with torch.save")
    return size


def _unwrap(loaded: object, path: Path) -> Mapping[Any, Any]:
    if not isinstance(loaded, Mapping):
        raise ModelFileError(
            f"{path}: holds a {type(loaded).__name__}, not a state_dict; save "
            "model.state_dict() with torch.save"
        )
    for key in WRAPPER_KEYS:
        inner = loaded.get(key)
        if isinstance(inner, Mapping):
            return inner
    return loaded


def check_tensor(name: object, value: object, path: Path, torch: Any) -> str:
    """The dtype name of a tensor RNN Studio can read; ParameterError naming the key
    for anything else."""
    def refuse(what: str, fix: str) -> ParameterError:
        return ParameterError(f"{path}: key {show(name)} {what}; {fix}")

    if not isinstance(name, str):
        raise refuse(f"is a {type(name).__name__}, not a parameter name",
                     "save model.state_dict(), whose keys are names")
    if not isinstance(value, torch.Tensor):
        raise refuse(f"holds a {type(value).__name__}, not a tensor",
                     "save model.state_dict() (or a dict with it under 'state_dict')")
    if value.is_nested or value.layout != torch.strided:
        layout = "nested" if value.is_nested else str(value.layout).removeprefix("torch.")
        raise refuse(f"holds a {layout} tensor", "save dense weights (tensor.to_dense())")
    kind = str(value.dtype).removeprefix("torch.")
    if value.is_quantized:
        raise refuse(f"holds a quantized tensor ({kind})",
                     "save float weights (tensor.dequantize())")
    if kind not in _AS_IS + _WIDENED:
        raise refuse(f"holds {kind} values, which RNN Studio does not read",
                     "save the weights as float32 (tensor.float())")
    return kind
