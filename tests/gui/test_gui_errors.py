"""GUI errors go through one path: a banner naming the file and what to do, the previous
model and trace kept under their own name, a bug logged to crash.log, Open recent holding
only files that opened."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from conftest import wait_for_trace

from rnnstudio import io as rnn_io
from rnnstudio.engine.model import Model, random_model
from rnnstudio.gui.desktop.logs import CRASH_LOG_NAME


def _model_file(tmp_path: Path, name: str = "tiny.safetensors", **card: object) -> Path:
    model = random_model("gru", hidden_size=4, seed=9)
    if card:
        model = Model(replace(model.config, card=card), model.params)
    path = tmp_path / name
    rnn_io.save_model(model, path)
    return path


def _fail_open(qtbot, window, path: Path) -> str:  # type: ignore[no-untyped-def]
    """Open ``path`` expecting the worker to fail; the banner's text."""
    with qtbot.waitSignal(window.session.error_raised, timeout=5000):
        window.open_file(path)
    window.session.wait()
    assert window.message_bar.isVisible()
    return str(window.message_bar.text)


def _shown(window) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    """What says which model is open: session, title, Model dock, trace."""
    session = window.session
    return (session.model, session.trace, session.source, window.windowTitle(),
            window.model_panel.summary.text())


def test_a_loader_bug_names_the_file_and_the_crash_log(qtbot, window, tmp_path,  # type: ignore[no-untyped-def]
                                                       logs_in_tmp, monkeypatch) -> None:
    from rnnstudio.io import model_source

    def buggy_loader(path: object, *key_map: object, **overrides: object) -> None:
        raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")

    monkeypatch.setattr(model_source, "read_model", buggy_loader)  # files are read by it
    path = _model_file(tmp_path)
    before = _shown(window)
    message = _fail_open(qtbot, window, path)
    crash_log = logs_in_tmp / CRASH_LOG_NAME
    assert message.startswith(f"Could not open {path}: reading the text failed: this is a bug")
    assert f"details in {crash_log}" in message
    assert "TypeError:" not in message and "unsupported operand" not in message
    logged = crash_log.read_text(encoding="utf-8")
    assert "bug while reading the text" in logged and "Traceback" in logged
    assert "in buggy_loader" in logged and "TypeError: unsupported operand" in logged
    assert _shown(window) == before
    assert str(path) not in window.settings.recent_files


def test_a_broken_model_file_keeps_the_model_shown(qtbot, window, tmp_path,  # type: ignore[no-untyped-def]
                                                   logs_in_tmp) -> None:
    path = tmp_path / "broken.safetensors"
    path.write_bytes(b"\x00" * 40)
    before = _shown(window)
    title = window.windowTitle()
    message = _fail_open(qtbot, window, path)
    assert "broken.safetensors" in message
    assert _shown(window) == before and window.windowTitle() == title
    assert "broken" not in window.model_panel.summary.text()
    assert window.settings.recent_files == []
    assert not (logs_in_tmp / CRASH_LOG_NAME).exists()  # bad input is not a bug


def test_a_broken_session_file_is_named_and_not_remembered(window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "broken.rnnstudio"
    path.write_text('{"format": "rnnstudio-session", "version": 1, "model": 5}')
    before = _shown(window)
    window.open_file(path)
    assert "broken.rnnstudio" in window.message_bar.text
    assert window.message_bar.kind == "error"
    assert _shown(window) == before
    assert window.settings.recent_files == []


def test_a_reader_bug_on_the_gui_thread_is_a_message(window, tmp_path, logs_in_tmp,  # type: ignore[no-untyped-def]
                                                     monkeypatch) -> None:
    from rnnstudio.gui import main_window

    def buggy_reader(path: object) -> None:
        raise KeyError("meta")

    monkeypatch.setattr(main_window, "load_session", buggy_reader)
    path = tmp_path / "saved.rnnstudio"
    path.write_text('{"format": "rnnstudio-session", "version": 1}')
    before = _shown(window)
    window.open_file(path)
    message = window.message_bar.text
    assert message.startswith(f"opening the file ({path}) failed: this is a bug")
    assert "KeyError" in message and str(logs_in_tmp / CRASH_LOG_NAME) in message
    assert _shown(window) == before


def test_open_recent_holds_only_files_that_opened(qtbot, window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = _model_file(tmp_path, "good.safetensors")
    wait_for_trace(qtbot, window.session, lambda: window.open_file(good))
    assert window.settings.recent_files == [str(good)]
    good.write_bytes(b"not a model any more")
    message = _fail_open(qtbot, window, good)
    assert "good.safetensors" in message
    assert window.settings.recent_files == []  # a file that no longer opens leaves the menu
    menu = window.named_actions.recent_menu
    assert not menu.isEnabled()


def test_clear_recent_empties_the_menu(qtbot, window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for name in ("a.safetensors", "b.safetensors"):
        path = _model_file(tmp_path, name)
        wait_for_trace(qtbot, window.session, lambda path=path: window.open_file(path))
    menu = window.named_actions.recent_menu
    clear = window.named_actions["clear_recent"]
    assert [action.text() for action in menu.actions() if not action.isSeparator()] == [
        "b.safetensors", "a.safetensors", "&Clear recent"]
    assert menu.isEnabled()
    clear.trigger()
    assert window.settings.recent_files == []
    assert [action for action in menu.actions() if not action.isSeparator()] == [clear]
    assert not menu.isEnabled()


def test_a_failing_export_names_the_file(window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "a folder"
    folder.mkdir()
    assert not window.export_panel("gradients", folder, 640)
    assert str(folder) in window.message_bar.text
    target = tmp_path / "missing" / "figure.png"
    assert not window.export_panel("heatmaps", target, 640)
    assert str(target) in window.message_bar.text


def test_an_export_bug_is_logged_and_named(window, tmp_path, logs_in_tmp,  # type: ignore[no-untyped-def]
                                           monkeypatch) -> None:
    from rnnstudio.gui import export

    def buggy_render(*args: object) -> None:
        raise AttributeError("'NoneType' object has no attribute 'scene'")

    monkeypatch.setattr(export, "render_panel", buggy_render)
    target = tmp_path / "figure.png"
    assert not window.export_panel("heatmaps", target, 640)
    message = window.message_bar.text
    assert message.startswith(f"exporting ({target}) failed: this is a bug")
    assert "AttributeError" in (logs_in_tmp / CRASH_LOG_NAME).read_text(encoding="utf-8")
    assert not target.exists()


@pytest.mark.parametrize("card", [
    {"origin": "trained", "task": "recall", "held_out_accuracy": "0.93",
     "eval": {"examples": "400"}, "held_out_by_gap": {"2": "1.0", "x": [1], "5": None}},
    {"origin": "trained", "title": ["a", "list"], "task": {"nested": {"dict": 1}},
     "held_out_accuracy": [0.9], "eval": [1, 2], "held_out_by_gap": [[1, 0.5]],
     "held_out_at_phrase_start": {"x": 1}, "command": {"argv": ["rnnstudio"]}},
    {"origin": "trained", "title": "<script>alert(1)</script> & \x1b]0;owned\x07",
     "task": "\x1b[2J<b>bold</b>", "metric": "<i>", "command": "a" * 10_000_000},
    {"origin": "trained", "held_out_accuracy": 1e400, "held_out_by_gap": {"1e400": 1e400},
     "held_out_at_phrase_start": float("nan"), "eval": {"examples": -3}},
    {"origin": "trained", "held_out_accuracy": True, "task": 10**5000, "title": 12.5},
    {"origin": ["trained"]},
    [("origin", "trained")],
    "trained",
    None,
])
def test_a_hostile_card_shows_escaped_bounded_text(card: object) -> None:
    from rnnstudio.gui.widgets.model_panel import model_card_html

    html = model_card_html(card)
    assert len(html) < 2000
    assert "<script>" not in html and "<i>" not in html and "<b>bold" not in html
    assert "\x1b" not in html and "\x07" not in html
    assert "[" not in html.replace("\\x1b[", "")  # no list or dict repr, only escapes


def test_numbers_written_as_text_still_read_as_numbers() -> None:
    from rnnstudio.gui.widgets.model_panel import model_card_html

    html = model_card_html({"origin": "trained", "task": "recall", "held_out_accuracy": "0.93",
                            "eval": {"examples": 400}, "held_out_by_gap": {"10": 0.5, "2": "1"}})
    assert "held-out accuracy: <b>93.0%</b> on 400 new examples (accuracy)" in html
    assert "by gap: 2: 1.00, 10: 0.50" in html
    escaped = model_card_html({"origin": "trained", "title": "a<b> \x1b[2J"})
    assert escaped == "<b>a&lt;b&gt; \\x1b[2J</b>"


def test_a_model_with_a_hostile_card_opens(qtbot, window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = _model_file(tmp_path, "hostile.safetensors", origin="trained",
                       title="<img src=x> \x1b]0;title\x07", task=["not", "a", "name"],
                       held_out_accuracy="ninety", held_out_by_gap={"a": {"b": "c"}},
                       eval=[1], command="x" * 100_000)
    wait_for_trace(qtbot, window.session, lambda: window.open_file(path))
    assert window.session.source.path == path
    assert "hostile.safetensors" in window.windowTitle()
    assert "hostile.safetensors" in window.model_panel.summary.text()
    card = window.model_panel.card.text()
    assert card.startswith("<b>&lt;img src=x&gt; \\x1b]0;title\\x07</b>") and len(card) < 1000
    assert not window.message_bar.isVisible()


def test_the_message_bar_shows_plain_bounded_text(qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    from rnnstudio.gui.widgets.message_bar import MAX_MESSAGE_CHARS, MessageBar

    bar = MessageBar()
    qtbot.addWidget(bar)
    message = "cannot read /tmp/<b>bold</b>.pt: " + "x" * 100_000 + "; choose another file"
    bar.show_message(message)
    assert bar.label.textFormat() == Qt.TextFormat.PlainText
    assert bar.text.startswith("cannot read /tmp/<b>bold</b>.pt: ")
    assert bar.text.endswith("; choose another file")
    assert len(bar.text) <= MAX_MESSAGE_CHARS + 60 and "characters cut" in bar.text
