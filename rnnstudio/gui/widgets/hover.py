"""Hover read-outs for time plots: the step under the mouse, described in a label."""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy


def hover_label(hint: str) -> QLabel:
    """A selectable one-line label that never widens its dock."""
    label = QLabel(hint)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return label


def follow_steps(plot_widget: pg.PlotWidget, label: QLabel,
                 describe: Callable[[int], str | None]) -> None:
    """Show ``describe(step)`` in ``label`` while the mouse is over ``plot_widget``."""
    view = plot_widget.getPlotItem().getViewBox()

    def on_moved(scene_pos: QPointF) -> None:
        if not view.sceneBoundingRect().contains(scene_pos):
            return
        text = describe(round(view.mapSceneToView(scene_pos).x()))
        if text:
            label.setText(text)

    plot_widget.scene().sigMouseMoved.connect(on_moved)
