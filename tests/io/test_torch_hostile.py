"""Hostile PyTorch files: an old torch is refused before ``torch.load`` runs, payloads
never run, and keys or tensors RNN Studio cannot read are named in one line. The first
tests need no torch; the rest skip without it."""

from __future__ import annotations

import contextlib
import io
import pickle
import sys
import types
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hostile import cli_refusal, refusal
from model_cases import PickleBomb

from rnnstudio.cli import main
from rnnstudio.errors import ModelFileError, ParameterError
from rnnstudio.io.model_files import load_model, read_model
from rnnstudio.io.torch_file import torch_version_is_safe


@pytest.mark.parametrize(("version", "safe"), [
    ("2.6.0", True), ("2.6", True), ("2.6.1", True), ("2.13.0+cpu", True),
    ("2.6.0+cu124", True), ("2.6.0.post1", True), ("2.7.0a0+git1234", True), ("10.0.0", True),
    ("2.5.1", False), ("2.5.1+cu121", False), ("1.13.1", False), ("2.6.0a0+gitabc", False),
    ("2.6.0rc1", False), ("2.6.0.dev20241112", False), ("2.6.0b1", False), ("", False),
    ("unknown", False), ("v2.6", False),
])
def test_torch_versions_without_known_weights_only_bypasses(version: str, safe: bool) -> None:
    assert torch_version_is_safe(version) is safe


def _pickle_payload(tmp_path: Path, name: str = "evil.pt") -> tuple[Path, Path]:
    """A bare pickle stream (torch.save before 1.6) that creates a marker when loaded."""
    marker = tmp_path / "pwned"
    path = tmp_path / name
    path.write_bytes(pickle.dumps({"weight_ih_l0": PickleBomb(marker)}, protocol=2))
    return path, marker


def _fake_torch(version: str) -> types.ModuleType:
    fake = types.ModuleType("torch")
    fake.__version__ = version  # type: ignore[attr-defined]

    def load(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("torch.load must not be called")

    fake.load = load  # type: ignore[attr-defined]
    return fake


def test_an_old_torch_is_refused_before_loading(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path, marker = _pickle_payload(tmp_path)
    monkeypatch.setitem(sys.modules, "torch", _fake_torch("2.5.1+cu121"))
    refusal(path, r"torch 2\.5\.1\+cu121 is installed, and torch\.load before 2\.6 can run code "
                  r".*CVE-2025-32434\); install torch>=2\.6", ModelFileError)
    cli_refusal(tmp_path, path, "CVE-2025-32434", "rnnstudio[torch]")
    monkeypatch.setitem(sys.modules, "torch", _fake_torch("\x1b[2J"))
    refusal(path, r"torch \\x1b\[2J is installed", ModelFileError)
    assert not marker.exists()


def test_without_torch_a_payload_is_refused_unread(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path, marker = _pickle_payload(tmp_path)
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    refusal(path, "PyTorch is not installed here: install it", ModelFileError)
    cli_refusal(tmp_path, path, "rnnstudio convert")
    assert not marker.exists()


# --- with torch ----------------------------------------------------------------------

@pytest.fixture()
def torch() -> Any:
    return pytest.importorskip("torch")


@pytest.mark.parametrize("name", ["evil.pt", "evil.safetensors", "evil.bin"])
def test_pickle_payloads_never_run(tmp_path: Path, torch: Any, name: str) -> None:
    path, marker = _pickle_payload(tmp_path, name)
    refusal(path, "refused: it holds Python objects other than tensors|corrupt PyTorch file",
            ModelFileError)
    cli_refusal(tmp_path, path)
    zipped = tmp_path / "zipped.pt"
    torch.save({"weight_ih_l0": torch.zeros(4, 2), "evil": PickleBomb(marker)}, zipped)
    refusal(zipped, "refused", ModelFileError)
    assert not marker.exists()


def test_torch_messages_reach_the_terminal_escaped(tmp_path: Path, torch: Any) -> None:
    """torch's refusal carries ANSI bold codes (and may quote the file): escaped here."""
    path = tmp_path / "evil.pt"
    path.write_bytes(b"\x80\x02c\x1b]0;pwned\x07os\nsystem\n)R.")  # GLOBAL with escape codes
    message = refusal(path, "refused: it holds Python objects other than tensors",
                      ModelFileError)
    assert not any(ord(char) < 32 for char in message), message


def _unusual_tensors(torch: Any) -> dict[str, tuple[Any, str]]:
    with warnings.catch_warnings():  # prototype and deprecated kinds warn when made
        warnings.simplefilter("ignore")
        return {
            "float8": (torch.zeros(4, dtype=torch.float8_e4m3fn),
                       "holds float8_e4m3fn values, which RNN Studio does not read"),
            "complex": (torch.zeros(4, dtype=torch.complex64), "holds complex64 values"),
            "uint16": (torch.zeros(4, dtype=torch.uint16), "holds uint16 values"),
            "sparse-coo": (torch.eye(4).to_sparse(), r"holds a sparse_coo tensor; save dense "
                                                     r"weights \(tensor\.to_dense\(\)\)"),
            "sparse-csr": (torch.eye(4).to_sparse_csr(), "holds a sparse_csr tensor"),
            "quantized": (torch.quantize_per_tensor(torch.zeros(4), 0.1, 0, torch.qint8),
                          r"holds a quantized tensor \(qint8\).*dequantize"),
            "nested": (torch.nested.nested_tensor([torch.zeros(2), torch.zeros(3)]),
                       "holds a nested tensor"),
            "dict": ({"deeper": {"still": torch.zeros(2)}}, "holds a dict, not a tensor"),
            "number": (7, "holds a int, not a tensor"),
        }


@pytest.mark.parametrize("case", ["float8", "complex", "uint16", "sparse-coo", "sparse-csr",
                                  "quantized", "nested", "dict", "number"])
def test_values_that_are_no_dense_real_tensor(tmp_path: Path, torch: Any, case: str) -> None:
    value, words = _unusual_tensors(torch)[case]
    path = tmp_path / "m.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.save({"weight_ih_l0": torch.zeros(4, 3), "odd.weight": value}, path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        refusal(path, f"key 'odd.weight' {words}", ParameterError)
    assert not caught, [str(warning.message) for warning in caught]  # stderr stays one line


def test_keys_that_are_no_names(tmp_path: Path, torch: Any) -> None:
    path = tmp_path / "m.pt"
    torch.save({"weight_ih_l0": torch.zeros(4, 3), 1: torch.zeros(3)}, path)
    refusal(path, r"key 1 is a int, not a parameter name; save model\.state_dict\(\)",
            ParameterError)
    cli_refusal(tmp_path, path, "key 1 is a int")
    torch.save({"weight_ih_l0": torch.zeros(4, 3), ("a", "b"): torch.zeros(3)}, path)
    refusal(path, r"key \('a', 'b'\) is a tuple", ParameterError)


def test_a_zero_stride_view_claiming_40_gb_allocates_nothing(tmp_path: Path, torch: Any) -> None:
    path = tmp_path / "view.pt"
    torch.save({"weight_ih_l0": torch.zeros(1).as_strided((100_000, 100_000), (0, 0))}, path)
    assert path.stat().st_size < 5_000
    refusal(path, r"its tensors span 40,000,000,000 bytes \(at key 'weight_ih_l0'\), more than 2 "
                  "times the file's", ModelFileError)


def test_tied_weights_sharing_one_storage_still_load(tmp_path: Path, torch: Any) -> None:
    vocabulary = ["<unk>", "the", "cat", "sat", "on", "mat", ",", "."]
    embedding, rnn = torch.nn.Embedding(8, 7), torch.nn.GRU(7, 7)
    head = torch.nn.Linear(7, 8)
    head.weight = embedding.weight  # tied: one storage, two keys
    state = {"embedding.weight": embedding.weight, "head.weight": head.weight,
             "head.bias": head.bias, **{f"rnn.{k}": v for k, v in rnn.state_dict().items()}}
    path = tmp_path / "tied.pt"
    torch.save(state, path)
    model = load_model(path, vocabulary=vocabulary)
    assert model.config.task == "next-token"
    assert model.params["head.weight"].tobytes() == model.params["embedding.weight"].tobytes()


def test_zip_bomb_inside_a_pt_is_refused_before_torch_reads_it(tmp_path: Path,
                                                               torch: Any) -> None:
    path = tmp_path / "bomb.pt"
    torch.save({"weight_ih_l0": torch.zeros(4, 3)}, path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data/99", bytes(50_000_000))
    refusal(path, r"would expand to [\d,]+ bytes, more than 32 times the file's .*save it "
                  "again with torch.save", ModelFileError)


def test_zero_byte_and_truncated_pt_files(tmp_path: Path, torch: Any) -> None:
    path = tmp_path / "m.pt"
    path.write_bytes(b"")
    refusal(path, "the file is empty", ModelFileError)
    torch.save(torch.nn.LSTM(3, 4).state_dict(), path)
    good = path.read_bytes()
    for keep in (2, 100, len(good) // 2, len(good) - 30, len(good) - 1):
        path.write_bytes(good[:keep])
        refusal(path, "truncated|corrupt|unrecognised", ModelFileError)
    cli_refusal(tmp_path, path, "corrupt")


def test_half_precision_is_named_in_info(tmp_path: Path, torch: Any) -> None:
    path = tmp_path / "half.pt"
    torch.save(torch.nn.GRU(3, 4).to(torch.bfloat16).state_dict(), path)
    note = "converted from bfloat16 to float32 (4 tensors)"
    assert read_model(path).notes == (note,)
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert main(["info", str(path)]) == 0
    assert f"format: pytorch ({note})" in stdout.getvalue().splitlines()
