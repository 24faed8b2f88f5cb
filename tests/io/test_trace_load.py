"""A saved trace opens as the engine's Trace, equal to the one saved, in every array and
field; a file that is not one gets a one-line message naming it, never a traceback."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from model_cases import TEXT

from rnnstudio.engine.jsonable import to_jsonable
from rnnstudio.engine.model import Model, random_model
from rnnstudio.engine.trace import NonFinite, Trace
from rnnstudio.io import is_trace_file, load_model, load_trace, save_model, save_trace
from rnnstudio.models_index import find_model

#: Shipped models with a head of each kind: classify, tag (bidirectional), next-token.
SHIPPED = {"recall-rnn": "alice is allergic to nuts . so she cannot eat the",
           "idioms-gru": "he spilled the beans about the party",
           "charlm-lstm": "the cat sat"}


def split(arrays: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """``trace.arrays()`` as ``from_arrays`` takes it: arrays, and meta decoded."""
    arrays = dict(arrays)
    return arrays, json.loads(str(arrays.pop("meta")))


def _same(expected: np.ndarray | None, actual: np.ndarray | None, what: str) -> None:
    """Same dtype, shape and numbers, NaN where NaN and -0.0 where -0.0: bit for bit but
    for NaN payloads, which JSON's "NaN" does not keep."""
    if expected is None:
        assert actual is None, what
        return
    assert actual is not None, what
    expected, actual = np.asarray(expected), np.asarray(actual)
    assert (actual.dtype, actual.shape) == (expected.dtype, expected.shape), what
    np.testing.assert_array_equal(actual, expected, err_msg=what)
    if expected.dtype.kind == "f":
        numbers = ~np.isnan(expected)
        assert np.array_equal(np.signbit(actual[numbers]), np.signbit(expected[numbers])), what


def _same_dicts(expected: dict[Any, np.ndarray], actual: dict[Any, np.ndarray], what: str) -> None:
    assert set(actual) == set(expected), what
    for key, value in expected.items():
        _same(value, actual[key], f"{what} {key}")


def _same_nonfinite(expected: NonFinite | None, actual: NonFinite | None) -> None:
    assert (actual is None) == (expected is None)
    if expected is not None and actual is not None:
        np.testing.assert_equal(asdict(actual), asdict(expected))  # NaN equals NaN here


def assert_same_trace(expected: Trace, actual: Trace) -> None:
    """Every field of a Trace, except what files do not keep (weight and h0/c0 grads)."""
    assert actual.config == expected.config
    assert actual.config.card == expected.config.card  # card is not part of ==
    assert (actual.tokens, actual.unknown) == (expected.tokens, expected.unknown)
    _same(expected.token_ids, actual.token_ids, "token_ids")
    _same(expected.x, actual.x, "x")
    assert list(actual.layers) == list(expected.layers)
    for key, layer in expected.layers.items():
        other = actual.layers[key]
        _same(layer.h, other.h, f"h {key}")
        _same(layer.c, other.c, f"c {key}")
        assert list(other.gates) == list(layer.gates)
        _same_dicts(layer.gates, other.gates, f"gates {key}")
    _same(expected.logits, actual.logits, "logits")
    _same_nonfinite(expected.nonfinite, actual.nonfinite)
    assert actual.seconds == expected.seconds
    _same(expected.h0, actual.h0, "h0")
    _same(expected.c0, actual.c0, "c0")
    assert (actual.grads is None) == (expected.grads is None)
    if expected.grads is not None and actual.grads is not None:
        grads, other_grads = expected.grads, actual.grads
        assert other_grads.loss_name == grads.loss_name
        np.testing.assert_equal(other_grads.loss_value, grads.loss_value)  # NaN == NaN here
        for name in ("h", "c", "jacobian"):
            _same_dicts(getattr(grads, name), getattr(other_grads, name), f"grad {name}")
        _same(grads.x, other_grads.x, "grad x")
        _same_nonfinite(grads.nonfinite, other_grads.nonfinite)
        assert other_grads.params == {} and other_grads.h0 is None and other_grads.c0 is None
    meta = json.dumps(to_jsonable(actual.meta), sort_keys=True)
    assert meta == json.dumps(to_jsonable(expected.meta), sort_keys=True)


def _traces() -> dict[str, Trace]:
    """Every cell, 1-2 layers, bidirectional, projections, every head, initial states,
    no loss, and a trace that overflowed forward and backward."""
    traces: dict[str, Trace] = {}
    for key, text in SHIPPED.items():
        traces[key] = load_model(str(find_model(key).path)).trace(text)
    for cell in ("rnn", "lstm", "gru"):
        model = random_model(cell, 4, input_size=3, num_layers=2, bidirectional=True, seed=5)
        traces[f"{cell}-2layer-bidir"] = model.trace("the cat sat on", loss="probe:1:2")
    lstm = random_model("lstm", 5, input_size=3, num_layers=2, proj_size=2, seed=6)
    rng = np.random.default_rng(0)
    traces["lstm-proj-initial-states"] = lstm.trace(
        "one two three", jacobian=False, h0=rng.standard_normal((2, 2)),
        c0=rng.standard_normal((2, 5)))
    traces["gru-no-loss"] = random_model("gru", 3, seed=7).trace("a b", loss=None)
    # A pooled readout: the rebuilt config must say how the verdict was read.
    sentiment = load_model(str(find_model("sentiment-lstm").path), readout="mean")
    traces["sentiment-mean-readout"] = sentiment.trace("the film was not good")
    traces["gru-reset-before"] = random_model("gru", 3, seed=8, reset_after=False).trace("a b")
    exploding = random_model("rnn", 32, nonlinearity="relu", gain=200.0, seed=1)
    overflow = exploding.trace("word " * 300, grad_dtype="float32")
    assert overflow.grads is not None
    # Backward rarely overflows (float64 scale per step), so its record is made here.
    overflow.grads.nonfinite = NonFinite(3, 0, "fwd", "grad h", 5, float("nan"), "it's")
    traces["rnn-overflow"] = overflow
    return traces


TRACES = _traces()


def test_the_readout_and_the_reset_form_are_kept(tmp_path: Path) -> None:
    loaded = load_trace(save_trace(TRACES["sentiment-mean-readout"], tmp_path / "t.npz"))
    assert loaded.config.readout == "mean"
    loaded = load_trace(save_trace(TRACES["gru-reset-before"], tmp_path / "g.json"))
    assert loaded.config.recurrent.reset_after is False


def test_the_overflow_case_overflowed() -> None:
    trace = TRACES["rnn-overflow"]
    assert trace.nonfinite is not None and np.isinf(trace.nonfinite.value)
    assert np.isinf(trace.layer(0).h).any()


@pytest.mark.parametrize("name", list(TRACES))
def test_from_arrays_rebuilds_the_trace(name: str) -> None:
    trace = TRACES[name]
    assert_same_trace(trace, Trace.from_arrays(*split(trace.arrays())))


def test_every_file_model_case_round_trips(model: Model) -> None:
    trace = model.trace(TEXT + " zebra")
    assert_same_trace(trace, Trace.from_arrays(*split(trace.arrays())))


@pytest.mark.parametrize("extension", [".npz", ".json"])
@pytest.mark.parametrize("name", list(TRACES))
def test_save_and_load_give_the_same_trace(tmp_path: Path, name: str, extension: str) -> None:
    trace = TRACES[name]
    path = save_trace(trace, tmp_path / f"trace{extension}")
    assert is_trace_file(path)
    assert_same_trace(trace, load_trace(path))


def test_a_file_without_the_new_meta_keys_still_opens(tmp_path: Path) -> None:
    """Format 1 as rnnstudio 0.1 wrote it: a bare cell's config, nonfinite as a message."""
    trace = TRACES["rnn-overflow"]
    arrays, meta = split(trace.arrays())
    for key in ("task", "embedding", "vocabulary", "lowercase", "card", "nonfinite_at",
                "grad_nonfinite_at", "seconds"):
        del meta[key]
    np.savez(tmp_path / "old.npz", meta=np.array(json.dumps(meta)), **arrays)
    loaded = load_trace(tmp_path / "old.npz")
    _same_nonfinite(trace.nonfinite, loaded.nonfinite)  # read back from the message
    assert loaded.config.recurrent == trace.config.recurrent
    assert (loaded.config.task, loaded.config.tokenizer.open) == (None, True)
    assert loaded.grads is not None and loaded.grads.nonfinite is None  # 0.1 did not keep it
    shipped = TRACES["recall-rnn"]
    arrays, meta = split(shipped.arrays())
    for key in ("task", "embedding", "vocabulary", "lowercase", "card"):
        del meta[key]
    old = Trace.from_arrays(arrays, meta)
    assert old.config.labels == shipped.config.labels and old.config.task is None
    _same(shipped.logits, old.logits, "logits")  # C is the logits' own width


@pytest.mark.parametrize("token", ["plain", "it's", 'say "hi"', "a\nb", "naïve", ")"])
def test_nonfinite_message_reads_back(token: str) -> None:
    for value in (float("nan"), float("inf"), -float("inf"), 1e308):
        record = NonFinite(12, 1, "bwd", "grad h", 3, value, token)
        again = NonFinite.from_message(record.message())
        assert again is not None
        assert (again.step, again.layer, again.direction, again.quantity, again.unit,
                again.token) == (12, 1, "bwd", "grad h", 3, token)
        np.testing.assert_equal(again.value, value)
    assert NonFinite.from_message("non-finite value: something else") is None


def test_csv_is_refused_by_load_trace_and_models_are_not_traces(tmp_path: Path) -> None:
    from rnnstudio.errors import ExportError

    csv_path = save_trace(TRACES["gru-no-loss"], tmp_path / "t.csv")
    assert is_trace_file(csv_path)
    with pytest.raises(ExportError, match=r"t\.csv: a CSV trace .* save the trace as \.npz "
                                          r"or \.json"):
        load_trace(csv_path)
    model = random_model("gru", 3, seed=7)
    save_model(model, tmp_path / "model.npz")
    save_model(model, tmp_path / "model.safetensors")
    assert not is_trace_file(tmp_path / "model.npz")
    assert not is_trace_file(tmp_path / "model.safetensors")
    assert not is_trace_file(tmp_path / "missing.npz")
    with pytest.raises(ExportError, match=r"model\.npz: no meta, so not an RNN Studio trace"):
        load_trace(tmp_path / "model.npz")
