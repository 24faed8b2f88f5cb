"""The Jacobian's time estimate comes from measuring, and follows what it measures."""

from __future__ import annotations

import pytest

from rnnstudio.engine.model import random_model
from rnnstudio.view.costs import JacobianClock, jacobian_work


def test_work_counts_every_pass_and_seed() -> None:
    small = random_model("lstm", hidden_size=8, num_layers=2, bidirectional=True)
    assert jacobian_work(small, 10) == 10 * 8**2 * 8 * 2 * 2
    big = random_model("gru", hidden_size=300)
    assert jacobian_work(big, 5) == 5 * 300**2 * 64  # probes above the exact limit


def test_the_clock_calibrates_then_learns_from_real_runs() -> None:
    clock = JacobianClock()
    model = random_model("lstm", hidden_size=64)
    first = clock.rate
    assert 1e-13 < first < 1e-6  # a real measurement, not a constant or a zero
    assert clock.estimate(model, 100) == pytest.approx(jacobian_work(model, 100) * first)
    clock.record(model, 100, 2 * jacobian_work(model, 100) * first)
    assert clock.rate == pytest.approx(1.5 * first)  # halfway to the new measurement
