"""Lessons are data: each opens the model, text, step and panels its file names."""

from __future__ import annotations

import json

import pytest

from rnnstudio.errors import RnnStudioError
from rnnstudio.models_index import find_model
from rnnstudio.view.lessons import load_lessons, parse_lesson

LESSONS = load_lessons()


def test_the_six_lessons_of_the_issue_are_shipped() -> None:
    names = [lesson.name for lesson in LESSONS]
    assert names == ["1-long-range", "2-forget-gate", "3-sentiment-gates", "4-bidirectional",
                     "01-reading", "02-squashing", "04-vanishing", "05-exploding", "06-gates",
                     "08-gru", "11-cereal-review", "12-lstm-vs-gru"]
    gains = [stage.random.gain for stage in LESSONS[names.index("04-vanishing")].stages]
    assert gains == [0.5, 2.0]
    assert [stage.source.key for stage in LESSONS[3].stages] == ["idioms-lstm"] * 2
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
    shown = window.lesson_panel.text.toPlainText()
    assert lesson.title in shown and stage.notice[0][:40] in shown


def test_next_part_opens_the_second_stage(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    gain = next(lesson for lesson in LESSONS if lesson.name == "04-vanishing")
    _open(qtbot, window, gain)
    panel = window.lesson_panel
    assert panel.next_button.isEnabled() and not panel.previous_button.isEnabled()
    first = window.gradients.norms["dL/dh"]
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


def test_the_idioms_lesson_says_what_the_tagger_does() -> None:
    """The numbers and claims of "feeling under the weather", from the engine."""
    import numpy as np

    from rnnstudio.io.model_source import load_shipped_model

    lesson = next(lesson for lesson in LESSONS if lesson.name == "4-bidirectional")
    model = load_shipped_model("idioms-lstm")
    assert model.config.recurrent.bidirectional and model.config.task == "tag"
    traces = [model.trace(stage.sentence, loss=stage.loss) for stage in lesson.stages]
    for trace, tag in zip(traces, ("idiom", "literal"), strict=True):
        step = trace.tokens.index("under")
        scores = np.exp(trace.logits[step] - trace.logits[step].max())
        assert model.config.labels[int(scores.argmax())] == tag
        assert scores.max() / scores.sum() > 0.995
        forward = np.linalg.norm(trace.grads.h[0, "fwd"], axis=1)
        backward = np.linalg.norm(trace.grads.h[0, "bwd"], axis=1)
        assert np.all(forward[step + 1 :] == 0) and np.all(forward[: step + 1] > 0.1)
        assert np.all(backward[:step] == 0) and np.all(backward[step:] > 0.3)
        assert np.all(np.linalg.norm(trace.grads.x[step + 1 :], axis=1) > 0.3)
    weather, table = traces
    step = weather.tokens.index("under")
    np.testing.assert_array_equal(weather.layer(0, "fwd").h[: step + 1],
                                  table.layer(0, "fwd").h[: step + 1])
    np.testing.assert_array_equal(weather.layer(0, "bwd").h[-1], table.layer(0, "bwd").h[-1])
    assert np.abs(weather.layer(0, "bwd").h[step] - table.layer(0, "bwd").h[step]).max() > 1.5


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
