"""The Trajectory dock: the shown text's hidden state (or c) over time, as a path through
its principal components; a second text in the same basis; the basis exported.

It observes the session (trace, layer and direction, cursor) and its trajectory job, and
writes back only through them: clicking a point moves the session's cursor. The choices
sit in a column left of the plot, so the plot keeps the dock's full height (under the
heatmaps at 1280 x 720 the dock is about 320 px tall).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ...view.trajectory import FLAT_VIEW, ramp_colours, trajectory_figure
from ..session import Session
from ..theme import configure_pyqtgraph
from .trajectory_plot import OVERLAY_COLOR, TrajectoryPlot2D

_FIT_TEXT, _FIT_FILE = "this text", "a text file…"
#: 3-D view at start: turned enough that the third axis shows, not so much that the
#: first two lose their reading.
_START_VIEW = (-60, 30)


def _ramp_pixmap(width: int = 56, height: int = 10) -> QPixmap:
    """The path's colour ramp, first token at the left."""
    pixmap = QPixmap(width, height)
    painter = QPainter(pixmap)
    for column, colour in enumerate(ramp_colours(width)):
        painter.setPen(QColor(*map(int, colour)))
        painter.drawLine(column, 0, column, height)
    painter.end()
    return pixmap


class TrajectoryPanel(QWidget):
    """``plotter.points`` holds exactly the figure's coordinates of the shown text."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        configure_pyqtgraph()
        self.session = session
        self.job = session.trajectory
        self.plot_widget = pg.PlotWidget()
        self.plot = self.plot_widget.getPlotItem()
        self.plotter = TrajectoryPlot2D(self.plot, session.set_cursor)
        self.caption = QLabel("Show a text to see its path")
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("font-size: 8pt")
        self.legend = QLabel()
        self.legend.setPixmap(_ramp_pixmap())
        self.overlay_legend = QLabel(f"<span style='color:{OVERLAY_COLOR}'>▽ - - second "
                                     "text</span>")
        plot_column = QVBoxLayout()
        plot_column.addWidget(self.plot_widget, 1)
        plot_column.addWidget(self.caption)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self._controls())
        layout.addLayout(plot_column, 1)
        self.job.changed.connect(self.redraw)
        session.cursor_changed.connect(self.plotter.show_cursor)
        session.trace_changed.connect(self._offer_quantities)
        self._offer_quantities()

    # --- controls ---------------------------------------------------------------------

    def _controls(self) -> QWidget:
        column = QWidget()
        column.setFixedWidth(200)
        form = QFormLayout(column)
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(3)
        self.quantity_box = QComboBox()
        self.quantity_box.setToolTip("Follow the hidden state h, or an LSTM's cell state c, "
                                     "of the layer and direction the heatmaps show")
        self.quantity_box.activated.connect(
            lambda _: self.job.set_quantity(self.quantity_box.currentData()))
        form.addRow("states", self.quantity_box)
        self.component_boxes = [self._component_box(index) for index in range(3)]
        axes = QHBoxLayout()
        axes.addWidget(self.component_boxes[0])
        axes.addWidget(QLabel("×"))
        axes.addWidget(self.component_boxes[1])
        form.addRow("axes", axes)
        self.three_d = QCheckBox("3-D, with")
        self.three_d.setToolTip("A third component, seen orthographically: turn and tilt "
                                "it with the two sliders (no OpenGL needed)")
        self.three_d.toggled.connect(self._on_three_d)
        form.addRow(self.three_d, self.component_boxes[2])
        self.azimuth = self._slider(-180, 180, _START_VIEW[0], "azimuth (degrees)")
        self.elevation = self._slider(-90, 90, _START_VIEW[1], "elevation (degrees)")
        form.addRow("turn", self.azimuth)
        form.addRow("tilt", self.elevation)
        self._form = form
        self.equal_scale = QCheckBox("equal scales")
        self.equal_scale.setToolTip("One unit the same length on both axes: distances as "
                                    "in the state space (a small PC2 then looks flat)")
        self.equal_scale.toggled.connect(lambda on: self.plot.setAspectLocked(on))
        form.addRow(self.equal_scale)
        self.fit_box = QComboBox()
        self.fit_box.addItems([_FIT_TEXT, _FIT_FILE])
        self.fit_box.setToolTip("Fit the principal components on the text shown, or on "
                                "every line of a text file (each read from the zero state)")
        self.fit_box.activated.connect(self._on_fit_chosen)
        form.addRow("fit on", self.fit_box)
        self.overlay_field = QLineEdit()
        self.overlay_field.setPlaceholderText("second text (Enter)")
        self.overlay_field.setToolTip("Read by the same model and drawn in the same basis, "
                                      "in a second colour: compare the two paths")
        self.overlay_field.returnPressed.connect(
            lambda: self.job.set_overlay_text(self.overlay_field.text()))
        form.addRow("compare", self.overlay_field)
        self.export_button = QPushButton("Export basis…")
        self.export_button.setToolTip("Save the mean and components (.npz or .json) to "
                                      "project other texts in the same coordinates")
        self.export_button.clicked.connect(self.choose_export_path)
        form.addRow(self.export_button)
        legend_row = QHBoxLayout()  # beside the plot: under it, it took a caption line
        legend_row.addWidget(QLabel("first"))
        legend_row.addWidget(self.legend)
        legend_row.addWidget(QLabel("last"))
        legend_row.addStretch(1)
        form.addRow(legend_row)
        form.addRow(self.overlay_legend)
        self._on_three_d(False)
        return column

    def _component_box(self, index: int) -> QComboBox:
        box = QComboBox()
        box.setMinimumContentsLength(3)
        box.setToolTip(("horizontal", "vertical", "third (3-D)")[index] + " axis")
        box.currentIndexChanged.connect(lambda _: self.redraw())
        return box

    def _slider(self, low: int, high: int, value: int, tip: str) -> QSlider:
        slider = QSlider(Qt.Orientation.Horizontal)
        slider.setRange(low, high)
        slider.setValue(value)
        slider.setToolTip(tip)
        slider.valueChanged.connect(lambda _: self.redraw())
        return slider

    def _on_three_d(self, on: bool) -> None:
        """The third axis's box is enabled, and its sliders shown, in 3-D only (hidden,
        they leave the 2-D column short enough for a 320 px dock)."""
        self.component_boxes[2].setEnabled(on)
        for slider in (self.azimuth, self.elevation):
            self._form.setRowVisible(slider, on)
        self.redraw()

    def _offer_quantities(self) -> None:
        trace = self.session.trace
        offered = ("h", "c") if trace is not None and \
            trace.config.recurrent.cell == "lstm" else ("h",)
        if tuple(self.quantity_box.itemData(i) for i in range(self.quantity_box.count())) \
                == offered:
            return
        self.quantity_box.clear()
        for quantity in offered:
            self.quantity_box.addItem({"h": "h (hidden)", "c": "c (cell)"}[quantity], quantity)
        self.quantity_box.setCurrentIndex(max(offered.index(self.job.quantity)
                                              if self.job.quantity in offered else 0, 0))

    def _on_fit_chosen(self, index: int) -> None:
        if self.fit_box.itemText(index) == _FIT_TEXT:
            self.job.set_fit_file(None)
            return
        path, _ = QFileDialog.getOpenFileName(self, "Fit the basis on a text file", "",
                                              "Text (*.txt);;All files (*)")
        if path:
            self.job.set_fit_file(path)
        else:
            self.fit_box.setCurrentIndex(0 if self.job.fit_file is None else 1)

    def choose_export_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the PCA basis", "basis.npz",
                                              "NumPy archive (*.npz);;JSON (*.json)")
        if path:
            self.export_basis(path)

    def export_basis(self, path: str) -> bool:
        """Write the shown basis to ``path``; the window's banner says why not."""
        try:
            saved = self.job.save_basis(path)
        except Exception as error:  # the writer names the file and the fix
            self.session.error_raised.emit(str(error))
            return False
        self.session.status_changed.emit(f"Saved the PCA basis to {saved}")
        return True

    # --- drawing ----------------------------------------------------------------------

    def shown_components(self) -> tuple[int, ...]:
        count = 3 if self.three_d.isChecked() else 2
        return tuple(max(box.currentIndex(), 0) for box in self.component_boxes[:count])

    def redraw(self) -> None:
        """Draw the job's result with the chosen components and view."""
        self.fit_box.setCurrentIndex(0 if self.job.fit_file is None else 1)
        result = self.job.result
        if result is None:
            self.plotter.draw(None, 0)
            self.caption.setText(self.job.error or "Show a text to see its path")
            return
        self._offer_components(result.main.basis.count)
        shown = self.shown_components()
        if len(set(shown)) < len(shown):
            self.caption.setText("Choose different components for the axes")
            return
        view = (float(self.azimuth.value()), float(self.elevation.value())) \
            if len(shown) == 3 else FLAT_VIEW
        figure = trajectory_figure(result.main, shown, result.overlay, view)
        self.plotter.draw(figure, self.session.cursor)
        self.plot.setLabel("bottom", figure.x_label)
        self.plot.setLabel("left", figure.y_label)
        for side in ("bottom", "left"):  # 3-D: the drawn axes say which PC is where
            self.plot.showAxis(side, figure.axes is None)
        self.caption.setText(figure.caption)
        self.overlay_legend.setVisible(figure.overlay is not None)

    def _offer_components(self, count: int) -> None:
        for index, box in enumerate(self.component_boxes):
            if box.count() == count:
                continue
            box.blockSignals(True)
            chosen = box.currentIndex()
            box.clear()
            box.addItems([f"PC{number}" for number in range(1, count + 1)])
            box.setCurrentIndex(chosen if 0 <= chosen < count else min(index, count - 1))
            box.blockSignals(False)

    def plotted_points(self) -> np.ndarray:
        """(T, 2) what the main scatter holds (tests compare it with the view)."""
        x, y = self.plotter.points.getData()
        return np.stack([x, y], axis=1)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt API)
        """A new palette (View › Theme): labels and backings in the new colours. Deferred:
        the window's scheme (``theme.is_dark``) is set just after the palette."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            QTimer.singleShot(0, self, self.redraw)

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        self.job.set_active(True)

    def hideEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        super().hideEvent(event)
        self.job.set_active(False)
