"""Session files in the window: save, reopen exactly, render headless, open traces."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import last_session, opened_windows, ready, wait_for_trace
from PySide6.QtCore import QTimer
from PySide6.QtGui import QImage

from rnnstudio.engine.losses import ClassCrossEntropy, TagCrossEntropy
from rnnstudio.gui.app import start
from rnnstudio.gui.plot_cli import main as plot_main
from rnnstudio.gui.session import Session
from rnnstudio.gui.settings import Settings
from rnnstudio.io.model_source import ModelSource
from rnnstudio.io.session_file import load_session

IDIOM = "she was feeling under the weather today"


def _open(qtbot, path):  # type: ignore[no-untyped-def]
    session = Session()
    window = start(session, Settings(), str(path))
    qtbot.addWidget(window)
    window.show()
    return window


def _set_up(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    session = window.session
    wait_for_trace(qtbot, session, lambda: session.open_shipped_model("idioms-lstm", IDIOM))
    session.set_view(0, "bwd")
    session.set_cursor(3)
    session.select_unit(5)
    wait_for_trace(qtbot, session, lambda: session.set_loss(TagCrossEntropy(3, "idiom")))
    session.set_saliency_shown(True)
    session.compare.set_keys(["idioms-rnn", "idioms-gru"])
    lesson = next(item for item in window.lessons if item.name == "09-bidirectional")
    session.show_lesson(lesson, 1)
    qtbot.waitUntil(lambda: bool(session.trace.grads.jacobian), timeout=5000)


def test_a_saved_session_reopens_exactly(qtbot, window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _set_up(qtbot, window)
    path = tmp_path / "lesson.rnnstudio"
    assert window.save_session(path)
    state = load_session(path)
    assert state.loss == "tag:3:idiom" and state.model == ModelSource.shipped("idioms-lstm")
    first = window.session
    second = _open(qtbot, path)
    try:
        session = second.session
        for name in ("source", "text", "cursor", "layer", "direction", "unit", "loss",
                     "options", "lesson_stage"):
            assert getattr(session, name) == getattr(first, name), name
        assert session.lesson is not None and session.lesson.name == "09-bidirectional"
        assert session.compare.keys == ("idioms-rnn", "idioms-gru")
        assert session.trace.grads.loss_name == "tag:3:idiom"
        for mine, theirs in zip(second.heatmaps.rows, window.heatmaps.rows, strict=True):
            np.testing.assert_array_equal(mine.image.image, theirs.image.image)
        assert second.token_strip.shading is not None
        assert "Part 2 of 2" in second.lesson_panel.text.toPlainText()
    finally:
        second.close()
        second.session.shutdown()


def test_the_issues_minimal_session_file_opens(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "minimal.rnnstudio"
    path.write_text(json.dumps({"format": "rnnstudio-session", "version": 1,
                                "model": "sentiment-lstm",
                                "text": "the camera was not good", "cursor": 3}))
    window = _open(qtbot, path)
    try:
        session = window.session
        assert session.source == ModelSource.shipped("sentiment-lstm")
        assert session.trace.tokens == ["the", "camera", "was", "not", "good"]
        assert session.cursor == 3 and session.loss == ClassCrossEntropy()
        assert window.text_input.editor.toPlainText() == "the camera was not good"
    finally:
        window.close()
        window.session.shutdown()


def test_plot_of_a_session_equals_the_windows_export(qtbot, window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _set_up(qtbot, window)
    path = tmp_path / "fig.rnnstudio"
    assert window.save_session(path)
    for panel, name in (("heatmaps", "heatmaps"), ("gradients", "gradients"),
                        ("this step", "step")):
        from_window, headless = tmp_path / f"window-{name}.png", tmp_path / f"plot-{name}.png"
        assert window.export_panel(panel, from_window, 900)
        assert plot_main([str(path), "--out", str(headless), "--panel", name,
                          "--width", "900"]) == 0
        mine, theirs = QImage(str(from_window)), QImage(str(headless))
        assert mine.size() == theirs.size() and mine.width() == 900
        assert mine == theirs, panel


def test_file_open_takes_the_apps_own_trace(qtbot, window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    session = window.session
    path = tmp_path / "trace.npz"
    with qtbot.waitSignal(session.saved, timeout=10_000):
        window.export_trace(path)
    shown = session.trace
    window.open_file(path)
    assert session.model is None and session.trace is not shown
    assert session.trace.tokens == shown.tokens
    np.testing.assert_array_equal(session.trace.layer(0).gates["f"], shown.layer(0).gates["f"])
    np.testing.assert_array_equal(window.heatmaps.rows[3].image.image,
                                  shown.layer(0).gates["f"].T.astype(np.float32))
    assert "without it" in window.step_view.equations.text()
    assert window.windowTitle() == "trace.npz — RNN Studio"


def test_a_broken_session_file_is_one_message_and_the_window_opens(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "broken.rnnstudio"
    path.write_text('{"format": "rnnstudio-session", "version": 1, "model": 7, "text": "x"}')
    window = _open(qtbot, path)
    try:
        assert window.session.trace is not None  # the default model, on its sample
        message = window.message_bar.text
        assert str(path) in message and "model" in message and "\n" not in message
    finally:
        window.close()
        window.session.shutdown()


def test_rnnstudio_with_a_session_file_opens_it(qtbot, tmp_path, run_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "s.rnnstudio"
    path.write_text(json.dumps({"format": "rnnstudio-session", "version": 1,
                                "model": {"random": {"cell": "gru", "hidden_size": 6}},
                                "text": "one two three", "cursor": 1, "unit": 4}))
    seen: list[tuple[object, ...]] = []
    opened = opened_windows(monkeypatch)

    def close_windows() -> None:
        for widget in opened:
            session = widget.session
            seen.append((session.trace.tokens, session.cursor, session.unit,
                         session.model.config.recurrent.cell))
            widget.close()

    QTimer.singleShot(300, close_windows)
    assert run_app([str(path)]) == 0
    assert seen == [(["one", "two", "three"], 1, 4, "gru")]


def test_the_smoke_test_leaves_the_users_session_alone(qtbot, run_app) -> None:  # type: ignore[no-untyped-def]
    """A packaging check ran in the user's settings: it reopened their session and saved
    its own sentence over it on close."""
    settings = Settings()
    last_session(settings, "my own words stay")
    path = settings.last_session_path
    before = path.read_bytes()
    assert run_app(["--smoke-test"]) == 0
    assert path.read_bytes() == before


def test_rnnstudio_with_a_shipped_models_name_opens_it(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Issue 11: `rnnstudio recall-gru` ignored the name."""
    window = _open(qtbot, "recall-gru")
    try:
        assert window.session.source == ModelSource.shipped("recall-gru")
        assert window.session.model.config.recurrent.cell == "gru"
    finally:
        window.close()
        window.session.shutdown()


def test_plot_takes_a_shipped_models_name(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "h.png"
    assert plot_main(["sentiment-gru", "--text", "not good", "--out", str(out),
                      "--width", "700"]) == 0
    assert QImage(str(out)).width() == 700


def test_the_colour_scale_is_kept_with_the_session(session) -> None:  # type: ignore[no-untyped-def]
    from rnnstudio.errors import SessionFileError
    from rnnstudio.gui.session_files import restore, snapshot
    from rnnstudio.io.session_file import SessionFile, session_from_dict, session_to_dict

    session.set_colour_scale("symlog")
    state = snapshot(session)
    assert session_to_dict(state)["colour_scale"] == "symlog"
    session.set_colour_scale("linear")
    restore(session, session_from_dict(session_to_dict(state)), [], synchronous=True)
    assert session.options.colour_scale == "symlog"
    with pytest.raises(SessionFileError, match="colour_scale"):
        SessionFile(model=state.model, text="a", colour_scale="log")


def test_the_open_corpus_is_kept_with_the_session(session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A corpus index open in the dock comes back with the session (relative to the
    session file); one that has gone is said and the rest opens."""
    from rnnstudio.gui.session_files import restore, snapshot
    from rnnstudio.io.corpus_index import index_corpus
    from rnnstudio.io.corpus_reader import open_corpus
    from rnnstudio.io.session_file import load_session, save_session

    ready(session, "the cat sat", hidden_size=4)
    book = tmp_path / "book.txt"
    book.write_text("The cat sat.\n\nThe dog ran far.", "utf-8")
    folder = tmp_path / "book.rscorpus"
    index_corpus(session.model, book, folder)
    session.open_corpus(open_corpus(folder), folder.name, folder)
    save_session(snapshot(session), tmp_path / "s.rnnstudio")
    assert '"corpus": "book.rscorpus"' in (tmp_path / "s.rnnstudio").read_text("utf-8")
    session.corpus_queries.open(open_corpus(folder), "other", None)
    restore(session, load_session(tmp_path / "s.rnnstudio"), [], synchronous=True)
    assert session.corpus_queries.path == folder and session.corpus.token_count == 9
    errors: list[str] = []
    session.error_raised.connect(errors.append)
    (folder / "manifest.json").unlink()
    restore(session, load_session(tmp_path / "s.rnnstudio"), [], synchronous=True)
    assert len(errors) == 1 and errors[0].startswith("The session's corpus was not opened: ")
    assert "book.rscorpus" in errors[0] and session.text == "the cat sat"
