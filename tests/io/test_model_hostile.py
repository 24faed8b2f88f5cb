"""Hostile model files (.npz, .safetensors): each is refused with one line that names
the file and what is wrong, before anything larger than the file justifies is allocated,
through the Python API and through ``rnnstudio info`` / ``trace`` alike.

Configuration metadata and sidecars: test_model_config_hostile.py; PyTorch files:
test_torch_hostile.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hostile import (
    MODEL,
    cli_refusal,
    damaged_copies,
    model_members,
    native,
    npy,
    npy_header,
    refusal,
    safetensors_bytes,
    write_zip,
)
from model_cases import PickleBomb, assert_same_params

from rnnstudio.errors import ModelFileError, ParameterError, RnnStudioError
from rnnstudio.io.model_files import load_model, save_model
from rnnstudio.io.safetensors_file import MAX_HEADER_BYTES
from rnnstudio.io.sniff import is_trace_file

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("extension", [".safetensors", ".npz"])
def test_zero_byte_and_truncated_files(tmp_path: Path, extension: str) -> None:
    good = save_model(MODEL, tmp_path / f"good{extension}").read_bytes()
    path = tmp_path / f"m{extension}"
    path.write_bytes(b"")
    refusal(path, "the file is empty", ModelFileError)
    cli_refusal(tmp_path, path, "empty")
    for keep in (1, 7, 9, 100, len(good) // 2, len(good) - 1):
        path.write_bytes(good[:keep])
        refusal(path, "truncated|unrecognised", ModelFileError)
    cli_refusal(tmp_path, path, "truncated")


@pytest.mark.parametrize("extension", [".safetensors", ".npz"])
def test_any_damaged_copy_loads_or_is_refused_in_one_line(tmp_path: Path,
                                                          extension: str) -> None:
    """Bytes flipped, cut off or inserted anywhere: a model or one line naming the file,
    never another exception (3,000 damaged copies of each passed while it was written)."""
    good = save_model(MODEL, tmp_path / f"good{extension}").read_bytes()
    path = tmp_path / f"bad{extension}"
    refused = 0
    for data in damaged_copies(good, 200, seed=1):
        path.write_bytes(data)
        try:
            load_model(path)
        except RnnStudioError as error:
            assert str(path) in str(error) and "\n" not in str(error), str(error)
            refused += 1
    assert refused > 100


# --- .npz --------------------------------------------------------------------------


def test_npz_header_claiming_2_gb_allocates_nothing_big(tmp_path: Path) -> None:
    data = npy_header((2**18, 2**11)) + bytes(1_900_000)  # 2 GiB promised, 1.9 MB there
    path = write_zip(tmp_path / "big.npz", model_members(**{"rnn.weight_hh_l0.npy": data}))
    tracemalloc.start()
    try:
        refusal(path, r"key 'rnn\.weight_hh_l0': its header promises \(262144, 2048\) float32 "
                      r"\(2,147,483,648 bytes\), the member holds 1,900,000", ModelFileError)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000


NPZ_CASES: dict[str, tuple[dict[str, bytes], str, type]] = {
    "4-tb-header": ({"rnn.weight_hh_l0.npy": npy_header((2**40,))},
                    r"promises \(1099511627776,\) float32 \(4,398,046,511,104 bytes\)",
                    ModelFileError),
    "object-member": ({"rnn.bias_ih_l0.npy": npy(np.array([1, "a"], dtype=object))},
                      "key 'rnn.bias_ih_l0' holds pickled Python objects", ModelFileError),
    "structured": ({"rnn.bias_ih_l0.npy": npy(np.zeros(2, dtype=[("a", "<f4")]))},
                   "RNN Studio reads numbers", ModelFileError),
    "complex": ({"rnn.bias_ih_l0.npy": npy(np.zeros(16, np.complex64))},
                "holds complex64 values", ModelFileError),
    "datetime": ({"rnn.bias_ih_l0.npy": npy(np.zeros(16, "M8[s]"))},
                 "holds datetime64", ModelFileError),
    "text-weights": ({"rnn.bias_ih_l0.npy": npy(np.array(["a"] * 24))},
                     "'rnn.bias_ih_l0' has dtype <U1; weights must be floating point",
                     ParameterError),
    "int-weights": ({"rnn.bias_ih_l0.npy": npy(np.zeros(24, np.int64))},
                    "has dtype int64; weights must be floating point", ParameterError),
    "absurd-zero-shape": ({"rnn.bias_ih_l0.npy": npy_header((0, 10**30))},
                          "truncated or corrupt .npz archive", ModelFileError),
    "negative-shape": ({"rnn.bias_ih_l0.npy": npy_header((-3,))}, "corrupt", ModelFileError),
    "empty-matrix": ({"rnn.weight_hh_l0.npy": npy(np.zeros((0, 4), np.float32))},
                     r"shape \(0, 4\)", ParameterError),
    "not-npy": ({"evil.txt": b"hello"}, r"a zip archive that is neither an \.npz",
                ModelFileError),
    "npy-version": ({"rnn.bias_ih_l0.npy": b"\x93NUMPY\x09\x00" + bytes(100)},
                    r"\.npy format \(9, 0\)", ModelFileError),
    "config-numbers": ({"config.npy": npy(np.zeros(3))}, "'config' must be one JSON string",
                       ModelFileError),
    "config-bytes": ({"config.npy": npy(np.array(b"{}"))}, r"holds \|S2 values",
                     ModelFileError),
}


@pytest.mark.parametrize("case", list(NPZ_CASES))
def test_npz_members_that_are_refused(tmp_path: Path, case: str) -> None:
    members, words, error = NPZ_CASES[case]
    path = write_zip(tmp_path / "m.npz", model_members(**members))
    refusal(path, words, error)


def test_npz_pickle_payload_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    np.savez(path, **MODEL.state_dict(), evil=np.array([PickleBomb(marker)], dtype=object))
    refusal(path, "key 'evil' holds pickled Python objects.*save plain numeric arrays",
            ModelFileError)
    cli_refusal(tmp_path, path, "pickled")
    assert not marker.exists()


def test_npz_zip_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    members = model_members(**{"zeros.npy": npy(np.zeros(1_000_000))})  # 8 MB of zeros
    path = write_zip(tmp_path / "bomb.npz", members, deflate=True)
    size = path.stat().st_size
    assert size < 50_000
    refusal(path, rf"would expand to [\d,]+ bytes, more than 32 times the file's {size:,}; "
                  r"re-save it with np\.savez", ModelFileError)
    cli_refusal(tmp_path, path, "would expand")


def test_compressed_model_within_bounds_loads(tmp_path: Path) -> None:
    np.savez_compressed(tmp_path / "m.npz", config=np.array(json.dumps(MODEL.config.to_dict())),
                        **MODEL.state_dict())
    assert_same_params(MODEL, load_model(tmp_path / "m.npz"))


def test_npz_member_name_that_is_not_utf8(tmp_path: Path) -> None:
    """A zip entry flagged UTF-8 whose name is not: zipfile raises UnicodeDecodeError."""
    data = bytearray((write_zip(tmp_path / "m.npz", model_members())).read_bytes())
    for signature, flags_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        start = data.find(signature)  # the first member's local and central headers
        data[start + flags_at + 1] |= 0x08  # general purpose bit 11: names are UTF-8
        data[start + name_at] = 0xFF
    path = tmp_path / "m.npz"
    path.write_bytes(bytes(data))
    assert not is_trace_file(path)
    refusal(path, r"truncated or corrupt zip archive \('utf-8' codec can't decode byte 0xff",
            ModelFileError)


def test_npz_layer_keys_that_name_no_layer(tmp_path: Path) -> None:
    """A lone ``weight_ih_l9999`` must not make the loader enumerate 10,000 layers, and
    a 5,000-digit layer index is no layer at all."""
    path = tmp_path / "m.npz"
    np.savez(path, **{"weight_ih_l9999": np.zeros((4, 3), np.float32)})
    refusal(path, r"missing key rnn\.weight_ih_l0 \(layers 0\.\.9999", ParameterError)
    np.savez(path, **{"weight_ih_l" + "9" * 5000: np.zeros((4, 3), np.float32)})
    refusal(path, "missing key weight_ih_l0.*'weight_ih_l9999", ParameterError)
    np.savez(path, **MODEL.state_dict(), **{"embedding.\x1b[2J": np.zeros(3, np.float32)})
    refusal(path, r"unexpected key 'embedding\.\\x1b\[2J'", ParameterError)


# --- .safetensors ------------------------------------------------------------------

Change = Callable[[dict[str, Any]], Any]
KEY = "rnn.weight_hh_l0"


def _set(field: str, value: Any, key: str = KEY) -> Change:
    return lambda header: header[key].__setitem__(field, value)


def _shift_last(step: int) -> Change:
    """Move the tensor stored last ``step`` bytes back, into the one before it."""
    def change(header: dict[str, Any]) -> None:
        last = max((entry for name, entry in header.items() if name != "__metadata__"),
                   key=lambda entry: entry["data_offsets"][0])
        last["data_offsets"] = [offset - step for offset in last["data_offsets"]]
    return change


def _deep_metadata(levels: int) -> Change:
    def change(header: dict[str, Any]) -> None:
        value: Any = "x"
        for _ in range(levels):
            value = {"a": value}
        header["__metadata__"]["rnnstudio"] = value
    return change


HEADER_CASES: dict[str, tuple[Change, str]] = {
    "offsets-string": (_set("data_offsets", "0,10"), "data_offsets '0,10' is not"),
    "offsets-empty": (_set("data_offsets", []), r"data_offsets \[\] is not"),
    "offsets-three": (_set("data_offsets", [0, 4, 8]), r"data_offsets \[0, 4, 8\] is not"),
    "offsets-reversed": (_set("data_offsets", [64, 0]), r"\[64, 0\] is not \[begin, end\]"),
    "offsets-1e400": (_set("data_offsets", [0, float("inf")]), "is not"),
    "offsets-bool": (_set("data_offsets", [False, True]), "is not"),
    "offsets-negative": (_set("data_offsets", [-64, 0]), "is not"),
    "offsets-overlap": (_shift_last(4), "overlaps another"),
    "offsets-2-64": (_set("data_offsets", [0, 2**64]), "is not"),
    "shape-overflow": (_set("shape", [2**40, 2**40]), r"needs [\d,]+ bytes, its data_offsets"),
    "shape-mismatch": (_set("shape", [24, 7]), r"shape \(24, 7\) of F32 needs 672 bytes, its "
                                               r"data_offsets span 576"),
    "shape-string": (_set("shape", "16x4"), "shape '16x4' is not a list"),
    "shape-float": (_set("shape", [16.0, 4]), r"shape \[16\.0, 4\] is not"),
    "shape-nine-dims": (_set("shape", [1] * 9), "at most 8 sizes"),
    "dtype-unknown": (_set("dtype", "Q7"), "dtype 'Q7', which RNN Studio does not read"),
    "dtype-float8": (_set("dtype", "F8_E4M3"), "dtype 'F8_E4M3', which RNN Studio does not"),
    "dtype-complex": (_set("dtype", "C64"), "dtype 'C64'"),
    "dtype-number": (_set("dtype", 7), "dtype 7 is not a name"),
    "entry-extra": (_set("note", "x"), "expected dtype, shape and data_offsets"),
    "entry-missing": (lambda header: header[KEY].pop("shape"), "expected dtype, shape"),
    "entry-list": (lambda header: header.__setitem__(KEY, [1, 2]), "expected dtype"),
    "metadata-numbers": (lambda header: header["__metadata__"].__setitem__("rnnstudio", 5),
                         "'__metadata__' must map names to strings"),
    "metadata-list": (lambda header: header.__setitem__("__metadata__", ["a"]),
                      "'__metadata__' must map names to strings"),
    "metadata-deep-object": (_deep_metadata(10), "JSON nested 12 levels deep, more than the 8"),
    "format-newer": (lambda header: header["__metadata__"].__setitem__("rnnstudio_format", "9"),
                     "model format 9 by a newer RNN Studio.*upgrade rnnstudio"),
    "format-digits": (lambda header: header["__metadata__"].__setitem__(
        "rnnstudio_format", "9" * 5000), "unreadable format version '9999"),
    "format-escape": (lambda header: header["__metadata__"].__setitem__(
        "rnnstudio_format", "\x1b[2J"), r"unreadable format version '\\x1b\[2J'"),
}


@pytest.mark.parametrize("case", list(HEADER_CASES))
def test_malformed_safetensors_headers(tmp_path: Path, case: str) -> None:
    change, words = HEADER_CASES[case]
    header, data = native(tmp_path)
    change(header)
    path = tmp_path / "m.safetensors"
    path.write_bytes(safetensors_bytes(header, data))
    refusal(path, words, ModelFileError)


@pytest.mark.parametrize(("header", "words"), [
    (b"{" + b"[" * 100_000 + b"]" * 100_000 + b"}", "JSON nested 100001 levels deep"),
    (b'{"__metadata__": {"a": "b", "a": "c"}}', "key 'a' appears twice in one object"),
    (b'{"x": NaN}', "NaN is not a JSON number"),
    (b"{\xff}", "not UTF-8 text"),
    (b"[]    ", "unrecognised or corrupt content"),
    (b'{"a": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}' + b" " * 10,
     "truncated safetensors file"),
    (b"{" + b",".join(b'"t%d": 0' % index for index in range(100_001)) + b"}",
     "JSON with 100,001 values, more than the 100,000 allowed"),
], ids=["deep", "duplicate-keys", "nan", "not-utf8", "list", "data-missing", "100k-values"])
def test_safetensors_headers_that_are_no_json_object(tmp_path: Path, header: bytes,
                                                     words: str) -> None:
    path = tmp_path / "m.safetensors"
    path.write_bytes(safetensors_bytes(header, b""))
    refusal(path, words, ModelFileError)


def test_header_lengths_beyond_the_file_or_the_limit(tmp_path: Path) -> None:
    header, data = native(tmp_path)
    path = tmp_path / "m.safetensors"
    good = safetensors_bytes(header, data)
    path.write_bytes((len(good) * 10).to_bytes(8, "little") + good[8:])
    refusal(path, r"truncated safetensors file \(header of [\d,]+ bytes, file of", ModelFileError)
    cli_refusal(tmp_path, path, "truncated")
    path.write_bytes((MAX_HEADER_BYTES + 1).to_bytes(8, "little") + b"{")
    os.truncate(path, MAX_HEADER_BYTES + 100)  # sparse: 32 MB on paper, nothing on disk
    refusal(path, "a safetensors header of 32,000,001 bytes, more than the 32,000,000",
            ModelFileError)


def test_tensors_must_tile_the_data(tmp_path: Path) -> None:
    header, data = native(tmp_path)
    path = tmp_path / "m.safetensors"
    path.write_bytes(safetensors_bytes(header, data + b"extra"))
    refusal(path, "5 bytes after the last tensor", ModelFileError)
    path.write_bytes(safetensors_bytes(header, data[:-4]))
    refusal(path, rf"its tensors need {len(data):,} bytes of data, the file holds "
                  rf"{len(data) - 4:,}", ModelFileError)
    first = next(name for name, entry in header.items()
                 if name != "__metadata__" and entry["data_offsets"][0] == 0)
    row_bytes = 4 * int(np.prod(header[first]["shape"][1:]))
    header[first]["shape"][0] -= 1
    header[first]["data_offsets"][0] += row_bytes
    path.write_bytes(safetensors_bytes(header, data))
    refusal(path, f"tensor '{first}' leaves a gap before it", ModelFileError)


def test_zero_size_tensor_with_absurd_extent(tmp_path: Path) -> None:
    header, data = native(tmp_path)
    header["zero"] = {"dtype": "F32", "shape": [0, 10**18, 10**18], "data_offsets": [0, 0]}
    path = tmp_path / "m.safetensors"
    path.write_bytes(safetensors_bytes(header, data))
    refusal(path, "tensor 'zero': shape .* is beyond what NumPy can hold", ModelFileError)


# --- through the command line, and the memory it costs ------------------------------


def test_cli_refuses_each_kind_in_one_line(tmp_path: Path) -> None:
    header, data = native(tmp_path)
    path = tmp_path / "m.safetensors"
    for case, words in (("offsets-string", "data_offsets '0,10' is not"),
                        ("dtype-float8", "F8_E4M3"), ("shape-overflow", "needs")):
        parsed = json.loads(json.dumps(header))
        HEADER_CASES[case][0](parsed)
        path.write_bytes(safetensors_bytes(parsed, data))
        cli_refusal(tmp_path, path, words)
    path.write_bytes(safetensors_bytes(b"{" + b"[" * 100_000 + b"]" * 100_000 + b"}", b""))
    cli_refusal(tmp_path, path, "nested 100001 levels deep")
    npz = write_zip(tmp_path / "m.npz", model_members(**NPZ_CASES["4-tb-header"][0]))
    cli_refusal(tmp_path, npz, "4,398,046,511,104 bytes")


_PEAK = """
import resource, sys
from rnnstudio.errors import RnnStudioError
from rnnstudio.io.model_files import load_model
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    load_model(sys.argv[1])
except RnnStudioError:
    pass
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in kB is Linux's")
def test_worst_hostile_files_keep_memory_flat(tmp_path: Path) -> None:
    """The peak resident memory a refusal adds, in a fresh interpreter: a 100 KB zip
    bomb of 100 MB, a 2 GB claim in 1.9 MB, 8 MB of nested brackets (measured: +0, +0,
    +17 MB; a 16 MB header +33 MB, see docs/formats.md)."""
    bomb = write_zip(tmp_path / "bomb.npz", model_members(), deflate=True)
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as archive, \
            archive.open("zeros.npy", "w", force_zip64=True) as stream:
        stream.write(npy_header((12_500_000,), "<f8"))
        for _ in range(100):
            stream.write(bytes(1_000_000))
    claim = write_zip(tmp_path / "claim.npz", model_members(**{
        "rnn.weight_hh_l0.npy": npy_header((2**18, 2**11)) + bytes(1_900_000)}))
    deep = tmp_path / "deep.safetensors"
    deep.write_bytes(safetensors_bytes(b"{" + b"[" * 4_000_000 + b"]" * 4_000_000 + b"}", b""))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for path, most_kb in ((bomb, 10_000), (claim, 10_000), (deep, 40_000)):
        result = subprocess.run([sys.executable, "-c", _PEAK, str(path)], capture_output=True,
                                text=True, env=env, timeout=120, check=True)
        assert int(result.stdout) < most_kb, (path.name, result.stdout)
