"""Legends beside the data, never on it, and whole (issue 11): the Unit inspector's and
the Training plots', at a 1280 x 720 projector's size and at 1920 x 1080."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt

from rnnstudio.gui.widgets.legends import fit_columns


def _legends(window) -> list[tuple[pg.LegendItem, pg.PlotItem, pg.GraphicsView]]:  # type: ignore[no-untyped-def]
    inspector, training = window.unit_inspector, window.training
    return [(inspector.legend, inspector.plot, inspector.plot_widget),
            (training.loss_legend, training.loss_plot, training.graphics),
            (training.norm_legend, training.norm_plot, training.graphics)]


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_legends_sit_under_the_data_and_are_whole(qtbot, window, size) -> None:  # type: ignore[no-untyped-def]
    window.resize(*size)
    window.show_panel("unit")
    window.show_panel("training")
    qtbot.wait(50)  # Training lays itself out by its shape once shown
    window.grab()  # lays everything out as painted
    qtbot.wait(50)  # and the legends' columns follow the plots' widths: one more pass
    for legend, plot, view in _legends(window):
        area = legend.sceneBoundingRect()
        data = plot.getViewBox().sceneBoundingRect()
        assert area.height() > 0 and area.width() > 0
        assert not area.intersects(data), (legend, area, data)
        assert area.top() >= data.bottom()  # under the plot
        shown = view.mapToScene(view.viewport().rect()).boundingRect()
        assert shown.contains(area), (area, shown)  # no entry cut off at the right
    names = [label.text for _, label in window.unit_inspector.legend.items]
    assert names == ["h", "c", "i", "f", "g", "o"]  # the window's random LSTM
    assert [label.text for _, label in window.training.loss_legend.items] == [
        "train loss", "held-out loss", "accuracy"]


def test_columns_follow_the_width(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    legend = window.unit_inspector.legend
    fit_columns(legend, 2000)
    assert legend.columnCount == 6 and legend.rowCount == 1
    fit_columns(legend, 130)
    assert 1 < legend.columnCount < 6 and legend.rowCount == -(-6 // legend.columnCount)
    hint = legend.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize).width()
    assert hint <= 130
    legend.setColumnCount(legend.columnCount + 1)  # one more would not fit
    assert legend.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize).width() > 130
    fit_columns(legend, 1)
    assert legend.columnCount == 1 and legend.rowCount == 6


def test_every_control_of_compare_unit_and_training_says_what_it_does(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox

    kinds = (QAbstractButton, QAbstractSpinBox, QComboBox)
    for panel in (window.compare, window.unit_inspector, window.training):
        controls = [child for kind in kinds for child in panel.findChildren(kind)]
        assert all(control.toolTip() for control in controls), [
            type(control).__name__ for control in controls if not control.toolTip()]
    assert len(window.training.findChildren(QAbstractButton)) == 6
