"""Keras ``.keras`` and legacy ``.h5`` models load with Keras's own numbers: every
recurrent layer's h at every step and the model's output equal what Keras computed
(``keras_fixtures/expected.npz``, written by ``make_keras_fixtures.py`` with Keras 3)
within 1e-6 in float32. Needs h5py only, not Keras."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from keras_cases import (
    EXPECTED,
    MODELS,
    TEXTS,
    VOCABULARY,
    keras_output,
    layer_outputs,
    unpack_models,
)

from rnnstudio import load_model
from rnnstudio.cli import main
from rnnstudio.io.model_files import read_model

pytest.importorskip("h5py")

TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture models, unpacked from ``models.zip``."""
    return unpack_models(tmp_path_factory.mktemp("keras"))


@pytest.mark.parametrize("extension", ["keras", "h5"])
@pytest.mark.parametrize("name", list(MODELS))
def test_states_and_output_equal_keras(models: Path, name: str, extension: str) -> None:
    model = load_model(models / f"{name}.{extension}", vocabulary=VOCABULARY)
    readout, task, rows, activation = MODELS[name]
    assert (model.config.readout, model.config.task) == (readout, task)
    assert model.config.head_size == rows and model.config.dtype == "float32"
    for index, text in enumerate(TEXTS):
        trace = model.trace(text, loss=None)
        assert not trace.unknown
        for layer in range(model.config.recurrent.num_layers):
            np.testing.assert_allclose(layer_outputs(model, trace, layer),
                                       EXPECTED[f"{name}.t{index}.h{layer}"], rtol=0,
                                       atol=TOLERANCE)
        np.testing.assert_allclose(keras_output(trace, activation),
                                   EXPECTED[f"{name}.t{index}.output"], rtol=0, atol=TOLERANCE)


def test_both_formats_give_the_same_model(models: Path) -> None:
    for name in MODELS:
        from_zip = load_model(models / f"{name}.keras", vocabulary=VOCABULARY)
        from_h5 = load_model(models / f"{name}.h5", vocabulary=VOCABULARY)
        assert from_zip.config == from_h5.config
        for key, value in from_zip.state_dict().items():
            np.testing.assert_array_equal(from_h5.state_dict()[key], value, err_msg=key)


def test_what_was_read_is_said(models: Path) -> None:
    loaded = read_model(models / "gru_stacked.keras", vocabulary=VOCABULARY)
    assert loaded.format.startswith("keras (Embedding mask_zero: row 0 is Keras's padding")
    assert "Dense(1, sigmoid) read as classes 0 and 1" in loaded.format
    assert loaded.config_sources == ("options", f"{models / 'gru_stacked.keras'} Keras "
                                     "configuration")
    tagger = read_model(models / "bigru_tagger.h5", vocabulary=VOCABULARY)
    assert tagger.format.startswith("keras-h5 (")
    assert tagger.notes[-1].startswith("'spatial_dropout1d")  # Keras numbers layer names
    assert tagger.notes[-1].endswith("' skipped (no effect on a trained model)")


def test_keras_word_index_starting_at_one(models: Path) -> None:
    """A Keras ``word_index`` has no index 0 (padding): row 0 becomes ``<pad>``; indices
    past the embedding's rows are dropped, rows no token names are never matched."""
    word_index = {token: row for row, token in enumerate(VOCABULARY) if row}
    word_index["zebra"] = 40  # Tokenizer(num_words=12) keeps it, the model never sees it
    del word_index["."]  # row 11 unnamed
    model = load_model(models / "lstm.keras", vocabulary=word_index)
    assert model.config.tokenizer.vocabulary == (
        "<pad>", *VOCABULARY[1:11], "<unused 11>")
    listed = load_model(models / "lstm.keras", vocabulary=VOCABULARY)
    text = TEXTS[1]
    assert model.trace(text, loss=None).logits.tolist() == \
        listed.trace(text, loss=None).logits.tolist()


def test_info_and_trace_on_the_command_line(models: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bilstm.h5"
    shutil.copy(models / "bilstm.h5", path)
    path.with_suffix(".json").write_text(json.dumps({"vocabulary": VOCABULARY}))
    out = tmp_path / "trace.npz"
    assert main(["info", str(path)]) == 0
    assert main(["trace", str(path), "--text", TEXTS[0], "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("format: keras-h5 (Dense softmax head") for line in lines), lines
    with np.load(out, allow_pickle=False) as saved:
        states = np.concatenate([saved["l0.fwd.h"], saved["l0.bwd.h"]], axis=-1)
    np.testing.assert_allclose(states, EXPECTED["bilstm.t0.h0"], rtol=0, atol=TOLERANCE)


def as_keras2(source: Path, target: Path, drop_keys: tuple[str, ...] = ()) -> Path:
    """The legacy ``.h5`` ``source`` rewritten as tf.keras 2 wrote it: no InputLayer (the
    first layer holds ``batch_input_shape``), no ``module`` keys, Keras 2's extra options,
    weights named ``layer/.../kernel:0``; ``drop_keys`` removed from every layer config."""
    h5py = pytest.importorskip("h5py")
    with h5py.File(source, "r") as keras3:
        config = json.loads(keras3.attrs["model_config"])
        arrays = {}
        for name in keras3["model_weights"].attrs["layer_names"]:
            group = keras3["model_weights"][name]
            arrays[name] = [(weight.split("/", 1)[1] + ":0", group[weight][()])
                            for weight in group.attrs["weight_names"]]
    layers = [entry for entry in config["config"]["layers"]
              if entry["class_name"] != "InputLayer"]
    for entry in layers:
        entry.pop("module", None)
        entry.pop("registered_name", None)
        for key in drop_keys:
            entry["config"].pop(key, None)
        if entry["class_name"] in ("LSTM", "GRU", "SimpleRNN"):
            entry["config"].update(time_major=False, implementation=2)
    layers[0]["config"]["batch_input_shape"] = [None, None]
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": layers}}
    with h5py.File(target, "w") as keras2:
        keras2.attrs["model_config"] = json.dumps(config)
        keras2.attrs["keras_version"] = "2.15.0"
        weights = keras2.create_group("model_weights")
        for name, named_arrays in arrays.items():
            group = weights.create_group(name)
            group.attrs["weight_names"] = [weight.encode() for weight, _ in named_arrays]
            for weight, value in named_arrays:
                group[weight] = value
    return target


@pytest.mark.parametrize("name", ["lstm", "gru_v1"])
def test_tf_keras_2_files(models: Path, tmp_path: Path, name: str) -> None:
    """tf.keras 2's legacy layout, and a GRU saved before ``reset_after`` existed (Keras
    < 2.1, whose GRU ran the reset_after=False equation)."""
    dropped = ("reset_after",) if name == "gru_v1" else ()
    path = as_keras2(models / f"{name}.h5", tmp_path / f"{name}.h5", dropped)
    old = load_model(path, vocabulary=VOCABULARY)
    new = load_model(models / f"{name}.keras", vocabulary=VOCABULARY)
    assert old.config == new.config
    for key, value in new.state_dict().items():
        np.testing.assert_array_equal(old.state_dict()[key], value, err_msg=key)


def test_a_word_index_in_a_sidecar(models: Path, tmp_path: Path) -> None:
    path = tmp_path / "lstm.h5"
    shutil.copy(models / "lstm.h5", path)
    word_index = {token: row for row, token in enumerate(VOCABULARY) if row}
    path.with_suffix(".json").write_text(json.dumps({"vocabulary": word_index}))
    assert load_model(path).config.tokenizer.vocabulary == ("<pad>", *VOCABULARY[1:])
