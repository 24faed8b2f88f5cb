"""Give the colours the GUI sets itself to the light or dark scheme on screen.

``desktop/palette.py`` sets the widget palette, plot backgrounds and axis pens. What it
cannot know about is drawn here: plot titles (pyqtgraph fixes a title's colour when its
text is set), legend backings, the wash over steps not yet read, grid lines and markers.
Items carry a role in ``QGraphicsItem.data(ROLE_KEY)`` so one walk over the scenes finds
them, and widgets need no restyling code of their own. Exports render the scene as it is.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem, QWidget

from . import theme

ROLE_KEY = 0
DIM, GRID, MARKER = "dim", "grid", "marker"


def tag(item: object, role: str) -> None:
    """Mark ``item`` for :func:`apply_scheme` (``DIM``, ``GRID`` or ``MARKER``)."""
    # Through QGraphicsItem: PlotDataItem.setData means new curve data.
    QGraphicsItem.setData(item, ROLE_KEY, role)  # type: ignore[arg-type]


def apply_scheme(root: QWidget, dark: bool) -> int:
    """Restyle every plot under ``root`` for ``dark``; returns the items touched.

    Call after pyqtgraph's foreground option was set for the scheme (the palette
    follower does that before its ``on_change``): titles take it when re-set.
    """
    theme.set_dark(dark)
    text = theme.text_color()
    touched = 0
    views = root.findChildren(pg.GraphicsView)
    for view in views:
        for item in view.scene().items():
            touched += _restyle(item, text)
    return touched


def _restyle(item: object, text: str) -> int:
    if isinstance(item, pg.PlotItem):
        label = item.titleLabel
        if label.text:
            label.setText(label.text, color=text)
            return 1
    elif isinstance(item, pg.LegendItem):
        item.setBrush(theme.legend_brush())
        item.setLabelTextColor(text)
        for _sample, label in item.items:  # setLabelTextColor does not re-render them
            label.setText(label.text)
        return 1
    role = QGraphicsItem.data(item, ROLE_KEY) if isinstance(item, QGraphicsItem) else None
    if role == DIM and isinstance(item, QGraphicsRectItem):
        item.setBrush(pg.mkBrush(theme.dim_color()))
    elif role == GRID and isinstance(item, pg.InfiniteLine):
        item.setPen(pg.mkPen(theme.grid_color()))
    elif role == MARKER and isinstance(item, pg.PlotDataItem):
        item.setSymbolPen(pg.mkPen(text, width=1.5))
    else:
        return 0
    return 1
