"""Gradient curves after an overflow: non-finite steps are gaps and named; a NaN loss
says that no gradient is defined and where a probe would see finite ones."""

from __future__ import annotations

import numpy as np

from rnnstudio.engine.losses import Probe
from rnnstudio.engine.model import random_model
from rnnstudio.view.gradients import gradient_curves

TEXT = " ".join(f"w{index % 7}" for index in range(80))


def test_a_nan_loss_names_the_overflow_and_the_step_before_it() -> None:
    model = random_model("rnn", 32, nonlinearity="relu", gain=20.0, seed=0)
    trace = model.trace(TEXT, loss=model.default_loss())
    assert trace.nonfinite is not None and trace.nonfinite.step == 45
    curves = gradient_curves(trace, 0, "fwd")
    assert curves.probe_step == 44 and curves.undefined == "No gradient: L = nan"
    assert "from step 45 (“w3”)" in curves.undefined_detail
    assert "probe loss at step 44" in curves.undefined_detail


def test_the_probe_before_the_overflow_has_finite_gradients_up_to_it() -> None:
    model = random_model("rnn", 32, nonlinearity="relu", gain=20.0, seed=0)
    trace = model.trace(TEXT, loss=Probe(44, 0, "h", 0, "fwd"))
    curves = gradient_curves(trace, 0, "fwd")
    assert curves.undefined == curves.undefined_detail == "" and curves.probe_step is None
    norms = curves.norms["dL/dh"]
    assert np.isfinite(norms).all() and (norms[:45] > 0).sum() > 30
    assert (norms[45:] == 0).all()  # the loss does not depend on later steps


def test_nonfinite_norms_are_listed_as_gaps() -> None:
    model = random_model("lstm", 16, seed=0)
    trace = model.trace("the cat sat on the mat", loss=model.default_loss())
    grad_hidden = trace.grads.h[(0, "fwd")]
    grad_hidden[:2] = np.inf
    grad_hidden[4] = np.nan
    curves = gradient_curves(trace, 0, "fwd")
    np.testing.assert_array_equal(curves.nonfinite["dL/dh"], [0, 1, 4])
    assert "dL/dx" not in curves.nonfinite
    low, high = curves.decades
    finite = curves.norms["dL/dh"][[2, 3, 5]]
    assert 10**low <= finite.min() and finite.max() <= 10**high

