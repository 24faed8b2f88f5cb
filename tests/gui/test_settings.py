"""Settings persist across a restart, read back with their types."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from rnnstudio.gui.app import start
from rnnstudio.gui.engine_bridge import RandomModelSpec
from rnnstudio.gui.session import Session
from rnnstudio.gui.settings import APPLICATION, ORGANIZATION, SETTINGS_VERSION, Settings


def test_settings_survive_a_restart(qtbot, window, settings_in_tmp) -> None:  # type: ignore[no-untyped-def]
    window.text_input.editor.setPlainText("colourless green ideas")
    window.text_input.commit()
    window.session.wait()
    window.transport.speed_box.setValue(7.5)
    window.set_saliency_shown(True)
    window.session.random_spec = RandomModelSpec(cell="gru", hidden_size=12, seed=4)
    window.docks["model"].hide()
    window.settings.add_recent_file("/tmp/a.safetensors")
    window.close()
    saved_geometry = bytes(window.settings.geometry)
    assert saved_geometry

    second_session = Session()
    second = start(second_session, Settings())
    qtbot.addWidget(second)
    second.show()
    try:
        assert second.text_input.editor.toPlainText() == "colourless green ideas"
        assert second_session.trace.tokens == ["colourless", "green", "ideas"]
        assert second.transport.speed_box.value() == 7.5
        assert second.token_strip.saliency_shown and second.actions["saliency"].isChecked()
        assert second_session.model.config.recurrent.cell == "gru"
        assert second_session.model.config.recurrent.hidden_size == 12
        assert second.docks["model"].isHidden()
        # (the offscreen screen is 800 x 600, so restored sizes get clamped: compare bytes)
        assert bytes(second.settings.geometry) == saved_geometry
        assert second.settings.recent_files == ["/tmp/a.safetensors"]
        second.reset_layout()
        assert not second.docks["model"].isHidden()
    finally:
        second.close()
        second_session.shutdown()


def test_reads_are_typed_and_versioned(settings_in_tmp) -> None:  # type: ignore[no-untyped-def]
    store = QSettings(ORGANIZATION, APPLICATION)
    store.setValue("preferences/saliency_shown", "false")  # what an INI file gives back
    store.setValue("preferences/playback_speed", "2.5")
    store.setValue("window/state", b"from a newer release")
    store.setValue("settings/version", SETTINGS_VERSION + 1)
    settings = Settings(store)
    assert settings.saliency_shown is False
    assert settings.playback_speed == 2.5
    assert settings.window_state.isEmpty()
    assert store.value("settings/version", type=int) == SETTINGS_VERSION
