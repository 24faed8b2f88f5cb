"""Shipped trained models in the window: default at start, the Models menu, the card."""

from __future__ import annotations

import pytest
from conftest import last_session, wait_for_trace

from rnnstudio.gui.app import start
from rnnstudio.gui.session import Session
from rnnstudio.gui.settings import Settings
from rnnstudio.io.model_source import ModelSource, RandomModelSpec
from rnnstudio.io.session_file import SessionFile, load_session, save_session
from rnnstudio.models_index import default_model, find_model, shipped_models


@pytest.fixture
def first_start(qtbot):  # type: ignore[no-untyped-def]
    """The window as a new user sees it: no settings, no arguments."""
    session = Session()
    window = start(session, Settings())
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()
    session.shutdown()


def test_first_start_shows_the_default_trained_model_on_its_sample(first_start) -> None:  # type: ignore[no-untyped-def]
    session = first_start.session
    entry = default_model()
    assert session.source.key == entry.key
    assert session.model.config.card["origin"] == "trained"
    assert session.text == entry.sample
    assert first_start.text_input.editor.toPlainText() == entry.sample
    assert session.loss.name == "class"  # its task loss, not a probe of noise
    card = first_start.model_panel.card.text()
    assert "held-out accuracy" in card and "100.0%" in card
    assert "build_models.py" in card and f"--only {entry.key}" in card
    assert first_start.model_panel.trained_box.currentData() == entry.key
    assert first_start.named_actions[f"model_{entry.key}"].isChecked()


def test_models_menu_lists_every_task_and_cell(first_start) -> None:  # type: ignore[no-untyped-def]
    menu = first_start.named_actions.menus["models"]
    assert menu.title() == "&Models"
    titles = list(dict.fromkeys(entry.task_title for entry in shipped_models()))
    tasks = [action.text() for action in menu.actions()]
    assert tasks[:len(titles)] == titles
    assert "Compare" in tasks[-1]
    recall = menu.findChildren(type(menu))[0]
    assert [action.text().split(" ")[0] for action in recall.actions()] == ["RNN", "LSTM", "GRU"]


def test_a_menu_entry_opens_the_model_and_its_sample(qtbot, first_start) -> None:  # type: ignore[no-untyped-def]
    session = first_start.session
    wait_for_trace(qtbot, session, first_start.named_actions["model_recall-gru"].trigger)
    entry = find_model("recall-gru")
    assert session.source.key == "recall-gru"
    assert session.model.config.recurrent.cell == "gru"
    assert session.trace.tokens == entry.sample.split()
    assert first_start.text_input.editor.toPlainText() == entry.sample
    assert [row.name for row in first_start.heatmaps.rows] == ["h", "r", "z", "n"]
    assert first_start.named_actions["model_recall-gru"].isChecked()
    assert not first_start.named_actions[f"model_{default_model().key}"].isChecked()
    assert "by gap: 0: 1.00, 5: 1.00" in first_start.model_panel.card.text()
    assert "Recall across a gap (GRU)" in first_start.windowTitle()


def test_the_model_dock_list_opens_a_model(qtbot, first_start) -> None:  # type: ignore[no-untyped-def]
    box = first_start.model_panel.trained_box
    index = box.findData("adding-rnn")
    assert box.itemText(index - 1) == find_model("adding-rnn").task_title  # its header
    wait_for_trace(qtbot, first_start.session, lambda: box.activated.emit(index))
    assert first_start.session.source.key == "adding-rnn"
    assert box.currentData() == "adding-rnn"


def test_the_last_model_is_opened_again(qtbot, first_start) -> None:  # type: ignore[no-untyped-def]
    wait_for_trace(qtbot, first_start.session,
                   first_start.named_actions["model_brackets-lstm"].trigger)
    first_start.close()
    assert load_session(Settings().last_session_path).model.key == "brackets-lstm"
    session = Session()
    second = start(session, Settings())
    qtbot.addWidget(second)
    try:
        assert session.source.key == "brackets-lstm"
        assert session.text == find_model("brackets-lstm").sample
    finally:
        second.close()
        session.shutdown()


def test_a_random_model_is_remembered_as_random(qtbot) -> None:  # type: ignore[no-untyped-def]
    settings = Settings()
    last_session(settings, "one two three", RandomModelSpec(seed=3))
    session = Session()
    window = start(session, settings)
    qtbot.addWidget(window)
    try:
        assert session.source.kind == "random" and session.source.spec.seed == 3
        assert session.trace.tokens == ["one", "two", "three"]
        assert window.model_panel.card.text() == ""
    finally:
        window.close()
        session.shutdown()


def test_a_missing_model_file_opens_the_default_model_and_keeps_the_text(  # type: ignore[no-untyped-def]
        qtbot, tmp_path) -> None:
    settings = Settings()
    gone = tmp_path / "gone.safetensors"
    save_session(SessionFile(model=ModelSource.file(gone), text="my precious words"),
                 settings.last_session_path)
    session = Session()
    window = start(session, settings)
    qtbot.addWidget(window)
    try:
        assert session.source.key == default_model().key
        assert session.text == "my precious words"
        assert window.text_input.editor.toPlainText() == "my precious words"
        assert not window.message_bar.isHidden()
        assert "gone.safetensors" in window.message_bar.text
    finally:
        window.close()
        session.shutdown()


def test_a_text_that_no_longer_fits_is_kept_and_said(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Issue 10's lost text: a saved text over the token limit used to be replaced by the
    sample sentence, then saved over the user's text on close."""
    settings = Settings()
    text = "word " * 20_001
    save_session(SessionFile(model=ModelSource.random(RandomModelSpec()), text=text),
                 settings.last_session_path)
    session = Session()
    window = start(session, settings)
    qtbot.addWidget(window)
    try:
        assert session.trace is None and session.text == text
        assert window.text_input.editor.toPlainText() == text
        assert "20001 tokens" in window.message_bar.text
    finally:
        window.close()
        session.shutdown()
    assert load_session(settings.last_session_path).text == text


def test_the_card_shows_the_figures_its_task_is_about() -> None:
    """Recall cards give accuracy by gap, idiom cards the accuracy at the ambiguous word."""
    from rnnstudio.gui.widgets.model_panel import model_card_html
    from rnnstudio.io.model_source import load_shipped_model

    idioms = model_card_html(load_shipped_model("idioms-gru").config.card)
    recall = model_card_html(load_shipped_model("recall-rnn").config.card)
    assert "at the first word of a phrase: 1.00" in idioms and "by gap" not in idioms
    assert "by gap: 0: 0.76, 5: 0.76, 10: 0.75, 20: 0.74" in recall
    assert "phrase" not in recall
    assert model_card_html({"origin": "random", "seed": 3}) == ""
