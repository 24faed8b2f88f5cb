"""The Corpus dock on an ArrayCorpus: its tables hold the queries' rows, a click opens the
document in the main view (undoable, the cursor on the hit; refused for another model's
corpus), a brushed span fills the units by LSTMVis's rule, and the dock starts hidden."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ready, wait_for_trace
from PySide6.QtCore import QCoreApplication, QPoint, Qt

from rnnstudio.engine.corpus_query import ArrayCorpus, find_spans, top_activations
from rnnstudio.engine.corpus_query_brush import brush_units
from rnnstudio.engine.model import random_model
from rnnstudio.gui.widgets.corpus_panel import CorpusPanel
from rnnstudio.view.corpus import PANEL_AFTER, PANEL_BEFORE, activation_rows, span_rows

TEXTS = ("the cat sat on the mat and the dog sat too", "a dog barked at the moon",
         "quiet now", "the moon rose over the quiet town and the cat slept")


def _open(qtbot, session, corpus: ArrayCorpus) -> CorpusPanel:  # type: ignore[no-untyped-def]
    panel = CorpusPanel(session, opener=lambda path: corpus)
    qtbot.addWidget(panel)
    panel.resize(1000, 360)
    panel.show()
    panel.open_path(Path("tiny.rscorpus"))
    return panel


@pytest.fixture
def panel(qtbot, session):  # type: ignore[no-untyped-def]
    ready(session, TEXTS[0], hidden_size=8, gain=2.0)
    return _open(qtbot, session, ArrayCorpus.from_texts(session.model, TEXTS, ("h", "f")))


def _search(qtbot, panel: CorpusPanel, units: str, threshold: float) -> None:  # type: ignore[no-untyped-def]
    panel.units_edit.setText(units)
    panel.threshold_box.setValue(threshold)
    queries = panel.queries
    with qtbot.waitSignal(queries.results_changed, timeout=10_000,
                          check_params_cb=lambda: not queries.running):
        panel.search_button.click()
    queries.runner.wait()


def test_the_header_says_what_is_open_and_by_which_model(panel) -> None:
    tokens = panel.session.corpus.token_count
    assert panel.header.text() == (f"tiny.rscorpus: 4 documents, {tokens} tokens · stores "
                                   "h, f of layer 0 fwd · made with the open model "
                                   f"(fingerprint {panel.session.corpus.fingerprint})")
    assert [panel.search_place.itemText(i) for i in range(2)] == [
        "h · layer 0 fwd", "f · layer 0 fwd"]
    assert not panel.progress.isVisibleTo(panel) and not panel.cancel_button.isVisibleTo(panel)


def test_search_shows_the_spans_ranked_with_context(qtbot, panel) -> None:
    _search(qtbot, panel, "1, 4", 0.0)
    corpus = panel.session.corpus
    expected = span_rows(corpus, find_spans(corpus, "h", 0, "fwd", [1, 4], 0.0, limit=200),
                         PANEL_BEFORE, PANEL_AFTER)
    assert len(expected) >= 2 and panel.search_table.rows == expected
    table = panel.search_table
    assert [table.horizontalHeaderItem(c).text() for c in range(6)] == [
        "#", "Doc", "Tokens", "Len", "Floor", "Context"]
    first = expected[0]
    assert table.item(0, 1).text() == str(first.document)
    assert table.item(0, 4).text() == f"{first.score:.4f}"
    assert table.item(0, 5).text() == first.context.marked("«", "»")
    assert panel.search_rule.text().startswith(f"{len(expected)} spans of h of layer 0 fwd")
    panel.limit_box.setValue(1)
    _search(qtbot, panel, "1, 4", 0.0)
    assert panel.search_table.rows == expected[:1]
    assert panel.search_rule.text().startswith(
        f"The first 1 of {len(expected)} spans of h of layer 0 fwd")
    assert panel.search_rule.toolTip().startswith("spans of at least 1 token inside one "
                                                  "document where units 1, 4 are all >= 0")


def test_top_lists_highest_and_lowest_with_saturation(qtbot, panel) -> None:
    panel.top_place.setCurrentIndex(1)  # f
    panel.unit_box.setValue(3)
    panel.k_box.setValue(5)
    queries = panel.queries
    with qtbot.waitSignal(queries.results_changed, timeout=10_000,
                          check_params_cb=lambda: not queries.running):
        panel.top_button.click()
    queries.runner.wait()
    corpus = panel.session.corpus
    for table, lowest in ((panel.highest_table, False), (panel.lowest_table, True)):
        assert table.rows == activation_rows(corpus, top_activations(
            corpus, "f", 0, "fwd", 3, 5, lowest), PANEL_BEFORE, PANEL_AFTER)
    fraction = corpus.saturation.left_fraction((0, "fwd", "f"))[3]
    assert f"left-saturated {fraction:.3f}" in panel.saturation_label.text()
    assert panel.lowest_label.text() == "Lowest: unit 3 of f of layer 0 fwd"
    assert panel.lowest_label.toolTip().startswith("the tokens where unit 3 is lowest")


def test_bad_units_are_said_before_any_search(panel) -> None:
    for text, said in (("3,x", "Units: give unit numbers"), ("8", "h has units 0 to 7"),
                       ("2,2", "name each unit once")):
        panel.units_edit.setText(text)
        panel.search_button.click()
        assert said in panel.message.text() and not panel.queries.running


def test_a_corpus_of_another_model_is_refused(qtbot, session) -> None:
    ready(session, TEXTS[0], hidden_size=8)
    other = ArrayCorpus.from_texts(random_model("lstm", 8, seed=5), TEXTS)
    panel = _open(qtbot, session, other)
    assert "made with another model" in panel.header.text()
    _search(qtbot, panel, "0", -1.0)
    panel.open_row(panel.search_table.rows[0])
    assert "made with another model" in panel.message.text()
    assert session.text == TEXTS[0]


def test_a_brushed_span_fills_the_units_by_lstmvis_s_rule(qtbot, panel) -> None:
    session = panel.session
    panel.brush_threshold.setValue(-0.1)
    panel.brush_before.setValue(0)
    session.corpus_queries.set_brush(4, 2)  # either order
    assert session.corpus_queries.brushed == (2, 4)
    assert "selected tokens 2–3" in panel.brush_label.text()
    assert "units >= -0.1 at every brushed token" in panel.brush_label.toolTip()
    panel.brush_button.click()
    hidden = session.trace.layers[0, "fwd"].h
    expected = brush_units(hidden, 2, 4, -0.1, 0, 0)
    assert 0 < len(expected) < 8 and panel.units_edit.text() == ",".join(map(str, expected))
    assert panel.threshold_box.value() == pytest.approx(-0.1)


def test_a_click_opens_the_document_undoably_at_the_hit(qtbot, window) -> None:
    session = window.session
    previous = session.text
    corpus = ArrayCorpus.from_texts(session.model, TEXTS)
    window.corpus_panel.opener = lambda path: corpus
    window.named_actions["corpus"].trigger()
    window.corpus_panel.open_path(Path("tiny.rscorpus"))
    _search(qtbot, window.corpus_panel, "0", -1.0)  # every token: whole documents
    row = next(row for row in window.corpus_panel.search_table.rows if row.document == 3)
    wait_for_trace(qtbot, session, lambda: window.corpus_panel.open_row(row))
    assert session.text == TEXTS[3] and session.cursor == row.position
    editor = window.text_input.editor
    assert editor.toPlainText() == TEXTS[3]
    editor.undo()
    assert editor.toPlainText() == previous


def test_shift_click_on_the_tokens_brushes_a_span(qtbot, window) -> None:
    session = window.session
    canvas = window.token_strip.canvas
    session.set_cursor(1)
    target = canvas.chip_rects[3].center()
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier,
                     QPoint(target.x(), target.y()))
    assert session.corpus_queries.brushed == (1, 4) and session.cursor == 1


def test_the_dock_opens_hidden_and_tabbed_with_the_gradients(window) -> None:
    dock = window.docks["corpus"]
    assert dock.isHidden()
    window.named_actions["corpus"].trigger()
    assert dock.isVisible()
    assert dock in window.tabifiedDockWidgets(window.docks["gradients"])
    window.reset_layout()
    assert dock.isHidden()


def test_cancel_drops_the_running_query(qtbot, panel) -> None:
    queries = panel.queries
    panel.units_edit.setText("0")
    panel.search_button.click()
    assert queries.running and panel.cancel_button.isVisibleTo(panel)
    panel.cancel_button.click()
    queries.runner.wait()
    QCoreApplication.processEvents()  # the stale result, queued to this thread: dropped
    assert (queries.running, queries.search_result) == ("", None)
    assert not panel.cancel_button.isVisibleTo(panel)
