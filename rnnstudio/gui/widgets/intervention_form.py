"""The form that builds one edit: quantity, set or scale, value, units, steps, layer and
direction, and the spec it makes, checked against the open model in words.

The spec line and the fields are two views of one edit: changing a field writes the
spec, typing a spec fills the fields. The edit itself is parsed by the engine's grammar
(:func:`parse_intervention`) and checked against the model's shape
(:func:`check_for_model`), so the form cannot accept what a trace would refuse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from ...view.interventions import SPEC_HELP, checked_spec, quantity_choices

if TYPE_CHECKING:
    from ...engine.interventions import Intervention
    from ...engine.model import Model

_OPERATIONS = {"set": "clamp to (=)", "scale": "scale by (×)"}
#: A message about what is wrong: the cursor's red reads on light and dark themes.
_INVALID_STYLE = "color: #d1495b"


class InterventionForm(QWidget):
    """Emits ``edit_changed`` with the form's edit (or None while it is not valid)."""

    edit_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model: Model | None = None
        self.edit: Intervention | None = None
        self.quantity = QComboBox()
        self.quantity.setToolTip("What to edit: h, c (LSTM) or a gate of the cell")
        self.operation = QComboBox()
        for op, label in _OPERATIONS.items():
            self.operation.addItem(label, op)
        self.operation.setToolTip("Clamp: the quantity is set to the value (no gradient "
                                  "reaches what made it); scale: multiplied by it")
        self.value = QDoubleSpinBox()
        self.value.setRange(-1e6, 1e6)
        self.value.setDecimals(3)
        self.value.setSingleStep(0.1)
        self.value.setToolTip("The value to clamp to, or the factor to scale by (0 zeroes)")
        self.units = QLineEdit()
        self.units.setPlaceholderText("all")
        self.units.setToolTip("Units: empty for all, or 3,7 or 0-9")
        self.steps = QLineEdit()
        self.steps.setPlaceholderText("all")
        self.steps.setToolTip("Steps: empty for all, 5 (one step), 5-9 (inclusive), 5- (to "
                              "the end) or -9")
        self.layer = QSpinBox()
        self.layer.setToolTip("Which layer of the stack to edit")
        self.direction = QComboBox()
        self.direction.addItems(["fwd", "bwd"])
        self.direction.setToolTip("Forward or backward direction (bidirectional models)")
        self.spec = QLineEdit()
        self.spec.setToolTip(f"The edit as a spec (rnnstudio trace --intervene): {SPEC_HELP}")
        self.message = QLabel()
        self.message.setWordWrap(True)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        for column, (label, widget) in enumerate((
                ("Quantity", self.quantity), ("Edit", self.operation), ("Value", self.value),
                ("Layer", self.layer))):
            grid.addWidget(QLabel(label), 0, 2 * column)
            grid.addWidget(widget, 0, 2 * column + 1)
        for column, (label, widget) in enumerate((
                ("Units", self.units), ("Steps", self.steps), ("Direction", self.direction))):
            grid.addWidget(QLabel(label), 1, 2 * column)
            grid.addWidget(widget, 1, 2 * column + 1)
        grid.addWidget(QLabel("Spec"), 2, 0)
        grid.addWidget(self.spec, 2, 1, 1, 7)
        grid.addWidget(self.message, 3, 0, 1, 8)
        for box in (self.quantity, self.operation, self.direction):
            box.currentIndexChanged.connect(self._on_fields_changed)
        for spin in (self.value, self.layer):
            spin.valueChanged.connect(self._on_fields_changed)
        for line in (self.units, self.steps):
            line.textEdited.connect(self._on_fields_changed)
        self.spec.textEdited.connect(self._on_spec_typed)

    def set_model(self, model: Model | None) -> None:
        """Offer what the open model has (its quantities, layers and directions)."""
        self.model = model
        config = model.config if model is not None else None
        quantities = quantity_choices(config.recurrent.cell) if config is not None else ("h",)
        if tuple(self.quantity.itemText(k) for k in range(self.quantity.count())) != quantities:
            self.quantity.blockSignals(True)
            current = self.quantity.currentText()
            self.quantity.clear()
            self.quantity.addItems(list(quantities))
            if current in quantities:
                self.quantity.setCurrentText(current)
            self.quantity.blockSignals(False)
        recurrent = config.recurrent if config is not None else None
        self.layer.setMaximum(recurrent.num_layers - 1 if recurrent is not None else 0)
        self.direction.setEnabled(recurrent is not None and recurrent.bidirectional)
        self._on_fields_changed()

    def show_edit(self, edit: Intervention) -> None:
        """Fill the fields and the spec from ``edit`` (a list entry, a heatmap's offer)."""
        self.spec.setText(edit.spec())
        self._fill(edit)
        self._check()

    def _fill(self, edit: Intervention) -> None:
        widgets = (self.quantity, self.operation, self.value, self.layer, self.direction,
                   self.units, self.steps)
        for widget in widgets:
            widget.blockSignals(True)
        self.quantity.setCurrentText(edit.quantity)
        self.operation.setCurrentIndex(self.operation.findData(edit.op))
        self.value.setValue(edit.value)
        self.layer.setValue(edit.layer)
        self.direction.setCurrentText(edit.direction)
        spec = edit.spec()
        self.units.setText(_part(spec, "units"))
        self.steps.setText(_part(spec, "steps"))
        for widget in widgets:
            widget.blockSignals(False)

    def _on_fields_changed(self, *_: object) -> None:
        op = "=" if self.operation.currentData() == "set" else "*"
        spec = (f"{self.quantity.currentText()}{op}{self.value.value():g}"
                f"@l{self.layer.value()}.{self.direction.currentText()}")
        for name, line in (("units", self.units), ("steps", self.steps)):
            if line.text().strip():
                spec += f":{name}={line.text().strip()}"
        self.spec.setText(spec)
        self._check()

    def _on_spec_typed(self, _text: str) -> None:
        if self._check() is not None and self.edit is not None:
            self._fill(self.edit)

    def _check(self) -> Intervention | None:
        """Parse and check the spec; say what is wrong, or what the edit does, in words."""
        self.edit, words = checked_spec(self.spec.text(), self.model)
        self.message.setText(words)
        self.message.setStyleSheet("" if self.edit is not None else _INVALID_STYLE)
        self.edit_changed.emit(self.edit)
        return self.edit


def _part(spec: str, name: str) -> str:
    """The ``units`` or ``steps`` part of a spec, or empty (all units, every step)."""
    for part in spec.split(":")[1:]:
        key, _, value = part.partition("=")
        if key == name:
            return value
    return ""
