"""Legends under their plot, never over the data, in as many columns as fit its width.

Inside a plot a legend hides curves (the Gradients panel's hid the only curve at 10^0,
the Unit inspector's covered h and c at the first steps). Row 4 of a ``PlotItem``'s own
layout lies under its bottom axis, so the legend is exported with the plot; the column
count follows the plot's width, because six columns overflowed the 290-px Unit inspector
of a 1280 x 720 window (its "o" entry was cut off).
"""

from __future__ import annotations

from collections.abc import Iterable

import pyqtgraph as pg
from PySide6.QtCore import Qt

from ..theme import legend_brush


def legend_under(plot: pg.PlotItem,
                 entries: Iterable[tuple[pg.PlotDataItem, str]] = ()) -> pg.LegendItem:
    """A legend in row 4 of ``plot``'s layout holding ``entries`` (curve, name); its
    columns are refitted whenever the plot's data area changes size (and should be
    again, with :func:`fit_columns`, after entries are added)."""
    # Tight rows and margins (pyqtgraph's 9-px margins made two rows 60 px tall, a third
    # of the Unit inspector's plot on a 720-px screen; now 40).
    legend = pg.LegendItem(labelTextSize="8pt", brush=legend_brush(), verSpacing=-4,
                           horSpacing=3)
    legend.layout.setContentsMargins(4, 1, 4, 1)
    # No minimum width from its entries: the plot takes its width from the window and
    # the legend its columns from the plot, never the other way round (six columns made
    # the Unit inspector's plot wider than its 232-px dock, cutting off the last token).
    legend.setMinimumWidth(0)
    plot.layout.addItem(legend, 4, 1)
    for curve, name in entries:
        legend.addItem(curve, name)
    plot.geometryChanged.connect(lambda: fit_columns(legend, data_width(plot)))
    fit_columns(legend, data_width(plot))
    return legend


def data_width(plot: pg.PlotItem) -> float:
    """The width of the plot's data column: the plot's less its left and right axes."""
    sides = sum(plot.getAxis(name).width() for name in ("left", "right")
                if plot.getAxis(name).isVisible())
    return plot.width() - sides - 4


def fit_columns(legend: pg.LegendItem, width: float) -> None:
    """The most columns (one per entry at most, at least one) whose laid-out width fits
    in ``width`` pixels: no entry cut off, no row wasted when there is room."""
    for columns in range(max(len(legend.items), 1), 0, -1):
        legend.setColumnCount(columns)
        hint = legend.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize)
        if hint.width() <= width:
            return
