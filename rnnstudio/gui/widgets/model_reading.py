"""How the open model is read: its readout in words (changeable for a model file), and
what reading its file did (its format, submodules renamed, values converted, a head
left out, fields guessed in the words of ``rnnstudio info``, and which control changes
each guess: :mod:`rnnstudio.view.model_reading`).

Part of the Model dock. The readout decides the verdict: a bidirectional classifier
read at the last step instead of on its final states gives another answer (0.8991 vs
0.9491 on issue 12's tutorial model), so the dock says which one is in force and whether
the file said so or RNN Studio guessed. Changing it asks the session to read the file
again with ``readout=`` (kept in the model source, so saved sessions keep it).
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...view.model_reading import reading_lines, recurrent_part_only
from ...view.readout import readout_choices, readout_words
from ..session import Session

if TYPE_CHECKING:
    from ...io.model_files import LoadedModel


class ModelReading(QGroupBox):
    """The readout row and the file-reading notes of the session's model."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__("How it is read", parent)
        self.setObjectName("model_reading")
        self.session = session
        self.readout_box = QComboBox()
        self.readout_box.activated.connect(self._on_readout_chosen)
        self.readout_words = QLabel()
        self.readout_words.setWordWrap(True)
        self.readout_words.setObjectName("readout_words")
        self.file_notes = QLabel()
        self.file_notes.setWordWrap(True)
        self.file_notes.setObjectName("file_notes")
        # A box, not a form: QFormLayout gave the wrapped notes their one-line width's
        # height (210 px for 280 needed at 1280x720) and cut the last lines off.
        self.readout_row = QWidget()
        readout_row = QHBoxLayout(self.readout_row)
        readout_row.setContentsMargins(0, 0, 0, 0)
        readout_row.addWidget(QLabel("Readout"))
        readout_row.addWidget(self.readout_box, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.readout_row)
        layout.addWidget(self.readout_words)
        layout.addWidget(self.file_notes)
        session.model_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Show the model in force (also after a refused change)."""
        model, loaded = self.session.model, self.session.loaded
        config = model.config if model is not None else None
        choices = readout_choices(config.task if config is not None else None)
        self.setVisible(bool(choices) or loaded is not None)
        self.readout_box.blockSignals(True)
        self.readout_box.clear()
        self.readout_box.addItems(list(choices))
        if config is not None:
            self.readout_box.setCurrentIndex(max(self.readout_box.findText(config.readout), 0))
        self.readout_box.blockSignals(False)
        from_file = self.session.source.kind == "file"
        self.readout_box.setEnabled(bool(choices) and from_file)
        self.readout_row.setVisible(bool(choices))  # no head: nothing to choose
        self.readout_box.setToolTip(
            "Which vector of the top layer the head reads; choosing another reads the "
            "file again with it" if from_file else
            "The readout this model was built with (another can be chosen for a model "
            "opened from a file)")
        guessed = loaded is not None and "readout" in loaded.guessed
        self.readout_words.setText(
            readout_words(config.readout, config.recurrent.bidirectional, guessed)
            if choices and config is not None else
            "head left out: states and gradients only, no verdict"
            if recurrent_part_only(loaded) else "no readout head: states and gradients only")
        self.file_notes.setText(_file_notes_html(loaded))
        self.file_notes.setVisible(bool(self.file_notes.text()))

    def _on_readout_chosen(self, index: int) -> None:
        self.session.set_readout(self.readout_box.itemText(index))


def _file_notes_html(loaded: LoadedModel | None) -> str:
    """The format, renamed submodules, notes, settings' sources and guesses, one line
    each; a note or a guess as it is, the others after their label."""
    lines = [escape(text, quote=False) if label in ("note", "guessed") else
             f"{escape(label)}: {escape(text, quote=False)}"
             for label, text in reading_lines(loaded)]
    return "<br>".join(lines)
