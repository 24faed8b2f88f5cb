"""The main window, driven like a user would, asserting the numbers on screen."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import wait_for_trace
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QToolBar

from rnnstudio.engine.losses import Probe
from rnnstudio.io.model_source import RandomModelSpec
from rnnstudio.view.equations import unit_equations
from rnnstudio.view.heatmaps import heatmaps


def test_startup_shows_a_model_and_a_sentence(window) -> None:  # type: ignore[no-untyped-def]
    session = window.session
    assert session.model is not None
    assert session.trace.tokens == ["the", "cat", "sat", "on", "the", "mat"]
    assert [row.name for row in window.heatmaps.rows] == ["h", "c", "i", "f", "g", "o"]
    assert window.status_label.text().startswith("6 tokens")
    assert window.heatmaps.rows[-1].token_axis._tokens[:3] == ["the", "cat", "sat"]


def test_typing_updates_every_heatmap_to_the_trace_slice(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    session = window.session
    editor = window.text_input.editor
    editor.selectAll()

    def type_text() -> None:
        qtbot.keyClicks(editor, "a dog ran home")

    wait_for_trace(qtbot, session, type_text)
    qtbot.waitUntil(lambda: session.trace.tokens == ["a", "dog", "ran", "home"], timeout=3000)
    layer = session.model.trace("a dog ran home").layer(0)
    expected = {"h": layer.h, "c": layer.c, **layer.gates}
    for row in window.heatmaps.rows:
        image = row.image.image
        assert image.dtype == np.float32 and image.flags["C_CONTIGUOUS"]
        np.testing.assert_array_equal(image, expected[row.name].T.astype(np.float32))
    levels = {row.name: row.scale.levels for row in window.heatmaps.rows}
    assert levels["f"] == (0.0, 1.0) and levels["g"] == (-1.0, 1.0) and levels["h"] == (-1, 1)
    assert levels["c"][0] == -levels["c"][1]


def test_stepping_moves_the_cursor_and_the_step_bars(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    session = window.session
    window.activateWindow()
    window.heatmaps.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Home)
    assert session.cursor == 0
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert session.cursor == 2
    layer = session.trace.layer(0)
    for row in window.heatmaps.rows:
        assert row.cursor.value() == 2
        assert row.dim.rect().left() == pytest.approx(2.5)
    bars = window.step_view.rows
    np.testing.assert_allclose(bars["f"].values, layer.gates["f"][2], rtol=1e-6)
    np.testing.assert_allclose(bars["h"].values, layer.h[2], rtol=1e-6)
    qtbot.keyClick(window, Qt.Key.Key_End)
    assert session.cursor == 5 and window.transport.slider.value() == 5
    window.transport.slider.setValue(1)
    assert session.cursor == 1 and window.gradients.cursor_line.value() == 1


def test_gradient_curves_equal_the_engine_norms(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    session = window.session
    if not session.trace.grads.jacobian:  # ||dh_T/dh_t|| arrives after the first view
        with qtbot.waitSignal(session.gradients_changed, timeout=5000):
            pass
    norms = session.trace.grads.norms(0, "fwd")
    reference = session.model.trace(session.text, jacobian=True).grads.jacobian[0, "fwd"]
    np.testing.assert_allclose(norms["jacobian"], reference, rtol=1e-10)
    panel = window.gradients
    for engine_name, curve_name in (("h", "dL/dh"), ("c", "dL/dc"), ("x", "dL/dx"),
                                    ("jacobian", "dh_T/dh_t")):
        y_values = panel.curves[curve_name].yData
        np.testing.assert_allclose(y_values, norms[engine_name], rtol=1e-12)
    assert "saliency" in panel.explanation.text()


def test_clicking_a_chip_jumps_and_a_bar_shows_its_equations(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    session = window.session
    strip = window.token_strip
    chip = strip.canvas.chip_rects[1]
    qtbot.mouseClick(strip.canvas, Qt.MouseButton.LeftButton, pos=chip.center())
    assert session.cursor == 1
    session.select_unit(3)
    lines = unit_equations(session.model, session.trace, 0, "fwd", 1, 3)
    layer = session.trace.layer(0)
    computed = {line.name: line.value for line in lines}
    for gate in "ifgo":
        assert computed[gate] == pytest.approx(float(layer.gates[gate][1, 3]), abs=1e-5)
    assert computed["c"] == pytest.approx(float(layer.c[1, 3]), abs=1e-5)
    assert computed["h"] == pytest.approx(float(layer.h[1, 3]), abs=1e-5)
    text = window.step_view.equations.text()
    assert "f = sigmoid(W_if x + b_if + W_hf h + b_hf)" in text and "Unit 3" in text
    inspector = window.unit_inspector
    np.testing.assert_allclose(inspector.curves["h"].yData, layer.h[:, 3], rtol=1e-6)
    assert window.step_view.rows["h"].values.base is session.view.layer.heatmap("h").values


def test_clicking_a_heatmap_cell_selects_the_unit_and_probes_it(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    session = window.session
    wait_for_trace(qtbot, session, lambda: session.set_loss(Probe(-1, 0)))
    row = window.heatmaps.rows[0]
    view = row.plot.getViewBox()
    step, unit = 2, 10  # aim at the middle of that cell, far from its edges
    scene_point = view.mapViewToScene(QPointF(step, unit))
    widget_point = window.heatmaps.graphics.mapFromScene(scene_point)
    with qtbot.waitSignal(session.trace_changed, timeout=5000):
        qtbot.mouseClick(window.heatmaps.graphics.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(widget_point.x(), widget_point.y()))
    session.wait()
    assert session.unit == unit
    assert session.loss == Probe(step, unit, "h", 0, "fwd")
    assert session.trace.grads.loss_value == pytest.approx(float(
        session.trace.layer(0).h[step, unit]), abs=1e-6)


def test_many_repaints_do_not_crash(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """PySide6 6.12 aborted Python 3.11 after a few dozen repaints; 200 steps catch it."""
    session = window.session
    for index in range(200):
        session.set_cursor(index % session.step_count)
        window.repaint()
    assert session.cursor == 199 % session.step_count


def test_view_selectors_switch_layer_and_direction(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    session = window.session
    spec = RandomModelSpec(cell="gru", hidden_size=6, num_layers=2, bidirectional=True)
    wait_for_trace(qtbot, session, lambda: session.set_random_model(spec))
    assert [row.name for row in window.heatmaps.rows] == ["h", "r", "z", "n"]
    window.heatmaps.layer_box.setCurrentIndex(1)
    window.heatmaps.layer_box.activated.emit(1)
    window.heatmaps.direction_box.setCurrentText("bwd")
    window.heatmaps.direction_box.activated.emit(1)
    assert (session.layer, session.direction) == (1, "bwd")
    expected = heatmaps(session.trace, 1, "bwd")
    np.testing.assert_array_equal(window.heatmaps.rows[0].image.image, expected[0].values)
    assert expected[0].values.shape == (6, 6)
    session.set_cursor(2)  # the backward direction has read steps 5, 4, 3, 2: dim 0 and 1
    dim = window.heatmaps.rows[0].dim.rect()
    assert (dim.left(), dim.width()) == (-0.5, 2)


def test_model_dock_builds_models_and_overflow_is_flagged(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    panel = window.model_panel
    panel.cell_box.setCurrentIndex(panel.cell_box.findText("RNN (relu)"))
    panel.hidden_box.setValue(64)
    panel.gain_box.setValue(20.0)
    session = window.session
    wait_for_trace(qtbot, session, panel.apply)
    assert session.model.config.recurrent.nonlinearity == "relu"
    assert session.random_spec.gain == 20.0
    text = " ".join(f"w{index % 7}" for index in range(80))
    wait_for_trace(qtbot, session, lambda: session.set_text(text))
    warning = window.gradients.warning
    assert not warning.isHidden() and "step 42" in warning.text()
    assert [row.name for row in window.heatmaps.rows] == ["h"]
    assert window.heatmaps.rows[0].scale.levels[0] == 0.0  # ReLU h is not symmetric


def test_hover_names_token_step_unit_and_value(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    row = window.heatmaps.rows[3]  # forget gate
    view = row.plot.getViewBox()
    scene_point = view.mapViewToScene(pg_point(2, 4))
    window.heatmaps._on_mouse_moved(scene_point)
    value = window.session.trace.layer(0).gates["f"][2, 4]
    assert window.heatmaps.hover_label.text() == (
        f"step 2 · “sat” · unit 4 · f = {value:.4f}")


def pg_point(x: float, y: float):  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QPointF

    return QPointF(x, y)


def test_dropping_a_model_file_opens_it(qtbot, window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    from rnnstudio import io as rnn_io
    from rnnstudio.engine.model import random_model

    path = tmp_path / "tiny.safetensors"
    rnn_io.save_model(random_model("gru", hidden_size=4, seed=9), path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    wait_for_trace(qtbot, window.session, lambda: window.dropEvent(event))
    assert window.session.source.path == path
    assert window.session.model.config.recurrent.hidden_size == 4
    assert window.settings.recent_files[0] == str(path)
    assert [action.text() for action in window.named_actions.recent_menu.actions()
            if not action.isSeparator()] == ["tiny.safetensors", "&Clear recent"]
    assert "tiny.safetensors" in window.model_panel.summary.text()


def test_playback_reads_to_the_end_and_stops(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    session, transport = window.session, window.transport
    playback = session.playback
    transport.speed_box.setValue(60.0)
    assert playback.speed == 60.0
    window.named_actions["first"].trigger()
    window.named_actions["play"].trigger()
    assert playback.playing
    qtbot.waitUntil(lambda: session.cursor == session.step_count - 1, timeout=3000)
    qtbot.waitUntil(lambda: not playback.playing, timeout=1000)
    window.named_actions["play"].trigger()  # at the end, play starts again from the first step
    assert session.cursor == 0 and playback.playing
    window.named_actions["play"].trigger()
    assert not playback.playing


def test_unknown_tokens_are_flagged(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from rnnstudio.engine.model import random_model
    from rnnstudio.engine.tokenizers import UNK, Tokenizer

    model = random_model("lstm", hidden_size=4, tokenizer=Tokenizer(
        "word", vocabulary=(UNK, "the", "cat", "sat", "on", "mat")))
    session = window.session
    wait_for_trace(qtbot, session, lambda: session.use_model(model, "closed vocabulary"))
    wait_for_trace(qtbot, session, lambda: session.set_text("the dog sat on the rug"))
    strip = window.token_strip
    assert strip.unknown == {1, 5}
    assert "unknown to the vocabulary" in strip.tooltip(1)
    assert "2 unknown" in window.text_input.tokenizer_label.text()


def test_export_actions_sit_in_menus_toolbar_and_plot_menus(window, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFileDialog, QInputDialog

    target = tmp_path / "from_menu.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *args, **kwargs: (str(target), "")))
    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(lambda *args, **kwargs: (640, True)))
    window.named_actions["export_gradients_png"].trigger()
    from PySide6.QtGui import QImage

    assert QImage(str(target)).width() == 640
    scene_actions = window.heatmaps.graphics.scene().contextMenu
    assert {action.text() for action in scene_actions} >= {"Save heatmaps as PNG…",
                                                           "Save heatmaps as SVG…"}
    toolbar = window.findChild(QToolBar, "main_toolbar")
    assert window.named_actions["export_trace"] in toolbar.actions()
    assert window.named_actions["save_session"].shortcut().toString() == "Ctrl+S"
    assert window.named_actions["open"].shortcut().toString() == "Ctrl+O"


def test_time_plots_describe_the_hovered_step(window) -> None:  # type: ignore[no-untyped-def]
    session = window.session
    session.select_unit(2)
    layer = session.trace.layer(0)
    text = window.unit_inspector.describe_step(1)
    assert text.startswith("step 1 “cat” · unit 2 · h = ")
    assert f"f = {layer.gates['f'][1, 2]:.3f}" in text
    norms = session.trace.grads.norms(0, "fwd")
    assert f"||dL/dx|| = {norms['x'][4]:.3g}" in window.gradients.describe_step(4)
    assert window.gradients.describe_step(99) is None


def test_model_dock_shows_the_current_model(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    session, panel = window.session, window.model_panel
    spec = RandomModelSpec(cell="gru", hidden_size=7, seed=5, gain=1.5)
    wait_for_trace(qtbot, session, lambda: session.set_random_model(spec))
    assert panel.cell_box.currentText() == "GRU" and panel.hidden_box.value() == 7
    assert panel.spec() == spec


def test_costly_jacobian_waits_for_the_button(qtbot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from rnnstudio.gui import session as session_module

    monkeypatch.setattr(session_module, "AUTO_JACOBIAN_SECONDS", 0.0)
    session, panel = window.session, window.gradients
    wait_for_trace(qtbot, session, lambda: session.set_text("one two three four"))
    assert not panel.jacobian_button.isHidden()
    assert panel.jacobian_button.text().startswith("Compute ||dh_T/dh_t|| (about")
    assert "dh_T/dh_t" not in panel.curves
    with qtbot.waitSignal(session.gradients_changed, timeout=5000):
        qtbot.mouseClick(panel.jacobian_button, Qt.MouseButton.LeftButton)
    assert panel.jacobian_button.isHidden()
    np.testing.assert_allclose(panel.curves["dh_T/dh_t"].yData,
                               session.trace.grads.jacobian[0, "fwd"])


def test_keys_typed_in_the_text_box_stay_text(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    editor = window.text_input.editor
    window.activateWindow()
    editor.setFocus()
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    cursor_before = window.session.cursor
    for key in (Qt.Key.Key_Space, Qt.Key.Key_Left, Qt.Key.Key_Home):
        qtbot.keyClick(editor, key)
    assert editor.toPlainText() == "the cat sat on the mat "
    assert not window.session.playback.playing and window.session.cursor == cursor_before


def test_heatmaps_average_units_down_to_the_screen_rows(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """512 units in a row of ~100 pixels: the drawn image has at most one row per pixel
    (pyqtgraph's own rounding kept more rows than pixels, which Qt then dropped)."""
    session = window.session
    spec = RandomModelSpec(hidden_size=512)
    wait_for_trace(qtbot, session, lambda: session.set_random_model(spec))
    window.heatmaps.graphics.viewport().repaint()
    for row in window.heatmaps.rows:
        pixels = row.plot.getViewBox().sceneBoundingRect().height()
        rows = row.image.qimage.height()
        assert pixels / 2 < rows <= pixels, (row.name, rows, pixels)
        np.testing.assert_allclose(row.image.qimage.width(), len(session.trace.tokens))


def test_hover_lines_follow_a_new_trace(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """Issue 11: after an edit the hover lines kept the previous sentence's values."""
    session = window.session
    row = window.heatmaps.rows[3]  # forget gate
    window.heatmaps._on_mouse_moved(row.plot.getViewBox().mapViewToScene(pg_point(2, 4)))
    gradients = window.gradients
    view = gradients.plot.getViewBox()
    gradients.hover._on_moved(view.mapViewToScene(pg_point(1, view.viewRange()[1][0])))
    wait_for_trace(qtbot, session, lambda: session.set_text("a dog ran home fast"))
    value = session.trace.layer(0).gates["f"][2, 4]
    assert window.heatmaps.hover_label.text() == f"step 2 · “ran” · unit 4 · f = {value:.4f}"
    assert gradients.hover_label.text().startswith("step 1 “dog”")
    wait_for_trace(qtbot, session, lambda: session.set_text("one"))  # step 2 is gone
    assert window.heatmaps.hover_label.text().startswith("Hover a heatmap")
    assert gradients.hover_label.text().startswith("Hover the plot")


def test_the_backward_direction_says_where_its_last_state_is(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    session = window.session
    spec = RandomModelSpec(hidden_size=6, bidirectional=True)
    wait_for_trace(qtbot, session, lambda: session.set_random_model(spec))
    qtbot.waitUntil(lambda: bool(session.trace.grads.jacobian), timeout=5000)
    session.set_view(0, "bwd")
    assert "backward cell's last state (at step 0)" in window.gradients.explanation.text()


def test_the_window_fits_a_720p_projector(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """Issue 11: the minimum size was 912 x 897, so on a 1280 x 720 projector the
    transport and status bar were off-screen (the Model dock's form alone asked for
    438 px); the gradient plot was 30 px tall."""
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720, hint
    window.resize(1216, 684)  # what the window takes of a 1280 x 720 screen
    window._size_docks()
    qtbot.wait(50)
    assert window.height() <= 684
    assert window.gradients.plot_widget.height() >= 120
    assert window.heatmaps.graphics.height() >= 200
    window.gradients.explain_button.setChecked(False)
    assert window.gradients.explanation.isHidden()
    window.gradients.explain_button.setChecked(True)
    assert not window.gradients.explanation.isHidden()
