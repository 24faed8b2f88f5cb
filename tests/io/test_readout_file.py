"""The readout travels with the model: native file, JSON config, overrides and the CLI."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from rnnstudio.cli import main
from rnnstudio.engine.model import Model, ModelConfig, random_model
from rnnstudio.engine.tokenizers import Tokenizer
from rnnstudio.errors import ConfigError
from rnnstudio.io.model_files import load_model, save_model

TEXT = "the cat sat on the mat"


def classifier(readout: str) -> Model:
    base = random_model("gru", 4, input_size=3, num_layers=2, bidirectional=True, seed=2,
                        dtype="float64")
    rng = np.random.default_rng(0)
    params = {**base.params, "head.weight": rng.normal(size=(2, 8)),
              "head.bias": rng.normal(size=2)}
    config = dataclasses.replace(base.config, task="classify", labels=("neg", "pos"),
                                 readout=readout, tokenizer=Tokenizer("word"))
    return Model(config, params)


@pytest.mark.parametrize("extension", [".safetensors", ".npz"])
def test_readout_is_written_and_read_back(tmp_path: Path, extension: str) -> None:
    model = classifier("final-states")
    path = save_model(model, tmp_path / f"model{extension}")
    loaded = load_model(path)
    assert loaded.config.readout == "final-states"
    assert np.array_equal(loaded.trace(TEXT, loss=None).logits,
                          model.trace(TEXT, loss=None).logits)


def test_override_changes_the_verdict_and_json_round_trips(tmp_path: Path) -> None:
    path = save_model(classifier("last-step"), tmp_path / "model.safetensors")
    pooled = load_model(path, readout="mean")
    assert pooled.config.readout == "mean"
    assert not np.allclose(pooled.trace(TEXT, loss=None).logits[-1],
                           load_model(path).trace(TEXT, loss=None).logits[-1])
    data = json.loads(json.dumps(pooled.config.to_dict()))
    assert data["readout"] == "mean"
    assert ModelConfig.from_dict(data) == pooled.config


def test_unknown_readout_in_a_file_is_refused_naming_it_and_the_choices(tmp_path):
    path = save_model(classifier("last-step"), tmp_path / "model.safetensors")
    (tmp_path / "model.json").write_text(json.dumps({"readout": "pooled"}))
    with pytest.raises(ConfigError) as caught:
        load_model(path)
    message = str(caught.value)
    assert "\n" not in message and "readout" in message and "'pooled'" in message
    assert all(choice in message for choice in ("last-step", "final-states", "mean", "max",
                                                 "per-step"))


def test_random_model_takes_a_readout_and_refuses_a_pooled_one_without_a_head():
    assert random_model("lstm", 4, readout="per-step").config.readout == "per-step"
    assert random_model("lstm", 4).config.readout == "last-step"
    with pytest.raises(ConfigError, match="the max readout gives one verdict per text"):
        random_model("lstm", 4, readout="max")


def test_summary_names_the_readout_of_a_model_with_a_head():
    """The Model dock and ``info``'s model line show it; a bare cell has no head to read."""
    assert "readout final-states, " in classifier("final-states").summary()
    assert "readout" not in random_model("lstm", 4).summary()


def test_cli_info_prints_the_readout_and_takes_the_option(tmp_path: Path, capsys) -> None:
    path = save_model(classifier("final-states"), tmp_path / "model.safetensors")
    assert main(["info", str(path)]) == 0
    assert "readout: final-states" in capsys.readouterr().out.splitlines()
    assert main(["info", str(path), "--readout", "max"]) == 0
    assert "readout: max" in capsys.readouterr().out.splitlines()


def test_cli_trace_reads_the_chosen_readout(tmp_path: Path) -> None:
    path = save_model(classifier("last-step"), tmp_path / "model.safetensors")
    out = tmp_path / "trace.npz"
    assert main(["trace", str(path), "--text", TEXT, "--readout", "final-states",
                 "--out", str(out)]) == 0
    expected = load_model(path, readout="final-states").trace(TEXT, loss=None).logits
    from rnnstudio.io.trace_read import load_trace

    assert np.allclose(load_trace(out).logits, expected, rtol=0, atol=1e-12)
