"""Tutorial models, written the way PyTorch tutorials write them, saved with
``torch.save(model.state_dict(), path)`` and loaded by their names: same states and
same logits as torch."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import rnnstudio
from rnnstudio.cli import main
from rnnstudio.errors import ParameterError

torch = pytest.importorskip("torch")
nn = torch.nn

VOCABULARY = ["<unk>", "the", "cat", "sat", "on", "mat", ",", "."]
TEXT = "the cat sat on the mat , the dog sat ."
EMBED, HIDDEN, CLASSES = 6, 8, 3


class Classifier(nn.Module):
    """The usual tutorial: embed, a 2-layer batch-first LSTM, fc on the last step."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(len(VOCABULARY), EMBED)
        self.lstm = nn.LSTM(EMBED, HIDDEN, batch_first=True, num_layers=2)
        self.fc = nn.Linear(HIDDEN, CLASSES)

    def forward(self, ids):  # noqa: ANN001, ANN201 - as tutorials write it
        output, hidden = self.lstm(self.embed(ids))
        return self.fc(output[:, -1]), output, hidden


class WordLanguageModel(nn.Module):
    """pytorch/examples word_language_model: encoder, rnn (time-major), decoder."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Embedding(len(VOCABULARY), EMBED)
        self.rnn = nn.LSTM(EMBED, HIDDEN)
        self.decoder = nn.Linear(HIDDEN, len(VOCABULARY))

    def forward(self, ids):  # noqa: ANN001, ANN201
        output, hidden = self.rnn(self.encoder(ids).transpose(0, 1))
        output = output.transpose(0, 1)
        return self.decoder(output[:, -1]), output, hidden


class DropoutHead(nn.Module):
    """emb, a GRU and fc = nn.Sequential(nn.Dropout(0.1), nn.Linear(...))."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(len(VOCABULARY), EMBED)
        self.gru = nn.GRU(EMBED, HIDDEN, batch_first=True)
        self.fc = nn.Sequential(nn.Dropout(0.1), nn.Linear(HIDDEN, CLASSES))

    def forward(self, ids):  # noqa: ANN001, ANN201
        output, hidden = self.gru(self.emb(ids))
        return self.fc(output[:, -1]), output, hidden


class Tagger(nn.Module):
    """The sequence-tagging tutorial: word_embeddings, lstm, hidden2tag."""

    def __init__(self) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(len(VOCABULARY), EMBED)
        self.lstm = nn.LSTM(EMBED, HIDDEN, batch_first=True)
        self.hidden2tag = nn.Linear(HIDDEN, CLASSES)

    def forward(self, ids):  # noqa: ANN001, ANN201
        output, hidden = self.lstm(self.word_embeddings(ids))
        return self.hidden2tag(output[:, -1]), output, hidden


TUTORIALS: dict[str, tuple[Callable[[], nn.Module], str]] = {
    "embed-lstm2-fc": (Classifier, "embed -> embedding, lstm -> rnn, fc -> head"),
    "word-language-model": (WordLanguageModel, "encoder -> embedding, decoder -> head"),
    "emb-gru-sequential-fc": (DropoutHead, "emb -> embedding, gru -> rnn, fc.1 -> head"),
    "tagger": (Tagger, "word_embeddings -> embedding, lstm -> rnn, hidden2tag -> head"),
}


def save(module: nn.Module, tmp_path: Path) -> Path:
    """``torch.save(model.state_dict(), "m.pt")`` and the vocabulary beside it."""
    path = tmp_path / "m.pt"
    torch.save(module.state_dict(), path)
    (tmp_path / "m.json").write_text(json.dumps({"vocabulary": VOCABULARY}))
    return path


@pytest.mark.parametrize("name", list(TUTORIALS))
def test_tutorial_models_match_torch(tmp_path: Path, name: str,
                                     capsys: pytest.CaptureFixture) -> None:
    build, names = TUTORIALS[name]
    torch.manual_seed(0)
    module = build().eval()
    path = save(module, tmp_path)
    model = rnnstudio.load_model(path)
    trace = model.trace(TEXT, loss=None)
    with torch.no_grad():
        logits, output, hidden = module(torch.from_numpy(trace.token_ids)[None])
    layers = model.config.recurrent.num_layers
    np.testing.assert_allclose(trace.layer(layers - 1, "fwd").h, output[0].numpy(),
                               atol=1e-5, rtol=0)
    final_h = hidden[0] if isinstance(hidden, tuple) else hidden
    for layer in range(layers):  # every layer's last state (h_n)
        np.testing.assert_allclose(trace.layer(layer, "fwd").h[-1], final_h[layer, 0].numpy(),
                                   atol=1e-5, rtol=0)
    assert trace.logits is not None
    np.testing.assert_allclose(trace.logits[-1], logits[0].numpy(), atol=1e-5, rtol=0)
    assert main(["info", str(path)]) == 0
    assert f"names: {names}" in capsys.readouterr().out.splitlines()


def test_two_heads_are_named_and_map_picks_one(tmp_path: Path,
                                               capsys: pytest.CaptureFixture) -> None:
    torch.manual_seed(0)
    module = Classifier()
    module.out = nn.Linear(HIDDEN, CLASSES)  # a second head, e.g. an auxiliary task
    path = save(module, tmp_path)
    with pytest.raises(ParameterError, match=r"could be the head \('fc', 'out'\); pass --map"):
        rnnstudio.load_model(path)
    assert main(["info", str(path)]) == 2
    assert "could be the head ('fc', 'out')" in capsys.readouterr().err
    # The map says which is the head; the other Linear is then left out, by name.
    assert main(["info", str(path), "--map", "fc=head"]) == 0
    assert "left out 'out.bias', 'out.weight'" in capsys.readouterr().out
    del module.out
    module.proj = nn.Sequential(nn.ReLU(), nn.Linear(HIDDEN, CLASSES))
    del module.fc
    path = save(module, tmp_path)
    model = rnnstudio.load_model(path, key_map={"proj.1": "head"})
    np.testing.assert_array_equal(model.params["head.weight"],
                                  module.proj[1].weight.detach().numpy())


def test_a_head_the_engine_cannot_reproduce_leaves_the_recurrent_part(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """fc = Sequential(Linear, ReLU, Linear): the states are torch's, no verdict is
    claimed, and info says what was left out."""
    torch.manual_seed(0)
    module = Classifier().eval()
    module.fc = nn.Sequential(nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, CLASSES))
    path = save(module, tmp_path)
    model = rnnstudio.load_model(path)
    assert model.config.task is None and "head.weight" not in model.params
    trace = model.trace(TEXT, loss=None)
    with torch.no_grad():
        _, output, _ = module(torch.from_numpy(trace.token_ids)[None])
    np.testing.assert_allclose(trace.layer(1, "fwd").h, output[0].numpy(), atol=1e-5, rtol=0)
    assert trace.logits is None
    assert main(["info", str(path)]) == 0
    assert "recurrent part only: 'fc.0.bias', 'fc.0.weight', 'fc.2.bias'" in (
        capsys.readouterr().out)


def test_a_layer_norm_on_the_embeddings_is_refused_by_name(tmp_path: Path) -> None:
    """LayerNorm(EMBED) may sit between the embedding and the LSTM: leaving it out
    would change the states, so the file is refused, naming it."""
    torch.manual_seed(0)
    module = Classifier()
    module.norm = nn.LayerNorm(EMBED)
    path = save(module, tmp_path)
    with pytest.raises(ParameterError, match=r"unexpected keys 'norm\.bias', 'norm\.weight': "
                                             r".*as wide as the RNN's input.*delete them"):
        rnnstudio.load_model(path)
