"""Hover read-outs for time plots: the step under the mouse, described in a label; and
the wrapping, selectable label panels write their words in."""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy


def wrapped_label(text: str = "") -> QLabel:
    """A label that wraps its words, selectable (numbers are copied into notes)."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def hover_label(hint: str) -> QLabel:
    """A selectable one-line label that never widens its dock."""
    label = QLabel(hint)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return label


class StepHover:
    """Follows the step under the mouse over one plot and writes ``describe(step)`` into
    ``label``; it remembers the step, so a new trace rewrites the line instead of leaving
    the previous sentence's values under the mouse."""

    def __init__(self, plot_widget: pg.PlotWidget, label: QLabel,
                 describe: Callable[[int], str | None]) -> None:
        self.label = label
        self._hint = label.text()
        self._describe = describe
        self._step: int | None = None
        self._view = plot_widget.getPlotItem().getViewBox()
        plot_widget.scene().sigMouseMoved.connect(self._on_moved)

    def _on_moved(self, scene_pos: QPointF) -> None:
        if not self._view.sceneBoundingRect().contains(scene_pos):
            return
        step = round(self._view.mapSceneToView(scene_pos).x())
        text = self._describe(step)
        if text:
            self._step = step
            self.label.setText(text)

    def refresh(self) -> None:
        """Describe the remembered step again (the hint when the new trace lacks it)."""
        if self._step is None:
            return
        text = self._describe(self._step)
        if not text:
            self._step = None
        self.label.setText(text or self._hint)


def follow_steps(plot_widget: pg.PlotWidget, label: QLabel,
                 describe: Callable[[int], str | None]) -> StepHover:
    """Show ``describe(step)`` in ``label`` while the mouse is over ``plot_widget``."""
    return StepHover(plot_widget, label, describe)
