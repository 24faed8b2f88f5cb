"""Compare: one sentence through several trained models, one time axis, one cursor."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import wait_for_trace

from rnnstudio.gui.session_files import snapshot
from rnnstudio.io.model_source import load_shipped_model
from rnnstudio.models_index import find_model
from rnnstudio.view.compare import answer_of, compare_curve, compare_models
from rnnstudio.view.compare_choice import Contender

RECALL = ("recall-rnn", "recall-lstm", "recall-gru")


def test_compare_models_reads_the_sentence_with_each_task_loss() -> None:
    text = find_model("recall-rnn").sample
    rows = compare_models([Contender.shipped(key) for key in RECALL], text)
    assert [row.cell for row in rows] == ["rnn", "lstm", "gru"]
    # docs/models.md: on the sample (a 41-word gap, nuts) the RNN answers omelette, the
    # others peanut butter
    assert [row.answer for row in rows] == ["omelette", "peanut butter", "peanut butter"]
    for row in rows:
        assert row.trace.grads.loss_name == "class"
        relative = compare_curve(row, "dL/dh", relative=True)
        assert relative[-1] == pytest.approx(1.0)
        expected = np.linalg.norm(row.trace.grads.h[0, "fwd"], axis=1)
        np.testing.assert_allclose(compare_curve(row, "dL/dh", False), expected)
        assert compare_curve(row, "dh_T/dh_t", False).shape == (len(row.trace.tokens),)


def test_answer_of_a_bare_cell_is_none() -> None:
    from rnnstudio.engine.model import random_model

    assert answer_of(random_model("lstm", hidden_size=4).trace("a b")) == (None, None)


def _shown(qtbot, window):  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.session.compare.ready, timeout=10_000):
        window.show_panel("compare")
    return window.compare


def test_compare_panel_aligns_models_on_the_session_cursor(qtbot, window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    session = window.session
    text = find_model("recall-rnn").sample
    panel = window.compare
    assert not window.docks["compare"].isVisible() and panel.rows == []  # hidden: no work
    assert session.compare.rows == [] and not session.compare.active
    wait_for_trace(qtbot, session, lambda: session.set_text(text))
    session.compare.set_keys(RECALL)
    _shown(qtbot, window)
    assert [row.label for row in panel.models] == ["RNN", "LSTM", "GRU"]
    assert len(panel.rows) == 3
    for row, key in zip(panel.rows, RECALL, strict=True):
        hidden = load_shipped_model(key).trace(text).layer(0).h
        np.testing.assert_array_equal(row.image.image, hidden.T.astype(np.float32))
    for model in panel.models:
        np.testing.assert_allclose(panel.curves[model.key].yData,
                                   compare_curve(model, "dL/dh", True), rtol=1e-9)
    assert "omelette" in panel.answers.text() and "peanut butter" in panel.answers.text()
    session.set_cursor(4)  # "nuts"
    assert [row.cursor.value() for row in panel.rows] == [4, 4, 4]
    assert panel.grad_cursor.value() == 4
    assert panel.rows[0].dim.rect().left() == pytest.approx(4.5)
    panel.rows[1].cursor.setValue(7)  # dragging a compare cursor moves the session's
    assert session.cursor == 7
    assert window.export_panel("compare", tmp_path / "compare.png", 800)
    assert window.export_panel("compare", tmp_path / "compare.svg")
    assert (tmp_path / "compare.png").stat().st_size > 1000
    assert "RNN h" in (tmp_path / "compare.svg").read_text()


def test_choosing_other_models_recomputes(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    panel = _shown(qtbot, window)
    compare = window.session.compare
    with qtbot.waitSignal(compare.ready, timeout=10_000):
        compare.set_keys(["sentiment-rnn", "sentiment-gru"])
    assert [model.key for model in panel.models] == ["sentiment-rnn", "sentiment-gru"]
    assert len(panel.rows) == 2 and len(panel.curves) == 2
    with qtbot.waitSignal(window.session.error_raised, timeout=1000):
        compare.set_keys(["no-such-model"])
    assert compare.keys == ("sentiment-rnn", "sentiment-gru")
    window.docks["compare"].hide()
    assert not compare.active


def test_the_latest_text_wins(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window.session.compare.set_keys(RECALL)
    panel = _shown(qtbot, window)
    compare = window.session.compare
    seen = []
    compare.runner.finished.connect(lambda result: seen.append(result.value))
    window.session.text = "alice is allergic to milk"
    compare.request()
    window.session.text = "tom is allergic to fish so he cannot eat the"
    with qtbot.waitSignal(compare.ready, timeout=10_000):
        compare.request()
    compare.runner.wait()
    assert len(seen) == 1  # the first request was superseded, its result never shown
    assert panel.models[0].trace.tokens[-1] == "the"
    assert [model.answer for model in panel.models][1:] == ["sushi", "sushi"]


def test_taggers_answer_with_the_tag_at_the_cursor(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    session, panel = window.session, window.compare
    text = "i was feeling under the table today"
    wait_for_trace(qtbot, session, lambda: session.set_text(text))
    session.compare.set_keys(["idioms-rnn", "idioms-gru"])
    _shown(qtbot, window)
    session.set_cursor(3)  # "under"
    assert panel.answers.text() == ("RNN tags “under” literal (p = 1.00) · "
                                    "GRU tags “under” literal (p = 1.00)")
    session.set_cursor(0)
    assert "tags “i” other" in panel.answers.text()
    for row, model in zip(panel.rows, panel.models, strict=True):
        tags = model.trace.logits.argmax(axis=1)
        assert model.trace.config.labels[tags[0]] == "other"
        assert row.plot.titleLabel.text.endswith("tags “i” other (p = 1.00)")


CAMERA_REVIEW = ("the lens is sharp but the battery dies after an hour and the menus "
                 "are confusing , so i returned it")


def test_compare_opens_on_the_open_models_task_and_current_text(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """Issue 11: from the sentiment LSTM, Compare compared the recall models."""
    session, panel = window.session, window.compare
    wait_for_trace(qtbot, session,
                   lambda: session.open_shipped_model("sentiment-lstm", CAMERA_REVIEW))
    _shown(qtbot, window)
    assert [model.key for model in panel.models] == [
        "sentiment-rnn", "sentiment-lstm", "sentiment-gru"]
    assert all(model.trace.tokens == session.trace.tokens for model in panel.models)
    assert panel.task_box.currentData() == "follow"
    assert "Review sentiment with negation" in panel.statement.text()
    tokens = session.model.tokenizer.split(CAMERA_REVIEW)
    unknown = sum(token not in session.model.tokenizer.vocabulary for token in tokens)
    assert not panel.notes.isHidden()
    assert panel.notes.text() == (f"RNN, LSTM, GRU: {unknown} of {len(tokens)} tokens "
                                  "unknown to this model")
    with qtbot.waitSignal(session.compare.ready, timeout=10_000):
        session.set_text("the phone was not bad .")
    assert panel.notes.isHidden() and panel.notes.text() == ""
    with qtbot.waitSignal(session.compare.ready, timeout=10_000):  # it follows, open
        wait_for_trace(qtbot, session, lambda: session.open_shipped_model("idioms-gru"))
    assert [model.key for model in panel.models] == ["idioms-rnn", "idioms-lstm", "idioms-gru"]
    assert all(model.trace.tokens == session.trace.tokens for model in panel.models)


def test_a_random_model_beside_random_cells_and_a_hand_choice_stays(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    session, panel = window.session, window.compare
    _shown(qtbot, window)  # the window's random LSTM 1 x 32
    assert [model.label for model in panel.models] == [
        "LSTM (open)", "RNN (random)", "GRU (random)"]
    assert panel.statement.text().startswith("The open random model beside the other cells")
    assert panel.notes.isHidden()
    recall = panel.task_box.findText("Recall across a gap")
    with qtbot.waitSignal(session.compare.ready, timeout=10_000):
        panel.task_box.activated.emit(recall)
    assert session.compare.keys == RECALL and not session.compare.following
    assert snapshot(session).compare == RECALL  # a saved session keeps the hand choice
    with qtbot.waitSignal(session.compare.ready, timeout=10_000):
        wait_for_trace(qtbot, session, lambda: session.open_shipped_model("sentiment-gru"))
    assert [contender.key for contender in session.compare.choice.contenders] == list(RECALL)
    assert "trained on recall, not on sentiment like the open model" in panel.notes.text()
    with qtbot.waitSignal(session.compare.ready, timeout=10_000):
        panel.task_box.activated.emit(panel.task_box.findData("follow"))
    assert session.compare.following
    assert snapshot(session).compare == ()  # ... and reopens following
    assert [model.key for model in panel.models] == [
        "sentiment-rnn", "sentiment-lstm", "sentiment-gru"]
