"""What the Gradients panel draws for an exploding and a vanishing gradient (issue 11):
plain powers of ten on the axis, markers named for what happened, one alarm line."""

from __future__ import annotations

import numpy as np
from conftest import ready

from rnnstudio.gui.widgets.gradients import GradientPanel

LONG_TEXT = " ".join(f"w{index % 37}" for index in range(216))


def _panel(qtbot, session, text: str, gain: float) -> GradientPanel:  # type: ignore[no-untyped-def]
    ready(session, text, cell="rnn", hidden_size=32, gain=gain, seed=0)
    panel = GradientPanel(session)
    qtbot.addWidget(panel)
    panel.resize(1200, 500)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def test_an_exploding_gradient_reads_as_one(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    panel = _panel(qtbot, session, LONG_TEXT, gain=5.0)
    axis = panel.plot.getAxis("left")
    assert not axis.autoSIPrefix and axis.autoSIPrefixScale == 1.0
    low, high = panel.plot.getViewBox().viewRange()[1]
    labels = [text for level in axis.tickValues(low, high, 300)
              for text in axis.tickStrings(level[1], 1.0, level[0]) if text]
    assert labels and all(text.startswith("10") for text in labels), labels
    norm = session.view.layer.gradients.norms["dL/dh"]
    assert panel.exploded.xData is not None and 0 in panel.exploded.xData.astype(int)
    assert panel.vanished.xData is None or panel.vanished.xData.size == 0
    assert not panel.alarm_row.isHidden()
    assert panel.warning.text().startswith("Warning: ||dL/dh|| explodes: at step")
    step = int(np.argmax(norm))
    assert panel.go_button.text() == f"Go to step {step}"
    panel.go_button.click()
    assert session.cursor == step
    assert "exploded above 1e+06 times the curve's value at the loss's step 215" in (
        panel.explanation.text())


def test_a_vanishing_gradient_reads_as_one(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    panel = _panel(qtbot, session, LONG_TEXT[:400], gain=0.3)
    assert panel.vanished.xData.size > 0
    assert panel.exploded.xData is None or panel.exploded.xData.size == 0
    assert "vanishes" in panel.warning.text() and not panel.alarm_row.isHidden()


def test_a_healthy_gradient_raises_nothing(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    panel = _panel(qtbot, session, "the cat sat on the mat", gain=1.0)
    assert panel.alarm_row.isHidden()


def test_the_legend_is_beside_the_data_not_on_it(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    """Issue 11: inside the plot the legend hid the only curve there was at 10^0
    (||dh_T/dh_t|| of the recall GRU, steps 4-35)."""
    panel = _panel(qtbot, session, "the cat sat on the mat", gain=1.0)
    qtbot.waitUntil(lambda: bool(session.trace.grads.jacobian), timeout=5000)
    panel.grab()
    legend = panel.legend.sceneBoundingRect()
    data = panel.plot.getViewBox().sceneBoundingRect()
    assert legend.height() > 0 and not legend.intersects(data)
    names = [label.text for _, label in panel.legend.items]
    assert names[:2] == ["vanished", "exploded"] and {"dL/dh", "dL/dx"} <= set(names)
