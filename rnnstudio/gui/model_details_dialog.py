"""Model details: one form for what a model file does not say, saved next to it.

A PyTorch state_dict has no vocabulary, labels, task, RNN nonlinearity or readout. When
opening one fails for want of them (the session's ``details_needed``), or when the user
asks (Models › Model details…), this dialog asks for all of them at once, pre-filled with
what the file and its sidecar already say. Accepting opens the model with the answers
exactly as the file will open from then on (:func:`~rnnstudio.io.sidecar_write.
apply_details`): an error is shown in the dialog, which stays open with every answer in
place; nothing is written until the model opens. Fields the file's own metadata fixes
are shown and locked (a sidecar cannot change them). A model folder (``config.json`` +
weights, perhaps without its vocabulary) is asked the same way, but its files are the
user's: the answers stay with the window's session (its model source's overrides).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..engine.readout import READOUTS
from ..errors import RnnStudioError
from ..io.config_sources import sidecar_path
from ..io.sidecar_write import DetailsApplied, ModelDetails, ModelFacts, apply_details, read_labels
from ..view.readout import TASKS, readout_words

_VOCABULARY_FILES = "Vocabularies (*.json *.txt);;All files (*)"
_GUESS = "not set: RNN Studio guesses"


class ModelDetailsDialog(QDialog):
    """Asks for vocabulary, labels, task, nonlinearity and readout of ``facts.path``.

    ``overrides`` are the answers the window holds for this file already (a read-only
    folder kept them for the session); ``reason`` says why the dialog opened. On
    success, ``applied`` carries the opened model and where the answers went.
    """

    applied = Signal(object)

    def __init__(self, facts: ModelFacts, overrides: Mapping[str, Any] | None = None,
                 reason: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.facts = facts.with_answers(overrides or {})
        self.result_applied: DetailsApplied | None = None
        self.setWindowTitle(f"Model details — {facts.path.name}")
        self.setObjectName("model_details_dialog")
        self.vocabulary_edit = QLineEdit()
        self.labels_edit = QLineEdit()
        self.task_box = self._choices([(_GUESS, None), *((task, task) for task in TASKS)])
        self.nonlinearity_box = self._choices([("tanh", "tanh"), ("relu", "relu")])
        self.readout_box = self._choices([(_GUESS, None),
                                          *((readout, readout) for readout in READOUTS)])
        self.readout_words = QLabel()
        self.readout_words.setWordWrap(True)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b00020")
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem.hide()
        self.readout_box.currentIndexChanged.connect(self._show_readout_words)
        self.task_box.currentIndexChanged.connect(self._show_readout_words)
        self._build(reason)
        self._prefill()

    # --- building ---------------------------------------------------------------------

    @staticmethod
    def _choices(items: list[tuple[str, str | None]]) -> QComboBox:
        box = QComboBox()
        for text, value in items:
            box.addItem(text, value)
        return box

    def _build(self, reason: str) -> None:
        facts = self.facts
        self.intro = QLabel(self._intro())
        self.intro.setWordWrap(True)
        #: The reader's own message, when opening failed: what exactly was missing.
        self.reason = QLabel(reason)
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet("color: palette(placeholder-text)")
        self.reason.setVisible(bool(reason))
        form = QFormLayout()
        self.form = form
        # A locked row locks its Browse button too (isEnabled() of the edit follows).
        self.vocabulary_row = self._with_browse(self.vocabulary_edit, self._browse_vocabulary)
        self.labels_row = self._with_browse(self.labels_edit, self._browse_labels)
        form.addRow("&Vocabulary", self.vocabulary_row)
        form.addRow("&Labels", self.labels_row)
        form.addRow("&Task", self.task_box)
        form.addRow("&Nonlinearity", self.nonlinearity_box)
        form.addRow("&Readout", self.readout_box)
        form.addRow("", self.readout_words)
        rows = f"{facts.vocabulary_rows} tokens" if facts.vocabulary_rows else "no table"
        self.vocabulary_edit.setPlaceholderText(
            f"JSON list, JSON {{token: index}} or vocab.txt ({rows})")
        classes = f" ({facts.head_rows} in the head)" if facts.head_rows else ""
        self.labels_edit.setPlaceholderText(f"negative, positive — or a labels file{classes}")
        self.nonlinearity_box.setToolTip("An RNN's tanh or relu is not stored in its weights")
        self.readout_box.setToolTip("Which vector of the top layer the head reads, as the "
                                    "model was built (PyTorch tutorials' bidirectional "
                                    "classifiers read the final states)")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            "Open" if facts.path.is_dir() else "Save and open")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.reason)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)

    def _intro(self) -> str:
        facts = self.facts
        shape = f"{facts.cell.upper()}{', bidirectional' if facts.bidirectional else ''}"
        lacks = (f"It does not say its {' or its '.join(facts.missing)}: please give "
                 f"{'them' if len(facts.missing) > 1 else 'it'} below. " if facts.missing
                 else "What its file does not say, as you know it. ")
        where = (f"The answers are saved in {sidecar_path(facts.path).name} next to the "
                 "model, so it opens by itself next time." if not facts.path.is_dir() else
                 "RNN Studio leaves a model folder's files as they are: the answers hold "
                 "for this window's session, and File › Save session keeps them.")
        return f"{facts.path.name} ({shape}). {lacks}{where}"

    @staticmethod
    def _with_browse(edit: QLineEdit, browse: Any) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(edit, 1)
        button = QPushButton("Browse…")
        button.clicked.connect(browse)
        layout.addWidget(button)
        return row

    def _prefill(self) -> None:
        """What the file, its sidecar and the window's answers say; locked when the
        file's metadata fixes it."""
        facts, fixed = self.facts, self.facts.file_fields
        candidate = facts.vocabulary_candidate()
        if not facts.has_vocabulary and candidate is not None:
            self.vocabulary_edit.setText(str(candidate))
        elif facts.has_vocabulary:
            self.vocabulary_edit.setPlaceholderText("the vocabulary it has; choose a file "
                                                    "to replace it")
        self.vocabulary_row.setEnabled(not facts.vocabulary_fixed)
        labels = self._known("labels")
        if labels:
            self.labels_edit.setText(", ".join(labels))
        self.labels_row.setEnabled("labels" not in fixed)
        for key, box in (("task", self.task_box), ("nonlinearity", self.nonlinearity_box),
                         ("readout", self.readout_box)):
            index = box.findData(self._known(key))
            box.setCurrentIndex(max(index, 0))
            box.setEnabled(key not in fixed)
        self.nonlinearity_box.setEnabled("nonlinearity" not in fixed)
        self.form.setRowVisible(self.nonlinearity_box, facts.cell == "rnn")
        # A bare recurrent stack has no table to name rows of and no head to read.
        if facts.vocabulary_rows is None:
            self.vocabulary_row.setEnabled(False)
            self.vocabulary_edit.setPlaceholderText("no embedding table: inputs are hashed")
        if facts.head_rows is None:
            for widget in (self.labels_row, self.task_box, self.readout_box):
                widget.setEnabled(False)
            self.labels_edit.setPlaceholderText("no readout head")
        self._show_readout_words()

    def _known(self, key: str) -> Any:
        return self.facts.known(key)

    def _show_readout_words(self) -> None:
        readout = self.readout_box.currentData()
        if self.facts.head_rows is None:
            self.readout_words.setText("no readout head: states and gradients only")
            return
        if readout:
            self.readout_words.setText(readout_words(readout, self.facts.bidirectional))
            return
        # What io.config_guesses will choose: a tagger or language model reads every
        # step, a classifier the final states (the last step when unidirectional).
        every_step = self.task_box.currentData() in ("tag", "next-token")
        guess = "per-step" if every_step else \
            "final-states" if self.facts.bidirectional else "last-step"
        self.readout_words.setText(
            f"not set: {readout_words(guess, self.facts.bidirectional, guessed=True)}")

    # --- answers ----------------------------------------------------------------------

    def details(self) -> ModelDetails:
        """The answers (None for locked fields); :class:`RnnStudioError` for a labels
        file that cannot be read."""
        vocabulary = self.vocabulary_edit.text().strip()
        return ModelDetails(
            vocabulary_file=Path(vocabulary) if vocabulary and self.vocabulary_edit.isEnabled()
            else None,
            labels=read_labels(self.labels_edit.text()) if self.labels_edit.isEnabled()
            else None,
            task=_answer(self.task_box),
            nonlinearity=_answer(self.nonlinearity_box) if self.facts.cell == "rnn" else None,
            readout=_answer(self.readout_box))

    def accept(self) -> None:
        """Open the model with the answers; on success write them and close, else say
        why here and keep every answer."""
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            applied = apply_details(self.facts.path, self.details(), self.facts)
        except RnnStudioError as error:
            self.show_problem(str(error))
            return
        finally:
            QApplication.restoreOverrideCursor()
        self.result_applied = applied
        self.applied.emit(applied)
        super().accept()

    def show_problem(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.show()

    def _browse_vocabulary(self) -> None:
        self._browse(self.vocabulary_edit, "Choose the vocabulary file")

    def _browse_labels(self) -> None:
        self._browse(self.labels_edit, "Choose a labels file (JSON list or one a line)")

    def _browse(self, edit: QLineEdit, title: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self, title, str(self.facts.path.parent),
                                              _VOCABULARY_FILES)
        if path:
            edit.setText(path)


def _answer(box: QComboBox) -> str | None:
    """A choice the user can make here; None for a locked one (the file's, or no head)."""
    return box.currentData() if box.isEnabled() else None


def applied_message(applied: DetailsApplied) -> str:
    """Why the answers hold for this session only (a sidecar was not written)."""
    return (f"The details of {applied.loaded.path.name} hold for this session only "
            f"({applied.reason}); File › Save session keeps them")
