"""Write: the options of a writing and its Write / Stop button (``session.writing``).

One row of options and one of status, so the dock fits under the heatmaps, tabbed with
the gradients, at 1280 x 720. The text box, token strip, heatmaps and This step show the
cell writing; this panel only starts, paces and stops it.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...limits import MAX_SEED, MAX_TOKENS
from ..generation_job import WriteRequest
from ..session import Session

#: Pace choices: tokens a second (0: as fast as the cell writes, the frames at 20 Hz).
PACES = (("20 tokens/s", 20.0), ("5 tokens/s", 5.0), ("100 tokens/s", 100.0),
         ("as fast as it writes", 0.0))
#: The panel's first length: a few sentences of the shipped char LMs.
DEFAULT_LENGTH = 200
#: The highest temperature the box offers (the engine takes up to 1000).
MAX_SHOWN_TEMPERATURE = 10.0
_CANNOT = ("Write needs a language model (a next-token head): Models › Next character "
           "opens one.")


class WritePanel(QWidget):
    """Options, Write / Stop, progress and what the last writing did."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.job = session.writing
        self.length = _spin(1, MAX_TOKENS, DEFAULT_LENGTH, "Tokens to write after the text "
                            "(fewer if the model writes its end token)")
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, MAX_SHOWN_TEMPERATURE)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(1.0)
        self.temperature.setToolTip("Divides the logits before the softmax: 1 samples the "
                                    "model's own probabilities, below 1 sharpens them, 0 "
                                    "always takes the most likely token (greedy)")
        self.top_k = _spin(0, MAX_TOKENS, 0, "Draw only among the k most likely tokens "
                           "(all: every token)")
        self.top_k.setSpecialValueText("all")
        self.seed = _spin(0, MAX_SEED, 0, "Seed of the draws: the same seed writes the "
                          "same text")
        self.pace = QComboBox()
        for label, _rate in PACES:
            self.pace.addItem(label)
        self.pace.setToolTip("How fast to write: slow enough to watch each token arrive, "
                             "or as fast as the cell writes")
        self.button = QPushButton("Write")
        self.button.setToolTip("Continue the text with the model, token by token; "
                               "Stop keeps what was written, Edit › Undo takes it back")
        self.button.clicked.connect(self._on_button)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("%v / %m tokens")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self._lay_out()
        self.job.changed.connect(self._refresh)
        self.job.progressed.connect(self._on_progress)
        session.model_changed.connect(self._refresh)
        self._refresh()

    def _lay_out(self) -> None:
        options = QGridLayout()
        for column, (label, box) in enumerate((
                ("Length", self.length), ("Temperature", self.temperature),
                ("Top-k", self.top_k), ("Seed", self.seed), ("Pace", self.pace))):
            options.addWidget(QLabel(label), 0, column)
            options.addWidget(box, 1, column)
        options.addWidget(self.button, 1, 5)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(options)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addStretch(1)

    def request(self) -> WriteRequest:
        """The writing the boxes describe."""
        top_k = self.top_k.value()
        return WriteRequest(self.length.value(), self.temperature.value(),
                            top_k or None, self.seed.value(), PACES[self.pace.currentIndex()][1])

    def _on_button(self) -> None:
        if self.job.running:
            self.job.stop()
        elif self.job.start(self.request()):
            self.progress.setRange(0, self.length.value())
            self.progress.setValue(0)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _refresh(self) -> None:
        running, can_write = self.job.running, self.job.can_write()
        model = self.session.model
        if can_write and model is not None:  # k up to the vocabulary's size
            self.top_k.setMaximum(model.config.head_size)
        self.button.setText("Stop" if running else "Write")
        self.button.setEnabled(running or can_write)
        for box in (self.length, self.temperature, self.top_k, self.seed, self.pace):
            box.setEnabled(can_write and not running)
        self.progress.setVisible(running)
        self.status.setText(self.job.status if (running or can_write) else _CANNOT)


def _spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setToolTip(tip)
    return box
