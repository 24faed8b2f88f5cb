"""The tokenizer's ``subwords`` switch in the native format: written, read back, and a
wrong value refused with the file and key named."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy

from rnnstudio.engine.config import RecurrentConfig
from rnnstudio.engine.model import Model, ModelConfig
from rnnstudio.engine.tokenizers import Tokenizer
from rnnstudio.errors import ConfigError
from rnnstudio.io import load_model, save_model

VOCABULARY = ("<unk>", "box", "##es", "crack", "##ed")


def pieced_model() -> Model:
    config = ModelConfig(RecurrentConfig("gru", 3, 4), Tokenizer("word", VOCABULARY,
                                                                 subwords=True),
                         "table", "classify", ("negative", "positive"))
    rng = np.random.default_rng(0)
    params = {name: rng.standard_normal(shape).astype(np.float32)
              for name, shape in config.expected_shapes().items()}
    return Model(config, params)


def test_a_saved_model_splits_words_the_same_after_loading(tmp_path: Path) -> None:
    path = save_model(pieced_model(), tmp_path / "pieces.safetensors")
    loaded = load_model(path)
    assert loaded.tokenizer.subwords
    assert loaded.tokenize("Boxes cracked").tokens == ["box", "##es", "crack", "##ed"]
    assert loaded.tokenize("Boxes cracked").unknown == []


@pytest.mark.parametrize(("value", "needle"), [
    ("yes", "tokenizer.subwords"), (1, "tokenizer.subwords")])
def test_a_wrong_switch_in_a_file_is_refused_naming_the_key(
        tmp_path: Path, value: object, needle: str) -> None:
    path = save_model(pieced_model(), tmp_path / "pieces.safetensors")
    tensors = safetensors.numpy.load_file(str(path))
    with open(path, "rb") as stream:
        header = json.loads(stream.read(int.from_bytes(stream.read(8), "little")))
    metadata = header["__metadata__"]
    config = json.loads(metadata["rnnstudio"])
    config["tokenizer"]["subwords"] = value
    metadata["rnnstudio"] = json.dumps(config)
    safetensors.numpy.save_file(tensors, str(path), metadata=metadata)
    with pytest.raises(ConfigError, match=needle):
        load_model(path)
