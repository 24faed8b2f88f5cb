"""Regenerate the Keras fixtures: tiny models saved as ``.keras`` and legacy ``.h5``,
and Keras's own outputs on two texts (``expected.npz``), so the parity tests run
without Keras (they need only h5py).

The model files are kept deflated in one archive, ``models.zip`` (44 KB instead of
380 KB: HDF5 files are mostly padding); the tests unpack it. Run from the repository
root with Keras 3 installed (any backend; torch here):
``KERAS_BACKEND=torch python tests/io/keras_fixtures/make_keras_fixtures.py``.

Weights and biases are drawn at random (Keras starts biases at zero, which would hide a
bias in the wrong place). ``expected.npz`` holds, per model ``M`` and text ``j``:
``M.tj.output`` (what ``model.predict`` returns) and ``M.tj.h{k}`` (T, D), recurrent
layer k's output at every step, from a twin model whose recurrent layers all return
their sequences (a Bidirectional layer's is [forward, backward], aligned in time).
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402

L = keras.layers
HERE = Path(__file__).parent
VOCABULARY = ["<pad>", "<unk>", "the", "cat", "sat", "on", "mat", "a", "dog", "ran", "to", "."]
TEXTS = ["the cat sat on the mat .", "a dog ran to the cat"]


def recurrent(name: str, sequences: bool) -> list:
    """The recurrent layers of model ``name``; ``sequences``: the last one returns its
    sequence too (the twin that exposes h at every step)."""
    return {
        "lstm": [L.LSTM(3, return_sequences=sequences)],
        "gru_stacked": [L.GRU(3, return_sequences=True), L.GRU(3, return_sequences=sequences)],
        "gru_v1": [L.GRU(3, reset_after=False, return_sequences=sequences)],
        "rnn_tanh_mean": [L.SimpleRNN(3, return_sequences=True)],
        "rnn_relu_max": [L.SimpleRNN(3, activation="relu", return_sequences=True),
                         L.SimpleRNN(3, activation="relu", return_sequences=True)],
        "bilstm": [L.Bidirectional(L.LSTM(3, return_sequences=sequences))],
        "bigru_tagger": [L.Bidirectional(L.GRU(3, return_sequences=True))],
        "lstm_tagger": [L.LSTM(3, return_sequences=True)],
    }[name]


def head(name: str) -> list:
    return {
        "lstm": [L.Dense(3, activation="softmax")],
        "gru_stacked": [L.Dense(1, activation="sigmoid")],
        "gru_v1": [L.Dense(2)],
        "rnn_tanh_mean": [L.GlobalAveragePooling1D(), L.Dense(2, activation="softmax")],
        "rnn_relu_max": [L.GlobalMaxPooling1D(), L.Dense(2, activation="softmax")],
        "bilstm": [L.Dropout(0.5), L.Dense(2, activation="softmax")],
        "bigru_tagger": [L.SpatialDropout1D(0.1), L.Dense(4, activation="softmax")],
        "lstm_tagger": [L.TimeDistributed(L.Dense(3, activation="softmax"))],
    }[name]


#: Models built with the functional API (the others are Sequential).
FUNCTIONAL = ("rnn_relu_max", "bilstm")
#: Models whose Embedding masks index 0.
MASK_ZERO = ("gru_stacked",)


def build(name: str, layers: list) -> keras.Model:
    embedding = L.Embedding(len(VOCABULARY), 4, mask_zero=name in MASK_ZERO)
    if name not in FUNCTIONAL:
        return keras.Sequential([keras.Input((None,), dtype="int32"), embedding, *layers])
    inputs = keras.Input((None,), dtype="int32")
    outputs = embedding(inputs)
    for layer in layers:
        outputs = layer(outputs)
    return keras.Model(inputs, outputs)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        save_fixtures(Path(folder))


def save_fixtures(folder: Path) -> None:
    keras.utils.set_random_seed(12)
    rng = np.random.default_rng(12)
    ids = [np.array([[VOCABULARY.index(token) for token in text.split()]]) for text in TEXTS]
    expected: dict[str, np.ndarray] = {"vocabulary": np.array(VOCABULARY),
                                       "texts": np.array(TEXTS)}
    for name in ("lstm", "gru_stacked", "gru_v1", "rnn_tanh_mean", "rnn_relu_max", "bilstm",
                 "bigru_tagger", "lstm_tagger"):
        model = build(name, recurrent(name, False) + head(name))
        for layer in model.layers:
            layer.set_weights([rng.normal(0, 0.6, w.shape).astype("float32")
                               for w in layer.get_weights()])
        twin = build(name, recurrent(name, True))
        twin.set_weights(model.get_weights()[:len(twin.get_weights())])
        probe = keras.Model(twin.inputs, [layer.output for layer in twin.layers[-len(
            recurrent(name, True)):]])
        for text, text_ids in enumerate(ids):
            expected[f"{name}.t{text}.output"] = np.asarray(model.predict(text_ids, verbose=0))[0]
            states_by_layer = probe.predict(text_ids, verbose=0)
            if not isinstance(states_by_layer, list):  # one output: not wrapped in a list
                states_by_layer = [states_by_layer]
            for k, states in enumerate(states_by_layer):
                expected[f"{name}.t{text}.h{k}"] = np.asarray(states)[0]
        for extension in ("keras", "h5"):
            model.save(folder / f"{name}.{extension}")
    np.savez_compressed(HERE / "expected.npz", **expected)
    with zipfile.ZipFile(HERE / "models.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, path.name)


if __name__ == "__main__":
    main()
