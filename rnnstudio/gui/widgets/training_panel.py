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
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
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

#: Wider than this many times its height, the panel puts its plots beside the form.
WIDE_RATIO = 1.5
#: The plots' least (width, height) stacked under the form, and side by side beside it
#: (a 720p window's bottom area holds ~250 px: each data area keeps >= 120 px of it).
PLOTS_MIN_SIZE = {False: (0, 240), True: (330, 180)}
#: The plots' titles' height: one 9-pt line (pyqtgraph gave each 30 px).
TITLE_HEIGHT = 20
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
        self.cell_box.addItems([cell.upper() for cell in CELLS])
        self.cell_box.setToolTip("The recurrent cell to train")
        self.hidden_box = self._spin(2, 256, 32)
        self.hidden_box.setToolTip("Units of the hidden state h (and of c for an LSTM)")
        self.bidirectional_box = QCheckBox("both ways")
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
        layout.addWidget(self.status)
        layout.addStretch(1)  # spare height under the status, not between form and buttons
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
        if layout.items[self.grad_plot] != [place]:
            layout.removeItem(self.grad_plot)
            layout.addItem(self.grad_plot, *place)

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
        self.loss_plot.titleLabel.setToolTip("Loss on the training batch and on a held-out "
                                             "batch, and held-out accuracy, per training "
                                             "step")
        self.loss_plot.setLabel("bottom", "training step")
        self.train_curve = self.loss_plot.plot(pen=pg.mkPen("#999", width=2))
        self.eval_curve = self.loss_plot.plot(pen=pg.mkPen(SERIES_COLORS["h"], width=2))
        self.accuracy_curve = self.loss_plot.plot(pen=pg.mkPen(SERIES_COLORS["f"], width=2))
        self.loss_legend = legend_under(self.loss_plot, (
            (self.train_curve, "train loss"), (self.eval_curve, "held-out loss"),
            (self.accuracy_curve, "accuracy")))
        self.grad_plot = self.graphics.addPlot(row=0, col=1, axisItems={"left": PowerAxis()})
        self.grad_plot.setTitle("gradient ||dL/dh_t||", size="9pt")
        self.grad_plot.titleLabel.setToolTip("Gradient through time: ||dL/dh_t|| at each "
                                             "step of a held-out batch's sequences")
        self.grad_plot.setLogMode(x=False, y=True)
        self.grad_plot.setLabel("bottom", "step of the sequence")
        self.first_grad = self.grad_plot.plot(pen=pg.mkPen("#999", width=1.5))
        self.grad_curve = self.grad_plot.plot(pen=pg.mkPen(SERIES_COLORS["dh_T/dh_t"],
                                                           width=2.5))
        self.grad_legend = legend_under(self.grad_plot, (
            (self.first_grad, "first evaluation"), (self.grad_curve, "latest")))
        for plot in (self.loss_plot, self.grad_plot):  # one line: the rest is data
            plot.titleLabel.setMaximumHeight(TITLE_HEIGHT)

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

