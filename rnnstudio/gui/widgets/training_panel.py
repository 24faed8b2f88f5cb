"""Train a model on a generated task while the window stays usable; then save or use it.

The form builds the run's settings; the session's training job runs it, and this panel
draws its reports as they come.

The panel lays itself out by its shape. Stacked under an eight-row form (about 570 px)
the curves were below the fold even at 3840 x 2160: the user pressed Start and saw no
curve. So, wide (the bottom area, where it opens) the form is a column that scrolls on
the left and the two plots stand side by side on its right; tall and narrow (docked in
a side column) the form sits above the plots, stacked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...errors import ConfigError
from ...view.training import (
    BIDIRECTIONAL_TASKS,
    CELL_CHOICES,
    OPTIMIZERS,
    TASKS,
    TrainConfig,
    TrainingDiverged,
    config_problem,
    config_summary,
    train_config,
)
from ..session import Session
from ..theme import SERIES_COLORS, configure_pyqtgraph
from .legends import legend_under
from .log_axis import PowerAxis
from .rate_box import RateBox

#: Wider than this many times its height, the panel puts its plots beside the form.
WIDE_RATIO = 1.5
#: The plots' least (width, height) stacked under the form, and side by side beside it
#: (a 720p window's bottom area holds ~250 px: each data area keeps >= 120 px of it).
PLOTS_MIN_SIZE = {False: (0, 240), True: (330, 180)}
#: The plots' titles' height: one 9-pt line (pyqtgraph gave each 30 px).
TITLE_HEIGHT = 20
#: The line where a run overflowed: the Gradients panel's alarm red.
ALARM_COLOR = "#b00020"
#: Qt's "no maximum" for a widget's size.
QWIDGETSIZE_MAX = 16_777_215


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
        self.cell_box.addItems([label for _, _, label in CELL_CHOICES])
        self.cell_box.setToolTip("The recurrent cell to train (a ReLU RNN has no squashing: "
                                 "the one that explodes)")
        self.hidden_box = self._spin(2, 256, 32)
        self.hidden_box.setToolTip("Units of the hidden state h (and of c for an LSTM)")
        self.bidirectional_box = QCheckBox("both ways")
        self.bidirectional_box.setToolTip(
            "A second cell reads from the end to the start; the head sees both states")
        self.task_box.currentTextChanged.connect(
            lambda task: self.bidirectional_box.setChecked(task in BIDIRECTIONAL_TASKS))
        self.steps_box = self._spin(1, 100_000, 300)
        self.steps_box.setToolTip("Updates of the weights, one batch of 32 sequences each")
        self.optimizer_box = QComboBox()
        self.optimizer_box.addItems([name.upper() if name == "sgd" else name.title()
                                     for name in OPTIMIZERS])
        self.optimizer_box.setToolTip("Adam scales each weight's step by its gradient's "
                                      "history; SGD steps by learning rate x gradient, so "
                                      "a growing gradient makes ever larger steps")
        self.rate_box = RateBox(0.003)
        self.rate_box.setToolTip("The step size, 0.00001 to 10 (the arrows go 1, 2, 5, 10): "
                                 "larger learns faster until the loss jumps about, or, "
                                 "with SGD and no clipping, overflows to NaN")
        self.clip_check = QCheckBox("max norm")
        self.clip_check.setChecked(True)
        self.clip_check.setToolTip("Clip the update: scale all gradients together so their "
                                   "global norm is at most the max norm. The gradients the "
                                   "other panels show are never clipped.")
        self.clip_box = QDoubleSpinBox()
        self.clip_box.setRange(0.01, 100.0)
        self.clip_box.setValue(1.0)
        self.clip_box.setToolTip("The largest gradient norm an update may use")
        self.clip_check.toggled.connect(self.clip_box.setEnabled)
        clip_row = QHBoxLayout()
        clip_row.setContentsMargins(0, 0, 0, 0)
        clip_row.addWidget(self.clip_check)
        clip_row.addWidget(self.clip_box, 1)
        self.seed_box = self._spin(0, 1_000_000, 0)
        self.seed_box.setToolTip("Draws the first weights and the data: the same seed "
                                 "repeats a run exactly")
        form = QFormLayout()
        for label, widget in (("Task", self.task_box), ("Cell", self.cell_box),
                              ("Hidden size", self.hidden_box),
                              ("Bidirectional", self.bidirectional_box), ("Steps", self.steps_box),
                              ("Optimizer", self.optimizer_box),
                              ("Learning rate", self.rate_box), ("Clipping", clip_row),
                              ("Seed", self.seed_box)):
            form.addRow(label, widget)
        #: A lesson's settings: the fields the form does not show are kept from it.
        self.recipe: TrainConfig | None = None
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
        self.speed = QLabel()
        self.speed.setToolTip("Training speed measured in the worker: steps a second and "
                              "time a step (forward, backward, update); evaluations of "
                              "the held-out batch are not counted")
        buttons = QGridLayout()  # two by two: the form's width, beside the plots
        for index, button in enumerate((self.start_button, self.cancel_button,
                                        self.save_button, self.use_button)):
            buttons.addWidget(button, index // 2, index % 2)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.ci.setContentsMargins(2, 2, 2, 2)  # pyqtgraph's 9 px: 14 px of data
        self._build_plots()
        self.controls = self._controls_column(form, buttons)
        self.box = QBoxLayout(QBoxLayout.Direction.TopToBottom, self)
        self.box.setContentsMargins(4, 4, 4, 4)
        self.box.addWidget(self.controls)
        self.box.addWidget(self.graphics, 1)
        self.wide: bool | None = None
        # Wide first, as in the bottom area where it opens: laid out tall there, its
        # least height (form, buttons and 240 px of plots) made the area as tall as that,
        # too tall to turn wide.
        self._lay_out(wide=True)
        self.job.changed.connect(self._on_job_changed)
        self.job.reported.connect(self._on_report)
        self.job.progressed.connect(self._on_progress)
        self.job.offered.connect(self.set_config)
        self._on_job_changed()

    def _controls_column(self, form: QFormLayout, buttons: QGridLayout) -> QWidget:
        """The form in a frameless area that scrolls when the panel is shorter than it,
        then the buttons, progress and status: never scrolled away."""
        form_widget = self.form_widget = QWidget()
        form_widget.setLayout(form)
        form.setContentsMargins(0, 0, 0, 0)
        area = self.form_area = QScrollArea()
        area.setWidget(form_widget)
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        column = QWidget()
        layout = QVBoxLayout(column)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(area)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.speed)
        # The status scrolls: a diverged run's story is 7 lines in a 720p window's ~90 px.
        self.status.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        status_area = QScrollArea()
        status_area.setWidget(self.status)
        status_area.setWidgetResizable(True)
        status_area.setFrameShape(QFrame.Shape.NoFrame)
        status_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(status_area, 1)  # spare height: the status's
        return column

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt API)
        size = event.size()
        self._lay_out(size.width() > WIDE_RATIO * size.height())
        super().resizeEvent(event)

    def _lay_out(self, wide: bool) -> None:
        """Form beside the plots and the plots side by side (``wide``), or all stacked."""
        if wide == self.wide:
            return
        self.wide = wide
        direction = QBoxLayout.Direction
        self.box.setDirection(direction.LeftToRight if wide else direction.TopToBottom)
        column, form = self.controls, self.form_area
        form_hint = self.form_widget.sizeHint()
        if wide:  # as wide as the form and its scroll bar; as tall as the panel
            scroll_bar = form.verticalScrollBar().sizeHint().width()
            column.setFixedWidth(max(form_hint.width() + scroll_bar,
                                     column.sizeHint().width()))
            form.setMaximumHeight(QWIDGETSIZE_MAX)
        else:  # the whole form when there is room; the plots take the rest
            column.setMinimumWidth(0)
            column.setMaximumWidth(QWIDGETSIZE_MAX)
            form.setMaximumHeight(form_hint.height())
        self.graphics.setMinimumSize(*PLOTS_MIN_SIZE[wide])
        layout, place = self.graphics.ci, (0, 1) if wide else (1, 0)
        if layout.items[self.norm_plot] != [place]:
            layout.removeItem(self.norm_plot)
            layout.addItem(self.norm_plot, *place)

    @staticmethod
    def _spin(low: int, high: int, value: int) -> QSpinBox:
        box = QSpinBox()
        box.setRange(low, high)
        box.setValue(value)
        return box

    def _build_plots(self) -> None:
        self.loss_plot = self.graphics.addPlot(row=0, col=0)
        # Short titles: a title is as wide as its text at least, and the two plots share
        # ~310 px side by side at 1280 x 720; the legends and tooltips say the rest.
        self.loss_plot.setTitle("loss and accuracy", size="9pt")
        self.loss_plot.titleLabel.setToolTip("Loss on each training batch, and loss and "
                                             "accuracy on a held-out batch, per training "
                                             "step")
        self.loss_plot.setLabel("bottom", "training step")
        self.loss_plot.getAxis("left").enableAutoSIPrefix(False)  # an exploding loss: 1e+16
        self.train_curve = self.loss_plot.plot(pen=pg.mkPen("#999", width=1.5),
                                               connect="finite")
        self.eval_curve = self.loss_plot.plot(pen=pg.mkPen(SERIES_COLORS["h"], width=2))
        self.accuracy_curve = self.loss_plot.plot(pen=pg.mkPen(SERIES_COLORS["f"], width=2))
        self.loss_legend = legend_under(self.loss_plot, (
            (self.train_curve, "train loss"), (self.eval_curve, "held-out loss"),
            (self.accuracy_curve, "accuracy")))
        self.norm_plot = self.graphics.addPlot(row=0, col=1, axisItems={"left": PowerAxis()})
        self.norm_plot.setTitle("gradient norm ||g||", size="9pt")
        self.norm_plot.titleLabel.setToolTip(
            "The global norm of the gradient of every weight, at each training step, "
            "before clipping (log scale): an explosion is seen growing here")
        self.norm_plot.setLogMode(x=False, y=True)
        self.norm_plot.setLabel("bottom", "training step")
        self.norm_plot.setXLink(self.loss_plot)
        self.norm_curve = self.norm_plot.plot(pen=pg.mkPen(SERIES_COLORS["dh_T/dh_t"],
                                                           width=2), connect="finite")
        self.clip_line = pg.InfiniteLine(angle=0, pen=pg.mkPen("#999", width=1.5,
                                                               style=Qt.PenStyle.DashLine))
        self.norm_plot.addItem(self.clip_line)
        self.clip_line.hide()
        self.norm_legend = legend_under(self.norm_plot, (
            (self.norm_curve, "||g|| per update"),))
        self.divergence_lines = []
        for plot in (self.loss_plot, self.norm_plot):
            line = pg.InfiniteLine(angle=90, pen=pg.mkPen(ALARM_COLOR, width=2,
                                                          style=Qt.PenStyle.DashLine),
                                   label="NaN", labelOpts={"color": ALARM_COLOR,
                                                           "position": 0.9})
            line.setToolTip("The step at which a value overflowed and training stopped")
            plot.addItem(line)
            line.hide()
            self.divergence_lines.append(line)
        for plot in (self.loss_plot, self.norm_plot):  # one line: the rest is data
            plot.titleLabel.setMaximumHeight(TITLE_HEIGHT)

    # --- the form ---------------------------------------------------------------------

    def config(self) -> TrainConfig:
        """The run the form describes (a lesson's other settings kept, same task)."""
        cell, nonlinearity, _ = CELL_CHOICES[self.cell_box.currentIndex()]
        clip = self.clip_box.value() if self.clip_check.isChecked() else None
        return train_config(self.task_box.currentText(), cell, self.hidden_box.value(),
                            self.steps_box.value(), self.rate_box.value(), clip,
                            self.bidirectional_box.isChecked(), nonlinearity=nonlinearity,
                            optimizer=OPTIMIZERS[self.optimizer_box.currentIndex()],
                            seed=self.seed_box.value(), base=self.recipe)

    def set_config(self, config: TrainConfig) -> None:
        """Fill the form from ``config`` (a lesson's); its other fields are kept for the
        run. Nothing starts: the student presses Start."""
        self.task_box.setCurrentText(config.task)  # sets Bidirectional for the task first
        choice = (config.cell, config.nonlinearity if config.cell == "rnn" else "tanh")
        self.cell_box.setCurrentIndex([entry[:2] for entry in CELL_CHOICES].index(choice))
        self.hidden_box.setValue(config.hidden_size)
        self.bidirectional_box.setChecked(config.bidirectional)
        self.steps_box.setValue(config.steps)
        self.optimizer_box.setCurrentIndex(OPTIMIZERS.index(config.optimizer))
        self.rate_box.setValue(config.learning_rate)
        self.clip_check.setChecked(config.clip_norm is not None)
        if config.clip_norm is not None:
            self.clip_box.setValue(config.clip_norm)
        self.seed_box.setValue(config.seed)
        self.recipe = config
        if not self.job.running:  # at 720p the form shows three rows: say them all
            self.status.setText(f"Set by the lesson: {config_summary(config)}. Press Start.")

    # --- running ----------------------------------------------------------------------

    def start(self) -> None:
        """Start a run with the form's settings; a run already going is cancelled first.
        Settings TrainConfig refuses are named in the status line, and nothing starts."""
        try:
            config = self.config()
        except ConfigError as error:
            self.status.setText(config_problem(error))
            return
        for curve in (self.train_curve, self.eval_curve, self.accuracy_curve,
                      self.norm_curve):
            curve.setData([], [])
        for line in self.divergence_lines:
            line.hide()
        self.loss_plot.enableAutoRange(axis="y")
        self.clip_line.setVisible(config.clip_norm is not None)
        if config.clip_norm is not None:
            self.clip_line.setValue(np.log10(config.clip_norm))  # the plot is log10(y)
        self.progress.setRange(0, config.steps)
        self.progress.setValue(0)
        self.job.start(config)

    def _on_job_changed(self) -> None:
        job = self.job
        self.status.setText(job.status)
        self.speed.setText(job.speed)
        finished = job.result is not None and not job.running
        self.start_button.setEnabled(not job.running)
        self.cancel_button.setEnabled(job.running)
        self.save_button.setEnabled(finished)
        self.use_button.setEnabled(finished)
        if job.divergence is not None and not job.running:
            self._show_divergence(job.divergence)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _on_report(self) -> None:
        reports = self.job.reports
        steps = np.array([item.step for item in reports], dtype=np.float64)
        self._draw_steps(np.concatenate([item.step_losses for item in reports]),
                         np.concatenate([item.step_grad_norms for item in reports]))
        self.eval_curve.setData(steps, [item.eval_loss for item in reports])
        self.accuracy_curve.setData(steps, [item.eval_accuracy for item in reports])
        self.status.setText(self.job.status)
        self.speed.setText(self.job.speed)

    def _draw_steps(self, losses: np.ndarray, norms: np.ndarray) -> None:
        """Every step's training loss and gradient norm (non-finite ones left out)."""
        steps = np.arange(1, losses.size + 1, dtype=np.float64)
        self.train_curve.setData(steps, np.where(np.isfinite(losses), losses, np.nan))
        positive = np.isfinite(norms) & (norms > 0)  # a log axis: 0 has no place
        self.norm_curve.setData(steps[positive], norms[positive])

    def _show_divergence(self, error: TrainingDiverged) -> None:
        """The whole run to the step that overflowed, and a line at that step."""
        if error.record is not None:
            self._draw_steps(error.record.losses, error.record.grad_norms)
            # An overflowing loss (1e14) would flatten the whole curve: the axis keeps the
            # losses of the first steps in view and the explosion leaves through the top.
            start = error.record.losses[:5]
            self.loss_plot.setYRange(0, 1.5 * max(1.0, float(np.nanmax(start[np.isfinite(
                start)], initial=1.0))), padding=0)
        self.progress.setValue(error.step)  # progress reports are throttled: the last one
        for line in self.divergence_lines:
            line.setValue(error.step)
            line.label.setFormat(f"NaN at step {error.step}" if line is
                                 self.divergence_lines[0] else f"step {error.step}")
            line.show()

    def _choose_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save trained model",
                                              str(Path.home() / "trained.safetensors"),
                                              "Models (*.safetensors *.npz)")
        if path:
            self.job.save(path)

