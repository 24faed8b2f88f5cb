"""Hostile trace files: each is refused with one line that names the file and what is
wrong, before anything larger than the file justifies is allocated."""

from __future__ import annotations

import json
import re
import struct
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hostile import damaged_copies, npy, npy_header, write_zip

from rnnstudio.engine.model import random_model
from rnnstudio.errors import ExportError
from rnnstudio.io import load_trace, read_trace_arrays, save_trace

TRACE = random_model("lstm", 4, input_size=3, seed=2).trace("the cat sat")
Change = Callable[[dict[str, Any], dict[str, Any]], None]


def _refusal(path: Path, words: str, read: Callable[[Path], Any] = load_trace) -> str:
    """The one-line message ``read(path)`` raises; it starts with the path."""
    with pytest.raises(ExportError) as info:
        read(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message, message
    assert re.search(words, message), message
    return message


def _trace_members(**extra: bytes) -> dict[str, bytes]:
    return {f"{key}.npy": npy(value) for key, value in TRACE.arrays().items()} | extra


def test_a_header_claiming_2_gb_in_a_2_mb_file_allocates_nothing_big(tmp_path: Path) -> None:
    # (2**18, 2**11) float32 = 2 GiB promised; 1.9 MB of data really there.
    data = npy_header((2**18, 2**11)) + bytes(1_900_000)
    path = write_zip(tmp_path / "big.npz", _trace_members(**{"l0.fwd.h.npy": data}))
    tracemalloc.start()
    try:
        _refusal(path, r"key 'l0\.fwd\.h': its header promises \(262144, 2048\) "
                       r"float32 \(2,147,483,648 bytes\), the member holds 1,900,000")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000  # the refusal costs what reading the small members costs


def test_a_header_claiming_4_tb_is_refused_not_a_memory_error(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "huge.npz", {"x.npy": npy_header((2**40,))})
    _refusal(path, r"promises \(1099511627776,\) float32 \(4,398,046,511,104 bytes\)",
             read_trace_arrays)


def test_a_zip_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "bomb.npz", {"x.npy": npy(np.zeros(5_000_000))}, deflate=True)
    assert path.stat().st_size < 100_000  # 40 MB of zeros
    _refusal(path, r"would expand to 40,000,128 bytes, more than 256 times the file's "
                   r".*re-save it with np\.savez", read_trace_arrays)


def test_compressed_traces_within_bounds_still_open(tmp_path: Path) -> None:
    np.savez_compressed(tmp_path / "small.npz", **TRACE.arrays())
    assert load_trace(tmp_path / "small.npz").tokens == TRACE.tokens


@pytest.mark.parametrize(("members", "words"), [
    ({"x.npy": npy(np.array([1, "a"], dtype=object))}, "holds pickled Python objects"),
    ({"x.npy": npy(np.zeros(2, dtype=[("a", "<f4")]))}, "RNN Studio reads numbers"),
    ({"evil.txt": b"hello"}, r"member 'evil\.txt' is not a \.npy array"),
    ({"x.npy": npy_header((3,)) + bytes(4)}, r"promises \(3,\) float32 \(12 bytes\)"),
    ({"x.npy": b"\x93NUMPY\x09\x00" + bytes(100)}, r"\.npy format \(9, 0\)"),
    ({"x.npy": b"not an npy file at all"}, "truncated or corrupt .npz archive"),
], ids=["pickle", "structured", "not-npy", "short-data", "npy-version", "garbage-member"])
def test_unsafe_or_malformed_members(tmp_path: Path, members: dict[str, bytes],
                                     words: str) -> None:
    _refusal(write_zip(tmp_path / "t.npz", members), words, read_trace_arrays)


def test_corrupt_and_truncated_archives(tmp_path: Path) -> None:
    path = save_trace(TRACE, tmp_path / "t.npz")
    data = bytearray(path.read_bytes())
    (tmp_path / "half.npz").write_bytes(data[: len(data) // 2])
    _refusal(tmp_path / "half.npz", "truncated or corrupt .npz archive")
    with zipfile.ZipFile(path) as archive:
        start = archive.getinfo("l0.fwd.h.npy").header_offset
    name_length, extra_length = struct.unpack("<HH", data[start + 26:start + 30])
    data[start + 30 + name_length + extra_length + 130] ^= 0xFF  # in the numbers, past the header
    (tmp_path / "flipped.npz").write_bytes(bytes(data))
    _refusal(tmp_path / "flipped.npz", "truncated or corrupt .npz archive.*CRC")
    (tmp_path / "empty.npz").write_bytes(b"")
    _refusal(tmp_path / "empty.npz", "the file is empty")
    _refusal(tmp_path / "missing.npz", "no such file")
    (tmp_path / "text.npz").write_text("hello")
    _refusal(tmp_path / "text.npz", "not a trace file")


def _meta() -> dict[str, Any]:
    return json.loads(str(TRACE.arrays()["meta"]))


def _with(change: Change) -> tuple[dict[str, Any], dict[str, Any]]:
    arrays = {key: value for key, value in TRACE.arrays().items() if key != "meta"}
    meta = _meta()
    change(arrays, meta)
    return arrays, meta


def _set(**values: Any) -> Change:
    return lambda arrays, meta: meta.update(values)


def _arrays(**values: Any) -> Change:
    return lambda arrays, meta: arrays.update(values)


def _drop(key: str) -> Change:
    return lambda arrays, meta: arrays.pop(key) if key in arrays else meta.pop(key)


ARRAY_AND_META_CASES: dict[str, tuple[Change, str]] = {
    "no-h": (_drop("l0.fwd.h"), r"l0\.fwd\.h is missing: save the trace again"),
    "no-gate": (_drop("l0.fwd.o"), r"l0\.fwd\.o is missing"),
    "no-tokens": (_drop("tokens"), "tokens is missing"),
    "short-gate": (_arrays(**{"l0.fwd.f": np.zeros((2, 4), np.float32)}),
                   r"l0\.fwd\.f has shape \(2, 4\); this trace needs \(T, H\) = \(3, 4\)"),
    "wide-x": (_arrays(x=np.zeros((3, 9), np.float32)),
               r"x has shape \(3, 9\).*\(T, I\) = \(3, 3\)"),
    "text-h": (_arrays(**{"l0.fwd.h": np.array([["a"] * 4] * 3)}), "holds <U1 values"),
    "float-ids": (_arrays(token_ids=np.zeros(3)), "token_ids holds float64 values.*integers"),
    "empty-tokens": (_arrays(tokens=np.array([], dtype=str)), "non-empty list of text"),
    "bwd-key": (_arrays(**{"l0.bwd.h": np.zeros((3, 4))}),
                r"l0\.bwd\.h: the model in meta has 1 layer\(s\), forward only"),
    "strange-gate": (_arrays(**{"l0.fwd.q": np.zeros((3, 4))}),
                     r"l0\.fwd\.q: 'q' is not a quantity of this LSTM \(it has h, c, i, f, g, o\)"),
    "jacobian-alone": (lambda arrays, meta: [arrays.pop(key) for key in list(arrays)
                                             if key.startswith("grad.")],
                       r"jacobian\.l0\.fwd: Jacobian norms without the gradients"),
    "billion-layers": (_set(num_layers=10**9), "num_layers must be a whole number from 1 to "
                                               "16, got 1000000000"),
    "huge-hidden": (_set(hidden_size=10**400), "hidden_size must be a whole number from 1 to "
                                               "4,096"),
    "hidden-text": (_set(hidden_size="4"), "meta 'hidden_size' is '4', not a int"),
    "bias-text": (_set(bidirectional="false"), "meta 'bidirectional' is 'false', not a bool"),
    "bad-cell": (_set(cell="transformer"), "meta describes no model.*unknown cell 'transformer'"),
    "no-loss": (_set(loss=None), "meta has no 'loss'"),
    "loss-value-text": (_set(loss_value="lots"), "meta 'loss_value' is 'lots', not a number"),
    "loss-value-huge": (_set(loss_value=10**400), "meta 'loss_value' is .*too large"),
    "steps": (_set(steps=7), "meta 'steps' is 7 but tokens holds 3"),
    "unknown": (_set(unknown=[5]), r"meta 'unknown' lists 5, not a step 0\.\.2"),
    "format": (_set(format="something-else"), "meta 'format' is 'something-else'.*not an RNN"),
    "newer": (_set(format_version=2), "trace format 2 is newer .*upgrade rnnstudio"),
    "task-no-logits": (_set(task="classify", labels=["a", "b"]),
                       "logits is missing: a classify model has a readout head"),
    "vocabulary": (_set(vocabulary=[1, 2]), "meta 'vocabulary' must be a list of strings"),
    "nonfinite-at": (_set(nonfinite_at={"step": "x"}), "meta nonfinite_at 'step' is 'x'"),
}


@pytest.mark.parametrize("case", list(ARRAY_AND_META_CASES))
def test_arrays_and_meta_that_make_no_trace(tmp_path: Path, case: str) -> None:
    change, words = ARRAY_AND_META_CASES[case]
    arrays, meta = _with(change)
    path = tmp_path / "t.npz"
    np.savez(path, meta=np.array(json.dumps(meta)), **arrays)
    _refusal(path, words)


def test_initial_cell_state_of_a_gru(tmp_path: Path) -> None:
    arrays = random_model("gru", 4, input_size=3, seed=2).trace("a b").arrays()
    np.savez(tmp_path / "t.npz", c0=np.zeros((1, 4)), **arrays)
    _refusal(tmp_path / "t.npz", "c0: only an LSTM has a cell state, this is a GRU")


@pytest.mark.parametrize(("meta_text", "words"), [
    ("{not json", "meta is not valid JSON"),
    ("[1, 2]", "meta must be a JSON object, got an array"),
    ('"text"', "meta must be a JSON object, got a string"),
    ("[" * 100_000, "meta is JSON nested too deeply to read"),
    ('{"a": ' * 40 + "1" + "}" * 40, "meta is nested more than 32 levels deep"),
], ids=["non-json", "list", "string", "deep", "deep-valid"])
def test_meta_that_is_not_a_small_json_object(tmp_path: Path, meta_text: str, words: str) -> None:
    arrays = {key: value for key, value in TRACE.arrays().items() if key != "meta"}
    np.savez(tmp_path / "t.npz", meta=np.array(meta_text), **arrays)
    _refusal(tmp_path / "t.npz", words)


def test_meta_of_the_wrong_type(tmp_path: Path) -> None:
    arrays = {key: value for key, value in TRACE.arrays().items() if key != "meta"}
    np.savez(tmp_path / "t.npz", meta=np.zeros(3), **arrays)
    _refusal(tmp_path / "t.npz", r"meta must be one JSON string, got float64 values of shape")


def _json_trace(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """The trace saved as .json, with ``change`` applied to the document."""
    path = save_trace(TRACE, tmp_path / "t.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _array(key: str, values: Any = None, dtype: Any = None, shape: Any = None
           ) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        for part, value in (("arrays", values), ("dtypes", dtype), ("shapes", shape)):
            if value is not None:
                document[part][key] = value
    return change


JSON_CASES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "unicode-bomb-dtype": (_array("x", dtype="<U1000000000"), "the dtype of 'x' is '<U1000000000'"),
    "object-dtype": (_array("x", dtype="O"), "the dtype of 'x' is 'O'"),
    "subarray-dtype": (_array("x", dtype="(9,)f8"), r"the dtype of 'x' is '\(9,\)f8'"),
    "shape-lies": (_array("x", shape=[3000, 3000]), r"'x' does not hold <f4 values of shape "
                                                    r"\(3000, 3000\)"),
    "shape-not-sizes": (_array("x", shape=[3, -1]), "the shape of 'x' is"),
    "ragged": (_array("x", values=[[1.0, 2.0, 3.0], [1.0], [2.0]]), "'x' does not hold"),
    "huge-number": (_array("token_ids", values=[10**30, 1, 2]), "'token_ids' does not hold"),
    "word-not-number": (_array("x", values=[["a", "b", "c"]] * 3), "'x' does not hold"),
    "tokens-not-text": (_array("tokens", values=[1, 2, 3]), "'tokens' must be a list of strings"),
    "token-bomb": (_array("tokens", values=["a" * 100_000] + [""] * 100_000,
                          shape=[100_001]),
                   r"'tokens' would take 40,000,400,000 bytes as NumPy text"),
    "meta-list": (lambda document: document.update(meta=[1, 2]),
                  "meta must be a JSON object, got an array"),
    "no-format": (lambda document: document.pop("format"), "not a readable trace .json"),
    "newer": (lambda document: document.update(format_version=7), "trace format 7"),
    "arrays-list": (lambda document: document.update(arrays=[]), '"arrays", "dtypes"'),
    "no-h": (lambda document: document["arrays"].pop("l0.fwd.h"), r"l0\.fwd\.h is missing"),
}


@pytest.mark.parametrize("case", list(JSON_CASES))
def test_json_traces_that_make_no_trace(tmp_path: Path, case: str) -> None:
    change, words = JSON_CASES[case]
    _refusal(_json_trace(tmp_path, change), words)


@pytest.mark.parametrize(("text", "words"), [
    ("{", "the file is not valid JSON"),
    ("[1, 2]", "not a trace file"),
    ('{"format": "rnnstudio-trace", "meta": ' + "[" * 100_000, "nested too deeply"),
    ("{\xff", "not UTF-8 text"),
], ids=["truncated", "list", "deep", "not-utf8"])
def test_json_files_that_are_no_trace(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "t.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape") if "\xff" not in text
                     else b"{\xff")
    _refusal(path, words)


def test_csv_with_a_hostile_step_number_allocates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("layer,direction,step,token,quantity,unit,value\n"
                    ",,999999999999,a,x,0,1.0\n", encoding="utf-8")
    _refusal(path, r"not a readable trace \.csv \(step 999999999999 in a file of 1 rows\)",
             read_trace_arrays)
    path.write_text("layer,direction,step,token,quantity,unit,value\n"
                    ",,0,a,x,0,1.0\n,,1,b,x,99999999,1.0\n", encoding="utf-8")
    _refusal(path, "the rows of x do not fill 2 steps x 100000000 units", read_trace_arrays)


@pytest.mark.parametrize("extension", [".npz", ".json"])
def test_any_damaged_copy_opens_or_is_refused_in_one_line(tmp_path: Path, extension: str) -> None:
    """Bytes flipped, cut off or inserted anywhere: a Trace or one line, never a traceback
    (1,500 damaged copies of each format passed this while it was written)."""
    good = save_trace(TRACE, tmp_path / f"good{extension}").read_bytes()
    path = tmp_path / f"bad{extension}"
    refused = 0
    for data in damaged_copies(good, 150, seed=0):
        path.write_bytes(data)
        try:
            assert load_trace(path).tokens
        except ExportError as error:
            assert str(error).startswith(f"{path}: ") and "\n" not in str(error)
            refused += 1
    assert refused > 100
