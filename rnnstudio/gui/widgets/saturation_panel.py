"""The Saturation dock: the scatter of Karpathy, Johnson & Fei-Fei (2015), one dot per unit
and gate at (fraction of steps shut, fraction open), over the shown text or a text file.

Hover names the dot (and how many share its spot), a click selects its unit; the selected
unit is ringed in every gate. What is drawn comes from :mod:`rnnstudio.view.saturation`.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...view.saturation import (
    SaturationScatter,
    axis_labels,
    saturation_scatter,
    text_saturation,
)
from ..session import Session
from .hover import wrapped_label

if TYPE_CHECKING:
    from ...engine.saturation import Saturation
from ..theme import SERIES_COLORS, configure_pyqtgraph, text_color

#: Dot opacity (of 255): a pile of dots on one spot reads darker than a single one.
_DOT_ALPHA = 140
_DOT_SIZE = 9


class SaturationPanel(QWidget):
    """``scatters[gate].getData()`` are the view's fractions for the shown layer and
    direction; ``scatter`` is the :class:`SaturationScatter` drawn (None: nothing)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        configure_pyqtgraph()
        self.session = session
        self.job = session.saturation
        self.scatter: SaturationScatter | None = None
        self.scatters: dict[str, pg.ScatterPlotItem] = {}
        self.source_label = wrapped_label()
        self.file_button = QPushButton("Text file…")
        self.file_button.setToolTip("Count over every paragraph of a UTF-8 text file with "
                                    "the shown model (each paragraph from the zero state)")
        self.file_button.clicked.connect(self.choose_file)
        self.text_button = QPushButton("This text")
        self.text_button.setToolTip("Count over the text on screen again")
        self.text_button.clicked.connect(self.job.clear)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop counting the text file; the shown text's dots stay")
        self.cancel_button.clicked.connect(self.job.clear)
        self.plot_widget = pg.PlotWidget()
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setXRange(-0.03, 1.05, padding=0)  # room for the last tick's label
        self.plot.setYRange(-0.03, 1.03, padding=0)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        diagonal = pg.PlotDataItem([0, 1], [1, 0], pen=pg.mkPen("#999", width=1,
                                                              style=Qt.PenStyle.DashLine))
        self.plot.addItem(diagonal)
        self.ring = pg.ScatterPlotItem(size=_DOT_SIZE + 8, brush=None,
                                       pen=pg.mkPen(text_color(), width=2))
        self.plot.addItem(self.ring)
        self.legend = wrapped_label()
        self.caption = wrapped_label()
        self.hover_label = wrapped_label(
            "Hover a dot for its unit; click it to select the unit")
        # The words beside the plot, not under it: the dock is wide and short under the
        # heatmaps (602 x 177 px at 1280 x 720 before it was enlarged), and a scatter of
        # fractions wants to be near square.
        buttons = QHBoxLayout()
        for widget in (self.file_button, self.text_button, self.cancel_button):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        side = QVBoxLayout()
        side.addWidget(self.source_label)
        side.addLayout(buttons)
        side.addWidget(self.progress)
        for label in (self.legend, self.caption, self.hover_label):
            side.addWidget(label)
        side.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.plot_widget, 3)
        layout.addLayout(side, 2)
        scene = self.plot_widget.scene()
        scene.sigMouseMoved.connect(self._on_moved)
        scene.sigMouseClicked.connect(self._on_clicked)
        session.trace_changed.connect(self.refresh)
        session.layer_changed.connect(self.refresh)
        session.unit_changed.connect(self._ring_selected)
        self.job.changed.connect(self.refresh)
        self.job.progressed.connect(self._on_progress)
        self.refresh()

    # --- what is drawn ----------------------------------------------------------------

    def refresh(self) -> None:
        """The shown layer and direction's dots over the text file's counts when there
        are some, else over the shown text."""
        session, job = self.session, self.job
        running = job.running
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        self.text_button.setVisible(bool(job.path) and not running)
        self.file_button.setEnabled(session.model is not None and not running)
        result, why, source = self._counts()
        self.source_label.setText(f"counting {Path(job.path).name}… (meanwhile: {source})"
                                  if running else source)
        self.source_label.setToolTip(job.path or source)
        if result is None:
            self._draw(None)
            self.caption.setText(why)
            return
        self._draw(saturation_scatter(result, session.layer, session.direction, source))
        x_title, y_title = axis_labels(result)
        self.plot.setLabel("bottom", escape(x_title))  # pyqtgraph reads labels as HTML
        self.plot.setLabel("left", escape(y_title))

    def _counts(self) -> tuple[Saturation | None, str, str]:
        """The counts shown (the file's, else this text's), why there are none, and
        what they were counted over."""
        job, trace = self.job, self.session.trace
        if job.result is not None:
            return job.result, "", (f"over {Path(job.path).name}: {job.result.texts:,} "
                                    f"paragraph(s), {job.result.steps:,} steps")
        if trace is None:
            return None, "", ""
        result, why = text_saturation(trace)
        return result, why, f"over this text: {trace.steps:,} steps"

    def _draw(self, scatter: SaturationScatter | None) -> None:
        self.scatter = scatter
        gates = [points.gate for points in scatter.gates] if scatter else []
        if gates != list(self.scatters):
            for item in self.scatters.values():
                self.plot.removeItem(item)
            self.scatters = {}
            for gate in gates:
                colour = pg.mkColor(SERIES_COLORS[gate])
                colour.setAlpha(_DOT_ALPHA)
                item = pg.ScatterPlotItem(size=_DOT_SIZE, pen=None, brush=pg.mkBrush(colour))
                self.plot.addItem(item)
                self.scatters[gate] = item
        for points in scatter.gates if scatter else ():
            self.scatters[points.gate].setData(points.left, points.right)
        self.legend.setText("<br>".join(
            f"<span style='color:{SERIES_COLORS[points.gate]}'>●</span> {points.label}"
            for points in (scatter.gates if scatter else ())))
        self.caption.setText(scatter.caption() if scatter else "")
        self._ring_selected()

    def _ring_selected(self) -> None:
        """A ring around the selected unit's dot in every gate."""
        spots = self.scatter.selected(self.session.unit) if self.scatter else []
        self.ring.setData([x for x, _ in spots], [y for _, y in spots])

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))

    # --- the mouse --------------------------------------------------------------------

    def dot_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        """(gate index, unit) of the dot under ``scene_pos``, None if none is near."""
        view = self.plot.getViewBox()
        if self.scatter is None or not view.sceneBoundingRect().contains(scene_pos):
            return None
        point = view.mapSceneToView(scene_pos)
        x_per_px, y_per_px = (abs(size) for size in view.viewPixelSize())
        return self.scatter.nearest(point.x(), point.y(), x_per_px, y_per_px)

    def _on_moved(self, scene_pos: QPointF) -> None:
        found = self.dot_at(scene_pos)
        if found is not None and self.scatter is not None:
            self.hover_label.setText(self.scatter.describe(*found))

    def _on_clicked(self, event: object) -> None:
        found = self.dot_at(event.scenePos())  # type: ignore[attr-defined]
        if found is not None:
            self.session.select_unit(found[1])

    def choose_file(self) -> None:
        """Ask for a text file and count over it."""
        path, _ = QFileDialog.getOpenFileName(self, "Count saturation over a text file", "",
                                              "Text files (*.txt *.md);;All files (*)")
        if path:
            self.job.count_file(path)

    def fractions(self, gate: str) -> tuple[np.ndarray, np.ndarray]:
        """The drawn x (shut) and y (open) of ``gate``'s dots (tests)."""
        x, y = self.scatters[gate].getData()
        return np.asarray(x), np.asarray(y)
