"""Write: the options of a writing and its Write / Stop button (``session.writing``).

One row of options and one of status, so the dock fits under the heatmaps, tabbed with
the gradients, at 1280 x 720. The text box, token strip, heatmaps and This step show the
cell writing; this panel starts, paces and stops it, and afterwards lists what it wrote
(each token's probability and rank; a click moves the cursor there).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...limits import MAX_SEED, MAX_TOKENS
from ...view.writing import written_rows
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
        self.written = QTableWidget(0, len(_COLUMNS))
        self.written.setHorizontalHeaderLabels([name for name, _tip in _COLUMNS])
        for column, (_name, tip) in enumerate(_COLUMNS):
            header = self.written.horizontalHeaderItem(column)
            if header is not None:
                header.setToolTip(tip)
        self.written.verticalHeader().hide()
        # Rows a line of text tall: at Qt's default (30 px) the dock showed two at 720p.
        self.written.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.written.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.written.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.written.horizontalHeader().setStretchLastSection(True)
        self.written.setToolTip("Each written token, how likely the model found it and "
                                "whether it was its first choice; click a row to put the "
                                "cursor there")
        self.written.cellClicked.connect(self._on_row)
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
        layout.addWidget(self.written, 1)

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
        self._fill_written()

    def _fill_written(self) -> None:
        """The last writing's tokens (none while writing or before any)."""
        rows = ([] if self.job.running or self.job.result is None
                else written_rows(self.job.result))
        self.written.setRowCount(len(rows))
        for row, written in enumerate(rows):
            for column, text in enumerate(written.cells()):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, written.step)
                self.written.setItem(row, column, item)
        self.written.setVisible(bool(rows))
        if rows:
            self.written.resizeColumnsToContents()
            self.written.scrollToBottom()

    def _on_row(self, row: int, _column: int) -> None:
        item = self.written.item(row, 0)
        if item is not None and self.session.trace is not None:
            step = int(item.data(Qt.ItemDataRole.UserRole))
            if step < self.session.step_count:  # the text may have been edited since
                self.session.set_cursor(step)


#: The written-tokens table's columns and their header tips.
_COLUMNS = (("step", "The token's step in the text (where a click puts the cursor)"),
            ("token", "The written token (␣ a space)"),
            ("p", "Its probability when drawn: softmax(logits / temperature)"),
            ("rank", "Its rank among the model's choices: 1 is the most likely token"))


def _spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setToolTip(tip)
    return box
