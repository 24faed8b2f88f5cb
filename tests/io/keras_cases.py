"""The Keras fixtures (``keras_fixtures/``) and how to read Keras's outputs off a trace;
shared by the file tests (h5py only) and the live Keras tests."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from rnnstudio.engine.model import Model
from rnnstudio.engine.trace import Trace

FIXTURES = Path(__file__).parent / "keras_fixtures"
with np.load(FIXTURES / "expected.npz", allow_pickle=False) as _saved:
    EXPECTED = dict(_saved)
VOCABULARY = [str(token) for token in EXPECTED["vocabulary"]]
TEXTS = [str(text) for text in EXPECTED["texts"]]
#: Model -> (readout, task, head rows, head activation) as Keras computes its output.
MODELS = {
    "lstm": ("last-step", "classify", 3, "softmax"),
    "gru_stacked": ("last-step", "classify", 2, "sigmoid"),  # Dense(1): two classes here
    "gru_v1": ("last-step", "classify", 2, "linear"),  # GRU(reset_after=False)
    "rnn_tanh_mean": ("mean", "classify", 2, "softmax"),
    "rnn_relu_max": ("max", "classify", 2, "softmax"),
    "bilstm": ("final-states", "classify", 2, "softmax"),
    "bigru_tagger": ("per-step", "tag", 4, "softmax"),
    "lstm_tagger": ("per-step", "tag", 3, "softmax"),  # TimeDistributed(Dense)
}


def unpack_models(folder: Path) -> Path:
    """The fixture models, unpacked from ``models.zip`` into ``folder``."""
    with zipfile.ZipFile(FIXTURES / "models.zip") as archive:
        archive.extractall(folder)
    return folder


def keras_output(trace: Trace, activation: str) -> np.ndarray:
    """What Keras's ``predict`` returns, from a trace's logits: per step for a tagger,
    else the last row; a linear head's logits, a softmax head's probabilities, and for
    Dense(1, sigmoid) class 1's probability."""
    logits = trace.logits
    assert logits is not None
    logits = logits if trace.config.task == "tag" else logits[-1]
    if activation == "linear":
        return logits
    probabilities = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probabilities /= probabilities.sum(axis=-1, keepdims=True)
    return probabilities[1:] if activation == "sigmoid" else probabilities


def layer_outputs(model: Model, trace: Trace, layer: int) -> np.ndarray:
    """Layer ``layer``'s h at every step, [forward, backward] as Keras concatenates."""
    return np.concatenate([trace.layer(layer, direction).h
                           for direction in model.config.recurrent.directions], axis=-1)
