"""The Training dock: runs in a worker, can be cancelled, its model can be used."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import wait_for_trace
from PySide6.QtCore import QRect, Qt

from rnnstudio import io as rnn_io


def _small(panel, steps: int) -> None:  # type: ignore[no-untyped-def]
    panel.task_box.setCurrentText("sentiment")
    panel.cell_box.setCurrentIndex(1)  # GRU
    panel.hidden_box.setValue(8)
    panel.steps_box.setValue(steps)


def test_training_can_be_cancelled_and_the_window_stays_responsive(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    panel, job = window.training, window.session.training
    # ~90 s of work: only a cancel ends it in time. (100,000 steps put the first report
    # at step 5,000, 21-23 s in on a loaded 2-core machine: past the 20 s wait.)
    _small(panel, 20_000)
    with qtbot.waitSignal(job.reported, timeout=20_000):
        panel.start_button.click()
    assert job.runner.is_busy() and job.running and panel.cancel_button.isEnabled()
    assert len(job.reports) == 1 and panel.norm_curve.yData.size > 0
    # the session's own worker still answers while training runs
    wait_for_trace(qtbot, window.session, lambda: window.session.set_text("a b c"))
    assert window.session.trace.tokens == ["a", "b", "c"]
    panel.cancel_button.click()
    qtbot.waitUntil(lambda: not job.runner.is_busy(), timeout=10_000)
    assert job.result is None and panel.start_button.isEnabled()
    assert not panel.use_button.isEnabled() and panel.status.text() == "Cancelled."


def test_a_finished_run_can_be_used_and_saved(qtbot, window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    panel, job = window.training, window.session.training
    _small(panel, 40)
    with qtbot.waitSignal(job.runner.finished, timeout=60_000):
        panel.start_button.click()
    assert job.result is not None and panel.use_button.isEnabled()
    assert [report.step for report in job.reports][-1] == 40
    np.testing.assert_array_equal(panel.eval_curve.yData,
                                  [report.eval_loss for report in job.reports])
    assert panel.progress.value() == 40
    wait_for_trace(qtbot, window.session, panel.use_button.click)
    assert window.session.model is job.result.model
    assert window.session.loss.name == "class" and window.session.source.kind == "in-memory"
    path = tmp_path / "trained.safetensors"
    assert job.save(path) and panel.status.text() == f"Saved to {path}"
    loaded = rnn_io.load_model(path)
    assert loaded.config.recurrent.cell == "gru" and loaded.config.recurrent.hidden_size == 8


def test_a_bidirectional_tagger_can_be_trained_and_used(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    panel = window.training
    panel.task_box.setCurrentText("idioms")
    assert panel.bidirectional_box.isChecked()  # the task needs the words after "under"
    panel.task_box.setCurrentText("sentiment")
    assert not panel.bidirectional_box.isChecked()
    panel.task_box.setCurrentText("idioms")
    panel.hidden_box.setValue(8)
    panel.steps_box.setValue(20)
    job = window.session.training
    with qtbot.waitSignal(job.runner.finished, timeout=60_000):
        panel.start_button.click()
    model = job.result.model
    assert model.config.recurrent.bidirectional and model.config.task == "tag"
    wait_for_trace(qtbot, window.session, panel.use_button.click)
    assert window.session.loss.name == "tag"
    assert window.session.trace.logits.shape[-1] == 3  # other, literal, idiom


def _inside_dock(widget, rect, dock) -> bool:  # type: ignore[no-untyped-def]
    """``rect`` (in ``widget``'s coordinates) lies within what ``dock`` shows."""
    shown = QRect(widget.mapTo(dock, rect.topLeft()), rect.size())
    return dock.rect().contains(shown) and widget.rect().contains(rect)


@pytest.mark.parametrize("screen", [QRect(0, 0, 1280, 720), QRect(0, 0, 1600, 1000)])
def test_training_opens_with_its_curves_in_view(qtbot, window, monkeypatch, screen) -> None:  # type: ignore[no-untyped-def]
    """Tabbed with Model the plots were below the fold on every screen: Start showed no
    curve. Now beside the gradients, the plots side by side right of the form."""
    monkeypatch.setattr(window, "available_geometry", lambda: screen)
    window._fit_to_screen(1600, 1000)
    window._size_docks()
    qtbot.wait(50)
    window.show_panel("training")
    qtbot.wait(50)
    dock, panel = window.docks["training"], window.training
    assert dock.isVisible() and dock in window.tabifiedDockWidgets(window.docks["gradients"])
    assert window.width() <= screen.width() and window.height() <= screen.height()
    _small(panel, 20)
    with qtbot.waitSignal(window.session.training.runner.finished, timeout=60_000):
        panel.start_button.click()
    window.grab()  # lays everything out as painted
    reports = window.session.training.reports
    assert panel.train_curve.xData.size == 20 and panel.eval_curve.xData.size == len(reports) > 0
    assert panel.train_curve.xData[-1] == 20
    assert panel.wide
    views = []
    for plot in (panel.loss_plot, panel.norm_plot):
        scene_rect = plot.getViewBox().sceneBoundingRect()
        view = panel.graphics.mapFromScene(scene_rect).boundingRect()
        assert view.height() >= 120, (plot, view)
        assert _inside_dock(panel.graphics, view, dock), (view, dock.rect())
        views.append(view)
    assert views[1].left() > views[0].right()  # side by side
    for button in (panel.start_button, panel.cancel_button):
        assert button.isVisible() and _inside_dock(button, button.rect(), dock)
    assert window.width() <= screen.width() and window.height() <= screen.height()
    window.reset_layout()
    assert window.docks["gradients"].isVisible() and not dock.isVisible()


def test_in_a_side_column_the_panel_stacks(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """Tall and narrow (a side column to itself), the form above the plots."""
    dock = window.docks["training"]
    window.show_panel("training")
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    for key in ("input", "model", "unit"):
        window.docks[key].hide()
    qtbot.waitUntil(lambda: window.training.wide is False)
    qtbot.wait(50)
    panel = window.training
    window.grab()
    loss = panel.loss_plot.getViewBox().sceneBoundingRect()
    grad = panel.norm_plot.getViewBox().sceneBoundingRect()
    assert grad.top() > loss.bottom()  # one above the other
    assert panel.controls.geometry().bottom() < panel.graphics.geometry().top()
