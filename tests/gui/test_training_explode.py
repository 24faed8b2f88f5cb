"""The Training dock can blow a model up and says how (claim c), measures its speed
(claim l), and takes its settings from a lesson stage."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import wait_for_trace

from rnnstudio.errors import RnnStudioError
from rnnstudio.view.lessons import load_lessons, parse_lesson
from rnnstudio.view.training import TrainConfig, speed_text, train_config

#: Lesson 05's first stage, shorter: it diverges at step 9 of any length of run.
EXPLODING = TrainConfig(task="sentiment", cell="rnn", nonlinearity="relu", hidden_size=16,
                        steps=20, optimizer="sgd", learning_rate=3.0, clip_norm=None, seed=2,
                        eval_every=1, eval_size=64, curriculum=0.0)


def _steps_per_second(text: str) -> float:
    match = re.match(r"([\d,]+) steps/s, ([\d.]+) ms a step", text)
    assert match, text
    return float(match.group(1).replace(",", ""))


def test_the_form_builds_sgd_without_clipping_at_rate_5(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    panel = window.training
    panel.task_box.setCurrentText("sentiment")
    panel.cell_box.setCurrentText("RNN (ReLU)")
    panel.optimizer_box.setCurrentText("SGD")
    panel.clip_check.setChecked(False)
    panel.rate_box.setValue(5.0)
    panel.seed_box.setValue(3)
    config = panel.config()
    assert (config.optimizer, config.clip_norm, config.learning_rate) == ("sgd", None, 5.0)
    assert (config.cell, config.nonlinearity, config.seed) == ("rnn", "relu", 3)
    assert not panel.clip_box.isEnabled()
    assert config == train_config("sentiment", "rnn", 32, 300, 5.0, None,
                                  nonlinearity="relu", optimizer="sgd", seed=3)


def test_the_rate_box_walks_orders_of_magnitude(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    box = window.training.rate_box
    assert box.text() == "0.003" and box.minimum() == 1e-5 and box.maximum() == 10
    box.stepBy(1)
    assert box.value() == 0.005
    box.setValue(1.0)
    box.stepBy(2)
    assert box.value() == 5.0 and box.text() == "5"
    box.stepBy(5)
    assert box.value() == 10.0
    box.setValue(1e-5)
    assert box.text() == "1e-05"
    box.lineEdit().setText("0.0002")
    box.interpretText()
    assert box.value() == 0.0002


def test_settings_the_trainer_refuses_are_named_and_nothing_starts(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    panel = window.training
    panel.set_config(TrainConfig(task="recall", hidden_size=8, batch_size=4096, steps=10))
    panel.hidden_box.setValue(256)  # 4,096 sequences of 51 tokens of a 256-unit LSTM
    panel.start()
    assert panel.status.text().startswith("batch_size 4096 makes batches of ")
    assert not window.session.training.running and panel.start_button.isEnabled()


def test_a_diverging_run_names_what_overflowed_and_where(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    panel, job = window.training, window.session.training
    window.show_panel("training")
    panel.set_config(EXPLODING)
    assert panel.config() == EXPLODING
    with qtbot.waitSignal(job.runner.finished, timeout=60_000):
        panel.start_button.click()
    assert job.divergence is not None and job.result is None
    text = panel.status.text()
    assert text.startswith("Diverged. At step 9 the loss became nan: the forward pass "
                           "overflowed (rnn.weight_hh_l0 had grown to 6e+14). Last finite "
                           "loss 1.1e+14 at step 8; gradient norm 0.33 at step 1, 2e+14 at "
                           "step 8.")
    assert text.endswith("Cure: a lower learning rate (e.g. 0.3) or turn clipping on.")
    assert not panel.use_button.isEnabled() and not panel.save_button.isEnabled()
    for line in panel.divergence_lines:
        assert line.isVisible() and line.value() == 9
    assert panel.divergence_lines[0].label.format == "NaN at step 9"
    # Every step's gradient norm up to the last finite one, on the log axis.
    record = job.divergence.record
    np.testing.assert_array_equal(panel.norm_curve.xData, np.arange(1, 9))
    np.testing.assert_allclose(panel.norm_curve.yData, record.grad_norms[:8])
    assert panel.progress.value() == 9
    rate = _steps_per_second(panel.speed.text())
    assert rate > 0
    assert rate == pytest.approx(9 / record.train_seconds, rel=0.01, abs=1)


def test_clipping_tames_the_same_run_in_the_dock(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    panel, job = window.training, window.session.training
    panel.set_config(EXPLODING)
    panel.clip_check.setChecked(True)
    panel.clip_box.setValue(1.0)
    with qtbot.waitSignal(job.runner.finished, timeout=60_000):
        panel.start_button.click()
    assert job.divergence is None and job.result is not None
    assert not any(line.isVisible() for line in panel.divergence_lines)
    assert panel.clip_line.isVisible() and panel.clip_line.value() == 0.0  # log10(1)
    assert panel.norm_curve.xData.size == 20
    # The speed shown is the last report's: steps over training time, evaluations out.
    last = job.reports[-1]
    assert panel.speed.text() == speed_text(last) == job.speed
    assert _steps_per_second(panel.speed.text()) == pytest.approx(
        last.step / last.train_seconds, rel=0.01, abs=1)
    assert last.train_seconds < last.seconds
    assert panel.status.text().startswith("Done in ")


def test_a_lesson_stage_fills_the_form_and_opens_the_dock_without_starting(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    lesson = next(item for item in load_lessons() if item.name == "05-exploding")
    session, panel = window.session, window.training
    assert not window.docks["training"].isVisible()
    wait_for_trace(qtbot, session, lambda: session.open_lesson(lesson, 0))
    assert window.docks["training"].isVisible()
    assert not session.training.running and session.training.reports == []
    assert panel.config() == lesson.stages[0].training
    assert panel.optimizer_box.currentText() == "SGD" and not panel.clip_check.isChecked()
    assert panel.rate_box.text() == "3" and panel.cell_box.currentText() == "RNN (ReLU)"
    assert panel.status.text() == (
        "Set by the lesson: RNN (ReLU), 16 units, on sentiment; SGD at learning rate 3, "
        "clipping off; 60 steps, seed 2. Press Start.")
    wait_for_trace(qtbot, session, lambda: session.open_lesson(lesson, 1))
    assert panel.clip_check.isChecked() and panel.clip_box.value() == 1.0
    assert panel.config() == lesson.stages[1].training
    panel.task_box.setCurrentText("recall")  # another task: the dock's own recipe
    assert panel.config().task_options == {"max_gap": 10, "mixed": True}


def test_the_training_field_is_checked_when_lessons_load() -> None:
    base = {"title": "t", "text": "x", "model": "recall-lstm"}
    stage = parse_lesson({**base, "training": {"optimizer": "sgd", "learning_rate": 5,
                                               "clip_norm": None}}, "demo").stages[0]
    assert stage.training == TrainConfig(optimizer="sgd", learning_rate=5.0, clip_norm=None)
    assert parse_lesson(base, "demo").stages[0].training is None
    problems = {
        "lesson demo, stage 1: training: unknown field(s) lr; known: task, cell": {"lr": 3},
        "lesson demo, stage 1: training: learning_rate must be a finite number above 0":
            {"learning_rate": -1},
        "lesson demo, stage 1: training: optimizer": {"optimizer": "rmsprop"},
        "lesson demo, stage 1: 'training' is an object of training settings": 5,
    }
    for message, settings in problems.items():
        with pytest.raises(RnnStudioError, match=re.escape(message)):
            parse_lesson({**base, "training": settings}, "demo")
