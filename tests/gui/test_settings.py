"""What survives a restart: the layout and preferences as settings, the whole session
(model, text, cursor, layer, direction, unit, loss, options) as a session file."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import wait_for_trace
from PySide6.QtCore import QByteArray, QSettings

from rnnstudio.app_info import APP_NAME, ORGANIZATION
from rnnstudio.engine.losses import Probe
from rnnstudio.gui.app import start
from rnnstudio.gui.session import Session
from rnnstudio.gui.settings import SETTINGS_VERSION, Settings
from rnnstudio.io.model_source import RandomModelSpec
from rnnstudio.io.session_file import load_session


def test_a_restart_restores_the_whole_session(qtbot, window, settings_in_tmp) -> None:  # type: ignore[no-untyped-def]
    session = window.session
    spec = RandomModelSpec(cell="gru", hidden_size=12, num_layers=2, bidirectional=True,
                           seed=4)
    wait_for_trace(qtbot, session, lambda: session.set_random_model(
        spec, "colourless green ideas sleep furiously"))
    session.set_view(1, "bwd")
    session.set_cursor(2)
    session.select_unit(7)
    wait_for_trace(qtbot, session, lambda: session.probe_unit(3, 5))
    session.playback.set_speed(7.5)
    session.set_saliency_shown(True)
    window.docks["model"].hide()
    window.settings.add_recent_file("/tmp/a.safetensors")
    window.close()
    saved_geometry = bytes(window.settings.geometry)
    assert saved_geometry
    assert load_session(window.settings.last_session_path).loss == "probe:3:5:h:1:bwd"

    second_session = Session()
    second = start(second_session, Settings())
    qtbot.addWidget(second)
    second.show()
    try:
        assert second.text_input.editor.toPlainText() == "colourless green ideas sleep furiously"
        assert second_session.trace.tokens[0] == "colourless"
        assert second_session.source.spec == spec
        assert (second_session.layer, second_session.direction) == (1, "bwd")
        assert (second_session.cursor, second_session.unit) == (2, 7)
        assert second_session.loss == Probe(3, 5, "h", 1, "bwd")
        assert second_session.trace.grads.loss_name == "probe:3:5:h:1:bwd"
        assert second.transport.speed_box.value() == 7.5
        assert second.token_strip.shading is not None
        assert second.named_actions["colour_tokens_dLdx"].isChecked()
        assert second.docks["model"].isHidden()
        # (the offscreen screen is 800 x 600, so restored sizes get clamped: compare bytes)
        assert bytes(second.settings.geometry) == saved_geometry
        assert second.settings.recent_files == ["/tmp/a.safetensors"]
        second.reset_layout()
        assert not second.docks["model"].isHidden()
    finally:
        second.close()
        second_session.shutdown()


def test_a_model_trained_here_keeps_its_text_across_a_restart(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    session = window.session
    model = RandomModelSpec(hidden_size=6).build()
    wait_for_trace(qtbot, session, lambda: session.use_model(model, "trained LSTM"))
    wait_for_trace(qtbot, session, lambda: session.set_text("words to keep safe"))
    window.close()
    assert not window.settings.last_session_path.exists()  # no file could hold the model
    second_session = Session()
    second = start(second_session, Settings())
    qtbot.addWidget(second)
    try:
        assert second_session.text == "words to keep safe"
        assert second_session.trace.tokens == ["words", "to", "keep", "safe"]
    finally:
        second.close()
        second_session.shutdown()


def test_version_1_text_is_kept_and_its_session_keys_dropped(settings_in_tmp) -> None:  # type: ignore[no-untyped-def]
    store = QSettings(ORGANIZATION, APP_NAME)
    store.setValue("settings/version", 1)
    store.setValue("session/last_text", "my own sentence")
    store.setValue("session/last_model", "random")
    store.setValue("preferences/saliency_shown", "true")
    settings = Settings(store)
    assert settings.remembered_text == "my own sentence"
    assert store.value("session/last_model") is None
    assert store.value("preferences/saliency_shown") is None


def test_reads_are_typed_and_versioned(settings_in_tmp) -> None:  # type: ignore[no-untyped-def]
    store = QSettings(ORGANIZATION, APP_NAME)
    store.setValue("preferences/export_width", "2400")  # what an INI file gives back
    store.setValue("window/state", b"from a newer release")
    store.setValue("settings/version", SETTINGS_VERSION + 1)
    settings = Settings(store)
    assert settings.export_width == 2400
    assert settings.window_state.isEmpty()
    assert store.value("settings/version", type=int) == SETTINGS_VERSION


def test_a_hand_edited_layout_reads_as_no_layout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # QSettings returns a list, a str or None for these lines even when asked for bytes.
    path = tmp_path / "edited.ini"
    path.write_text("[window]\ngeometry=a, b\nstate=@Variant(garbage)\n"
                    "[preferences]\nexport_width=wide\n")
    settings = Settings(QSettings(str(path), QSettings.Format.IniFormat))
    assert settings.geometry.isEmpty() and settings.window_state.isEmpty()
    assert settings.export_width == 1600  # Qt reads "wide" as 0: out of range
    assert settings.problem is None


@pytest.mark.parametrize("width", ["-5", "0", "15", "20001", "99999999999999999999999",
                                   "1e400", "nan", "1, 2", "@Size(3 4)", "true"])
def test_an_absurd_export_width_reads_as_the_default(tmp_path, width: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "width.ini"
    path.write_text(f"[preferences]\nexport_width={width}\n[settings]\nversion={width}\n")
    settings = Settings(QSettings(str(path), QSettings.Format.IniFormat))
    assert settings.export_width == 1600


def test_a_hand_written_bad_ini_reads_as_defaults(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.ini"
    huge_layout = "A" * 1_500_000
    recent = "\\n".join(["/ok/model.safetensors", "/evil/\\x1b[2Jname.pt", "x" * 5000,
                          *[f"/m{index}.pt" for index in range(20)]])
    path.write_text(f"[settings]\nversion=1e400\n[window]\ngeometry=@ByteArray(garbage)\n"
                    f"state=@ByteArray({huge_layout})\n[session]\nrecent_files={recent}\n"
                    "last_text=@Variant(\\0\\0\\0\\x7f)\n[preferences]\n"
                    "export_width=-5\n")
    settings = Settings(QSettings(str(path), QSettings.Format.IniFormat))
    assert settings.problem is None  # parsed: only the values were bad
    assert settings.export_width == 1600
    assert settings.window_state.isEmpty()  # more than a layout can be
    assert bytes(settings.geometry) == b"garbage"  # the window's restore refuses it
    assert settings.recent_files == ["/ok/model.safetensors",
                                     *[f"/m{index}.pt" for index in range(7)]]
    assert settings.remembered_text == ""
    settings.add_recent_file("/new.pt")
    assert settings.recent_files[:2] == ["/new.pt", "/ok/model.safetensors"]


def test_garbage_window_state_starts_with_the_default_layout(qtbot) -> None:  # type: ignore[no-untyped-def]
    settings = Settings()
    settings.save_window(QByteArray(b"not a geometry"), QByteArray(b"not a dock layout"))
    session = Session()
    window = start(session, settings)
    qtbot.addWidget(window)
    try:
        assert settings.geometry.isEmpty() and settings.window_state.isEmpty()  # forgotten
        assert not window.docks["model"].isHidden() and window.docks["compare"].isHidden()
        assert session.trace is not None
    finally:
        window.close()
        session.shutdown()


def test_an_unreadable_settings_file_is_reset_with_a_message(qtbot) -> None:  # type: ignore[no-untyped-def]
    store = QSettings(ORGANIZATION, APP_NAME)
    path = Path(store.fileName())
    path.parent.mkdir(parents=True, exist_ok=True)
    unreadable = b"\xff\xfe\x00garbage\x00\x01[[[\n[preferences\nexport_width\n===\n"
    path.write_bytes(unreadable)
    session = Session()
    settings = Settings()
    window = start(session, settings)
    qtbot.addWidget(window)
    try:
        kept = path.with_name(path.name + ".unreadable")
        assert kept.read_bytes() == unreadable  # the user's file is not overwritten
        message = window.message_bar.text
        assert f"The settings file {path} could not be read" in message and str(kept) in message
        assert session.trace is not None  # the app started
        assert settings.export_width == 1600 and settings.problem is not None
    finally:
        window.close()
        session.shutdown()
    assert QSettings(ORGANIZATION, APP_NAME).status() == QSettings.Status.NoError


def test_a_settings_path_that_is_a_folder_is_said_and_start_goes_on(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "rnnstudio.conf"
    folder.mkdir()
    settings = Settings(QSettings(str(folder), QSettings.Format.IniFormat))
    assert settings.problem is not None and "cannot be read or written" in settings.problem
    assert str(folder) in settings.problem
    assert settings.export_width == 1600
