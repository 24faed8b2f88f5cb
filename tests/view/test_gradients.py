"""The gradient curves as the window draws them: values, markers and an honest axis."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine.model import random_model
from rnnstudio.engine.trace import row_norms
from rnnstudio.view.gradients import (
    VANISHED_FRACTION,
    decade_range,
    describe_step,
    gradient_curves,
    log_safe,
    vanished_steps,
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


def test_an_exploding_gradient_gets_an_axis_that_shows_it() -> None:
    """Gain 5 on a tanh RNN: ||dL/dh_t|| grows by orders of magnitude towards step 0. The
    y range must reach the decade above the largest value, so the curve climbs off no
    edge and reads as exploding, not as a flat line at the top."""
    trace = random_model("rnn", hidden_size=32, gain=5.0, seed=0).trace(LONG_TEXT)
    curves = gradient_curves(trace, 0, "fwd")
    norm = curves.norms["dL/dh"]
    assert norm[0] > 1e6 * norm[-1]  # it really explodes backwards in time
    low, high = curves.decades
    assert 10.0 ** high >= norm.max() and 10.0 ** low <= norm[np.isfinite(norm)].min()
    assert curves.vanished_steps.size == 0 or norm[curves.vanished_steps].max() < norm.max()


def test_a_vanishing_gradient_is_marked_where_it_vanished() -> None:
    trace = random_model("rnn", hidden_size=16, gain=0.3, seed=1).trace(LONG_TEXT[:400])
    curves = gradient_curves(trace, 0, "fwd")
    norm = curves.norms["dL/dh"]
    gone = vanished_steps(norm)
    assert gone.size and gone.max() < len(norm) - 1
    assert set(gone) <= set(curves.vanished_steps)
    assert np.all(norm[gone] < VANISHED_FRACTION * norm.max())


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
