"""What a trained model says: the readout line of This step, a tagger's tags on the token
strip, and the tag losses of the Gradients panel, checked against the trace's logits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import wait_for_trace

from rnnstudio.engine.losses import TagCrossEntropy
from rnnstudio.gui.widgets.gradients import GradientPanel
from rnnstudio.gui.widgets.step_view import StepView
from rnnstudio.gui.widgets.token_strip import TokenStrip
from rnnstudio.io.model_source import RandomModelSpec, load_shipped_model
from rnnstudio.view import readout

IDIOM = "i was feeling under the weather today"
LITERAL = "i was hiding under the table today"
UNDER = 3


def _probabilities(logits: np.ndarray) -> np.ndarray:
    """Softmax written out again, not through the module under test."""
    scores = np.asarray(logits, dtype=np.float64)
    exp = np.exp(scores - scores.max())
    return exp / exp.sum()


@pytest.fixture
def panels(qtbot, session):  # type: ignore[no-untyped-def]
    """The three panels on one session, which reads IDIOM with the idioms LSTM."""
    widgets = StepView(session), TokenStrip(session), GradientPanel(session)
    for widget in widgets:
        qtbot.addWidget(widget)
        widget.resize(600, 400)
        widget.show()
    wait_for_trace(qtbot, session, lambda: session.open_shipped_model("idioms-lstm", IDIOM))
    return widgets


def test_tag_line_names_the_tag_and_follows_the_cursor(session, panels) -> None:  # type: ignore[no-untyped-def]
    step_view = panels[0]
    labels = session.model.config.labels
    assert not step_view.readout.isHidden()
    for step, token in ((UNDER, "under"), (0, "i"), (5, "weather")):
        session.set_cursor(step)
        probabilities = _probabilities(session.trace.logits[step])
        best = int(probabilities.argmax())
        text = step_view.readout.text()
        assert text.startswith(f"Tag of “{token}”: <b>{labels[best]} "
                               f"{probabilities[best]:.2f}</b>")
        for label, probability in zip(labels, probabilities, strict=True):
            assert f"{label} {probability:.2f}" in text
    session.set_cursor(UNDER)
    assert "<b>idiom 1.00</b>" in step_view.readout.text()


def test_the_line_is_hidden_for_a_bare_random_model(qtbot, session, panels) -> None:  # type: ignore[no-untyped-def]
    wait_for_trace(qtbot, session, lambda: session.set_random_model(RandomModelSpec()))
    assert session.trace.logits is None
    assert panels[0].readout.isHidden()
    assert panels[1].tags is None and panels[1].tag_color(0) is None


def test_tagger_chips_carry_the_predicted_tags(qtbot, session, panels) -> None:  # type: ignore[no-untyped-def]
    strip = panels[1]
    labels = session.model.config.labels
    expected = [labels[index] for index in session.trace.logits.argmax(axis=1)]
    assert list(strip.tags) == expected
    assert list(strip.tags) == ["other"] * 3 + ["idiom"] * 3 + ["other"]
    assert strip.tag_color(UNDER) is not None and strip.tag_color(0) is None  # "other"
    assert "tagged idiom (p = 1.00)" in strip.tooltip(UNDER)
    wait_for_trace(qtbot, session, lambda: session.set_text(LITERAL))
    assert list(strip.tags)[UNDER:UNDER + 3] == ["literal"] * 3
    literal, idiom = strip.tag_colors["literal"], strip.tag_colors["idiom"]
    assert literal is not None and idiom is not None and literal != idiom


def test_tag_at_the_cursor_with_a_label_becomes_the_loss(qtbot, session, panels) -> None:  # type: ignore[no-untyped-def]
    gradients = panels[2]
    box = gradients.loss_box
    texts = [box.itemText(index) for index in range(box.count())]
    assert texts[:5] == ["tag (every word, predicted tags)", "tag at the cursor",
                         "tag at the cursor: other", "tag at the cursor: literal",
                         "tag at the cursor: idiom"]
    session.set_cursor(UNDER)
    index = box.findText("tag at the cursor: literal")
    wait_for_trace(qtbot, session, lambda: box.activated.emit(index))
    assert session.loss == TagCrossEntropy(3, "literal")
    assert session.trace.grads.loss_name == "tag:3:literal"
    literal = session.model.config.labels.index("literal")
    expected = -np.log(_probabilities(session.trace.logits[UNDER])[literal])
    assert session.trace.grads.loss_value == pytest.approx(expected, rel=1e-4)
    assert gradients.loss_label.text() == "cross-entropy of the tag “literal” for “under” (step 3)"
    session.set_cursor(0)  # the loss keeps its step; choosing again takes the new one
    assert session.loss == TagCrossEntropy(3, "literal")
    wait_for_trace(qtbot, session, lambda: box.activated.emit(box.findText("tag at the cursor")))
    assert session.trace.grads.loss_name == "tag:0"
    assert gradients.loss_label.text() == "cross-entropy of the predicted tag of “i” (step 0)"


def test_a_lesson_loss_string_shows_in_the_box(qtbot, session, panels) -> None:  # type: ignore[no-untyped-def]
    gradients = panels[2]
    wait_for_trace(qtbot, session, lambda: session.set_loss(TagCrossEntropy(5, "idiom")))
    assert gradients.loss_box.currentText() == "tag at the cursor: idiom"
    assert gradients.loss_label.text() == "cross-entropy of the tag “idiom” for “weather” (step 5)"
    wait_for_trace(qtbot, session, lambda: session.set_loss(TagCrossEntropy()))
    assert gradients.loss_box.currentText() == "tag (every word, predicted tags)"
    assert gradients.loss_label.text() == ""


def test_verdict_at_a_step_and_at_the_end() -> None:
    model = load_shipped_model("sentiment-lstm")
    trace = model.trace("the camera was good .")
    labels = model.config.labels
    for step in range(len(trace.tokens)):
        answer = readout.step_readout(trace, step)
        probabilities = _probabilities(trace.logits[step])
        assert answer.choices[0] == (labels[int(probabilities.argmax())],
                                     pytest.approx(probabilities.max()))
    assert readout.step_readout(trace, 3).line().startswith(
        "Verdict if the text ended at “good”: ")
    last = readout.step_readout(trace, 4).line()
    assert last.startswith("Verdict at the last token “.”: positive ")


def test_next_character_line_gives_the_top_three_and_the_real_next() -> None:
    model = load_shipped_model("charlm-gru")
    trace = model.trace("the cat")
    vocabulary = model.config.tokenizer.vocabulary
    probabilities = _probabilities(trace.logits[1])
    top = np.argsort(probabilities)[::-1][:3]
    answer = readout.step_readout(trace, 1)
    assert [label for label, _ in answer.choices] == [vocabulary[index] for index in top]
    assert answer.next_token == "e"
    assert answer.next_probability == pytest.approx(probabilities[vocabulary.index("e")])
    assert answer.line().startswith("After “th”, next character: ")
    assert answer.line().endswith(f"(next is “e”: {answer.next_probability:.2f})")
    assert "next is" not in readout.step_readout(trace, 6).line()  # nothing follows "t"
    assert readout.step_readout(trace, 2).line().startswith("After “the”")
    assert readout.step_readout(trace, 3).line().startswith("After “the␣”")  # a space read


def test_the_readout_module_loads_no_qt() -> None:
    """It is tested, and usable, without a window."""
    code = ("import sys, rnnstudio.view.readout\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parents[2])
    assert done.stdout.strip() == "[]"


def test_chips_show_spaces_and_newlines(panels) -> None:  # type: ignore[no-untyped-def]
    """A character model reads spaces: its chips show them, as the readout line does."""
    strip = panels[1]
    assert [strip.label(0, token) for token in (" ", "a\nb", "", "under")] == [
        "␣", "a\\nb", "␣", "under"]
