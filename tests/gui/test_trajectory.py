"""The Trajectory dock: the plotted points are the view's projections, a click moves the
cursor, the cursor's point follows it, a second text is drawn in the same basis, the basis
exports, and the dock opens tabbed with the gradients."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import wait_for_trace
from PySide6.QtCore import QPoint, QPointF, Qt

from rnnstudio import load_basis
from rnnstudio.gui.widgets.trajectory import TrajectoryPanel

BRACKETS = "(()(()))((()))"


@pytest.fixture
def panel(qtbot, session):  # type: ignore[no-untyped-def]
    widget = TrajectoryPanel(session)
    qtbot.addWidget(widget)
    widget.resize(760, 360)
    wait_for_trace(qtbot, session, lambda: session.open_shipped_model("brackets-lstm",
                                                                      BRACKETS))
    with qtbot.waitSignal(session.trajectory.changed, timeout=10_000):
        widget.show()
    return widget


def _projection(session, quantity: str = "h") -> np.ndarray:  # type: ignore[no-untyped-def]
    basis = session.trajectory.result.main.basis
    record = session.trace.layer(0)
    states = (record.h if quantity == "h" else record.c).astype(np.float64)
    return (states - states.mean(axis=0)) @ basis.components.T


def test_the_plotted_points_are_the_projections(session, panel) -> None:  # type: ignore[no-untyped-def]
    basis = session.trajectory.result.main.basis
    hidden = session.trace.layer(0).h.astype(np.float64)
    centred = hidden - hidden.mean(axis=0)
    _, singular, rows = np.linalg.svd(centred, full_matrices=False)
    assert np.abs(np.abs(basis.components[:2] @ rows[:2].T) - np.eye(2)).max() < 1e-9
    np.testing.assert_allclose(panel.plotted_points(), _projection(session)[:, :2],
                               atol=1e-9)
    assert panel.plot.getAxis("bottom").labelText.startswith("PC1 (")
    share = round(100 * singular[0] ** 2 / (singular ** 2).sum())
    assert panel.plot.getAxis("bottom").labelText == f"PC1 ({share}% of variance)"
    assert "fit on this text (14 tokens)" in panel.caption.text()
    panel.component_boxes[0].setCurrentIndex(2)
    np.testing.assert_allclose(panel.plotted_points(), _projection(session)[:, [2, 1]],
                               atol=1e-9)


def test_clicking_a_point_moves_the_cursor_and_the_ring_follows(qtbot, session, panel) -> None:  # type: ignore[no-untyped-def]
    xy = panel.plotted_points()
    step = 9
    view_box = panel.plot.getViewBox()
    scene_point = view_box.mapViewToScene(QPointF(*xy[step]))
    where = panel.plot_widget.mapFromScene(scene_point)
    qtbot.mouseClick(panel.plot_widget.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(where.x(), where.y()))
    assert session.cursor == step
    x, y = panel.plotter.cursor_point.getData()
    np.testing.assert_allclose([x[0], y[0]], xy[step])
    session.set_cursor(3)
    x, y = panel.plotter.cursor_point.getData()
    np.testing.assert_allclose([x[0], y[0]], xy[3])
    assert panel.plotter.cursor_label.textItem.toPlainText() == "( (3)"
    assert panel.plotter.describe_point(*xy[3], 3).startswith("“(”, step 3: (")


def test_a_second_text_is_drawn_in_the_same_basis(qtbot, session, panel) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(session.trajectory.changed, timeout=10_000):
        panel.overlay_field.setText("((((()))))")
        panel.overlay_field.returnPressed.emit()
    basis = session.trajectory.result.main.basis
    second = session.model.trace("((((()))))", loss=None).layer(0).h
    x, y = panel.plotter.overlay_points.getData()
    expected = (second - basis.mean) @ basis.components.T
    np.testing.assert_allclose(np.stack([x, y], axis=1), expected[:, :2], atol=1e-9)
    assert "second text (10 tokens)" in panel.caption.text()


def test_cell_state_three_d_and_export(qtbot, session, panel, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(session.trajectory.changed, timeout=10_000):
        panel.quantity_box.setCurrentIndex(1)
        panel.quantity_box.activated.emit(1)
    assert session.trajectory.result.main.basis.quantity == "c"
    # the nesting depth shows along PC1 (tests/view/test_trajectory_view.py, more texts)
    depth = np.cumsum([1 if char == "(" else -1 for char in BRACKETS])
    assert abs(np.corrcoef(depth, panel.plotted_points()[:, 0])[0, 1]) > 0.8
    panel.three_d.setChecked(True)
    panel.azimuth.setValue(-90)
    panel.elevation.setValue(90)  # looking down PC3: the 2-D picture
    np.testing.assert_allclose(panel.plotted_points(), _projection(session, "c")[:, :2],
                               atol=1e-9)
    assert not panel.plot.getAxis("bottom").isVisible()
    assert panel.export_basis(str(tmp_path / "basis.json"))
    saved = load_basis(tmp_path / "basis.json", session.model)
    assert saved == session.trajectory.result.main.basis


def test_the_dock_opens_tabbed_with_the_gradients(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    dock = window.docks["trajectory"]
    action = window.named_actions["trajectory"]
    assert dock.isHidden() and not action.isChecked()
    window.session.wait()
    with qtbot.waitSignal(window.session.trajectory.changed, timeout=10_000):
        action.trigger()
    assert not dock.isHidden() and action.isChecked()
    assert dock in window.tabifiedDockWidgets(window.docks["gradients"])
    assert window.session.trajectory.result.main.points.shape == (6, 6)
    action.trigger()
    assert dock.isHidden() and not action.isChecked()


def test_a_file_that_cannot_be_fitted_on_is_said_once(qtbot, session, panel, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "blank.txt").write_text("\n\n", encoding="utf-8")
    with qtbot.waitSignal(session.error_raised, timeout=10_000) as raised:
        session.trajectory.set_fit_file(tmp_path / "blank.txt")
    assert "blank.txt: no text to fit on" in raised.args[0]
    assert session.trajectory.fit_file is None and panel.fit_box.currentIndex() == 0
    session.trajectory.wait()
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("(())\n()()\n", encoding="utf-8")
    with qtbot.waitSignal(session.trajectory.changed, timeout=10_000,
                          check_params_cb=lambda: session.trajectory.result is not None
                          and session.trajectory.result.request.fit_file == corpus):
        session.trajectory.set_fit_file(corpus)
    assert "fit on corpus.txt (8 tokens)" in panel.caption.text()
    assert panel.fit_box.currentIndex() == 1
