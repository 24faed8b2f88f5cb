"""Train a model on a generated task while the window stays usable; then save or use it.

Training runs in this panel's own worker through the engine's ``should_stop`` /
``on_progress`` / ``on_report`` callables: the engine never sees Qt. Reports cross to the
GUI thread as queued signals, and a cancelled or superseded run's reports are dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Signal
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
from ..jobs import JobResult, JobRunner
from ..session import Session
from ..theme import SERIES_COLORS, configure_pyqtgraph, legend_brush

#: Task options the GUI trains with: recall on mixed gaps of 1-10 words is the recipe
#: that worked for every seed and cell measured (docs/models.md, "short-gaps").
TASK_OPTIONS: dict[str, dict[str, Any]] = {"recall": {"max_gap": 10, "mixed": True}}
CELLS = ("lstm", "gru", "rnn")
#: Tasks whose answer at a word depends on later words: Bidirectional starts on for them
#: (a forward-only tagger is at chance on "under" in "under the weather", docs/models.md).
BIDIRECTIONAL_TASKS = ("idioms",)


class _Reports(QObject):
    """Carries ``TrainReport`` objects from the worker to the GUI thread (queued)."""

    report = Signal(int, object)


def train_config(task: str, cell: str, hidden: int, steps: int, learning_rate: float,
                 clip: float, bidirectional: bool = False) -> Any:
    """The engine's ``TrainConfig`` for the panel's choices (``clip`` 0 = no clipping);
    evaluations about 20 times a run so the curves move as training goes."""
    from ...engine.training import TrainConfig

    return TrainConfig(task=task, cell=cell, hidden_size=hidden, steps=steps,
                       bidirectional=bidirectional,
                       learning_rate=learning_rate, clip_norm=clip or None,
                       eval_every=max(5, steps // 20), eval_size=128,
                       curriculum=0.0 if task == "recall" else 0.5,
                       task_options=dict(TASK_OPTIONS.get(task, {})))


class TrainingPanel(QWidget):
    """``reports`` hold the current run's reports; ``result`` its finished model."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        configure_pyqtgraph()
        from ...engine.tasks import TASKS

        self.session = session
        self.reports: list[Any] = []
        self.result: Any = None
        self.runner = JobRunner(self)
        self.runner.finished.connect(self._on_finished)
        self.runner.progressed.connect(self._on_progress)
        self._reports = _Reports(self)
        self._reports.report.connect(self._on_report)
        self.task_box = QComboBox()
        self.task_box.addItems(list(TASKS))
        self.cell_box = QComboBox()
        self.cell_box.addItems([cell.upper() for cell in CELLS])
        self.hidden_box = self._spin(2, 256, 32)
        self.bidirectional_box = QCheckBox("read the text both ways")
        self.bidirectional_box.setToolTip(
            "A second cell reads from the end to the start; the head sees both states")
        self.task_box.currentTextChanged.connect(
            lambda task: self.bidirectional_box.setChecked(task in BIDIRECTIONAL_TASKS))
        self.steps_box = self._spin(10, 100_000, 300)
        self.rate_box = QDoubleSpinBox()
        self.rate_box.setDecimals(4)
        self.rate_box.setRange(0.0001, 1.0)
        self.rate_box.setSingleStep(0.001)
        self.rate_box.setValue(0.003)
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
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.save_button = QPushButton("Save…")
        self.save_button.clicked.connect(self._choose_path)
        self.use_button = QPushButton("Use this model")
        self.use_button.clicked.connect(self.use_model)
        self.progress = QProgressBar()
        self.status = QLabel("Pick a task and a cell, then Start.")
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
        self._set_running(False)

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
        self.loss_plot.addLegend(offset=(10, 2), labelTextSize="8pt", colCount=3,
                                brush=legend_brush())
        self.train_curve = self.loss_plot.plot(name="train loss", pen=pg.mkPen("#999", width=2))
        self.eval_curve = self.loss_plot.plot(name="held-out loss",
                                              pen=pg.mkPen(SERIES_COLORS["h"], width=2))
        self.accuracy_curve = self.loss_plot.plot(name="accuracy",
                                                  pen=pg.mkPen(SERIES_COLORS["f"], width=2))
        self.grad_plot = self.graphics.addPlot(row=1, col=0)
        self.grad_plot.setTitle("gradient through time: ||dL/dh_t||, held-out batch",
                                size="9pt")
        self.grad_plot.setLogMode(x=False, y=True)
        self.grad_plot.setLabel("bottom", "step of the sequence")
        self.grad_plot.addLegend(offset=(10, 2), labelTextSize="8pt", colCount=2,
                                brush=legend_brush())
        self.first_grad = self.grad_plot.plot(name="first evaluation",
                                              pen=pg.mkPen("#999", width=1.5))
        self.grad_curve = self.grad_plot.plot(name="latest", pen=pg.mkPen(
            SERIES_COLORS["dh_T/dh_t"], width=2.5))

    # --- running ----------------------------------------------------------------------

    def config(self) -> Any:
        return train_config(self.task_box.currentText(), CELLS[self.cell_box.currentIndex()],
                            self.hidden_box.value(), self.steps_box.value(),
                            self.rate_box.value(), self.clip_box.value(),
                            self.bidirectional_box.isChecked())

    def start(self) -> None:
        """Start a run in the worker; a run already going is cancelled first."""
        from ...engine.training import train

        try:
            config = self.config()
        except RnnStudioError as error:
            self.status.setText(str(error))
            return
        self.reports, self.result = [], None
        self._clear_plots()
        bridge = self._reports
        generation = self.runner.generation + 1  # what submit() is about to hand out
        self.runner.submit("train", lambda stop, progress: train(
            config, stop, progress, lambda report: bridge.report.emit(generation, report)))
        self.progress.setRange(0, config.steps)
        self.progress.setValue(0)
        both = "bidirectional " if config.bidirectional else ""
        self.status.setText(f"Training a {both}{config.cell.upper()} ({config.hidden_size} units) "
                            f"on {config.task} for {config.steps} steps…")
        self._set_running(True)

    def cancel(self) -> None:
        """Stop the run at its next step (the engine checks ``should_stop`` every step)."""
        if self.runner.is_busy() or self._running:
            self.runner.cancel()
            self.status.setText("Cancelled.")
            self._set_running(False)

    def shutdown(self) -> None:
        self.runner.shutdown()

    def _set_running(self, running: bool) -> None:
        self._running = running
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.save_button.setEnabled(self.result is not None and not running)
        self.use_button.setEnabled(self.result is not None and not running)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _on_report(self, generation: int, report: Any) -> None:
        if self.runner.is_stale(generation):
            return  # a cancelled run's last report
        self.reports.append(report)
        steps = np.array([item.step for item in self.reports], dtype=np.float64)
        self.train_curve.setData(steps, [item.train_loss for item in self.reports])
        self.eval_curve.setData(steps, [item.eval_loss for item in self.reports])
        self.accuracy_curve.setData(steps, [item.eval_accuracy for item in self.reports])
        positions = np.arange(report.grad_norms.size, dtype=np.float64)
        if len(self.reports) == 1:
            self.first_grad.setData(positions, report.grad_norms)
        self.grad_curve.setData(positions, report.grad_norms)
        self.status.setText(f"step {report.step}: held-out loss {report.eval_loss:.3f}, "
                            f"accuracy {report.eval_accuracy:.1%} ({report.seconds:.1f} s)")

    def _on_finished(self, result: JobResult) -> None:
        if result.error is not None:
            self.status.setText(result.error)
            self._set_running(False)
            return
        self.result = result.value
        final = self.reports[-1] if self.reports else None
        summary = (f" Held-out accuracy {final.eval_accuracy:.1%}." if final else "")
        self.status.setText(f"Done in {result.seconds:.1f} s.{summary} Save it, or use it "
                            "in the window.")
        self._set_running(False)

    def _clear_plots(self) -> None:
        for curve in (self.train_curve, self.eval_curve, self.accuracy_curve,
                      self.first_grad, self.grad_curve):
            curve.setData([], [])

    # --- the trained model ------------------------------------------------------------

    def use_model(self) -> None:
        """Make the trained model the session's (its trace replaces the current one)."""
        if self.result is not None:
            model = self.result.model
            self.session.set_model(model, getattr(model, "source", "trained model"))

    def save_model(self, path: str | Path) -> bool:
        """Write the trained model atomically through ``rnnstudio.io``; False on failure."""
        from ... import io as rnn_io

        if self.result is None:
            return False
        try:
            rnn_io.save_model(self.result.model, path)
        except (RnnStudioError, OSError) as error:
            self.status.setText(f"Could not save: {error}")
            return False
        self.status.setText(f"Saved to {path}")
        return True

    def _choose_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save trained model",
                                              str(Path.home() / "trained.safetensors"),
                                              "Models (*.safetensors *.npz)")
        if path:
            self.save_model(path)
