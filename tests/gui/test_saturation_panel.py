"""The Saturation dock: its dots are the view's numbers for the session's layer and
direction, a click selects the unit, a text file is counted in the worker, and the dock
opens hidden, tabbed with the gradients."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ready
from PySide6.QtCore import QPoint, QPointF, Qt

from rnnstudio.engine.saturation import saturation, trace_saturation
from rnnstudio.gui.widgets.saturation_panel import SaturationPanel
from rnnstudio.io.text_stream import read_paragraphs
from rnnstudio.view.saturation import PICK_RADIUS_PX

TEXT = "the quick brown fox jumps over the lazy dog and the cat sleeps in the sun"


@pytest.fixture
def panel(qtbot, session):  # type: ignore[no-untyped-def]
    ready(session, TEXT, hidden_size=12, num_layers=2, gain=3.0)
    widget = SaturationPanel(session)
    qtbot.addWidget(widget)
    widget.resize(700, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_the_dots_are_the_views_numbers_and_follow_the_layer(panel) -> None:
    session = panel.session
    for layer in (0, 1):
        session.set_view(layer, "fwd")
        expected = trace_saturation(session.trace)
        assert list(panel.scatters) == ["i", "f", "o"]
        for gate in "ifo":
            x, y = panel.fractions(gate)
            np.testing.assert_array_equal(x, expected.left_fraction((layer, "fwd", gate)))
            np.testing.assert_array_equal(y, expected.right_fraction((layer, "fwd", gate)))
    assert panel.caption.text() == panel.scatter.caption()
    assert panel.source_label.text() == f"over this text: {len(session.trace.tokens)} steps"


def _lonely_dot(panel: SaturationPanel) -> tuple[int, int]:
    """A (gate index, unit) whose dot has no other within twice the pick radius."""
    view = panel.plot.getViewBox()
    x_px, y_px = (abs(size) for size in view.viewPixelSize())
    gates = panel.scatter.gates
    for index, points in enumerate(gates):
        for unit in range(points.left.size):
            near = sum(int(np.sum(((p.left - points.left[unit]) / x_px) ** 2
                                  + ((p.right - points.right[unit]) / y_px) ** 2
                                  < (2 * PICK_RADIUS_PX) ** 2)) for p in gates)
            if near == 1:
                return index, unit
    raise AssertionError("every dot has a neighbour")


def test_hover_names_the_dot_and_a_click_selects_its_unit(qtbot, panel) -> None:
    session = panel.session
    index, unit = _lonely_dot(panel)
    points = panel.scatter.gates[index]
    view = panel.plot.getViewBox()
    scene_point = view.mapViewToScene(QPointF(float(points.left[unit]),
                                              float(points.right[unit])))
    panel._on_moved(scene_point)
    assert panel.hover_label.text() == panel.scatter.describe(index, unit)
    session.select_unit(0 if unit else 1)
    widget_point = panel.plot_widget.mapFromScene(scene_point)
    with qtbot.waitSignal(session.unit_changed, timeout=2000):
        qtbot.mouseClick(panel.plot_widget.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(widget_point.x(), widget_point.y()))
    assert session.unit == unit
    ring_x, ring_y = panel.ring.getData()
    assert list(zip(ring_x, ring_y, strict=True)) == panel.scatter.selected(unit)


def test_a_text_file_is_counted_in_the_worker(qtbot, panel, tmp_path) -> None:
    session, job = panel.session, panel.session.saturation
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(f"{TEXT}\n\nthe dog barks at the moon\n\n{TEXT} again")
    with qtbot.waitSignal(job.changed, timeout=10_000,
                          check_params_cb=lambda: job.result is not None):
        job.count_file(corpus)
    job.wait()
    expected = saturation(session.model, read_paragraphs(corpus))
    assert job.result.to_dict() == expected.to_dict()
    x, y = panel.fractions("f")
    np.testing.assert_array_equal(x, expected.left_fraction((session.layer, "fwd", "f")))
    np.testing.assert_array_equal(y, expected.right_fraction((session.layer, "fwd", "f")))
    assert panel.source_label.text() == f"over corpus.txt: 3 paragraph(s), {expected.steps} steps"
    assert panel.text_button.isVisibleTo(panel) and not panel.cancel_button.isVisibleTo(panel)
    panel.text_button.click()
    assert job.path == "" and panel.source_label.text().startswith("over this text")


def test_a_bad_file_is_said_and_cancel_forgets_the_count(qtbot, panel, tmp_path) -> None:
    job = panel.session.saturation
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"caf\xe9\n")
    with qtbot.waitSignal(panel.session.error_raised, timeout=10_000) as raised:
        job.count_file(bad)
    job.wait()
    assert raised.args == [f"{bad}: not UTF-8 text; convert it to UTF-8"]
    job.count_file(tmp_path / "latin1.txt")
    panel.cancel_button.click()
    job.wait()
    assert (job.path, job.result, job.error) == ("", None, "")


def test_the_dock_opens_hidden_and_tabbed_with_the_gradients(qtbot, window) -> None:
    dock = window.docks["saturation"]
    assert dock.isHidden()
    window.named_actions["saturation"].trigger()
    assert dock.isVisible()
    assert dock in window.tabifiedDockWidgets(window.docks["gradients"])
    window.reset_layout()
    assert dock.isHidden()
