"""Write: the window's text grows as the model writes, Stop stops, Undo takes it back,
and the trace at the end is the model's full trace of prompt and continuation."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.gui.generation_job import WriteRequest
from rnnstudio.io.model_source import ModelSource

PROMPT = "the cat"


@pytest.fixture
def writing_window(qtbot, window):  # type: ignore[no-untyped-def]
    """The window showing the shipped char LSTM reading ``PROMPT``, Write open."""
    with qtbot.waitSignal(window.session.trace_changed, timeout=10_000):
        window.session.open_source(ModelSource.shipped("charlm-lstm"), PROMPT)
    window.session.wait()
    window.show_panel("write")
    return window


def finish(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: not session.writing.running, timeout=20_000)
    session.writing.wait()


def test_write_appends_the_tokens_the_api_writes_and_ends_with_the_full_trace(
        qtbot, writing_window) -> None:  # type: ignore[no-untyped-def]
    window, session = writing_window, writing_window.session
    shown: list[tuple[int, bool, int]] = []
    session.trace_changed.connect(lambda: shown.append(
        (session.trace.steps, session.trace.grads is not None, session.cursor)))
    panel = window.write_panel
    panel.length.setValue(60)
    panel.temperature.setValue(0.8)
    panel.seed.setValue(5)
    panel.pace.setCurrentIndex(2)  # 100 tokens/s: frames while it writes
    panel.button.click()
    assert panel.button.text() == "Stop"
    finish(qtbot, session)
    expected = session.model.generate(PROMPT, length=60, temperature=0.8, seed=5)
    assert session.text == expected.text == window.text_input.editor.toPlainText()
    trace = session.trace
    assert trace.tokens == expected.all_tokens and trace.grads is not None
    full = session.model.trace(expected.all_tokens)
    np.testing.assert_allclose(trace.grads.h[0, "fwd"], full.grads.h[0, "fwd"])
    assert session.cursor == trace.steps - 1 == len(PROMPT) + 59
    # The panels grew while it wrote: forward-only frames, longer each time, the cursor
    # on the newest token; then one full trace with gradients.
    frames, final = shown[:-1], shown[-1]
    assert len(frames) >= 2 and final == (trace.steps, True, trace.steps - 1)
    assert all(not grads and cursor == steps - 1 for steps, grads, cursor in frames)
    assert [steps for steps, _, _ in frames] == sorted({steps for steps, _, _ in frames})
    assert panel.button.text() == "Write" and "Wrote 60 tokens" in panel.status.text()


def test_undo_gives_back_the_text_from_before_the_writing(qtbot, writing_window) -> None:  # type: ignore[no-untyped-def]
    window, session = writing_window, writing_window.session
    session.writing.start(WriteRequest(40, 1.0, None, 3, 100.0))
    finish(qtbot, session)
    editor = window.text_input.editor
    assert editor.toPlainText() != PROMPT and editor.document().isUndoAvailable()
    with qtbot.waitSignal(session.trace_changed, timeout=10_000):
        editor.undo()
    session.wait()
    assert editor.toPlainText() == session.text == PROMPT
    assert session.trace.tokens == list(PROMPT)


def test_stop_keeps_what_was_written_with_its_full_trace(qtbot, writing_window) -> None:  # type: ignore[no-untyped-def]
    window, session = writing_window, writing_window.session
    # 5 tokens a second: on a loaded machine a faster writing ended (5000 tokens) before
    # the test's event loop saw its first frame, and the click then started a new one.
    session.writing.start(WriteRequest(5000, 1.0, None, 0, 5.0))
    qtbot.waitUntil(lambda: session.trace.steps > len(PROMPT) + 3, timeout=10_000)
    assert session.writing.running
    window.write_panel.button.click()  # Stop
    finish(qtbot, session)
    generation = session.writing.result
    assert generation is not None and generation.stop_reason == "stopped"
    assert 3 < len(generation.tokens) < 5000
    assert session.text == generation.text and session.trace.grads is not None
    assert session.trace.tokens == generation.all_tokens
    again = session.model.generate(PROMPT, length=len(generation.tokens), seed=0)
    assert again.tokens == generation.tokens  # the same draws, cut where Stop came


def test_typing_while_it_writes_cancels_the_writing(qtbot, writing_window) -> None:  # type: ignore[no-untyped-def]
    session = writing_window.session
    session.writing.start(WriteRequest(5000, 1.0, None, 0, 5.0))
    qtbot.waitUntil(lambda: session.trace.steps > len(PROMPT) + 2, timeout=10_000)
    assert session.writing.running
    with qtbot.waitSignal(session.trace_changed, timeout=10_000):
        session.set_text("a new sentence")
    finish(qtbot, session)
    session.wait()
    assert session.text == "a new sentence" and "cancelled" in session.writing.status
    assert session.trace.tokens == list("a new sentence")


def test_a_model_that_cannot_write_says_which_can(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    session, panel = window.session, window.write_panel
    assert session.model.config.task is None  # the random LSTM of the fixture
    assert not panel.button.isEnabled() and "next-token head" in panel.status.text()
    errors: list[str] = []
    session.error_raised.connect(errors.append)
    assert not session.writing.start(WriteRequest(10))
    assert "has no next-token head" in errors[0] and "charlm-lstm" in errors[0]


def test_the_write_dock_opens_tabbed_with_the_gradients(writing_window) -> None:  # type: ignore[no-untyped-def]
    window = writing_window
    assert window.docks["write"] in window.tabifiedDockWidgets(window.docks["gradients"])
    assert window.docks["write"].isVisible()


def test_after_writing_the_panel_lists_each_token_with_its_probability_and_rank(
        qtbot, writing_window) -> None:  # type: ignore[no-untyped-def]
    """The list is the generation's own numbers (p = softmax(l / T), rank 1 = the first
    choice), at the tokens' steps in the text; a click on a row moves the cursor there."""
    window, session = writing_window, writing_window.session
    panel = window.write_panel
    assert panel.written.isHidden()  # nothing written yet
    panel.length.setValue(12)
    panel.temperature.setValue(1.5)
    panel.seed.setValue(3)
    panel.pace.setCurrentIndex(3)
    panel.button.click()
    finish(qtbot, session)
    generation = session.writing.result
    assert generation is not None and not panel.written.isHidden()
    assert panel.written.rowCount() == 12
    for row in range(12):
        step, token, p, rank = (panel.written.item(row, column).text() for column in range(4))
        assert int(step) == len(PROMPT) + row
        assert token == generation.tokens[row].replace(" ", "␣")
        assert p == f"{generation.probabilities[row]:.2f}"
        assert int(rank) == generation.ranks[row] + 1
    # At temperature 1.5 some token is not the first choice: the list says which.
    assert any(panel.written.item(row, 3).text() != "1" for row in range(12))
    panel.written.cellClicked.emit(4, 1)
    assert session.cursor == len(PROMPT) + 4
