"""PyTorch state_dict files: same numbers as torch, and nothing unsafe ever runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from model_cases import PickleBomb

from rnnstudio.errors import ModelFileError, ParameterError
from rnnstudio.io.model_files import convert_model, load_model, read_model

TEXT = "the cat sat on the mat , and the cat sat ."
VOCABULARY = ["<unk>", "the", "cat", "sat", "on", "mat", ",", "."]


torch = pytest.importorskip("torch")
nn = torch.nn
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")


RECURRENT = {
    "lstm": lambda: nn.LSTM(5, 7),
    "lstm-proj-2layer-bidir": lambda: nn.LSTM(5, 7, num_layers=2, proj_size=3,
                                              bidirectional=True),
    "gru-2layer-bidir": lambda: nn.GRU(5, 7, num_layers=2, bidirectional=True),
    "gru-nobias": lambda: nn.GRU(5, 7, bias=False),
    "rnn-tanh": lambda: nn.RNN(5, 7, num_layers=2),
    "rnn-relu-bidir": lambda: nn.RNN(5, 7, nonlinearity="relu", bidirectional=True),
}


def _top_output(trace, num_layers: int, bidirectional: bool) -> np.ndarray:
    top = num_layers - 1
    parts = [trace.layer(top, "fwd").h]
    if bidirectional:
        parts.append(trace.layer(top, "bwd").h)
    return np.concatenate(parts, axis=1)


@pytest.mark.parametrize("double", [False, True], ids=["float32", "float64"])
@pytest.mark.parametrize("name", list(RECURRENT))
def test_bare_state_dict_matches_torch(tmp_path: Path, name: str, double: bool) -> None:
    torch.manual_seed(0)
    module = RECURRENT[name]()
    if double:
        module = module.double()
    path = tmp_path / "rnn.pt"
    torch.save(module.state_dict(), path)
    nonlinearity = getattr(module, "nonlinearity", None)
    model = load_model(path, nonlinearity=nonlinearity)
    rec = model.config.recurrent
    assert (rec.cell, rec.hidden_size, rec.num_layers) == (type(module).__name__.lower(), 7,
                                                           module.num_layers)
    assert (rec.bidirectional, rec.bias, rec.proj_size) == (module.bidirectional, module.bias,
                                                            getattr(module, "proj_size", 0))
    assert model.config.dtype == ("float64" if double else "float32")
    trace = model.trace(TEXT, loss=None)
    with torch.no_grad():
        expected, _ = module(torch.from_numpy(trace.x)[:, None, :])
    tolerance = 1e-10 if double else 1e-5
    np.testing.assert_allclose(_top_output(trace, rec.num_layers, rec.bidirectional),
                               expected[:, 0].numpy(), atol=tolerance, rtol=0)


class _Net(nn.Module):
    """The convention for whole models: submodules embedding, rnn, head."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(len(VOCABULARY), 5)
        self.rnn = nn.LSTM(5, 7, bidirectional=True)
        self.head = nn.Linear(14, len(VOCABULARY))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        output, _ = self.rnn(self.embedding(ids)[:, None, :])
        return self.head(output[:, 0])


def _save_net(tmp_path: Path, wrap=lambda state: state, name: str = "net.pt") -> tuple:
    torch.manual_seed(1)
    net = _Net().double()
    path = tmp_path / name
    torch.save(wrap(net.state_dict()), path)
    path.with_suffix(".json").write_text(json.dumps({"vocabulary": VOCABULARY}))
    return net, path


@pytest.mark.parametrize(
    "wrap",
    [
        lambda state: state,
        lambda state: {"state_dict": state, "epoch": 3, "lr": 0.1},
        lambda state: {"model_state_dict": {"module." + k: v for k, v in state.items()}},
    ],
    ids=["plain", "checkpoint", "data-parallel"],
)
def test_embedding_rnn_head_module_matches_torch(tmp_path: Path, wrap) -> None:
    net, path = _save_net(tmp_path, wrap)
    loaded = read_model(path)
    model = loaded.model
    assert model.config.embedding == "table" and model.config.task == "next-token"
    assert loaded.format == "pytorch"
    trace = model.trace(TEXT + " dog", loss="next-token")
    assert [trace.tokens[pos] for pos in trace.unknown] == ["and", "dog"]  # not in vocabulary
    with torch.no_grad():
        expected = net(torch.from_numpy(trace.token_ids))
    np.testing.assert_allclose(trace.logits, expected.numpy(), atol=1e-10, rtol=0)


def test_convert_pt_to_native(tmp_path: Path) -> None:
    net, path = _save_net(tmp_path)
    convert_model(path, tmp_path / "net.safetensors")
    (tmp_path / "net.json").unlink()  # the native file must carry everything itself
    model = load_model(tmp_path / "net.safetensors")
    for name, tensor in net.state_dict().items():
        assert model.params[name].tobytes() == tensor.numpy().tobytes(), name


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_pickled_code_is_refused_without_running(tmp_path: Path, zip_format: bool) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"weight_ih_l0": torch.zeros(4, 2), "evil": PickleBomb(marker)}, path,
               _use_new_zipfile_serialization=zip_format)
    assert not marker.exists()
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    message = str(info.value)
    assert "refused" in message and str(path) in message and "\n" not in message
    assert not marker.exists()


def test_whole_module_pickle_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "module.pth"
    torch.save(nn.GRU(3, 4), path)
    with pytest.raises(ModelFileError, match=r"class torch\.nn\.modules\.rnn\.GRU .*"
                       r"torch\.save\(model\.state_dict\(\), PATH\)"):
        load_model(path)


def test_truncated_and_odd_contents(tmp_path: Path) -> None:
    path = tmp_path / "m.bin"
    torch.save(nn.LSTM(3, 4).state_dict(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 30])
    with pytest.raises(ModelFileError, match="truncated or corrupt"):
        load_model(path)
    torch.save([torch.zeros(3)], path)
    with pytest.raises(ModelFileError, match="holds a list, not a state_dict"):
        load_model(path)
    torch.save({"weight_ih_l0": torch.zeros(4, 3), "steps": 7}, path)
    with pytest.raises(ParameterError, match="key 'steps' holds a int, not a tensor"):
        load_model(path)


def test_half_precision_is_widened(tmp_path: Path) -> None:
    torch.manual_seed(2)
    module = nn.GRU(3, 4).to(torch.bfloat16)
    path = tmp_path / "half.pt"
    torch.save(module.state_dict(), path)
    model = load_model(path)
    assert model.config.dtype == "float32"
    np.testing.assert_array_equal(model.params["rnn.weight_hh_l0"],
                                  module.weight_hh_l0.detach().float().numpy())
