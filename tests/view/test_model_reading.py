"""How a model file was read, in words (no Qt): the format as a user names it, the
notes, the guesses as ``rnnstudio info`` says them, and the rows of a head whose labels
are only numbers."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from rnnstudio.engine.model import Model, random_model
from rnnstudio.io.model_files import read_model
from rnnstudio.view.model_reading import (
    FORMAT_WORDS,
    format_words,
    reading_lines,
    recurrent_part_only,
)
from rnnstudio.view.readout import step_readout

VOCABULARY = ["<unk>", "the", "cat", "sat"]


def test_every_reader_format_has_words() -> None:
    from rnnstudio.io.model_files import READERS

    assert set(FORMAT_WORDS) == set(READERS)
    assert format_words(SimpleNamespace(format="pytorch (recurrent part only: ...)")) == \
        "PyTorch state_dict"
    assert format_words(SimpleNamespace(format="safetensors (RNN Studio)")) == \
        "safetensors written by RNN Studio"
    assert format_words(SimpleNamespace(format="safetensors (converted from bfloat16)")) == \
        "safetensors"


def test_a_state_dict_reads_in_words(tmp_path: Path) -> None:
    base = random_model("gru", 3, input_size=2, bidirectional=True, seed=1)
    rng = np.random.default_rng(0)
    params = {f"gru.{key.split('.', 1)[1]}": value for key, value in base.state_dict().items()}
    params.update({"embed.weight": rng.standard_normal((4, 2)), "fc.weight":
                   rng.standard_normal((2, 6)), "fc.bias": np.zeros(2)})
    path = tmp_path / "m.npz"
    np.savez(path, **params)
    path.with_suffix(".json").write_text(json.dumps({"vocabulary": VOCABULARY}))
    loaded = read_model(path)
    lines = reading_lines(loaded)
    assert lines[:3] == [("read as", "NumPy .npz"),
                         ("renamed", "embed → embedding, gru → rnn, fc → head"),
                         ("settings from", "sidecar m.json, weight shapes")]
    guessed = [text for label, text in lines if label == "guessed"]
    assert [text.split(":")[0] for text in guessed] == list(loaded.guessed)
    assert guessed[2] == ("readout: final-states (guessed: the file does not say; --readout "
                          "mean|max|last-step if the model pools)")
    assert lines[-1] == ("change", "task, labels: Models › Model details…; readout: the "
                                   "Readout box above")
    assert not recurrent_part_only(loaded) and reading_lines(None) == []


@pytest.mark.parametrize("labels, shown", [
    (("0", "1"), ("class\u00a00", "class\u00a01")),  # guessed: only row numbers
    (("1", "2"), ("1", "2")),  # star ratings are names
    (("neg", "pos"), ("neg", "pos")),
])
def test_labels_that_are_row_numbers_are_named_as_rows(labels, shown) -> None:
    base = random_model("lstm", 3, input_size=2, seed=2)
    params = {**base.params, "head.weight": np.eye(2, 3, dtype=np.float32),
              "head.bias": np.zeros(2, np.float32)}
    model = Model(dataclasses.replace(base.config, task="classify", labels=labels), params)
    answer = step_readout(model.trace("the cat", loss=None), 1)
    assert answer is not None
    assert sorted(name for name, _ in answer.choices) == sorted(shown)
