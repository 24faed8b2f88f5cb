"""A spin box for a learning rate: typed freely, stepped by orders of magnitude.

A linear spin box over 0.00001 .. 10 either steps by 0.001 (a million clicks to blow a
model up) or cannot hold 0.0001; a learning rate is chosen by its order of magnitude, so
the arrows walk the 1-2-5 ladder (:func:`rnnstudio.view.training.next_rate`).
"""

from __future__ import annotations

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QWidget

from ...view.training import RATE_RANGE, next_rate


class RateBox(QDoubleSpinBox):
    """Shows ``0.003`` or ``5`` (``%g``), accepts any number in :data:`RATE_RANGE`."""

    def __init__(self, value: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(8)  # Qt rounds the value to this many decimals: 1e-5 must survive
        self.setRange(*RATE_RANGE)
        self.setValue(value)

    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt API)
        self.setValue(next_rate(self.value(), steps))

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt API)
        return f"{value:g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802 (Qt API)
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, position: int) -> object:
        try:
            number = float(text)
        except ValueError:  # "1e", "0." while typing
            return QValidator.State.Intermediate, text, position
        low, high = RATE_RANGE
        state = (QValidator.State.Acceptable if low <= number <= high
                 else QValidator.State.Intermediate)
        return state, text, position
