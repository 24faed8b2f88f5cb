"""The gradient curves as the window draws them: values, markers and an honest axis."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine.losses import Probe
from rnnstudio.engine.model import random_model
from rnnstudio.engine.trace import row_norms
from rnnstudio.view.gradients import (
    EXPLODED_FACTOR,
    VANISHED_FRACTION,
    decade_range,
    describe_step,
    gradient_curves,
    log_safe,
    power_label,
)

LONG_TEXT = " ".join(f"w{index % 37}" for index in range(216))


def test_curves_are_the_engines_norms() -> None:
    model = random_model("lstm", hidden_size=8, num_layers=2, bidirectional=True, seed=4)
    trace = model.trace("the cat sat on the mat")
    curves = gradient_curves(trace, 1, "bwd")
    assert trace.grads is not None
    np.testing.assert_array_equal(curves.norms["dL/dh"], row_norms(trace.grads.h[1, "bwd"]))
    np.testing.assert_array_equal(curves.norms["dL/dc"], row_norms(trace.grads.c[1, "bwd"]))
    np.testing.assert_array_equal(curves.norms["dh_T/dh_t"], trace.grads.jacobian[1, "bwd"])
    assert curves.title.startswith("gradients of L = last-output-sum")
    assert "layer 1 bwd" in curves.title


def test_an_exploding_gradient_is_marked_exploded_not_vanished() -> None:
    """Issue 11: a tanh RNN at gain 5 reading 216 tokens. ||dL/dh_t|| grows by many
    decades backwards in time; relative to the curve's maximum the old rule marked most
    steps "vanished". Relative to the loss's own step it is an explosion, and the axis
    reaches the decade above the largest value."""
    trace = random_model("rnn", hidden_size=32, gain=5.0, seed=0).trace(LONG_TEXT)
    curves = gradient_curves(trace, 0, "fwd")
    norm = curves.norms["dL/dh"]
    assert norm[0] > 1e6 * norm[-1]  # it really explodes backwards in time
    marked = curves.markers["dL/dh"]
    assert marked.reference_step == 215 and marked.reference == norm[-1]
    assert marked.vanished.size == 0 and 0 in marked.exploded
    assert np.all(norm[marked.exploded] > EXPLODED_FACTOR * norm[-1])
    alarm = curves.alarm
    assert alarm is not None and (alarm.measure, alarm.kind) == ("dL/dh", "exploded")
    assert alarm.step == int(np.argmax(norm)) and alarm.ratio == norm.max() / norm[-1]
    assert alarm.text.startswith(f"||dL/dh|| explodes: at step {alarm.step} (“")
    low, high = curves.decades
    assert 10.0 ** high >= norm.max() and 10.0 ** low <= norm[np.isfinite(norm)].min()


@pytest.mark.parametrize("text", [LONG_TEXT[:400], "the cat sat on the mat " * 30],
                         ids=["numbered words", "a sentence again and again"])
def test_a_vanishing_gradient_is_marked_vanished_not_exploded(text: str) -> None:
    trace = random_model("rnn", hidden_size=16, gain=0.3, seed=1).trace(text)
    curves = gradient_curves(trace, 0, "fwd")
    norm = curves.norms["dL/dh"]
    marked = curves.markers["dL/dh"]
    assert marked.exploded.size == 0 and marked.vanished.size
    assert marked.vanished.max() < len(norm) - 1
    assert np.all(norm[marked.vanished] < VANISHED_FRACTION * norm[-1])
    assert curves.alarm is not None and curves.alarm.kind == "vanished"


def test_a_probe_is_the_reference_and_its_zeros_are_gaps_not_markers() -> None:
    """After a probe's step the loss does not depend on the state: exact zeros, drawn as
    gaps, neither vanished nor exploded."""
    model = random_model("lstm", hidden_size=8, seed=2)
    trace = model.trace("a b c d e f", loss=Probe(2, 3))
    curves = gradient_curves(trace, 0, "fwd")
    marked = curves.markers["dL/dh"]
    assert marked.reference_step == 2 and curves.zeros
    assert not set(marked.vanished) & {3, 4, 5} and not set(marked.exploded) & {3, 4, 5}
    assert curves.markers["dh_T/dh_t"].reference_step == 5


def test_a_healthy_gradient_raises_no_alarm() -> None:
    trace = random_model("lstm", hidden_size=16, seed=3).trace("the cat sat on the mat")
    curves = gradient_curves(trace, 0, "fwd")
    assert curves.alarm is None
    assert all(not found.vanished.size and not found.exploded.size
               for found in curves.markers.values())


@pytest.mark.parametrize(("exponent", "label"), [(-3, "10⁻³"), (0, "10⁰"), (17, "10¹⁷"),
                                                 (-170, "10⁻¹⁷⁰"), (2.5, "")])
def test_log_axis_labels_are_plain_powers_of_ten(exponent: float, label: str) -> None:
    assert power_label(exponent) == label


@pytest.mark.parametrize(("values", "expected"), [
    ([np.array([3.0, 0.02])], (-2.0, 1.0)),
    ([np.array([5.0, 5.0])], (0.0, 1.0)),           # one value: still a whole decade
    ([np.array([0.0, np.nan, np.inf])], None),       # nothing a log axis can show
    ([np.array([1e-170, 1e17])], (-170.0, 17.0)),
])
def test_decade_range(values: list[np.ndarray], expected: tuple[float, float] | None) -> None:
    assert decade_range(values) == expected


def test_zeros_and_non_finite_values_are_gaps_on_a_log_axis() -> None:
    safe = log_safe(np.array([1.0, 0.0, -2.0, np.inf, np.nan, 1e-300]))
    assert np.isnan(safe[1:5]).all() and safe[0] == 1.0 and safe[5] == 1e-300


def test_hover_text_names_the_token_and_every_norm() -> None:
    trace = random_model("gru", hidden_size=4, seed=2).trace("one two three")
    curves = gradient_curves(trace, 0, "fwd")
    text = describe_step(trace, curves, 1)
    assert text is not None and text.startswith("step 1 “two”")
    assert f"||dL/dh|| = {curves.norms['dL/dh'][1]:.3g}" in text
    assert describe_step(trace, curves, 3) is None
