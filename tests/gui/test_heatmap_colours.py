"""Heatmap colours on screen after an overflow: finite values keep a usable scale, inf
and NaN cells are magenta and the colour bar says so, and the colour-scale option."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor

from rnnstudio.engine.model import random_model
from rnnstudio.errors import ConfigError
from rnnstudio.gui.session import Session
from rnnstudio.gui.widgets.heatmaps import HeatmapPanel
from rnnstudio.view.colours import NONFINITE_LABEL, NONFINITE_RGB

TEXT = " ".join(["the cat sat on the mat"] * 20)


@pytest.fixture
def panel(qtbot):  # type: ignore[no-untyped-def]
    """The heatmaps of a ReLU RNN (gain 10) whose h overflows float32 at step 68."""
    session = Session()
    model = random_model("rnn", 32, nonlinearity="relu", gain=10.0, seed=0)
    session.show_trace(model.trace(TEXT), "overflow")
    heatmaps = HeatmapPanel(session)
    qtbot.addWidget(heatmaps)
    heatmaps.resize(1280, 400)  # grab() lays it out and paints it, shown or not
    yield heatmaps
    session.shutdown()


def _pixel(panel: HeatmapPanel, step: int, unit: int, image) -> QColor:  # type: ignore[no-untyped-def]
    scene = panel.rows[0].plot.getViewBox().mapViewToScene(QPointF(step, unit))
    point = panel.graphics.mapFromScene(scene)
    return image.pixelColor(point)


def test_nonfinite_cells_are_magenta_and_finite_ones_keep_their_colours(panel) -> None:  # type: ignore[no-untyped-def]
    row = panel.rows[0]
    values = row.data.values
    last = len(panel.session.trace.tokens) - 1
    panel.session.set_cursor(last)  # nothing dimmed; the cursor line covers the last step
    image = panel.graphics.grab().toImage()
    bad_units, bad_steps = np.nonzero(~np.isfinite(values[:, :last - 1]))
    for unit, step in list(zip(bad_units, bad_steps, strict=True))[:: max(1, bad_units.size // 20)]:
        assert _pixel(panel, int(step), int(unit), image).getRgb()[:3] == NONFINITE_RGB
    finite = [_pixel(panel, step, unit, image).getRgb()[:3]
              for step in range(0, 60, 3) for unit in range(0, 32, 4)]
    assert NONFINITE_RGB not in finite
    assert len(set(finite)) > 20  # the growth before the overflow is visible


def test_the_colour_bar_names_the_nonfinite_colour_and_real_values(panel) -> None:  # type: ignore[no-untyped-def]
    row = panel.rows[0]
    assert row.scale.symlog
    labels = [label for _, label in row.bar_ticks]
    assert labels[-1] == NONFINITE_LABEL and row.bar_ticks[-1][0] > 1.0
    assert labels[0] == "0" and "5e+38" in labels
    assert "symmetric-log" in row.color_bar.toolTip().lower()


def test_the_colour_scale_option_switches_unsquashed_rows(panel) -> None:  # type: ignore[no-untyped-def]
    session, row = panel.session, panel.rows[0]
    session.set_colour_scale("linear")
    assert not row.scale.symlog and panel.scale_box.currentText() == "linear"
    assert [label for _, label in row.bar_ticks] == ["0", "2.5e+38", "5e+38", NONFINITE_LABEL]
    session.set_colour_scale("auto")
    assert row.scale.symlog
    with pytest.raises(ConfigError, match="colour scale must be one of auto, linear, symlog"):
        session.set_colour_scale("log")


def test_a_finite_tanh_trace_has_no_band(qtbot) -> None:  # type: ignore[no-untyped-def]
    session = Session()
    model = random_model("rnn", 16, seed=1)
    session.show_trace(model.trace("the cat sat"), "calm")
    heatmaps = HeatmapPanel(session)
    qtbot.addWidget(heatmaps)
    row = heatmaps.rows[0]
    assert row.scale.levels == (-1.0, 1.0) and not row.scale.symlog
    assert [label for _, label in row.bar_ticks] == ["-1", "0", "1"]
    session.shutdown()


def test_this_step_after_an_overflow_draws_finite_bars_and_marks_the_rest(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Issue 11: "This step is empty" after an overflow (its y range was the trace's
    5e38). An earlier step keeps bars of a readable height; a step whose h is inf/NaN
    shows those units as full-height bars in the non-finite colour."""
    from rnnstudio.gui.widgets.step_view import StepView

    session = Session()
    model = random_model("rnn", 32, nonlinearity="relu", gain=10.0, seed=0)
    trace = model.trace(TEXT)
    session.show_trace(trace, "overflow")
    view = StepView(session)
    qtbot.addWidget(view)
    h = trace.layers[(0, "fwd")].h
    finite_steps = np.flatnonzero(np.isfinite(h).all(axis=1))
    broken = int(np.flatnonzero(~np.isfinite(h).all(axis=1))[0])
    try:
        early = int(finite_steps[len(finite_steps) // 2])
        session.set_cursor(early)
        row = view.rows["h"]
        low, high = row.plot.getViewBox().viewRange()[1]
        assert np.isfinite([low, high]).all() and high < 1e30
        assert np.abs(h[early]).max() >= 0.2 * high  # the tallest bar is not a sliver
        np.testing.assert_array_equal(row.values, h[early])
        assert row.nonfinite.opts["x"].size == 0
        session.set_cursor(broken)
        bad = np.flatnonzero(~np.isfinite(h[broken]))
        np.testing.assert_array_equal(row.nonfinite.opts["x"], bad)
        assert row.nonfinite.opts["brush"].getRgb()[:3] == NONFINITE_RGB
    finally:
        session.shutdown()


def test_short_rows_keep_only_the_tick_labels_they_can_hold(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Issue 11: six LSTM rows above Training at 720p are ~15 px each and pyqtgraph
    printed "0 10 20 30" (and the bar's "1 0.5 0") over each other."""
    from PySide6.QtGui import QFont, QFontMetricsF

    session = Session()
    session.show_trace(random_model("lstm", 32, seed=0).trace("the cat sat on the mat"), "x")
    panel = HeatmapPanel(session)
    qtbot.addWidget(panel)
    line = QFontMetricsF(QFont()).height()
    try:
        for height, expected in ((2000, "all"), (420, "ends"), (230, "none")):
            panel.resize(900, height)
            panel.grab()  # lays the rows out
            row = panel.rows[0]
            rows_lines = row.plot.getViewBox().height() / line
            left = row.plot.getAxis("left")._tickLevels
            bar = row.color_bar.axis._tickLevels
            if expected == "all":
                assert rows_lines >= 3.5 and left is None and len(bar[0]) == 3
            elif expected == "ends":
                assert 1.8 <= rows_lines < 3.5
                assert left == [[(0, "0"), (31, "31")]] and len(bar[0]) == 2
            else:
                assert rows_lines < 1.8 and left == [[]] and bar == [[]]
    finally:
        session.shutdown()
