"""View > Theme: a chosen scheme applies at once and is the next window's too."""

from __future__ import annotations

from collections.abc import Iterator

import pyqtgraph as pg
import pytest
from PySide6.QtGui import QColor, QPalette

from rnnstudio.gui import theme
from rnnstudio.gui.desktop.palette import DARK_PLOTS, LIGHT_PLOTS
from rnnstudio.gui.session import Session
from rnnstudio.gui.settings import Settings


@pytest.fixture
def look_restored(qapp) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Palette, style and pyqtgraph defaults are process-wide: put them back."""
    saved_palette, saved_style = qapp.palette(), qapp.style().name()
    yield
    qapp.setStyle(saved_style)
    qapp.setPalette(saved_palette)
    pg.setConfigOptions(background=LIGHT_PLOTS.background, foreground=LIGHT_PLOTS.foreground)
    theme.set_dark(False)


def _window_lightness(qapp) -> int:  # type: ignore[no-untyped-def]
    return qapp.palette().color(QPalette.ColorRole.Window).lightness()


def test_dark_applies_at_once_and_persists(qapp, qtbot, window, look_restored) -> None:  # type: ignore[no-untyped-def]
    from rnnstudio.gui.app import start

    assert window.named_actions["theme_system"].isChecked()
    light = _window_lightness(qapp)
    window.named_actions["theme_dark"].trigger()
    assert _window_lightness(qapp) < 128 <= light
    assert window.heatmaps.graphics.backgroundBrush().color() == QColor(DARK_PLOTS.background)
    assert theme.is_dark() and window.settings.theme == "dark"
    window.close()
    qapp.setPalette(qapp.style().standardPalette())  # as a fresh start would find it
    second = start(Session(), Settings())
    qtbot.addWidget(second)
    try:
        assert second.named_actions["theme_dark"].isChecked()
        assert _window_lightness(qapp) < 128
        assert second.gradients.plot_widget.backgroundBrush().color() == QColor(
            DARK_PLOTS.background)
        second.named_actions["theme_light"].trigger()
        assert _window_lightness(qapp) >= 128 and not theme.is_dark()
        assert Settings().theme == "light"
    finally:
        second.close()
        second.session.shutdown()


def test_an_unknown_saved_theme_reads_as_system(qtbot) -> None:  # type: ignore[no-untyped-def]
    settings = Settings()
    settings.store.setValue("preferences/theme", "sepia")
    assert settings.theme == "system"
    with pytest.raises(ValueError, match="sepia"):
        settings.theme = "sepia"
