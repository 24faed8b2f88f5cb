"""``rs.from_keras`` on live Keras 3 models, and files Keras saves right now: Keras's
own outputs within 1e-6, the same model from memory and from a file, and every layer,
option and activation RNN Studio cannot run refused in one line naming it."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
pytest.importorskip("h5py")

from keras_cases import MODELS, keras_output  # noqa: E402

import rnnstudio as rs  # noqa: E402
from rnnstudio.errors import ConfigError, ModelFileError  # noqa: E402

_SPEC = importlib.util.spec_from_file_location(
    "make_keras_fixtures", Path(__file__).parent / "keras_fixtures" / "make_keras_fixtures.py")
assert _SPEC is not None and _SPEC.loader is not None
fixtures = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(fixtures)
L = keras.layers
#: Keras's torch backend converts tensors with a NumPy 1 idiom (np.array(x, copy=False)).
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")



def random_model(name: str, seed: int = 3) -> keras.Model:
    """Fixture model ``name`` with random non-zero weights and biases."""
    model = fixtures.build(name, fixtures.recurrent(name, False) + fixtures.head(name))
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.6, w.shape).astype("float32")
                       for w in model.get_weights()])
    return model


@pytest.mark.parametrize("name", list(MODELS))
def test_from_keras_equals_predict_and_the_saved_file(name: str, tmp_path: Path) -> None:
    keras_model = random_model(name)
    model = rs.from_keras(keras_model, vocabulary=fixtures.VOCABULARY)
    for text in fixtures.TEXTS:
        ids = np.array([[fixtures.VOCABULARY.index(token) for token in text.split()]])
        expected = np.asarray(keras_model.predict(ids, verbose=0))[0]
        got = keras_output(model.trace(text, loss=None), MODELS[name][3])
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    path = tmp_path / f"{name}.keras"
    keras_model.save(path)
    from_file = rs.load_model(path, vocabulary=fixtures.VOCABULARY)
    assert from_file.config == model.config
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(from_file.state_dict()[key], value, err_msg=key)


def test_a_word_index_and_the_missing_vocabulary() -> None:
    keras_model = random_model("lstm")
    word_index = {token: row for row, token in enumerate(fixtures.VOCABULARY) if row}
    model = rs.from_keras(keras_model, vocabulary=word_index, labels=["neg", "mid", "pos"])
    assert model.config.tokenizer.vocabulary == ("<pad>", *fixtures.VOCABULARY[1:])
    assert model.config.labels == ("neg", "mid", "pos")
    with pytest.raises(ConfigError, match=r"^Keras model '.+': has an Embedding of 12 rows "
                                          r"but no vocabulary: pass vocabulary="):
        rs.from_keras(keras_model)


def _chain(*layers: object) -> keras.Model:
    return keras.Sequential([keras.Input((None, 4)), *layers])


REFUSED = {
    "Conv1D": (lambda: _chain(L.Conv1D(3, 2), L.LSTM(3)), r"Keras layer Conv1D \('conv1d"),
    "Lambda": (lambda: _chain(L.LSTM(3), L.Lambda(lambda x: x * 2)),
               r"layer Lambda \('lambda.*holds Python code, which RNN Studio never runs"),
    "hard_sigmoid": (lambda: _chain(L.LSTM(3, recurrent_activation="hard_sigmoid")),
                     r"recurrent_activation 'hard_sigmoid'"),
    "merge_mode": (lambda: _chain(L.Bidirectional(L.GRU(3), merge_mode="sum")),
                   r"merges with 'sum'; RNN Studio reads merge_mode='concat' only"),
    "go_backwards": (lambda: _chain(L.SimpleRNN(3, go_backwards=True)),
                     r"go_backwards=True outside a Bidirectional"),
    "activation": (lambda: _chain(L.GRU(3, activation="relu")), r"activation 'relu'"),
    "mixed cells": (lambda: _chain(L.LSTM(3, return_sequences=True), L.GRU(3)),
                    r"differ in cell \(lstm and gru\)"),
    "sizes": (lambda: _chain(L.LSTM(3, return_sequences=True), L.LSTM(5)),
              r"differ in units \(3 and 5\)"),
    "head": (lambda: _chain(L.LSTM(3), L.Dense(2, activation="relu")),
             r"Dense layer .* has activation 'relu'"),
    "two heads": (lambda: _chain(L.LSTM(3), L.Dense(4), L.Dense(2)),
                  r"layer Dense \('dense.*after the recurrent layers is not read"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_what_cannot_run_exactly_is_refused_by_name(case: str, tmp_path: Path) -> None:
    build, words = REFUSED[case]
    keras_model = build()
    with pytest.raises(ModelFileError, match=words) as info:
        rs.from_keras(keras_model)
    assert "\n" not in str(info.value)
    path = tmp_path / "refused.keras"
    keras_model.save(path)
    with pytest.raises(ModelFileError, match=words) as info:
        rs.load_model(path)
    assert str(info.value).startswith(f"{path}: ")


def test_stateful_and_subclassed_models_are_refused() -> None:
    stateful = keras.Sequential([keras.Input((None, 4), batch_size=1),
                                 L.LSTM(3, stateful=True)])
    with pytest.raises(ModelFileError, match=r"stateful=True; RNN Studio reads layers with "
                                             r"stateful=False"):
        rs.from_keras(stateful)

    class Custom(keras.Model):
        def call(self, inputs: object) -> object:
            return inputs

    with pytest.raises(ModelFileError, match=r"a Keras 'Custom' model; RNN Studio reads "
                                             r"Sequential models and functional chains"):
        rs.from_keras(Custom())
