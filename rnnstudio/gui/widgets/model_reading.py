"""How the open model is read: its readout in words (changeable for a model file), and
what reading its file did (submodules renamed, values converted, fields guessed).

Part of the Model dock. The readout decides the verdict: a bidirectional classifier
read at the last step instead of on its final states gives another answer (0.8991 vs
0.9491 on issue 12's tutorial model), so the dock says which one is in force and whether
the file said so or RNN Studio guessed. Changing it asks the session to read the file
again with ``readout=`` (kept in the model source, so saved sessions keep it).
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QWidget

from ...view.readout import readout_choices, readout_words, renamed_words
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
        form = QFormLayout(self)
        form.addRow("Readout", self.readout_box)
        form.addRow(self.readout_words)
        form.addRow(self.file_notes)
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
        self.readout_box.setToolTip(
            "Which vector of the top layer the head reads; choosing another reads the "
            "file again with it" if from_file else
            "The readout this model was built with (another can be chosen for a model "
            "opened from a file)")
        guessed = loaded is not None and "readout" in loaded.guessed
        self.readout_words.setText(
            readout_words(config.readout, config.recurrent.bidirectional, guessed)
            if choices and config is not None else "no readout head: states and gradients "
            "only")
        self.file_notes.setText(_file_notes_html(loaded))
        self.file_notes.setVisible(bool(self.file_notes.text()))

    def _on_readout_chosen(self, index: int) -> None:
        self.session.set_readout(self.readout_box.itemText(index))


def _file_notes_html(loaded: LoadedModel | None) -> str:
    """Renamed submodules, conversions and other guessed fields, one line each."""
    if loaded is None:
        return ""
    lines = []
    renamed = renamed_words(loaded.names)
    if renamed:
        lines.append(f"renamed: {escape(renamed)}")
    lines.extend(escape(note) for note in loaded.notes)
    folder = f"{loaded.path.parent}/"
    sources = [source.replace(folder, "") for source in loaded.config_sources]
    lines.append(f"settings from: {escape(', '.join(sources))}")
    others = [field for field in loaded.guessed if field != "readout"]
    if others:
        lines.append(f"guessed: {escape(', '.join(others))} (Models › Model details… "
                     "to say)")
    return "<br>".join(lines)
