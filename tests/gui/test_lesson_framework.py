"""Lessons a course can use (issue 13): questions before the next step, the strip a stage
turns on, Compare beside the lesson at 1280 x 720, lessons from a user's folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import wait_for_trace
from PySide6.QtCore import QRect, Qt, QUrl
from PySide6.QtWidgets import QFileDialog

from rnnstudio.cli_gui import GuiArgumentError, parse_gui_args
from rnnstudio.gui.app import start
from rnnstudio.gui.session import Session
from rnnstudio.gui.settings import Settings

SENTENCE = "alice is allergic to nuts . bob is allergic to milk . so he cannot eat the"
PREDICT = {
    "title": "Predict the forget gate", "order": 15, "summary": "Guess, then step.",
    "text": "The recall LSTM reads two facts.", "model": "recall-lstm",
    "sentence": SENTENCE, "step": 2, "strip": "saliency", "panels": ["step"],
    "notice": ["Look at f at bob.", "Then step on."],
    "stages": [
        {"title": "Predict",
         "question": {"ask": "What will the mean forget gate do at bob?",
                      "choices": ["rise", "fall", "stay"], "answer": "fall",
                      "why": "A new subject makes the old fact stale.", "at": "bob"}},
        {"title": "After", "step": "milk", "strip": "off", "notice": ["Second part.", "x"]},
    ]}
BESIDE = {"title": "Three cells side by side", "text": "Compare beside the lesson.",
          "model": "recall-lstm", "step": "nuts", "panels": ["compare"],
          "compare": ["recall-rnn", "recall-lstm", "recall-gru"], "notice": ["a", "b"]}


@pytest.fixture
def course(tmp_path: Path) -> Path:
    folder = tmp_path / "course"
    folder.mkdir()
    for name, data in (("predict", PREDICT), ("beside", BESIDE),
                       ("bad", {**BESIDE, "strip": "rainbow"})):
        (folder / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")
    return folder


def _lesson(window, name: str):  # type: ignore[no-untyped-def]
    return next(lesson for lesson in window.lessons if lesson.name == name)


def _open(qtbot, window, name: str, stage: int = 0) -> None:  # type: ignore[no-untyped-def]
    wait_for_trace(qtbot, window.session,
                   lambda: window.session.open_lesson(_lesson(window, name), stage), 10_000)


def test_the_action_loads_a_folder_names_the_bad_file_and_remembers_it(
        window, course: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    shipped = len(window.lessons)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda *args: str(course))
    window.named_actions["open_lessons"].trigger()  # File › Open lesson folder…
    assert len(window.lessons) == shipped + 2
    message = window.message_bar.text
    assert "2 lessons loaded from course" in message
    assert "lesson bad.json, stage 1: 'strip' is 'rainbow'" in message
    assert window.settings.lesson_folders == [str(course.resolve())]
    menu = [action.text() for action in window.named_actions.menus["lessons"].actions()]
    chooser = [window.lesson_panel.chooser.itemText(index)
               for index in range(1, window.lesson_panel.chooser.count())]
    assert menu == chooser and len(menu) == shipped + 2
    assert [title.split(". ", 1)[0] for title in menu] == [str(n) for n in
                                                             range(1, len(menu) + 1)]
    assert any(title.endswith(". Predict the forget gate (course)") for title in menu)
    action = window.named_actions["lesson_course/predict"]
    assert action.toolTip().startswith("Guess, then step.")
    arc = window.lesson_panel.text.toPlainText()  # the start page lists the arc
    assert "Predict the forget gate (course) — Guess, then step." in arc


def test_a_question_holds_the_notice_the_next_part_and_the_cursor(qtbot, window,
                                                                  course: Path) -> None:  # type: ignore[no-untyped-def]
    window.open_lesson_folder(course)
    session, panel = window.session, window.lesson_panel
    _open(qtbot, window, "predict")
    shown = panel.text.toPlainText()
    assert "What will the mean forget gate do at bob?" in shown
    assert "A. rise" in shown and "Look at f at bob." not in shown
    assert not panel.next_button.isEnabled()
    assert [button.isVisible() for button in panel.choice_buttons] == [True] * 3 + [False] * 2
    bob = session.trace.tokens.index("bob")
    session.set_cursor(bob + 2)  # held just before "bob"
    assert session.cursor == bob - 1
    panel.choice_buttons[0].click()  # wrong: "rise"
    shown = panel.text.toPlainText()
    assert "Not quite: you chose A; the answer is B. A new subject makes the old fact " \
           "stale." in shown
    assert "Look at f at bob." in shown and panel.next_button.isEnabled()
    assert not panel.answer_row.isVisible()
    session.set_cursor(bob + 2)
    assert session.cursor == bob + 2
    panel.choice_buttons[1].click()  # answered once: a second click changes nothing
    assert session.lesson_answers == {0: 0}


def test_the_question_is_answered_from_the_keyboard_and_links(qtbot, window,
                                                              course: Path) -> None:  # type: ignore[no-untyped-def]
    window.open_lesson_folder(course)
    panel = window.lesson_panel
    _open(qtbot, window, "predict")
    panel.choice_buttons[1].setFocus()  # Tab to B, then Space: not Play / pause
    qtbot.keyClick(panel.choice_buttons[1], Qt.Key.Key_Space)
    assert not window.session.playback.playing
    assert "Right. A new subject makes the old fact stale." in panel.text.toPlainText()
    _open(qtbot, window, "beside")
    _open(qtbot, window, "predict")  # another lesson between: asked again
    assert window.session.question is not None
    panel.text.setFocus()
    qtbot.keyClick(panel.text, Qt.Key.Key_3)
    assert window.session.lesson_answers == {0: 2}
    _open(qtbot, window, "predict")
    assert window.session.lesson_answers == {0: 2}  # the same lesson again: kept
    window.session.lesson_answers.clear()
    panel.text.anchorClicked.emit(QUrl("choice:1"))
    assert window.session.lesson_answers == {0: 1}


def test_a_stage_sets_the_strip(qtbot, window, course: Path) -> None:  # type: ignore[no-untyped-def]
    window.open_lesson_folder(course)
    box = window.attribution_box
    assert window.session.options.attribution == "off"
    _open(qtbot, window, "predict")  # "strip": "saliency"
    assert window.session.options.attribution == "dL/dx" == box.currentData()
    window.session.answer_question(1)
    _open(qtbot, window, "predict", 1)  # "strip": "off"
    assert window.session.options.attribution == "off" == box.currentData()


def test_compare_beside_the_lesson_leaves_its_text_visible_at_720p(
        qtbot, window, course: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(window, "available_geometry", lambda: QRect(0, 0, 1280, 720))
    window.resize(1280, 720)
    qtbot.wait(50)
    window.open_lesson_folder(course)
    _open(qtbot, window, "beside")
    qtbot.wait(50)
    compare, text = window.docks["compare"], window.lesson_panel.text
    assert compare.isVisible() and not compare.isFloating()
    assert window.width() >= 1270 and window.height() >= 710  # less the frame, if any

    def on_screen(widget: Any) -> QRect:
        return QRect(widget.mapToGlobal(widget.rect().topLeft()), widget.size())

    assert not on_screen(compare).intersects(on_screen(text))
    assert text.isVisible() and text.width() >= 340 and text.height() >= 100
    heatmaps = window.centralWidget()
    assert not on_screen(compare).intersects(on_screen(heatmaps))
    assert compare.width() >= 440 and heatmaps.width() >= 380


def test_lessons_load_with_the_command_line_option(qtbot, course: Path) -> None:  # type: ignore[no-untyped-def]
    session = Session()
    window = start(session, Settings(), lesson_folder=str(course))
    qtbot.addWidget(window)
    try:
        names = {(lesson.name, Path(lesson.folder).name) for lesson in window.lessons}
        assert {("predict", "course"), ("beside", "course")} <= names
        assert "lesson bad.json" in window.message_bar.text
        assert window.settings.lesson_folders == []  # --lessons is for this run only
    finally:
        window.close()
        session.shutdown()


def test_a_bad_lessons_option_is_one_line_before_any_window(tmp_path: Path,
                                                            course: Path, run_app,
                                                            capsys) -> None:  # type: ignore[no-untyped-def]
    assert parse_gui_args(["--lessons", str(course)], ()).lessons == str(course)
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder, reason in ((tmp_path / "nope", "no such folder"),
                           (course / "predict.json", "not a folder"),
                           (empty, "no lesson files (*.json) in it")):
        with pytest.raises(GuiArgumentError, match=f"--lessons {folder}: ") as caught:
            parse_gui_args(["--lessons", str(folder)], ())
        assert reason in str(caught.value)
    assert run_app(["--lessons", str(tmp_path / "nope")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "no such folder" in error


def test_playback_stops_where_the_question_holds_the_cursor(qtbot, window,
                                                            course: Path) -> None:  # type: ignore[no-untyped-def]
    window.open_lesson_folder(course)
    session = window.session
    _open(qtbot, window, "predict")
    status: list[str] = []
    session.status_changed.connect(status.append)
    session.playback.set_speed(60)
    session.playback.toggle()
    qtbot.waitUntil(lambda: not session.playback.playing, timeout=5000)
    assert session.cursor == session.trace.tokens.index("bob") - 1
    assert status[-1] == "Answer the lesson's question to step on"
