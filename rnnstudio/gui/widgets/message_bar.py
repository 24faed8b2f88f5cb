"""A dismissable banner for errors: non-modal, so nothing the user typed is interrupted.

Messages are plain text (a file name such as ``<b>.pt`` is not markup) and at most
:data:`MAX_MESSAGE_CHARS` long: a message quoting a huge value loses its middle, keeping
what went wrong and what to do.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from ..desktop.logs import cut_middle

MAX_MESSAGE_CHARS = 1000


class MessageBar(QWidget):
    """Shows the latest error until closed or until the next successful result."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("message_bar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#message_bar { background: #fdecea; border: 1px solid #e0a0a0;"
                           " border-radius: 4px; } QLabel { color: #7a0010; }")
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

    def show_message(self, message: str) -> None:
        self.label.setText(cut_middle(message, MAX_MESSAGE_CHARS))
        self.show()
