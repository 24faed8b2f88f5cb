"""The Training dock: runs in a worker, can be cancelled, its model can be used."""

from __future__ import annotations

import numpy as np
from conftest import wait_for_trace

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
    assert len(job.reports) == 1 and panel.grad_curve.yData.size > 0
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
