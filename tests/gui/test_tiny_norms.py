"""The gradient panel's norms keep vanished gradients: 1e-170 has a norm of 1e-170, and
the log axis can show it (``np.linalg.norm`` squares it to 0)."""

from __future__ import annotations

import numpy as np

from rnnstudio.engine import random_model
from rnnstudio.view.gradients import gradient_norms


def test_norms_of_gradients_far_below_float32_range() -> None:
    model = random_model("rnn", 8, gain=0.3, seed=2, dtype="float64")
    trace = model.trace(" ".join(f"w{i % 7}" for i in range(250)))
    norms = gradient_norms(trace, 0, "fwd")
    first = trace.grads.h[0, "fwd"][0]
    assert 0 < np.abs(first).max() < 1e-160
    peak = np.abs(first).max()
    expected = peak * np.sqrt(((first / peak) ** 2).sum())
    assert norms["dL/dh"][0] > 0
    np.testing.assert_allclose(norms["dL/dh"][0], expected, rtol=1e-12)
    assert (norms["dL/dx"] > 0).all() and (norms["dh_T/dh_t"] > 0).all()
