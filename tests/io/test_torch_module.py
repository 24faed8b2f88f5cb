"""``rs.from_torch``: live tutorial modules (and state_dicts in memory) load with their
own configuration and give torch's logits and per-step states, float64 within 1e-10 and
float32 within 1e-5; what the engine cannot reproduce is refused by name."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import numpy as np
import pytest

import rnnstudio as rs
from rnnstudio.errors import ConfigError, ParameterError
from rnnstudio.io.torch_module import read_torch_module

torch = pytest.importorskip("torch")
nn = torch.nn

VOCABULARY = ["<pad>", "<unk>", "the", "cat", "sat", "on", "mat", "."]
STOI = {token: index for index, token in enumerate(VOCABULARY)}
TEXT = "the cat sat on the mat . the dog sat"
EMBED, HIDDEN, CLASSES = 6, 8, 3
TOLERANCE = {torch.float64: 1e-10, torch.float32: 1e-5}


class TextClassifier(nn.Module):
    """embed, a 2-layer batch-first LSTM, fc on the last step."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(len(VOCABULARY), EMBED, padding_idx=0)
        self.lstm = nn.LSTM(EMBED, HIDDEN, num_layers=2, batch_first=True)
        self.fc = nn.Linear(HIDDEN, CLASSES)

    def forward(self, ids):  # noqa: ANN001, ANN201 - as tutorials write it
        output, (hidden, _) = self.lstm(self.embed(ids))
        return self.fc(output[:, -1]), output


class BiGRUClassifier(nn.Module):
    """A 2-layer bidirectional GRU read by ``fc(cat(hidden[-2], hidden[-1]))``."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(len(VOCABULARY), EMBED)
        self.rnn = nn.GRU(EMBED, HIDDEN, num_layers=2, bidirectional=True, batch_first=True)
        self.fc = nn.Sequential(nn.Dropout(0.5), nn.Linear(2 * HIDDEN, CLASSES))

    def forward(self, ids):  # noqa: ANN001, ANN201
        output, hidden = self.rnn(self.embedding(ids))
        return self.fc(torch.cat((hidden[-2], hidden[-1]), dim=1)), output


class WordLanguageModel(nn.Module):
    """pytorch/examples word_language_model: encoder, rnn (time-major), decoder."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Embedding(len(VOCABULARY), EMBED)
        self.rnn = nn.LSTM(EMBED, HIDDEN, 2)
        self.decoder = nn.Linear(HIDDEN, len(VOCABULARY))

    def forward(self, ids):  # noqa: ANN001, ANN201
        output, _ = self.rnn(self.encoder(ids.t()))
        return self.decoder(output).transpose(0, 1), output.transpose(0, 1)


class LSTMTagger(nn.Module):
    """The sequence-tagging tutorial as written there: one sentence, time-major, a tag
    score (hidden2tag) at every step."""

    def __init__(self) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(len(VOCABULARY), EMBED)
        self.lstm = nn.LSTM(EMBED, HIDDEN)
        self.hidden2tag = nn.Linear(HIDDEN, CLASSES)

    def forward(self, ids):  # noqa: ANN001, ANN201
        sentence = ids[0]
        lstm_out, _ = self.lstm(self.word_embeddings(sentence).view(len(sentence), 1, -1))
        tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))
        return tag_space[None], lstm_out.view(len(sentence), -1)[None]


class OddNames(nn.Module):
    """Names no list holds, found by type: tok, stack (a ReLU RNN), proj."""

    def __init__(self) -> None:
        super().__init__()
        self.tok = nn.Embedding(len(VOCABULARY), EMBED)
        self.stack = nn.RNN(EMBED, HIDDEN, nonlinearity="relu", batch_first=True)
        self.proj = nn.Linear(HIDDEN, CLASSES)

    def forward(self, ids):  # noqa: ANN001, ANN201
        output, _ = self.stack(self.tok(ids))
        return self.proj(output[:, -1]), output


#: name -> (module, from_torch keywords, logits rows compared: last or all steps)
CASES: dict[str, tuple[Callable[[], nn.Module], dict, str]] = {
    "embed-lstm-fc": (TextClassifier, {}, "last"),
    "bigru-final-states": (BiGRUClassifier, {"readout": "final-states"}, "last"),
    "word-language-model": (WordLanguageModel, {}, "all"),
    "hidden2tag": (LSTMTagger, {"task": "tag", "labels": ["DET", "NN", "V"]}, "all"),
    "relu-rnn-odd-names": (OddNames, {}, "last"),
}


def run_torch(module: nn.Module, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Logits and the top layer's per-step outputs of one text."""
    with torch.no_grad():
        logits, output = module(torch.from_numpy(ids)[None])
    return logits[0].numpy(), output[0].numpy()


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(CASES))
def test_tutorial_modules_give_torchs_logits_and_states(name: str, dtype: torch.dtype) -> None:
    build, options, rows = CASES[name]
    torch.manual_seed(0)
    module = build().to(dtype).eval()
    model = rs.from_torch(module, STOI, **options)
    assert model.config.dtype == str(dtype).removeprefix("torch.")
    trace = model.trace(TEXT, loss=None)
    logits, output = run_torch(module, trace.token_ids)
    top = model.config.recurrent.num_layers - 1
    hidden = trace.layer(top, "fwd").h
    if model.config.recurrent.bidirectional:
        hidden = np.concatenate([hidden, trace.layer(top, "bwd").h], axis=1)
    tolerance = TOLERANCE[dtype]
    np.testing.assert_allclose(hidden, output, atol=tolerance, rtol=0)
    assert trace.logits is not None
    compared = trace.logits[-1] if rows == "last" else trace.logits
    np.testing.assert_allclose(compared, logits.reshape(compared.shape), atol=tolerance,
                               rtol=0)


def test_the_configuration_is_read_from_the_module() -> None:
    torch.manual_seed(0)
    loaded = read_torch_module(OddNames(), vocabulary=VOCABULARY)
    recurrent = loaded.model.config.recurrent
    # A file's state_dict cannot say relu; the module can, and its odd names are typed.
    assert (recurrent.cell, recurrent.nonlinearity) == ("rnn", "relu")
    assert loaded.names == (("tok", "embedding"), ("stack", "rnn"), ("proj", "head"))
    assert loaded.config_sources == ("options", "module attributes")
    assert loaded.format == "torch module"
    projected = nn.LSTM(EMBED, HIDDEN, proj_size=3, bias=False)
    config = rs.from_torch(projected).config.recurrent
    assert (config.proj_size, config.bias, config.hidden_size) == (3, False, HIDDEN)


def test_padding_idx_is_reported_and_the_weights_are_copied() -> None:
    torch.manual_seed(0)
    module = TextClassifier()
    loaded = read_torch_module(module, vocabulary=VOCABULARY)
    assert loaded.notes == ("embedding 'embed' has padding_idx 0: its row is read as "
                            "stored, as torch's forward does",)
    before = np.array(loaded.model.params["head.bias"])
    with torch.no_grad():
        module.fc.bias.add_(1.0)  # the module trains on; the model keeps its copy
    np.testing.assert_array_equal(loaded.model.params["head.bias"], before)


def test_a_state_dict_in_memory_loads_like_the_module() -> None:
    torch.manual_seed(0)
    module = TextClassifier().eval()
    from_module = rs.from_torch(module, VOCABULARY)
    from_tensors = rs.from_torch(module.state_dict(), VOCABULARY)
    arrays = {name: tensor.numpy() for name, tensor in module.state_dict().items()}
    from_arrays = rs.from_torch(arrays, VOCABULARY)
    for model in (from_tensors, from_arrays):
        assert model.config == from_module.config
        for name, value in from_module.params.items():
            np.testing.assert_array_equal(model.params[name], value)


def test_bfloat16_is_widened_and_stated() -> None:
    torch.manual_seed(0)
    module = TextClassifier().to(torch.bfloat16)
    loaded = read_torch_module(module, vocabulary=VOCABULARY)
    assert loaded.model.config.dtype == "float32"
    assert "converted from bfloat16 to float32 (11 tensors)" in loaded.notes
    np.testing.assert_array_equal(loaded.model.params["head.weight"],
                                  module.fc.weight.float().detach().numpy())


def test_what_the_engine_cannot_reproduce_is_refused_by_name() -> None:
    torch.manual_seed(0)
    module = TextClassifier()
    module.fc = nn.Sequential(nn.Linear(HIDDEN, CLASSES), nn.ReLU())
    with pytest.raises(ParameterError, match=r"'fc\.1' is a ReLU next to the head 'fc\.0'"):
        rs.from_torch(module, VOCABULARY)
    module.fc = nn.Linear(HIDDEN, CLASSES)
    module.norm = nn.LayerNorm(HIDDEN)  # over the LSTM's output: the head goes with it
    with pytest.warns(UserWarning, match=r"recurrent part only: 'fc\.bias', 'fc\.weight', "
                                         r"'norm\.bias', 'norm\.weight' left out"):
        model = rs.from_torch(module, VOCABULARY)
    assert model.config.task is None and "head.weight" not in model.params
    module.norm = nn.LayerNorm(EMBED)  # over the embeddings: it changes the states
    with pytest.raises(ParameterError, match=r"unexpected keys 'norm\.bias', 'norm\.weight'"):
        rs.from_torch(module, VOCABULARY)
    with pytest.raises(ParameterError, match=r"'cell' is an LSTMCell"):
        rs.from_torch(nn.ModuleDict({"cell": nn.LSTMCell(EMBED, HIDDEN)}))


def test_missing_and_wrong_arguments_say_what_to_pass() -> None:
    with pytest.raises(ConfigError, match=r"no vocabulary: pass vocabulary=\[\.\.\.\]"):
        rs.from_torch(TextClassifier())
    with pytest.raises(ConfigError, match=r"expected a torch.nn.Module or a state_dict "
                                          r"\(.*\), got str; for a file use rs.load_model"):
        rs.from_torch("m.pt")
    with pytest.raises(ParameterError, match=r"key 'rnn\.weight_ih_l0' holds str"):
        rs.from_torch({"rnn.weight_ih_l0": "weights"})
    with pytest.raises(ParameterError, match="more than one recurrent stack"):
        rs.from_torch(nn.ModuleDict({"a": nn.GRU(2, 3), "b": nn.GRU(2, 3)}))
    two = rs.from_torch(nn.ModuleDict({"a": nn.GRU(2, 3)}), key_map={"a": "rnn"})
    assert two.config.recurrent.cell == "gru"


def test_importing_rnnstudio_does_not_import_torch() -> None:
    code = ("import sys, rnnstudio as rs; rs.from_torch; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
