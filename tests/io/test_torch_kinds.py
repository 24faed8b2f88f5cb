"""TorchScript, torch.export and whole pickled modules: recognised by content, never
unpickled, refused with one line that says what they are and how to save a state_dict."""

from __future__ import annotations

import collections
import pickle
import zipfile
from pathlib import Path

import pytest
from hostile import cli_refusal, refusal

from rnnstudio.errors import ModelFileError
from rnnstudio.io.sniff import TORCH, model_format
from rnnstudio.io.torch_kinds import pickled_class

FIX = "torch.save(model.state_dict(), PATH)"


class Whole:
    """Stands in for a user's nn.Module subclass."""

    def __init__(self) -> None:
        self.weights = [1.0, 2.0]


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_pickled_class_names_the_top_level_class_only(protocol: int) -> None:
    whole = pickle.dumps(Whole(), protocol=protocol)
    assert pickled_class(whole) == f"{__name__}.Whole"
    assert pickled_class(whole[:7]) is None  # cut mid-stream: no answer, no error
    for state in (collections.OrderedDict(w=[1.0]), {"state_dict": {"w": 1}}, [Whole()]):
        assert pickled_class(pickle.dumps(state, protocol=protocol)) is None
    assert pickled_class(b"not a pickle") is None


def test_hand_made_torchscript_archive_is_named_not_corrupt(tmp_path: Path) -> None:
    path = _zip(tmp_path / "scripted.pt", {
        "scripted/data.pkl": pickle.dumps(collections.OrderedDict(), protocol=2),
        "scripted/code/__torch__.py": b"def forward(self): ...\n",
        "scripted/constants.pkl": b"\x80\x02).",
    })
    message = refusal(path, "a TorchScript program", ModelFileError, read=model_format)
    assert FIX in message and "pipx inject rnnstudio torch" in message
    assert "corrupt" not in message
    cli_refusal(tmp_path, path, "TorchScript", FIX)


def test_hand_made_whole_object_and_export_archives(tmp_path: Path) -> None:
    whole = _zip(tmp_path / "whole.pth", {"whole/data.pkl": pickle.dumps(Whole(), 2)})
    refusal(whole, rf"whole pickled object of class {__name__}\.Whole \(torch\.save\(model\)\)",
            ModelFileError, read=model_format)
    exported = _zip(tmp_path / "prog.pt2", {"prog/archive_format": b"pt2",
                                            "prog/models/model.json": b"{}"})
    refusal(exported, r"an exported program \(torch\.export\.save", ModelFileError,
            read=model_format)
    state = _zip(tmp_path / "state.pt", {
        "state/data.pkl": pickle.dumps(collections.OrderedDict(w=1), 2)})
    assert model_format(state) == TORCH


@pytest.mark.filterwarnings("ignore")
def test_files_torch_writes_are_refused_by_kind(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    lstm, example = torch.nn.LSTM(3, 4), torch.randn(5, 1, 3)
    torch.jit.save(torch.jit.trace(lstm, example), tmp_path / "traced.pt")
    torch.export.save(torch.export.export(lstm, (example,)), tmp_path / "exported.pt2")
    torch.save(torch.nn.Sequential(lstm), tmp_path / "whole.pt")
    torch.save(lstm, tmp_path / "lstm.pth")
    expected = {
        "traced.pt": "a TorchScript program",
        "exported.pt2": "an exported program (torch.export.save, .pt2)",
        "whole.pt": "whole pickled object of class torch.nn.modules.container.Sequential",
        "lstm.pth": "whole pickled object of class torch.nn.modules.rnn.LSTM",
    }
    for name, words in expected.items():
        path = tmp_path / name
        message = refusal(path, "not a state_dict", ModelFileError)
        assert words in message and FIX in message and "corrupt" not in message, message
        cli_refusal(tmp_path, path, words, FIX)
    torch.save(lstm.state_dict(), tmp_path / "state.pt")  # the fix the message gives
    assert model_format(tmp_path / "state.pt") == TORCH
