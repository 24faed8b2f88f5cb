"""Plots that take their width from the window, never from their text.

pyqtgraph's title label imposes its text's width as the plot's minimum on every resize,
so a long title (This step's "f — forget gate: how much of the old cell state is kept")
made the plot wider than its dock at 1280 x 720 and cut off its right end. A title too
long for its plot is clipped instead; its text stays whole in the tooltip where a caller
sets one.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QSizePolicy


def title_never_widens(plot: pg.PlotItem) -> None:
    """Stop ``plot``'s title label from setting the plot's minimum width."""
    title = plot.titleLabel
    title.updateMin = lambda: None  # LabelItem re-imposes its text width on each setText
    title.setMinimumWidth(0)
    title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
