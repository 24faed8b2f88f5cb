"""A table of corpus results (spans or tokens) with their context, and the small form
pieces the Corpus dock's tabs share. What a row says comes from
:mod:`rnnstudio.view.corpus`; a click asks the session to open the row's document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
)

from ...view.corpus import CorpusSource, ResultRow

#: How the hit is marked inside its context: guillemets, so a corpus of brackets
#: (brackets-lstm) cannot confuse the mark with the text.
MARKS = ("«", "»")


class ResultTable(QTableWidget):
    """Rows of :class:`ResultRow`; ``rows`` holds them in table order. A click (or Enter)
    on a row calls ``on_open(row)``."""

    def __init__(self, score_name: str, span: bool,
                 on_open: Callable[[ResultRow], None]) -> None:
        where = "Tokens" if span else "Token"
        headers = ["#", "Doc", where, *(["Len"] if span else []), score_name, "Context"]
        super().__init__(0, len(headers))
        self.span, self.on_open = span, on_open
        self.rows: list[ResultRow] = []
        self.setHorizontalHeaderLabels(headers)
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setWordWrap(False)
        header = self.horizontalHeader()
        for column in range(len(headers) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(headers) - 1, QHeaderView.ResizeMode.Stretch)
        header.setToolTip("Click a row to open its document in the main view, the cursor "
                          "on the hit")
        self.cellClicked.connect(lambda row, _column: self._open(row))
        self.cellActivated.connect(lambda row, _column: self._open(row))

    def show_rows(self, rows: Sequence[ResultRow]) -> None:
        self.rows = list(rows)
        self.setRowCount(len(self.rows))
        for index, row in enumerate(self.rows):
            where = (f"{row.position}–{row.position + row.length - 1}" if row.length > 1
                     else str(row.position))
            cells = [str(row.rank), str(row.document), where,
                     *([str(row.length)] if self.span else []), f"{row.score:.4f}",
                     row.context.marked(*MARKS)]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column < len(cells) - 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                else:  # read from the left, as text is
                    item.setTextAlignment(Qt.AlignmentFlag.AlignLeft
                                          | Qt.AlignmentFlag.AlignVCenter)
                    item.setToolTip(text)
                self.setItem(index, column, item)

    def _open(self, index: int) -> None:
        if 0 <= index < len(self.rows):
            self.on_open(self.rows[index])


class PlaceBox(QComboBox):
    """Which stored values a query reads: ``h · layer 0 fwd`` for each stored quantity
    and (layer, direction) of the corpus; ``place()`` is the chosen one."""

    def fill(self, source: CorpusSource | None) -> None:
        chosen = self.currentData()
        self.clear()
        if source is None:
            return
        for quantity in source.quantities:
            for layer, direction in source.keys:
                self.addItem(f"{quantity} · layer {layer} {direction}",
                             (quantity, layer, direction))
        found = self.findData(chosen)
        self.setCurrentIndex(max(found, 0))

    def place(self) -> tuple[str, int, str] | None:
        data = self.currentData()
        return None if data is None else (str(data[0]), int(data[1]), str(data[2]))
