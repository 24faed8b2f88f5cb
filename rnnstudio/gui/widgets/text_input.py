"""The sentence box (recomputes as you type, debounced), sample sentences and tokenizer."""

from __future__ import annotations

import os

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import QComboBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from ...view.resources import sample_sentences
from ..session import Session

#: Quiet time after the last key press before tracing; typing stays fluid and a trace
#: of 200 tokens (~20-60 ms) still feels immediate.
DEBOUNCE_MS = 200


#: The box's height limit (px) outside a lesson: about four lines.
_FULL_HEIGHT = 84
#: Lines the box keeps in a lesson, whatever its text (one more to type in).
_LESSON_LINES = 2

#: How the tokenizer kinds read in the window.
_TOKENIZERS = {"word": "words", "char": "characters"}


class TextInput(QWidget):
    """Writes ``session.set_text`` after typing pauses; never loses what the user typed."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText("Type a sentence for the cell to read…")
        self.editor.setTabChangesFocus(True)
        self.editor.installEventFilter(self)  # Esc leaves the box
        self.editor.setToolTip("The text the cell reads; it recomputes as you type. "
                               "Esc leaves the box, so the arrow keys step again")
        self.editor.setMaximumHeight(_FULL_HEIGHT)
        self.compact = False
        self.samples = QComboBox()
        self.samples.addItem("Sample sentences…")
        self.samples.addItems(sample_sentences())
        self.samples.activated.connect(self._on_sample_chosen)
        self.samples.setToolTip("Put a sample sentence in the box (replaces its text)")
        # Long sample sentences must not force the dock (and the window) to be wide.
        self.samples.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.samples.setMinimumContentsLength(16)
        self.tokenizer_label = QLabel()
        self.tokenizer_label.setWordWrap(True)
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        self.debounce.timeout.connect(self.commit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.editor)
        layout.addWidget(self.samples)
        layout.addWidget(self.tokenizer_label)
        #: Set while the box shows the session's text (not the user's edit).
        self._echoing = False
        #: Whether the session's next append joins the last one's undo step (Write).
        self._joining = False
        self.editor.textChanged.connect(self._on_edited)
        # Lines change with the text and with the dock's width (wrapping).
        self.editor.document().documentLayout().documentSizeChanged.connect(
            lambda _size: self._fit_height())
        session.text_changed.connect(self._on_session_text)
        session.text_proposed.connect(self._on_proposed)
        session.trace_changed.connect(self._describe)
        self._on_session_text(session.text)
        self._describe()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        """Esc in the box hands the focus back to the window, where the arrow keys step
        through the trace (in the box they move the caret); a pending edit is sent at once.

        The box claims Esc before any window shortcut (a second Esc can then leave
        presentation mode)."""
        if (watched is self.editor and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Escape
                and event.modifiers() == Qt.KeyboardModifier.NoModifier):
            if event.type() == QEvent.Type.ShortcutOverride:
                event.accept()
                return True
            if event.type() == QEvent.Type.KeyPress:
                if self.debounce.isActive():
                    self.commit()
                self.editor.clearFocus()
                return True
        return super().eventFilter(watched, event)

    def set_compact(self, compact: bool) -> None:
        """In a lesson (``compact``) the box is as tall as its text and the sample list
        is hidden: the text is the lesson's, and at 1280 x 720 the box's 84 px and the
        list were the lesson text's missing lines."""
        self.compact = compact
        self.samples.setVisible(not compact)
        self._fit_height()

    def _fit_height(self) -> None:
        if not self.compact:
            self.editor.setMaximumHeight(_FULL_HEIGHT)
            return
        line = self.editor.fontMetrics().lineSpacing()
        lines = max(_LESSON_LINES, round(self.editor.document().size().height()))
        # Frame, document margins and a little slack: exactly the lines' height showed
        # a scroll bar beside two lines (seen under Xvfb).
        frame = 2 * (self.editor.frameWidth() + round(self.editor.document().documentMargin()))
        self.editor.setMaximumHeight(min(_FULL_HEIGHT, lines * line + frame + 4))

    def commit(self) -> None:
        """Send the box's text to the session now (the debounce timer calls this)."""
        self.debounce.stop()
        self.session.set_text(self.editor.toPlainText())

    def _on_sample_chosen(self, index: int) -> None:
        if index > 0:
            self.editor.setPlainText(self.samples.itemText(index))
            self.commit()
        self.samples.setCurrentIndex(0)

    def _on_edited(self) -> None:
        if not self._echoing:  # the user's edit: trace after the pause
            self._joining = False
            self.debounce.start()

    def _on_session_text(self, text: str) -> None:
        current = self.editor.toPlainText()
        if text == current:
            return
        kept = len(os.path.commonprefix([current, text]))
        self._echoing = True
        try:
            if kept and not current[kept:].strip():
                self._append(kept, text[kept:])
            else:
                self.editor.setPlainText(text)  # a new text: a new undo history
                self._joining = False
        finally:
            self._echoing = False

    def _on_proposed(self, text: str) -> None:
        """Replace the box's text as one edit (a corpus document opened from the Corpus
        dock): Edit › Undo gives the previous text back. Then read it at once."""
        cursor = QTextCursor(self.editor.document())
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.beginEditBlock()
        cursor.insertText(text)
        cursor.endEditBlock()
        self.commit()

    def _append(self, kept: int, added: str) -> None:
        """Text the model wrote after the first ``kept`` characters (Write), as an edit
        of the box: every append since the user's last edit is one undo step, so
        Edit › Undo gives back the text from before the writing."""
        cursor = QTextCursor(self.editor.document())
        cursor.setPosition(kept)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        if self._joining:
            cursor.joinPreviousEditBlock()
        else:
            cursor.beginEditBlock()
        cursor.insertText(added)
        cursor.endEditBlock()
        self._joining = True
        bar = self.editor.verticalScrollBar()
        bar.setValue(bar.maximum())  # the newest words in view

    def _describe(self) -> None:
        trace = self.session.trace
        if trace is None:
            return
        unknown = len(trace.unknown)
        kind = trace.config.tokenizer.kind
        text = f"Tokenizer: {_TOKENIZERS.get(kind, kind)} · {len(trace.tokens)} tokens"
        if unknown:
            text += f" · {unknown} unknown (dashed red)"
        self.tokenizer_label.setText(text)
