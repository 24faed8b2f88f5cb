"""A log axis labelled in plain powers of ten (10⁻³ … 10¹⁷), never with an SI multiplier.

pyqtgraph divides tick labels by a power of a thousand and appends "(x1e+18)" to the axis
title when values are large; on a short plot that suffix was clipped, and an exploding
gradient (1.9e17 at step 0) read as numbers below 1.
"""

from __future__ import annotations

import pyqtgraph as pg

from ...view.gradients import power_label


class PowerAxis(pg.AxisItem):
    """Left axis of a log plot: a label on every labelled decade, ``10ⁿ``."""

    def __init__(self, orientation: str = "left", **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)
        # Labels on decades only: minor log labels (0.2 0.3 ...) overprint on a short plot.
        self.setStyle(maxTextLevel=0)

    def logTickStrings(self, values: list[float], scale: float,  # noqa: N802 (pyqtgraph)
                       spacing: float) -> list[str]:
        return [power_label(value) for value in values]
