"""Property tests over hostile input to the Python API: random model specs (valid and
not), texts (any Unicode, control characters, lone surrogates, empty, too long) and
losses (every ``parse_loss`` form with random numbers, and noise).

Two properties: only RNN Studio's own errors (:class:`RnnStudioError`) are raised, and
a trace holding any NaN or infinite value says where (``trace.nonfinite`` or
``grads.nonfinite`` names a step of the text).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from rnnstudio.engine.losses import parse_loss
from rnnstudio.engine.model import random_model
from rnnstudio.engine.trace import Trace
from rnnstudio.errors import ConfigError, RnnStudioError
from rnnstudio.limits import MAX_GAIN, MAX_HIDDEN_SIZE, MAX_LAYERS, MAX_SEED, MAX_TOKENS


def mostly(common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``common`` three times in four, else ``rare`` (``one_of`` would pick evenly)."""
    return st.integers(0, 3).flatmap(lambda pick: common if pick else rare)


def hostile_sizes(low: int, limit: int) -> st.SearchStrategy[Any]:
    """What a caller might wrongly pass as a size: out of range, absurd, or not a
    whole number at all."""
    return st.one_of(st.integers(limit + 1, 10**30), st.integers(-10**12, low - 1),
                     st.floats(allow_nan=True), st.booleans(), st.none(), st.text(max_size=3))


@st.composite
def valid_specs(draw: st.DrawFn) -> dict[str, Any]:
    """Small models within every limit, so they are built and traced quickly."""
    cell = draw(st.sampled_from(["rnn", "lstm", "gru"]))
    hidden = draw(st.integers(1, 6))
    return {
        "cell": cell, "hidden_size": hidden, "input_size": draw(st.integers(1, 5)),
        "num_layers": draw(st.integers(1, 3)), "bidirectional": draw(st.booleans()),
        "proj_size": draw(st.integers(0, hidden - 1)) if cell == "lstm" else 0,
        "nonlinearity": draw(st.sampled_from(["tanh", "relu"])),
        "dtype": draw(st.sampled_from(["float32", "float64"])),
        "seed": draw(st.integers(0, MAX_SEED)),
        # large gains overflow within a few steps: the non-finite property needs them
        "gain": draw(st.one_of(st.floats(-3, 3), st.floats(-MAX_GAIN, MAX_GAIN))),
    }


HOSTILE_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "cell": st.one_of(st.text(max_size=4), st.integers()),
    "hidden_size": hostile_sizes(1, MAX_HIDDEN_SIZE),
    "input_size": hostile_sizes(1, MAX_HIDDEN_SIZE),
    "num_layers": hostile_sizes(1, MAX_LAYERS),
    "proj_size": hostile_sizes(0, MAX_HIDDEN_SIZE),
    "bidirectional": st.one_of(st.integers(), st.text(max_size=3), st.none()),
    "nonlinearity": st.text(max_size=5),
    "dtype": st.sampled_from(["float16", "int8", "", "complex128"]),
    "seed": st.one_of(st.integers(max_value=-1), st.integers(min_value=MAX_SEED + 1),
                      st.floats()),
    "gain": st.one_of(st.floats(min_value=MAX_GAIN, exclude_min=True),
                      st.floats(max_value=-MAX_GAIN, exclude_max=True),
                      st.sampled_from([float("nan"), float("inf"), -float("inf")]),
                      st.text(max_size=3), st.integers(min_value=10**7)),
}


@st.composite
def hostile_specs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid spec with one argument replaced by a hostile value."""
    spec = draw(valid_specs())
    key = draw(st.sampled_from(sorted(HOSTILE_VALUES)))
    return {**spec, key: draw(HOSTILE_VALUES[key])}


@st.composite
def exploding_specs(draw: st.DrawFn) -> dict[str, Any]:
    """A ReLU RNN with a large gain: its state overflows float32 within a few tokens."""
    spec = draw(valid_specs())
    return {**spec, "cell": "rnn", "nonlinearity": "relu", "proj_size": 0,
            "hidden_size": draw(st.integers(2, 6)), "gain": draw(st.floats(1e3, MAX_GAIN))}


specs = mostly(st.one_of(valid_specs(), exploding_specs()), hostile_specs())

words = st.lists(st.text(st.characters(whitelist_categories=("Ll", "Nd")), min_size=1,
                        max_size=6), min_size=10, max_size=30).map(" ".join)
texts = mostly(words, st.one_of(  # mostly traceable: the non-finite property needs traces
    st.text(st.characters(blacklist_categories=()), max_size=40),  # surrogates included
    st.text(st.sampled_from("ab \x00\x1b\t\n\u202e.é"), max_size=40),
    st.just(""), st.just("   \n\t "), st.just("a " * (MAX_TOKENS + 1)),
    st.lists(st.text(max_size=5), max_size=6),  # ready tokens
))

numbers = st.one_of(st.integers(-10, 10), st.integers(-10**30, 10**30))
valid_losses = st.one_of(st.sampled_from(["default", None, "last-output-sum"]),
                         st.builds("probe:{}:{}".format, st.integers(-1, 0), st.integers(-1, 0)))
losses = mostly(valid_losses, st.one_of(
    st.sampled_from(["next-token", "class", "tag"]),  # a bare cell has no head
    st.builds("probe:{}:{}".format, numbers, numbers),
    st.builds("probe:{}:{}:{}:{}:{}".format, numbers, numbers, st.sampled_from("hcx"),
              numbers, st.sampled_from(["fwd", "bwd", "up"])),
    st.builds("tag:{}:{}".format, numbers, st.text(max_size=4)),
    st.builds("class:{}".format, st.one_of(numbers, st.text(max_size=4))),
    st.text(max_size=12),
))


OVERFLOWING = {"cell": "rnn", "hidden_size": 3, "nonlinearity": "relu", "gain": 1e5, "seed": 1}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs, texts, losses, st.booleans())
@example(OVERFLOWING, " ".join("abcdefghijklmnopqrst"), "last-output-sum", True)  # inf at 9
def test_only_own_errors_and_every_nonfinite_value_is_located(
        spec: dict[str, Any], text: Any, loss: Any, jacobian: bool) -> None:
    try:
        model = random_model(**spec)
        trace = model.trace(text, loss=loss, jacobian=jacobian)
    except RnnStudioError as error:
        assert str(error) and "\n" not in str(error)
        event(f"refused: {type(error).__name__}")
        return
    event("traced" + (" with non-finite values" if trace.nonfinite else ""))
    _assert_nonfinite_located(trace)


def test_the_overflowing_example_is_located() -> None:
    """The explicit example above really overflows, so the property's located branch
    runs on every test run, not only when the generator finds an overflow."""
    trace = random_model(**OVERFLOWING).trace(" ".join("abcdefghijklmnopqrst"))
    assert trace.nonfinite is not None and trace.nonfinite.step == 9
    _assert_nonfinite_located(trace)


def _assert_nonfinite_located(trace: Trace) -> None:
    steps = len(trace.tokens)
    states = [array for layer in trace.layers.values()
              for array in (layer.h, layer.c) if array is not None]
    if trace.logits is not None:
        states.append(trace.logits)
    if any(not np.isfinite(array).all() for array in states):
        assert trace.nonfinite is not None and 0 <= trace.nonfinite.step < steps
    grads = trace.grads
    if grads is None:
        return
    gradients = [*grads.h.values(), *grads.c.values()]
    bad_gradient = any(not np.isfinite(array).all() for array in gradients)
    if bad_gradient or not np.isfinite(grads.loss_value):
        where = grads.nonfinite or trace.nonfinite
        assert where is not None and 0 <= where.step < steps


@settings(max_examples=60, deadline=None)
@given(losses)
def test_parse_loss_raises_only_config_errors(text: Any) -> None:
    if not isinstance(text, str):
        return
    try:
        loss = parse_loss(text)
    except ConfigError as error:
        assert "\n" not in str(error)
        return
    assert parse_loss(loss.name) == loss  # what parses, round-trips
