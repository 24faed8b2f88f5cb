"""Lessons are data: each opens the model, text, step and panels its file names."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnnstudio.errors import RnnStudioError
from rnnstudio.models_index import find_model
from rnnstudio.view.lessons import load_lessons, parse_lesson

LESSONS = load_lessons()


def test_the_six_lessons_of_the_issue_are_shipped() -> None:
    names = [lesson.name for lesson in LESSONS]
    assert names == ["01-reading", "02-squashing", "03-short-memory", "04-vanishing",
                     "05-exploding", "06-gates", "07-lstm-highway", "08-gru",
                     "09-bidirectional", "10-alice", "11-cereal-review", "12-lstm-vs-gru",
                     "13-negation"]
    gains = [stage.random.gain for stage in LESSONS[names.index("04-vanishing")].stages]
    assert gains == [0.5, 2.0]
    for lesson in LESSONS:
        for stage in lesson.stages:
            assert 2 <= len(stage.notice) <= 3, lesson.name
            if stage.source.key:
                find_model(stage.source.key)


def _open(qtbot, window, lesson, stage=0):  # type: ignore[no-untyped-def]
    session = window.session
    with qtbot.waitSignal(session.trace_changed, timeout=10_000):
        session.open_lesson(lesson, stage)
    session.wait()


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.name for lesson in LESSONS])
def test_a_lesson_opens_its_model_text_step_and_panels(qtbot, window, lesson) -> None:  # type: ignore[no-untyped-def]
    session = window.session
    stage = lesson.stages[0]
    window.docks["gradients"].hide()
    window.docks["unit"].hide()
    window.named_actions[f"lesson_{lesson.name}"].trigger()  # the Lessons menu
    with qtbot.waitSignal(session.trace_changed, timeout=10_000):
        pass
    session.wait()
    assert session.source == stage.source
    if stage.random is not None:
        assert session.random_spec == stage.random
    text = stage.sentence or find_model(stage.source.key).sample
    assert session.text == text
    assert window.text_input.editor.toPlainText() == text
    tokens = session.trace.tokens
    if isinstance(stage.step, str):
        assert tokens[session.cursor] == stage.step
    elif stage.step is not None:
        assert session.cursor == stage.step % len(tokens)
    if stage.loss:
        assert session.loss == stage.loss
    if stage.direction:
        assert session.direction == stage.direction
    if stage.unit is not None:
        assert session.unit == stage.unit
    for panel in ("lessons", *stage.panels):
        assert window.docks[panel].isVisible(), panel
    if stage.compare:
        assert session.compare.keys == stage.compare
    if stage.strip is not None:
        assert session.options.attribution == stage.strip
    shown = window.lesson_panel.text.toPlainText()
    assert lesson.title in shown
    if stage.question is not None:  # what to notice waits for the student's prediction
        assert stage.notice[0][:40] not in shown and stage.question.ask in shown
        session.answer_question(stage.question.answer)
        shown = window.lesson_panel.text.toPlainText()
    assert stage.notice[0][:40] in shown


def test_next_part_opens_the_second_stage(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    gain = next(lesson for lesson in LESSONS if lesson.name == "04-vanishing")
    _open(qtbot, window, gain)
    panel = window.lesson_panel
    question = gain.stages[0].question
    assert question is not None and not panel.next_button.isEnabled()  # predict first
    window.session.answer_question(question.answer)
    assert panel.next_button.isEnabled() and not panel.previous_button.isEnabled()
    first = window.gradients.norms["dL/dh"]
    assert int(np.argmin(first)) == 0  # the question's answer: the first word
    with qtbot.waitSignal(window.session.trace_changed, timeout=10_000):
        panel.next_button.click()
    window.session.wait()
    assert window.session.random_spec.gain == 2.0 and window.session.lesson_stage == 1
    assert "Part 2 of 2" in panel.text.toPlainText()
    second = window.gradients.norms["dL/dh"]
    # what the lesson says: ~10 decades lost at gain 0.5, within ~1 decade at gain 2.0
    assert first[-1] / first[0] > 1e8 and second[-1] / second[0] < 10


def test_a_new_lesson_is_a_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "mine.json").write_text(json.dumps({
        "title": "Mine", "text": "t", "model": "charlm-gru", "step": 3,
        "panels": ["unit"], "notice": ["a", "b"]}))
    (lesson,) = load_lessons(tmp_path)
    assert (lesson.title, lesson.stages[0].source.key, lesson.stages[0].step) == (
        "Mine", "charlm-gru", 3)


def test_a_bad_lesson_names_file_and_field() -> None:
    with pytest.raises(RnnStudioError, match="lesson bad: unknown field.*colour"):
        parse_lesson({"title": "x", "text": "y", "model": "recall-rnn", "colour": 1}, "bad")
    with pytest.raises(RnnStudioError, match="'model' is missing"):
        parse_lesson({"title": "x", "text": "y"}, "bad")


def test_a_lesson_about_gradients_leaves_their_plot_readable_at_720p(  # type: ignore[no-untyped-def]
        qtbot, window, monkeypatch) -> None:
    """At 1280 x 720 the gradient curves of 04-vanishing had 25 px under the warning and
    the legend; a lesson part that names the gradients panel gives it the room the
    explanation gets."""
    from PySide6.QtCore import QRect

    monkeypatch.setattr(window, "available_geometry", lambda: QRect(0, 0, 1280, 720))
    window._fit_to_screen(1600, 1000)
    window._size_docks()
    _open(qtbot, window, next(lesson for lesson in LESSONS if lesson.name == "04-vanishing"))
    qtbot.wait(50)
    # offscreen: 0 px before, 41 px now (about 55 px under Xvfb, three decades labelled)
    assert window.gradients.plot.getViewBox().height() >= 40
