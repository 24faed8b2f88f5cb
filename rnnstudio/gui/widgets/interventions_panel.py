"""The Interventions dock: the active edits, a form to build one, and the diff.

Every change goes through :meth:`Session.set_interventions`, which checks the edits
against the model and reads the text again with them; the list shows the edits in
force (``session.edits``), so a refused edit never appears as if it were applied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QListWidget,
    QPushButton,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...view.interventions import intervention_words
from ..session import Session
from .intervention_diff import DiffPlot
from .intervention_form import InterventionForm

if TYPE_CHECKING:
    from ...engine.interventions import Intervention


class InterventionsPanel(QWidget):
    """Observes the session; writes back only through ``set_interventions`` and
    ``set_delta_shown``."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.edit_list = QListWidget()
        self.edit_list.setToolTip("The edits the trace is read with; select one to change "
                                  "it in the form below")
        self.form = InterventionForm()
        self.add_button = QPushButton("Add")
        self.add_button.setToolTip("Add the form's edit and read the text again with it")
        self.update_button = QPushButton("Replace")
        self.update_button.setToolTip("Replace the selected edit by the form's")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected edit")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Remove every edit: the original trace comes back")
        self.enabled_box = QCheckBox("Edits on")
        self.enabled_box.setToolTip("Read the text with the edits, or without them (they "
                                    "are kept)")
        self.delta_box = QCheckBox("Δ on heatmaps")
        self.delta_box.setToolTip("Heatmaps of edited − original instead of the values "
                                  "(while edits are on)")
        buttons = QHBoxLayout()
        for widget in (self.add_button, self.update_button, self.remove_button,
                       self.clear_button, self.enabled_box, self.delta_box):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        editor = QWidget()
        column = QVBoxLayout(editor)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.edit_list, 1)
        column.addLayout(buttons)
        column.addWidget(self.form)
        self.diff_plot = DiffPlot(session)
        # Tabs, not side by side: the bottom dock is about 630 x 300 px at 1280 x 720,
        # and beside the form the diff plot was 70 px wide (seen under Xvfb).
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(editor, "Edits")
        self.tabs.addTab(self.diff_plot, "Diff: edited − original")
        for button in self.tabs.tabBar().findChildren(QToolButton):  # its scroll arrows
            button.setToolTip("Show the other tab")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tabs)
        self.add_button.clicked.connect(self._add)
        self.update_button.clicked.connect(self._replace)
        self.remove_button.clicked.connect(self._remove)
        self.clear_button.clicked.connect(lambda: self._apply(()))
        self.enabled_box.clicked.connect(
            lambda on: session.set_interventions(session.edits.interventions, bool(on)))
        self.delta_box.clicked.connect(lambda on: session.set_delta_shown(bool(on)))
        self.edit_list.currentRowChanged.connect(self._on_selected)
        self.form.edit_changed.connect(lambda _edit: self._enable_buttons())
        session.model_changed.connect(self._on_model_changed)
        session.interventions_changed.connect(self.refresh)
        session.trace_changed.connect(self.refresh)
        session.options_changed.connect(self.refresh)
        session.intervention_proposed.connect(self._on_proposed)
        self._on_model_changed()

    def heightForWidth(self, _width: int) -> int:  # noqa: N802 (Qt API)
        """No preferred height for a width: in the dock's scroll area the form's wrapped
        message made the panel its full preferred height (566 px in a 282 px dock at
        1280 x 720), and the form fell below the fold."""
        return -1

    @property
    def edits(self) -> tuple[Intervention, ...]:
        return self.session.edits.interventions

    def _on_model_changed(self) -> None:
        self.form.set_model(self.session.model)
        self.refresh()

    def refresh(self) -> None:
        """The list and the switches as the session has them."""
        state, row = self.session.edits, self.edit_list.currentRow()
        lines = [f"{edit.spec()}  —  {intervention_words(edit)}" for edit in self.edits]
        if [self.edit_list.item(k).text() for k in range(self.edit_list.count())] != lines:
            self.edit_list.blockSignals(True)
            self.edit_list.clear()
            self.edit_list.addItems(lines)
            self.edit_list.setCurrentRow(min(row, len(lines) - 1))
            self.edit_list.blockSignals(False)
        self.enabled_box.setChecked(state.enabled)
        self.enabled_box.setEnabled(bool(state.interventions))
        self.delta_box.setChecked(self.session.options.delta)
        self.delta_box.setEnabled(state.diff is not None)
        self.tabs.setTabText(0, f"Edits ({len(lines)})" if lines else "Edits")
        self._enable_buttons()

    def _enable_buttons(self) -> None:
        selected = 0 <= self.edit_list.currentRow() < len(self.edits)
        ready = self.form.edit is not None and self.session.model is not None
        self.add_button.setEnabled(ready and self.form.edit not in self.edits)
        self.update_button.setEnabled(ready and selected)
        self.remove_button.setEnabled(selected)
        self.clear_button.setEnabled(bool(self.edits))

    def _on_proposed(self, edit: Intervention) -> None:
        self.tabs.setCurrentIndex(0)
        self.form.show_edit(edit)

    def _on_selected(self, row: int) -> None:
        if 0 <= row < len(self.edits):
            self.form.show_edit(self.edits[row])
        self._enable_buttons()

    def _apply(self, edits: tuple[Intervention, ...]) -> None:
        self.session.set_interventions(edits, self.session.edits.enabled or not self.edits)

    def _add(self) -> None:
        if self.form.edit is not None and self.form.edit not in self.edits:
            self._apply((*self.edits, self.form.edit))

    def _replace(self) -> None:
        row = self.edit_list.currentRow()
        if self.form.edit is not None and 0 <= row < len(self.edits):
            self._apply((*self.edits[:row], self.form.edit, *self.edits[row + 1:]))

    def _remove(self) -> None:
        row = self.edit_list.currentRow()
        if 0 <= row < len(self.edits):
            self._apply((*self.edits[:row], *self.edits[row + 1:]))
