"""Light and dark follow the system: widget palette and pyqtgraph colours."""

from __future__ import annotations

from collections.abc import Iterator

import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from rnnstudio.gui.desktop import palette
from rnnstudio.gui.desktop.palette import DARK_PLOTS, LIGHT_PLOTS, follow_system_scheme


@pytest.fixture
def global_look_restored(qapp) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Palette, style and pyqtgraph defaults are process-wide: put them back."""
    saved_palette, saved_style = qapp.palette(), qapp.style().name()
    saved_plot = {key: pg.getConfigOption(key) for key in ("background", "foreground")}
    yield
    qapp.setStyle(saved_style)
    qapp.setPalette(saved_palette)
    pg.setConfigOptions(**saved_plot)


def _background(view: pg.PlotWidget) -> QColor:
    return view.backgroundBrush().color()


def test_dark_scheme_darkens_widgets_and_existing_plots(
        qapp, qtbot, global_look_restored: None) -> None:  # type: ignore[no-untyped-def]
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    changes: list[bool] = []
    follower = follow_system_scheme(qapp, on_change=changes.append)
    try:
        follower.windows = lambda: [plot]
        assert follower.apply(Qt.ColorScheme.Dark) is True
        assert palette.palette_is_dark(qapp.palette())
        assert pg.getConfigOption("background") == DARK_PLOTS.background
        assert _background(plot) == QColor(DARK_PLOTS.background)
        axis = plot.getPlotItem().getAxis("bottom")
        assert axis.textPen().color() == QColor(DARK_PLOTS.foreground)
        assert follower.apply(Qt.ColorScheme.Light) is False
        assert not palette.palette_is_dark(qapp.palette())
        assert _background(plot) == QColor(LIGHT_PLOTS.background)
        assert changes[-2:] == [True, False]
    finally:
        follower.stop()


def test_scheme_change_signal_is_followed(qapp, global_look_restored: None) -> None:  # type: ignore[no-untyped-def]
    app = qapp
    changes: list[bool] = []
    follower = follow_system_scheme(app, on_change=changes.append)
    try:
        app.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
        assert changes[-1] is True and follower.dark
    finally:
        follower.stop()
    app.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert changes[-1] is True  # stopped: no longer follows


def test_unknown_scheme_falls_back_to_the_palette(qapp) -> None:  # type: ignore[no-untyped-def]
    expected = palette.palette_is_dark(qapp.palette())
    if qapp.styleHints().colorScheme() == Qt.ColorScheme.Unknown:
        assert palette.system_is_dark(qapp) is expected
    assert palette.plot_colors(True) == DARK_PLOTS and palette.plot_colors(False) == LIGHT_PLOTS


def test_dark_palette_keeps_disabled_text_readable() -> None:
    dark = palette.dark_fusion_palette()
    assert palette.palette_is_dark(dark)
    roles, disabled = dark.ColorRole, dark.ColorGroup.Disabled
    text = dark.color(roles.Text).lightness()
    dimmed = dark.color(disabled, roles.Text).lightness()
    base = dark.color(roles.Base).lightness()
    assert base < dimmed < text

