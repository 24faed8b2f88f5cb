"""Helpers of the hostile model-file tests: build damaged files, assert one-line refusals.

(A plain module, not conftest.py, so its name cannot clash with other test folders.)
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import struct
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from model_cases import VOCABULARY, make_model

from rnnstudio.cli import main
from rnnstudio.errors import RnnStudioError
from rnnstudio.io.model_files import load_model, save_model

MODEL = make_model("lstm", vocabulary=VOCABULARY, task="next-token")


def refusal(path: Path, words: str, error: type[RnnStudioError] = RnnStudioError,
            read: Callable[[Path], Any] = load_model) -> str:
    """The one-line message ``read(path)`` raises: of type ``error``, naming ``path``,
    matching the regular expression ``words``."""
    with pytest.raises(error) as info:
        read(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message, message
    assert re.search(words, message), message
    return message


def cli_refusal(tmp_path: Path, path: Path, *words: str, named: Path | None = None) -> None:
    """``rnnstudio info`` and ``trace`` on ``path``: exit 2, one stderr line naming the
    file (or ``named``, e.g. its sidecar) and ``words``, no traceback, nothing written,
    the file unchanged."""
    before = (path.read_bytes(), path.stat().st_mtime_ns) if path.is_file() else None
    out = tmp_path / "out.npz"
    for args in (["info", str(path)],
                 ["trace", str(path), "--text", "the cat", "--out", str(out)]):
        stderr, stdout = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
            code = main(args)
        lines = stderr.getvalue().splitlines()
        assert code == 2 and len(lines) == 1, (args, stderr.getvalue())
        assert lines[0].startswith("rnnstudio: error: ") and str(named or path) in lines[0]
        assert "Traceback" not in lines[0] and not stdout.getvalue(), lines
        for word in words:
            assert word in lines[0], (word, lines[0])
        assert not out.exists()
    after = (path.read_bytes(), path.stat().st_mtime_ns) if path.is_file() else None
    assert after == before


def damaged_copies(good: bytes, count: int, seed: int) -> Iterator[bytes]:
    """``count`` copies of ``good``, each with one byte flipped, the end cut off or 8
    random bytes inserted, at a random place."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        data = bytearray(good)
        position = int(rng.integers(len(data)))
        damage = int(rng.integers(3))
        if damage == 0:
            data[position] ^= int(rng.integers(1, 256))
        elif damage == 1:
            del data[position:]
        else:
            data[position:position] = rng.integers(0, 256, 8, dtype=np.uint8).tobytes()
        yield bytes(data)


def npy(array: np.ndarray) -> bytes:
    stream = io.BytesIO()
    np.lib.format.write_array(stream, array)
    return stream.getvalue()


def npy_header(shape: tuple[int, ...], descr: str = "<f4") -> bytes:
    stream = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        stream, {"descr": descr, "fortran_order": False, "shape": shape})
    return stream.getvalue()


def write_zip(path: Path, members: dict[str, bytes], deflate: bool = False) -> Path:
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def model_members(**extra: bytes) -> dict[str, bytes]:
    """The members of ``MODEL`` saved as .npz (config included), plus ``extra``."""
    config = np.array(json.dumps(MODEL.config.to_dict()))
    arrays = {"config": config, **MODEL.state_dict()}
    return {f"{key}.npy": npy(value) for key, value in arrays.items()} | extra


def native(tmp_path: Path) -> tuple[dict[str, Any], bytes]:
    """``MODEL`` saved natively: its parsed header and its data bytes."""
    data = save_model(MODEL, tmp_path / "native.safetensors").read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + length]), data[8 + length:]


def safetensors_bytes(header: dict[str, Any] | bytes, data: bytes) -> bytes:
    """A safetensors file: 8-byte length, the header (JSON unless bytes), the data."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data
