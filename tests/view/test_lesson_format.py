"""The lesson format without Qt: questions, the strip, panels, the index, user folders
and the size limits (docs/lessons.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rnnstudio import limits
from rnnstudio.errors import RnnStudioError
from rnnstudio.view import lessons as lessons_module
from rnnstudio.view.lessons import (
    STRIP_METHODS,
    index_tip,
    index_title,
    load_lessons,
    parse_lesson,
    read_lesson_folder,
)

QUESTION = {"ask": "What will the forget gate do at bob?",
            "choices": ["rise", "fall", "stay"], "answer": "fall",
            "why": "a new subject makes the old fact stale", "at": "bob"}
BASE = {"title": "Predict", "text": "t", "model": "recall-lstm", "notice": ["n1", "n2"]}


def _lesson(**fields: Any) -> dict[str, Any]:
    return {**BASE, **fields}


def _write(folder: Path, name: str, data: Any) -> None:
    (folder / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")


def test_a_question_is_read_with_its_answer_as_an_index() -> None:
    stage = parse_lesson(_lesson(question=QUESTION), "q").stages[0]
    question = stage.question
    assert question is not None
    assert (question.choices, question.answer, question.at) == (("rise", "fall", "stay"), 1,
                                                                "bob")
    assert question.why.startswith("a new subject")


@pytest.mark.parametrize(("change", "message"), [
    ({"answer": "falls"}, r"lesson q, stage 1, question: 'answer' 'falls' is not one of"),
    ({"choices": ["rise"], "answer": "rise"}, r"'choices' must be 2 to 5 different texts, not 1"),
    ({"choices": list("abcdef"), "answer": "a"}, r"2 to 5 different texts, not 6"),
    ({"choices": ["a", "a"], "answer": "a"}, r"different texts"),
    ({"why": None}, r"'why' must be text"),
    ({"at": 1.5}, r"'at' is a step number or a token"),
    ({"hint": "x"}, r"unknown field\(s\) hint; known: ask, choices, answer, why, at"),
])
def test_a_bad_question_names_the_file_and_the_field(change: dict[str, Any],
                                                     message: str) -> None:
    with pytest.raises(RnnStudioError, match=message):
        parse_lesson(_lesson(question={**QUESTION, **change}), "q")
    missing = {key: value for key, value in QUESTION.items() if key != "why"}
    with pytest.raises(RnnStudioError, match="question: 'why' is missing"):
        parse_lesson(_lesson(question=missing), "q")


def test_where_a_question_holds_the_cursor() -> None:
    tokens = ["alice", "is", "allergic", ".", "bob", "is", "allergic"]
    question = parse_lesson(_lesson(question=QUESTION), "q").stages[0].question
    assert question is not None and question.last_free_step(tokens) == 3  # just before bob
    assert question.last_free_step(["no", "such", "token"]) is None
    for at, free in ((5, 4), (-2, 4), (0, 0), (99, 6)):
        held = parse_lesson(_lesson(question={**QUESTION, "at": at}), "q").stages[0].question
        assert held is not None and held.last_free_step(tokens) == free, at
    loose = parse_lesson(_lesson(question={**QUESTION, "at": None}), "q").stages[0].question
    assert loose is not None and loose.last_free_step(tokens) is None


def test_the_strip_names_a_method_and_saliency_is_the_gradient_norm() -> None:
    assert parse_lesson(_lesson(strip="saliency"), "s").stages[0].strip == "dL/dx"
    assert parse_lesson(_lesson(strip="gradient-norm"), "s").stages[0].strip == "dL/dx"
    assert parse_lesson(_lesson(strip="occlusion"), "s").stages[0].strip == "occlusion"
    assert parse_lesson(_lesson(strip="off"), "s").stages[0].strip == "off"
    assert parse_lesson(_lesson(), "s").stages[0].strip is None
    with pytest.raises(RnnStudioError, match=r"'strip' is 'rainbow'; known: off, saliency"):
        parse_lesson(_lesson(strip="rainbow"), "s")
    from rnnstudio.view.attribution import STRIP_ATTRIBUTIONS

    assert set(STRIP_METHODS.values()) == set(STRIP_ATTRIBUTIONS)  # every choice of the strip


def test_panels_are_checked_and_fields_typed() -> None:
    with pytest.raises(RnnStudioError, match=r"stage 1: 'panels' has 'heatmap'; known: input"):
        parse_lesson(_lesson(panels=["step", "heatmap"]), "p")
    with pytest.raises(RnnStudioError, match=r"'order' must be a whole number, not '3'"):
        parse_lesson(_lesson(order="3"), "p")
    with pytest.raises(RnnStudioError, match=r"'notice' must be a list of texts"):
        parse_lesson(_lesson(notice=[1, 2]), "p")
    with pytest.raises(RnnStudioError, match=r"lesson p: 'claim' must be text"):
        parse_lesson(_lesson(claim=["k"]), "p")


def test_the_index_numbers_titles_and_marks_a_users_folder() -> None:
    lesson = parse_lesson(_lesson(claim="(k) one vector at a time", summary="How it reads",
                                  order=10), "mine", "/home/ann/course")
    assert index_title(lesson, 3) == "3. Predict (course)"
    assert index_tip(lesson) == ("How it reads\nClaim: (k) one vector at a time\n"
                                 "From /home/ann/course")
    shipped = parse_lesson(_lesson(text="First line.\nSecond."), "s")
    assert index_title(shipped, 1) == "1. Predict" and index_tip(shipped) == "First line."


def test_a_folder_with_a_bad_file_loads_its_good_lessons(tmp_path: Path) -> None:
    _write(tmp_path, "b-good", _lesson(title="Second", order=2))
    _write(tmp_path, "a-good", _lesson(title="First", order=1))
    _write(tmp_path, "bad", _lesson(question={**QUESTION, "answer": "nope"}))
    (tmp_path / "notes.txt").write_text("not a lesson")
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    read = read_lesson_folder(tmp_path, str(tmp_path))
    assert [lesson.title for lesson in read.lessons] == ["First", "Second"]
    assert {lesson.folder for lesson in read.lessons} == {str(tmp_path)}
    assert len(read.problems) == 2
    assert read.problems[0].startswith("lesson bad.json, stage 1, question: 'answer' 'nope'")
    assert read.problems[1].startswith("lesson broken.json: not valid JSON")
    assert read.problems[1].endswith("; docs/lessons.md shows the format")
    with pytest.raises(RnnStudioError, match=r"lesson bad\.json, stage 1"):
        load_lessons(tmp_path)  # the package's own lessons must all be right
    assert read_lesson_folder(tmp_path / "none").problems == (
        f"{tmp_path / 'none'}: not a folder of lessons",)


def test_a_lesson_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    assert limits.MAX_LESSON_BYTES == 200_000
    _write(tmp_path, "huge", _lesson(text="x" * limits.MAX_LESSON_BYTES))
    _write(tmp_path, "small", _lesson())
    read = read_lesson_folder(tmp_path)
    assert [lesson.name for lesson in read.lessons] == ["small"]
    assert read.problems == ("lesson huge.json: larger than 200,000 bytes; a lesson is a few "
                             "kilobytes of text",)


def test_deep_nesting_and_duplicate_keys_are_refused_before_parsing(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (tmp_path / "twice.json").write_text('{"title": "a", "title": "b"}', encoding="utf-8")
    problems = read_lesson_folder(tmp_path).problems
    assert problems[0].startswith("lesson deep.json: JSON nested 100000 levels deep, more "
                                  "than the 16 allowed")
    assert problems[1].startswith("lesson twice.json: not valid JSON") and "title" in problems[1]


def test_at_most_so_many_files_are_read_from_a_folder(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lessons_module, "MAX_LESSON_FILES", 2)
    for name in ("c", "a", "b"):
        _write(tmp_path, name, _lesson(title=name))
    read = read_lesson_folder(tmp_path)
    assert [lesson.name for lesson in read.lessons] == ["a", "b"]
    assert read.problems == (f"{tmp_path}: 3 lesson files, more than 2; the first 2 by "
                             "name are read",)


def test_the_shipped_lessons_read_with_the_new_fields() -> None:
    shipped = load_lessons()
    assert shipped and all(lesson.folder == "" for lesson in shipped)
    assert [lesson.order for lesson in shipped] == sorted(lesson.order for lesson in shipped)
