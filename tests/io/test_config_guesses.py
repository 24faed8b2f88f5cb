"""What a state_dict does not say is guessed and said to be guessed (issue 12): task,
labels, readout, tokenizer kind and lowercase; any source that says removes the guess."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from model_cases import make_model

from rnnstudio.engine.model import ModelConfig
from rnnstudio.io.config_guesses import guess_reason
from rnnstudio.io.model_files import read_model, save_model

VOCABULARY = ("<pad>", "<unk>", "the", "movie", "was", "great", "awful", "!")
TEXT = "the movie was great , not awful !"


def weights_file(tmp_path: Path, **kwargs: object) -> Path:
    """An .npz of bare weights (no config): what a state_dict tells."""
    model = make_model("gru", **kwargs)  # type: ignore[arg-type]
    path = tmp_path / "weights.npz"
    np.savez(path, **model.state_dict())
    return path


def test_a_bare_bidirectional_classifier_guesses_everything_it_must(tmp_path: Path) -> None:
    path = weights_file(tmp_path, vocabulary=VOCABULARY, task="classify", labels=("n", "p"),
                        bidirectional=True)
    loaded = read_model(path, vocab=list(VOCABULARY))
    config = loaded.model.config
    assert loaded.guessed == ("task", "labels", "readout", "tokenizer", "lowercase")
    assert (config.task, config.labels, config.readout) == ("classify", ("0", "1"),
                                                            "final-states")
    assert (config.tokenizer.kind, config.tokenizer.lowercase) == ("word", True)
    assert guess_reason("readout", config) == (
        "the file does not say; --readout mean|max|last-step if the model pools")


def test_a_unidirectional_classifier_guesses_last_step(tmp_path: Path) -> None:
    path = weights_file(tmp_path, vocabulary=VOCABULARY, task="classify", labels=("n", "p"))
    loaded = read_model(path, vocab=list(VOCABULARY))
    assert loaded.model.config.readout == "last-step" and "readout" in loaded.guessed
    final = read_model(path, vocab=list(VOCABULARY), readout="final-states").model
    np.testing.assert_allclose(final.trace(TEXT, loss=None).logits[-1],
                               loaded.model.trace(TEXT, loss=None).logits[-1], atol=1e-6)


@pytest.mark.parametrize("given", [
    {"readout": "mean", "task": "classify", "labels": ["n", "p"], "tokenizer": "word",
     "lowercase": True},
    {"readout": "max", "task": "tag", "labels": "n,p", "tokenizer": "whitespace",
     "lowercase": False},
])
@pytest.mark.parametrize("where", ["options", "sidecar"])
def test_a_value_from_any_source_removes_the_guess(tmp_path: Path, given: dict,
                                                   where: str) -> None:
    path = weights_file(tmp_path, vocabulary=VOCABULARY, task="classify", labels=("n", "p"),
                        bidirectional=True)
    if given["task"] == "tag":
        given = {**given, "readout": "per-step"}  # a pooled readout classifies only
    if where == "sidecar":
        sidecar = {**given, "vocabulary": list(VOCABULARY)}
        if isinstance(sidecar["labels"], str):
            sidecar["labels"] = sidecar["labels"].split(",")
        (tmp_path / "weights.json").write_text(json.dumps(sidecar))
        loaded = read_model(path)
    else:
        loaded = read_model(path, vocab=list(VOCABULARY), **given)
    assert loaded.guessed == ()
    config = loaded.model.config
    assert (config.readout, config.task, config.labels) == (given["readout"], given["task"],
                                                            ("n", "p"))


def test_a_head_over_the_vocabulary_is_guessed_a_language_model(tmp_path: Path) -> None:
    path = weights_file(tmp_path, vocabulary=VOCABULARY, task="next-token")
    loaded = read_model(path, vocab=list(VOCABULARY))
    assert loaded.model.config.task == "next-token"
    assert loaded.guessed == ("task", "tokenizer", "lowercase")
    assert "--task classify|tag" in guess_reason("task", loaded.model.config)
    assert read_model(path, vocab=list(VOCABULARY), task="next-token").guessed == (
        "tokenizer", "lowercase")


@pytest.mark.parametrize("vocabulary, kind, lowercase", [
    (("<unk>", "[CLS]", "The", "cat"), "word", False),
    (("<unk>", "[CLS]", "the", "cat"), "word", True),
    (("<unk>", "<pad>", "a", "b", " ", "."), "char", True),
    (("UNK", "A", "b"), "char", False),
])
def test_kind_and_case_are_guessed_from_the_ordinary_tokens(
        tmp_path: Path, vocabulary: tuple[str, ...], kind: str, lowercase: bool) -> None:
    loaded = read_model(weights_file(tmp_path, vocabulary=vocabulary), vocab=list(vocabulary))
    tokenizer = loaded.model.config.tokenizer
    assert (tokenizer.kind, tokenizer.lowercase) == (kind, lowercase)
    reason = guess_reason("lowercase", loaded.model.config)
    assert reason.endswith("--lowercase" if not lowercase else "--no-lowercase")


def test_a_native_file_says_everything(tmp_path: Path) -> None:
    model = make_model("gru", vocabulary=VOCABULARY, task="classify", labels=("n", "p"),
                       bidirectional=True)
    assert read_model(save_model(model, tmp_path / "m.safetensors")).guessed == ()


def test_the_tutorial_bidirectional_classifier_verdict_equals_torch(tmp_path: Path) -> None:
    """``fc(torch.cat((hidden[-2], hidden[-1]), dim=1))`` with ``embed``/``lstm``/``fc``
    saved as a state_dict and a vocab.txt: loaded with --vocab only, the guessed readout
    gives torch's verdict."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)

    class Classifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = torch.nn.Embedding(len(VOCABULARY), 6, padding_idx=0)
            self.lstm = torch.nn.LSTM(6, 5, num_layers=2, bidirectional=True,
                                      batch_first=True)
            self.fc = torch.nn.Linear(10, 3)

        def forward(self, ids: object) -> object:
            _, (hidden, _) = self.lstm(self.embed(ids))
            return self.fc(torch.cat((hidden[-2], hidden[-1]), dim=1))

    module = Classifier().eval()
    torch.save(module.state_dict(), tmp_path / "model.pt")
    (tmp_path / "vocab.txt").write_text("\n".join(VOCABULARY) + "\n", encoding="utf-8")
    loaded = read_model(tmp_path / "model.pt", vocab=tmp_path / "vocab.txt")
    model = loaded.model
    assert model.config.readout == "final-states" and "readout" in loaded.guessed
    assert model.config.tokenizer.pad == "<pad>"  # padding_idx row: an ordinary row
    trace = model.trace(TEXT, loss=None)
    with torch.no_grad():
        expected = module(torch.tensor(trace.token_ids)[None]).numpy()[0]
    assert np.abs(trace.logits[-1] - expected).max() <= 1e-5
    assert ModelConfig.from_dict(model.config.to_dict()) == model.config
