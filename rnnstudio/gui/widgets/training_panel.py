"""Train a model on a generated task while the window stays usable; then save or use it.

The form builds the run's settings; the session's training job runs it, and this panel
draws its reports as they come.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...errors import RnnStudioError
from ...view.training import BIDIRECTIONAL_TASKS, CELLS, TASKS, TrainConfig, train_config
from ..session import Session
from ..theme import SERIES_COLORS, configure_pyqtgraph
from .legends import legend_under
from .log_axis import PowerAxis


class TrainingPanel(QWidget):
    """The form, the buttons and the curves of ``session.training``."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        configure_pyqtgraph()
        self.session = session
        self.job = session.training
        self.task_box = QComboBox()
        self.task_box.addItems(list(TASKS))
        self.task_box.setToolTip("The generated task to learn: recall (a fact across a gap),"
                                 " sentiment, brackets, adding, charlm (next character) or "
                                 "idioms (tag each word); the data is drawn from a seed")
        self.cell_box = QComboBox()
        self.cell_box.addItems([cell.upper() for cell in CELLS])
        self.cell_box.setToolTip("The recurrent cell to train")
        self.hidden_box = self._spin(2, 256, 32)
        self.hidden_box.setToolTip("Units of the hidden state h (and of c for an LSTM)")
        self.bidirectional_box = QCheckBox("read the text both ways")
        self.bidirectional_box.setToolTip(
            "A second cell reads from the end to the start; the head sees both states")
        self.task_box.currentTextChanged.connect(
            lambda task: self.bidirectional_box.setChecked(task in BIDIRECTIONAL_TASKS))
        self.steps_box = self._spin(10, 100_000, 300)
        self.steps_box.setToolTip("Updates of the weights (Adam), one batch of 32 "
                                  "sequences each")
        self.rate_box = QDoubleSpinBox()
        self.rate_box.setDecimals(4)
        self.rate_box.setRange(0.0001, 1.0)
        self.rate_box.setSingleStep(0.001)
        self.rate_box.setValue(0.003)
        self.rate_box.setToolTip("Adam's step size: larger learns faster until the loss "
                                 "jumps about")
        self.clip_box = QDoubleSpinBox()
        self.clip_box.setRange(0.0, 100.0)
        self.clip_box.setValue(1.0)
        self.clip_box.setToolTip("Global gradient-norm clipping of the update (0 = off). "
                                 "The gradients the other panels show are never clipped.")
        form = QFormLayout()
        for label, widget in (("Task", self.task_box), ("Cell", self.cell_box),
                              ("Hidden size", self.hidden_box),
                              ("Bidirectional", self.bidirectional_box), ("Steps", self.steps_box),
                              ("Learning rate", self.rate_box), ("Clip norm", self.clip_box)):
            form.addRow(label, widget)
        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Train a new model with these settings in the "
                                     "background; the window stays usable")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the run; its model is dropped")
        self.cancel_button.clicked.connect(self.job.cancel)
        self.save_button = QPushButton("Save…")
        self.save_button.setToolTip("Save the trained model as a model file with its card")
        self.save_button.clicked.connect(self._choose_path)
        self.use_button = QPushButton("Use this model")
        self.use_button.setToolTip("Open the trained model in the window: it reads the "
                                   "window's text")
        self.use_button.clicked.connect(self.job.use)
        self.progress = QProgressBar()
        self.progress.setToolTip("Training steps done")
        self.status = QLabel(self.job.status)
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.cancel_button, self.save_button,
                       self.use_button):
            buttons.addWidget(button)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumHeight(240)
        self._build_plots()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.graphics, 1)
        self.job.changed.connect(self._on_job_changed)
        self.job.reported.connect(self._on_report)
        self.job.progressed.connect(self._on_progress)
        self._on_job_changed()

    @staticmethod
    def _spin(low: int, high: int, value: int) -> QSpinBox:
        box = QSpinBox()
        box.setRange(low, high)
        box.setValue(value)
        return box

    def _build_plots(self) -> None:
        self.loss_plot = self.graphics.addPlot(row=0, col=0)
        self.loss_plot.setTitle("loss and held-out accuracy", size="9pt")
        self.loss_plot.setLabel("bottom", "training step")
        self.train_curve = self.loss_plot.plot(pen=pg.mkPen("#999", width=2))
        self.eval_curve = self.loss_plot.plot(pen=pg.mkPen(SERIES_COLORS["h"], width=2))
        self.accuracy_curve = self.loss_plot.plot(pen=pg.mkPen(SERIES_COLORS["f"], width=2))
        self.loss_legend = legend_under(self.loss_plot, (
            (self.train_curve, "train loss"), (self.eval_curve, "held-out loss"),
            (self.accuracy_curve, "accuracy")))
        self.grad_plot = self.graphics.addPlot(row=1, col=0, axisItems={"left": PowerAxis()})
        self.grad_plot.setTitle("gradient through time: ||dL/dh_t||, held-out batch",
                                size="9pt")
        self.grad_plot.setLogMode(x=False, y=True)
        self.grad_plot.setLabel("bottom", "step of the sequence")
        self.first_grad = self.grad_plot.plot(pen=pg.mkPen("#999", width=1.5))
        self.grad_curve = self.grad_plot.plot(pen=pg.mkPen(SERIES_COLORS["dh_T/dh_t"],
                                                           width=2.5))
        self.grad_legend = legend_under(self.grad_plot, (
            (self.first_grad, "first evaluation"), (self.grad_curve, "latest")))

    # --- running ----------------------------------------------------------------------

    def config(self) -> TrainConfig:
        return train_config(self.task_box.currentText(), CELLS[self.cell_box.currentIndex()],
                            self.hidden_box.value(), self.steps_box.value(),
                            self.rate_box.value(), self.clip_box.value(),
                            self.bidirectional_box.isChecked())

    def start(self) -> None:
        """Start a run with the form's settings; a run already going is cancelled first."""
        try:
            config = self.config()
        except RnnStudioError as error:
            self.status.setText(str(error))
            return
        for curve in (self.train_curve, self.eval_curve, self.accuracy_curve,
                      self.first_grad, self.grad_curve):
            curve.setData([], [])
        self.progress.setRange(0, config.steps)
        self.progress.setValue(0)
        self.job.start(config)

    def _on_job_changed(self) -> None:
        job = self.job
        self.status.setText(job.status)
        finished = job.result is not None and not job.running
        self.start_button.setEnabled(not job.running)
        self.cancel_button.setEnabled(job.running)
        self.save_button.setEnabled(finished)
        self.use_button.setEnabled(finished)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _on_report(self) -> None:
        reports = self.job.reports
        steps = np.array([item.step for item in reports], dtype=np.float64)
        self.train_curve.setData(steps, [item.train_loss for item in reports])
        self.eval_curve.setData(steps, [item.eval_loss for item in reports])
        self.accuracy_curve.setData(steps, [item.eval_accuracy for item in reports])
        latest = reports[-1].grad_norms
        positions = np.arange(latest.size, dtype=np.float64)
        if len(reports) == 1:
            self.first_grad.setData(positions, latest)
        self.grad_curve.setData(positions, latest)
        self.status.setText(self.job.status)

    def _choose_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save trained model",
                                              str(Path.home() / "trained.safetensors"),
                                              "Models (*.safetensors *.npz)")
        if path:
            self.job.save(path)

