"""Models for the file tests: every cell, with and without embedding table and head.

(A plain module, not conftest.py, so its name cannot clash with other test folders.)
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from rnnstudio.engine.model import Model, ModelConfig, random_model
from rnnstudio.engine.tokenizers import UNK, Tokenizer

VOCABULARY = (UNK, "the", "cat", "sat", "on", "mat", ",", ".")
TEXT = "The cat sat on the mat, the dog sat."

#: id -> keyword arguments of make_model; covers every cell and file-relevant feature.
CASES: dict[str, dict[str, Any]] = {
    "lstm": {"cell": "lstm"},
    "lstm-proj-2layer-bidir": {"cell": "lstm", "proj_size": 3, "num_layers": 2,
                               "bidirectional": True},
    "gru-nobias-f64": {"cell": "gru", "bias": False, "dtype": "float64"},
    "rnn-relu": {"cell": "rnn", "nonlinearity": "relu"},
    "lstm-table-next-token": {"cell": "lstm", "vocabulary": VOCABULARY, "task": "next-token"},
    "gru-table-classify-char": {"cell": "gru", "vocabulary": VOCABULARY, "task": "classify",
                                "labels": ("neg", "pos", "mixed"), "kind": "char"},
}


def make_model(
    cell: str,
    *,
    vocabulary: tuple[str, ...] | None = None,
    task: str | None = None,
    labels: tuple[str, ...] = (),
    kind: str = "word",
    seed: int = 3,
    **recurrent: Any,
) -> Model:
    """A random model, optionally with an embedding table and a readout head."""
    base = random_model(cell, hidden_size=6, input_size=5, seed=seed, **recurrent)
    rng = np.random.default_rng(seed + 100)
    params = base.state_dict()
    dtype = params["rnn.weight_ih_l0"].dtype
    tokenizer = Tokenizer(kind, vocabulary)
    config = replace(base.config, tokenizer=tokenizer, task=task, labels=labels,
                     embedding="table" if vocabulary else "hashed", card={"note": "test"})
    if vocabulary:
        params["embedding.weight"] = rng.standard_normal((len(vocabulary), 5)).astype(dtype)
    if task:
        width = config.recurrent.output_size * config.recurrent.num_directions
        classes = config.head_size
        params["head.weight"] = rng.standard_normal((classes, width)).astype(dtype)
        params["head.bias"] = rng.standard_normal(classes).astype(dtype)
    return Model(ModelConfig.from_dict(config.to_dict()), params)


def assert_same_params(expected: Model, actual: Model) -> None:
    a, b = expected.state_dict(), actual.state_dict()
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].dtype == b[name].dtype, name
        assert a[name].tobytes() == b[name].tobytes(), name


def assert_same_trace(expected: Model, actual: Model, text: str = TEXT) -> None:
    first, second = expected.trace(text).arrays(), actual.trace(text).arrays()
    first.pop("meta"), second.pop("meta")
    assert first.keys() == second.keys()
    for key in first:
        np.testing.assert_array_equal(first[key], second[key], err_msg=key)


class PickleBomb:
    """Unpickling this creates the marker file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (str(self.marker), "w"))
