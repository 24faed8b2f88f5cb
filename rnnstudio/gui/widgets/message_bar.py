"""A dismissable banner for errors and notices: non-modal, so nothing the user typed is
interrupted. A notice (a file that needs a few details, answers kept for this session
only) is drawn in blue, not in the error's red: it reports no failure.

Messages are plain text (a file name such as ``<b>.pt`` is not markup) and at most
:data:`MAX_MESSAGE_CHARS` long: a message quoting a huge value loses its middle, keeping
what went wrong and what to do.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from ..desktop.logs import cut_middle

MAX_MESSAGE_CHARS = 1000
#: Background, border and text colours per kind of message.
STYLES = {"error": ("#fdecea", "#e0a0a0", "#7a0010"),
          "notice": ("#e8f0fb", "#9db8e0", "#0b3a75")}


class MessageBar(QWidget):
    """Shows the latest error until closed or until the next successful result."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("message_bar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.kind = "error"
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.hide()

    @property
    def text(self) -> str:
        return self.label.text()

    def show_message(self, message: str, kind: str = "error") -> None:
        """Show ``message`` as an ``"error"`` or a ``"notice"``."""
        background, border, text = STYLES[kind]
        self.kind = kind
        self.setStyleSheet(f"#message_bar {{ background: {background}; border: 1px solid "
                           f"{border}; border-radius: 4px; }} QLabel {{ color: {text}; }}")
        self.label.setText(cut_middle(message, MAX_MESSAGE_CHARS))
        self.show()
