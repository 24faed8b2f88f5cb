"""The sidecar the Model details dialog writes: facts read, answers checked, file written."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from model_cases import VOCABULARY, assert_same_trace, make_model

from rnnstudio.engine.model import Model
from rnnstudio.errors import ConfigError, ExportError
from rnnstudio.io import sidecar_write
from rnnstudio.io.model_files import read_model, save_model
from rnnstudio.io.model_source import ModelSource
from rnnstudio.io.session_file import SessionFile, load_session, save_session
from rnnstudio.io.sidecar_write import (
    ModelDetails,
    apply_details,
    model_facts,
    read_labels,
    sidecar_config,
    write_sidecar,
)


def _state_dict_file(path: Path, model: Model) -> Path:
    """The model's weights alone, as ``torch.save(model.state_dict())`` leaves them."""
    np.savez(path, **model.params)
    return path


@pytest.fixture
def classifier() -> Model:
    return make_model("gru", vocabulary=VOCABULARY, task="classify", labels=("neg", "pos"),
                      bidirectional=True)


def test_facts_of_a_bare_state_dict(tmp_path: Path, classifier: Model) -> None:
    path = _state_dict_file(tmp_path / "m.npz", classifier)
    facts = model_facts(path)
    assert (facts.cell, facts.bidirectional) == ("gru", True)
    assert (facts.vocabulary_rows, facts.head_rows) == (len(VOCABULARY), 2)
    assert facts.missing == ("vocabulary",) and not facts.file_fields
    assert facts.vocabulary_candidate() is None
    (tmp_path / "vocab.txt").write_text("\n".join(VOCABULARY) + "\n")
    assert facts.vocabulary_candidate() == tmp_path / "vocab.txt"


def test_an_rnn_lacks_its_nonlinearity(tmp_path: Path) -> None:
    path = _state_dict_file(tmp_path / "r.npz", make_model("rnn", nonlinearity="relu"))
    assert model_facts(path).missing == ("nonlinearity",)
    (tmp_path / "r.json").write_text('{"recurrent": {"nonlinearity": "relu"}}')
    facts = model_facts(path)
    assert facts.missing == () and facts.known("nonlinearity") == "relu"


def test_answers_written_and_read_back(tmp_path: Path, classifier: Model) -> None:
    path = _state_dict_file(tmp_path / "m.npz", classifier)
    (tmp_path / "m.json").write_text('{"dtype": "float32", "readout": "mean"}')
    vocabulary = tmp_path / "stoi.json"
    vocabulary.write_text(json.dumps({token: row for row, token in enumerate(VOCABULARY)}))
    details = ModelDetails(vocabulary_file=vocabulary, labels=("neg", "pos"),
                           task="classify", readout="final-states")
    applied = apply_details(path, details)
    assert applied.sidecar == tmp_path / "m.json" and applied.overrides == {}
    written = json.loads((tmp_path / "m.json").read_text())
    assert written == {"dtype": "float32", "readout": "final-states", "labels": ["neg", "pos"],
                       "task": "classify",
                       "tokenizer": {"kind": "word", "vocabulary": list(VOCABULARY)}}
    again = read_model(path)  # opens by itself now, as the dialog checked it
    assert again.model.config.readout == "final-states"
    assert again.model.config.labels == ("neg", "pos")
    assert applied.loaded.model.config == again.model.config
    built_so = Model(replace(classifier.config, readout="final-states"), classifier.params)
    assert_same_trace(built_so, again.model)


def test_nothing_is_written_when_the_model_does_not_open(tmp_path: Path,
                                                         classifier: Model) -> None:
    path = _state_dict_file(tmp_path / "m.npz", classifier)
    short = tmp_path / "vocab.txt"
    short.write_text("<unk>\nthe\n")
    with pytest.raises(ConfigError, match=r"the vocabulary has 2 tokens but embedding.weight "
                                          r"8 rows"):
        apply_details(path, ModelDetails(vocabulary_file=short))
    (tmp_path / "vocab.json").write_text(json.dumps(list(VOCABULARY)))
    with pytest.raises(ConfigError, match="mean readout gives one verdict per text"):
        apply_details(path, ModelDetails(vocabulary_file=tmp_path / "vocab.json", task="tag",
                                         labels=("a", "b"), readout="mean"))
    assert not (tmp_path / "m.json").exists()


def test_unwritable_sidecar_gives_overrides(tmp_path: Path, classifier: Model,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = _state_dict_file(tmp_path / "m.npz", classifier)
    (tmp_path / "vocab.json").write_text(json.dumps(list(VOCABULARY)))

    def refuse(target: Path, text: str) -> Path:
        raise ExportError(f"cannot write {target}: folder {target.parent} is not writable")

    monkeypatch.setattr(sidecar_write, "write_text_atomic", refuse)
    applied = apply_details(path, ModelDetails(vocabulary_file=tmp_path / "vocab.json",
                                               readout="max"))
    assert applied.sidecar is None and "not writable" in applied.reason
    assert applied.overrides["readout"] == "max"
    source = ModelSource.file(path, applied.overrides)
    assert source.load().config == applied.loaded.model.config
    # ... and a session file keeps them
    session = save_session(SessionFile(model=source, text="the cat"), tmp_path / "s.rnnstudio")
    assert load_session(session).model == source


def test_metadata_fields_are_not_repeated(tmp_path: Path) -> None:
    model = make_model("lstm", vocabulary=VOCABULARY, task="classify", labels=("a", "b"))
    path = save_model(model, tmp_path / "native.safetensors")
    facts = model_facts(path)
    assert facts.missing == () and facts.known("labels") == ["a", "b"]
    config = sidecar_config(ModelDetails(labels=("x", "y"), readout="mean"), facts)
    # A native file fixes every field: a sidecar would be read and ignored.
    assert {"labels", "readout", "task", "tokenizer"} <= set(facts.file_fields)
    assert config == {}


def test_bad_values_named_as_io_names_them(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="readout"):
        write_sidecar(tmp_path / "m.npz", {"readout": "sideways"})
    with pytest.raises(ExportError, match="config.json"):
        write_sidecar(tmp_path, {"readout": "mean"})
    assert not list(tmp_path.glob("*.json"))


def test_labels_from_text_or_file(tmp_path: Path) -> None:
    assert read_labels(" neg, pos ,mixed ") == ("neg", "pos", "mixed")
    assert read_labels("   ") is None
    (tmp_path / "labels.txt").write_text("bad\ngood\n")
    assert read_labels(str(tmp_path / "labels.txt")) == ("bad", "good")


def test_source_overrides_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="readout"):
        ModelSource.file(tmp_path / "m.npz", {"readout": "sideways"})
    with pytest.raises(ConfigError, match="only a model file"):
        ModelSource(key="sentiment-lstm", overrides={"readout": "mean"})
    source = ModelSource.file(tmp_path / "m.npz").with_overrides(readout="mean")
    assert source.overrides == {"readout": "mean"}
    assert source.with_overrides(readout=None).overrides == {}
