"""docs/lessons.md is true: its example lesson is this folder's ``vanishing.json``, its
test is the one below (verbatim), and its field tables are the format's fields."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from rnnstudio.view.lessons import LESSON_FIELDS, QUESTION_FIELDS, read_lesson_folder


def test_the_vanishing_lesson_says_what_its_model_does() -> None:
    read = read_lesson_folder(Path(__file__).parent / "lessons")
    assert read.problems == ()
    lesson = next(lesson for lesson in read.lessons if lesson.name == "vanishing")
    first, second = lesson.stages
    decades = []
    for stage in (first, second):
        trace = stage.random.build().trace(stage.sentence, loss=stage.loss)
        grad_h = trace.grads.norms(0, "fwd")["h"]  # ||dL/dh_t||, shape (T,)
        decades.append(np.log10(grad_h[-1] / grad_h[0]))
    assert decades[0] > 9  # "more than nine decades"
    assert decades[0] / (len(trace.tokens) - 1) > 0.45  # "about half a decade per word"
    assert abs(decades[1]) < 1  # "within one decade"
    # Another sentence: the claim is about the weights, not this sentence.
    model = first.random.build()
    other = model.trace("a short walk by the river in the cold morning light", loss=first.loss)
    grad_h = other.grads.norms(0, "fwd")["h"]
    assert np.log10(grad_h[-1] / grad_h[0]) > 0.45 * (len(other.tokens) - 1)


DOCS = (Path(__file__).resolve().parents[2] / "docs" / "lessons.md").read_text("utf-8")


def test_the_docs_example_and_test_are_these() -> None:
    example = DOCS.split("## A complete example")[1].split("```json\n")[1].split("```")[0]
    assert (Path(__file__).parent / "lessons" / "vanishing.json").read_text("utf-8") == example
    code = DOCS.split("```python\n")[1].split("```")[0]
    assert code.split("\n\n\n", 1)[1] in Path(__file__).read_text("utf-8")


def test_the_docs_tables_list_every_field() -> None:
    documented = set(re.findall(r"^\| `(\w+)`(?:, `(\w+)`)*", DOCS, re.M))
    names = {name for row in documented for name in row if name}
    names |= {"layer", "direction", "unit"}  # one row
    assert set(LESSON_FIELDS) | set(QUESTION_FIELDS) <= names
