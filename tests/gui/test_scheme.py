"""Dark scheme: what the GUI draws itself follows it (exports render what is on screen)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor

from rnnstudio.gui import theme
from rnnstudio.gui.desktop.palette import DARK_PLOTS, LIGHT_PLOTS, restyle_plots
from rnnstudio.gui.scheme import apply_scheme


def _lightness(color: object) -> int:
    return QColor(color).lightness()


def _scheme(window, colors, dark: bool) -> None:  # type: ignore[no-untyped-def]
    """What SystemSchemeFollower.apply does, without changing the app's palette."""
    pg.setConfigOptions(background=colors.background, foreground=colors.foreground)
    restyle_plots(window, colors)
    apply_scheme(window, dark)


def test_titles_legends_and_the_unread_wash_follow_the_scheme(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window.session.set_cursor(1)
    try:
        _scheme(window, DARK_PLOTS, True)
        step_title = window.step_view.rows["h"].plot.titleLabel
        assert "d4d4d4" in step_title.item.toHtml()  # light text on the dark plot
        assert "d4d4d4" in window.gradients.plot.titleLabel.item.toHtml()
        assert _lightness(window.gradients.legend.opts["brush"].color()) < 80
        assert _lightness(window.unit_inspector.legend.opts["brush"].color()) < 80
        assert all("d4d4d4" in label.item.toHtml() for _, label in window.gradients.legend.items)
        assert _lightness(window.heatmaps.rows[0].dim.brush().color()) < 80
        assert _lightness(window.gradients.decade_lines[0].pen.color()) < 100
        window.session.set_cursor(3)  # titles set later keep the scheme
        window.unit_inspector.refresh()
        assert "d4d4d4" in window.unit_inspector.plot.titleLabel.item.toHtml()
        _scheme(window, LIGHT_PLOTS, False)
        assert "2b2b2b" in step_title.item.toHtml()
        assert _lightness(window.gradients.legend.opts["brush"].color()) > 200
        assert _lightness(window.heatmaps.rows[0].dim.brush().color()) > 200
    finally:
        pg.setConfigOptions(background=LIGHT_PLOTS.background,
                            foreground=LIGHT_PLOTS.foreground)
        theme.set_dark(False)


def test_plots_built_while_dark_are_dark(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from rnnstudio.io.model_source import RandomModelSpec

    try:
        _scheme(window, DARK_PLOTS, True)
        with qtbot.waitSignal(window.session.trace_changed, timeout=5000):
            window.session.set_random_model(RandomModelSpec(cell="gru", hidden_size=4))
        window.session.wait()
        assert "d4d4d4" in window.step_view.rows["z"].plot.titleLabel.item.toHtml()
        assert _lightness(window.heatmaps.rows[1].dim.brush().color()) < 80
    finally:
        pg.setConfigOptions(background=LIGHT_PLOTS.background,
                            foreground=LIGHT_PLOTS.foreground)
        theme.set_dark(False)
