"""The ``.rscorpus`` folder: a manifest and shards of whole documents (docs/formats.md).

::

    NAME.rscorpus/
      manifest.json                 format, versions, model, tokenizer, settings, sources,
                                    finished shards, saturation counts (rewritten atomically)
      shard-00000/
        token_ids.npy               (n,) int64, the tokens' vocabulary ids
        doc_lengths.npy             (d,) int64, tokens of each document, in order
        text.bin                    the documents' texts, UTF-8, one after another
        text_offsets.npy            (d + 1,) int64 byte offsets into text.bin
        l{k}.{fwd|bwd}.{q}.npy      (units, n) float16, UNIT-MAJOR: one unit's values over
                                    the shard's tokens are contiguous (2 bytes a token)
      shard-00001/ ...

A shard is written into ``.shard-NNNNN.tmp`` and renamed when every file is complete;
only then is it listed in the manifest, so a shard folder the manifest does not list is
an interrupted write and is redone. Every ``.npy`` is plain NumPy (``np.load(path,
mmap_mode="r", allow_pickle=False)``); readers check its header and size against the
manifest before use (:func:`check_array`).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import RnnStudioError
from ..limits import MAX_CORPUS_MANIFEST_BYTES
from .atomic import write_text_atomic

__all__ = ["FORMAT", "MANIFEST", "VERSION", "CorpusFileError", "ShardData", "array_name",
           "check_array", "read_manifest", "remove_unlisted_shards", "shard_name",
           "write_manifest", "write_shard"]

FORMAT = "rnnstudio-corpus"
VERSION = 1
MANIFEST = "manifest.json"
STORAGE_DTYPE = np.dtype(np.float16)


class CorpusFileError(RnnStudioError):
    """A ``.rscorpus`` folder that cannot be read as it stands (missing, truncated,
    another format version)."""


def shard_name(index: int) -> str:
    return f"shard-{index:05d}"


def array_name(layer: int, direction: str, quantity: str) -> str:
    """``l0.fwd.h.npy``: the file of one stored quantity of one layer and direction."""
    return f"l{layer}.{direction}.{quantity}.npy"


@dataclass(frozen=True)
class ShardData:
    """One shard's content in memory: ``values[(layer, direction, quantity)]`` are
    (units, n) float16, unit-major."""

    token_ids: np.ndarray  # (n,) int64
    doc_lengths: np.ndarray  # (d,) int64
    texts: Sequence[str]
    values: Mapping[tuple[int, str, str], np.ndarray]


def write_shard(folder: Path, index: int, shard: ShardData) -> None:
    """Write shard ``index`` into a temporary folder with plain file writes, fsync it, and
    rename it into place (a reader never sees half a shard)."""
    final = folder / shard_name(index)
    temporary = folder / f".{shard_name(index)}.tmp"
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir()
    encoded = [text.encode("utf-8") for text in shard.texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(text) for text in encoded], out=offsets[1:])
    arrays = {"token_ids.npy": shard.token_ids.astype(np.int64, copy=False),
              "doc_lengths.npy": shard.doc_lengths.astype(np.int64, copy=False),
              "text_offsets.npy": offsets}
    arrays.update({array_name(*key): values for key, values in shard.values.items()})
    for name, values in arrays.items():
        _write_file(temporary / name, lambda stream, values=values: np.save(
            stream, np.ascontiguousarray(values), allow_pickle=False))
    _write_file(temporary / "text.bin", lambda stream: stream.write(b"".join(encoded)))
    shutil.rmtree(final, ignore_errors=True)
    os.replace(temporary, final)


def _write_file(path: Path, write: Any) -> None:
    with open(path, "wb") as stream:
        write(stream)
        stream.flush()
        os.fsync(stream.fileno())


def remove_unlisted_shards(folder: Path, listed: int) -> None:
    """Remove shard folders past the ``listed`` finished ones (an interrupted run)."""
    for path in folder.iterdir():
        number = path.name.removeprefix(".").removeprefix("shard-").removesuffix(".tmp")
        if path.is_dir() and path.name != number and number.isdigit() \
                and (path.name.startswith(".") or int(number) >= listed):
            shutil.rmtree(path)


def write_manifest(folder: Path, manifest: Mapping[str, Any]) -> None:
    """Rewrite ``manifest.json`` atomically (sorted keys: equal content, equal bytes)."""
    write_text_atomic(folder / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of ``folder``, its format and version checked; a
    :class:`CorpusFileError` says what is wrong and what to do."""
    path = folder / MANIFEST
    if not folder.is_dir():
        raise CorpusFileError(f"{folder}: no such corpus folder; make it with "
                              "`rnnstudio corpus index MODEL --text-file FILE --out NAME.rscorpus`")
    try:
        size = path.stat().st_size
        if size > MAX_CORPUS_MANIFEST_BYTES:
            raise CorpusFileError(f"{path}: {size:,} bytes, more than the "
                                  f"{MAX_CORPUS_MANIFEST_BYTES:,} of a corpus manifest")
        manifest = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise CorpusFileError(f"{folder}: no {MANIFEST}; it is not a corpus index "
                              "(or its first shard was never finished): index it again") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorpusFileError(f"{path}: cannot be read ({exc}); index the corpus again "
                              "with --restart") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CorpusFileError(f"{path}: not an RNN Studio corpus manifest")
    if manifest.get("version") != VERSION:
        raise CorpusFileError(f"{path}: corpus format version {manifest.get('version')!r}; "
                              f"this RNN Studio reads version {VERSION}: index the corpus "
                              "again with --restart, or use the RNN Studio that made it")
    return manifest


def check_array(path: Path, dtype: np.dtype, shape: tuple[int, ...]) -> None:
    """Check a ``.npy`` file's header (dtype, shape, C order) and its size against what
    the manifest says, reading only the header; a :class:`CorpusFileError` otherwise."""
    fix = "index the corpus again with --restart"
    try:
        with open(path, "rb") as stream:
            major, _minor = np.lib.format.read_magic(stream)
            read_header = (np.lib.format.read_array_header_1_0 if major == 1
                           else np.lib.format.read_array_header_2_0)
            found_shape, fortran, found_dtype = read_header(stream)
            data_start = stream.tell()
        size = path.stat().st_size
    except FileNotFoundError:
        raise CorpusFileError(f"{path}: missing, but the manifest lists its shard; {fix}") \
            from None
    except (OSError, ValueError) as exc:
        raise CorpusFileError(f"{path}: not a NumPy array file ({exc}); {fix}") from None
    if found_dtype != dtype or tuple(found_shape) != shape or fortran:
        raise CorpusFileError(f"{path}: holds {found_dtype} {tuple(found_shape)}, the "
                              f"manifest says {dtype} {shape}; {fix}")
    expected = data_start + int(np.prod(shape)) * dtype.itemsize
    if size != expected:
        raise CorpusFileError(f"{path}: {size:,} bytes, {expected:,} expected (truncated); "
                              f"{fix}")
