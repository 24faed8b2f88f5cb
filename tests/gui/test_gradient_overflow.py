"""The Gradients panel after an overflow: never an unexplained empty plot, and one
click to the gradients before the overflow."""

from __future__ import annotations

import numpy as np
from conftest import wait_for_trace

from rnnstudio.engine.losses import Probe
from rnnstudio.gui.session import Session
from rnnstudio.gui.widgets.gradients import GradientPanel
from rnnstudio.io.model_source import RandomModelSpec

TEXT = " ".join(f"w{index % 7}" for index in range(80))


def test_a_nan_loss_is_explained_and_the_probe_button_shows_finite_curves(qtbot) -> None:  # type: ignore[no-untyped-def]
    session = Session()
    panel = GradientPanel(session)
    qtbot.addWidget(panel)
    spec = RandomModelSpec(cell="rnn", nonlinearity="relu", gain=20.0)
    wait_for_trace(qtbot, session, lambda: session.set_random_model(spec, TEXT))
    assert not np.isfinite(session.trace.grads.loss_value)
    assert panel.undefined_text.isVisible()
    assert panel.undefined_text.toPlainText() == "No gradient: L = nan"
    assert "no gradient is defined" in panel.explanation.text()
    probe = session.view.layer.gradients.probe_step
    assert probe is not None and panel.probe_button.text() == f"Gradients up to step {probe}"
    assert not panel.probe_button.isHidden()
    wait_for_trace(qtbot, session, panel.probe_button.click)
    assert session.loss == Probe(probe, session.unit, "h", 0, "fwd")
    assert np.isfinite(session.trace.grads.loss_value)
    shown = panel.curves["dL/dh"].yData
    assert np.isfinite(shown[:probe + 1]).sum() > probe // 2  # the finite part is drawn
    assert not panel.undefined_text.isVisible() and panel.probe_button.isHidden()
    session.shutdown()
