"""Help > Keyboard shortcuts: a table built from the shortcuts the window really has.

The dialog takes ``(keys, action)`` pairs instead of a hand-written list, so it cannot
drift from the actions; ``shortcuts_from_actions`` reads them off ``QAction`` objects.
Keys are shown in the platform's native form (Ctrl+O on Linux, ⌘O on macOS).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

Shortcut = tuple[str | QKeySequence, str]


def native_keys(keys: str | QKeySequence) -> str:
    """Portable key text ("Ctrl+O") or a sequence, in the platform's own notation."""
    sequence = keys if isinstance(keys, QKeySequence) else QKeySequence(keys)
    text = sequence.toString(QKeySequence.SequenceFormat.NativeText)
    return text or str(keys)


def shortcuts_from_actions(actions: Iterable[QAction]) -> list[tuple[str, str]]:
    """``(keys, action text)`` for every action with a shortcut, menu ampersands removed."""
    pairs = []
    for action in actions:
        keys = [native_keys(seq) for seq in action.shortcuts() if not seq.isEmpty()]
        if keys:
            text = action.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
            pairs.append((", ".join(keys), text.rstrip("…").rstrip(".")))
    return pairs


class ShortcutsDialog(QDialog):
    """A two-column, read-only, sortable table: keys and what they do."""

    def __init__(self, shortcuts: Sequence[Shortcut], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcuts_dialog")
        self.setWindowTitle("Keyboard shortcuts")
        self.table = QTableWidget(len(shortcuts), 2, self)
        self.table.setObjectName("shortcuts_table")
        self.table.setHorizontalHeaderLabels(["Keys", "Action"])
        for row, (keys, action) in enumerate(shortcuts):
            for column, text in enumerate((native_keys(keys), action)):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(row, column, item)
        self.table.verticalHeader().hide()
        # Rows one line of text tall: Qt's default (30 px here) left 25 shortcuts taller
        # than a 720p screen.
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        # Keep the given order (menu order) until the user clicks a column: enabling
        # sorting would otherwise sort at once, by column 0, descending.
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self._fit_to_contents(buttons)

    def _fit_to_contents(self, buttons: QWidget) -> None:
        """Tall enough for every row, up to 85 % of the screen; the table scrolls beyond.

        A fixed 460 x 420 showed 12 of the window's 13 shortcuts and cut the last in half.
        """
        table = self.table
        frame = 2 * table.frameWidth()
        table_height = (table.horizontalHeader().sizeHint().height()
                        + table.verticalHeader().length() + frame)
        layout = self.layout()
        assert layout is not None  # set in __init__
        margins = layout.contentsMargins()
        chrome = margins.top() + margins.bottom() + layout.spacing() + buttons.sizeHint().height()
        height = table_height + chrome
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is not None:
            height = min(height, int(screen.height() * 0.85))
        self.resize(460, height)

    def rows(self) -> list[tuple[str, str]]:
        """The table's content, in its current order (for tests and copy)."""
        def text(row: int, column: int) -> str:
            item = self.table.item(row, column)
            return item.text() if item is not None else ""

        return [(text(row, 0), text(row, 1)) for row in range(self.table.rowCount())]


def show_shortcuts(shortcuts: Sequence[Shortcut],
                   parent: QWidget | None = None) -> ShortcutsDialog:
    """Open the shortcuts dialog (non-modal, deleted on close) and return it."""
    dialog = ShortcutsDialog(shortcuts, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
