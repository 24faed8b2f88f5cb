"""Format sniffing and the .npz reader, which need no engine: safety comes first."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
from model_cases import PickleBomb

from rnnstudio.errors import ModelFileError
from rnnstudio.io.npz_file import read_npz, write_npz
from rnnstudio.io.sniff import model_format


def test_sniff_by_content(tmp_path: Path) -> None:
    native = tmp_path / "m.safetensors"
    native.write_bytes(safetensors.numpy.save({"a": np.zeros(3, np.float32)}))
    archive = tmp_path / "m.npz"
    np.savez(archive, a=np.zeros(3))
    assert model_format(native) == "safetensors"
    assert model_format(archive) == "npz"
    # a misleading extension: the content decides
    misnamed = tmp_path / "m.bin"
    misnamed.write_bytes(archive.read_bytes())
    assert model_format(misnamed) == "npz"


@pytest.mark.parametrize("header_length", [0x80, 0x0C80, 0x1_0080])
def test_a_safetensors_header_length_ending_in_0x80_is_not_a_pickle(
    tmp_path: Path, header_length: int
) -> None:
    """The file's first byte is the header length's low byte: 0x80 is also the pickle
    protocol byte, and such a file (one of our own shipped models) must still read."""
    saved = safetensors.numpy.save({"a": np.arange(3, dtype=np.float32)})
    (length,) = np.frombuffer(saved[:8], "<u8")
    header = saved[8 : 8 + int(length)].ljust(header_length)  # JSON may end in spaces
    path = tmp_path / "m.safetensors"
    path.write_bytes(np.uint64(header_length).tobytes() + header + saved[8 + int(length):])
    assert path.read_bytes()[0] == 0x80
    assert model_format(path) == "safetensors"
    np.testing.assert_array_equal(safetensors.numpy.load(path.read_bytes())["a"], np.arange(3))


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("m.tflite", b"whatever", "unknown model file extension '.tflite'"),
        ("m", b"whatever", "unknown model file extension '(none)'"),
        ("m.npz", b"", "empty"),
        ("m.pt", b"hello world, not a model", "unrecognised"),
        ("m.npz", b"PK\x03\x04garbage", "truncated or corrupt zip"),
    ],
)
def test_sniff_refusals_are_one_line_naming_the_file(
    tmp_path: Path, name: str, content: bytes, words: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ModelFileError) as info:
        model_format(path)
    assert str(path) in str(info.value) and words in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="no such file"):
        model_format(tmp_path / "nope.safetensors")
    folder = tmp_path / "dir.npz"
    folder.mkdir()
    assert model_format(folder) == "folder"  # read_folder says what it lacks


def test_npz_round_trip_is_bit_exact(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    params = {"rnn.weight_ih_l0": rng.standard_normal((8, 3)), "x": rng.random(4).astype("f4")}
    path = write_npz(tmp_path / "m.npz", params, {"nonlinearity": "relu"})
    contents = read_npz(path)
    assert contents.config == {"nonlinearity": "relu"} and contents.notes == ()
    loaded = contents.params
    assert loaded.keys() == params.keys()
    for key, value in params.items():
        assert loaded[key].dtype == value.dtype
        assert loaded[key].tobytes() == value.tobytes()


def test_npz_pickle_is_refused_without_running_it(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    np.savez(path, w=np.zeros(2), evil=np.array([PickleBomb(marker)], dtype=object))
    assert not marker.exists()
    with pytest.raises(ModelFileError) as info:
        read_npz(path)
    assert "key 'evil'" in str(info.value) and "pickle" in str(info.value)
    assert not marker.exists()


def test_npz_truncated_and_bad_config(tmp_path: Path) -> None:
    path = write_npz(tmp_path / "m.npz", {"w": np.ones((50, 50))}, {})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="truncated or corrupt"):
        model_format(path)
    with pytest.raises(ModelFileError, match="truncated or corrupt"):
        read_npz(path)
    bad = tmp_path / "bad.npz"
    np.savez(bad, config=np.array("{not json"))
    with pytest.raises(Exception, match="key 'config'"):
        read_npz(bad)
    numeric = tmp_path / "num.npz"
    np.savez(numeric, config=np.zeros(3))
    with pytest.raises(ModelFileError, match="one JSON string"):
        read_npz(numeric)


def test_corrupt_member_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    np.savez(path, w=np.arange(1000.0))
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("w.npy")
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + 200
    data[start : start + 50] = b"\xff" * 50  # flip payload bytes: the CRC check must fail
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="corrupt"):
        read_npz(path)


def test_config_round_trip_json_is_plain(tmp_path: Path) -> None:
    path = write_npz(tmp_path / "c.npz", {}, {"b": 1, "a": [1, 2]})
    with np.load(path, allow_pickle=False) as archive:
        assert json.loads(str(archive["config"])) == {"a": [1, 2], "b": 1}
