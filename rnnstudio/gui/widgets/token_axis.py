"""A time axis labelled with tokens: every token whenever the labels fit, on two
staggered rows or rotated upright before any is left out, thinned (and then numbered)
only when the pixels truly run out, so labels never overlap at any zoom.

The room a label needs is measured with the axis's font on the tokens themselves: a
fixed 48 px per label left 13 short words at 33 px a step showing every fifth one.
:func:`plan_labels` decides for the window's axis and for exported figures alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainter

#: Space between two labels, in pixels.
LABEL_GAP = 6
_MAX_LABEL_CHARS = 10


def nice_stride(raw: float) -> int:
    """Smallest of 1, 2, 5, 10, 20, 50 ... that is >= raw."""
    if raw <= 1:
        return 1
    exponent = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 5, 10):
        if step * exponent >= raw:
            return int(step * exponent)
    return int(10 * exponent)


def token_label(token: str, limit: int = _MAX_LABEL_CHARS) -> str:
    """A token as a tick label: newlines visible, at most ``limit`` characters (then "…")."""
    token = token.replace("\n", "\\n") or "␣"
    return token if len(token) <= limit else token[: limit - 1] + "…"


@dataclass(frozen=True)
class LabelPlan:
    """How token labels share the time axis: every ``stride``-th step is labelled, flat
    (one row), ``staggered`` (two rows) or ``rotated`` (upright, one line wide)."""

    stride: int
    staggered: bool = False
    rotated: bool = False

    @property
    def numbered(self) -> bool:
        """Thinned labels carry their step number: "120:word" says which column it is."""
        return self.stride > 1


def plan_labels(widest: float, line: float, step_px: float, number_width: float,
                rotate: bool = True, rotate_thinned: bool = False) -> LabelPlan:
    """The least crowded way to label steps ``step_px`` apart with labels at most
    ``widest`` px wide and ``line`` px tall: one row, two staggered rows, rotated, and
    only then thinned. ``number_width`` is what a "123:" prefix adds when thinned.

    Labels are upright only if ``rotate`` (a small plot keeps its height), and thinned
    ones only if ``rotate_thinned`` too (a figure has the height); the window's axis lays
    thinned labels flat, where numbered labels need no extra height.
    """
    room = widest + LABEL_GAP
    if room <= step_px:
        return LabelPlan(1)
    if room <= 2 * step_px:
        return LabelPlan(1, staggered=True)
    rotated_stride = nice_stride((line + 1) / step_px)  # a line holds the font's leading
    if rotate and (rotated_stride == 1 or rotate_thinned):
        return LabelPlan(rotated_stride, rotated=True)
    return LabelPlan(nice_stride((room + number_width) / step_px))


class TokenAxis(pg.AxisItem):
    """Bottom axis whose tick at step t reads the token read at t."""

    def __init__(self, orientation: str = "bottom", may_rotate: bool = True,
                 **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        # Let the first and last token label reach a little past the plot's edges.
        self.setStyle(hideOverlappingLabels=False)
        self._tokens: list[str] = []
        self._widest = 0.0  # the widest label, in pixels (measured once per text)
        self._digit = 0.0
        #: Small plots (the unit inspector) keep their height: no upright labels there.
        self.may_rotate = may_rotate
        #: The current plan: every label flat on one row until the axis is measured.
        self.plan = LabelPlan(1)

    @property
    def staggered(self) -> bool:
        """Labels on two rows, every other one lower: each gets two steps' width."""
        return self.plan.staggered

    @property
    def rotated(self) -> bool:
        """Labels upright, reading bottom to top: each needs one line's width."""
        return self.plan.rotated

    def set_tokens(self, tokens: Sequence[str]) -> None:
        self._tokens = [token_label(token) for token in tokens]
        metrics = QFontMetricsF(self.style.get("tickFont") or QFont())
        self._widest = max((metrics.horizontalAdvance(token) for token in self._tokens),
                           default=0.0)
        self._digit = metrics.horizontalAdvance("0")
        if self.plan.rotated:  # upright labels: the axis is as tall as the widest
            self.textHeight = 0
            self._updateMaxTextSize(0)
        self.picture = None
        self.update()

    def tickValues(self, minVal: float, maxVal: float, size: float):  # noqa: N802 (Qt API)
        if not self._tokens:
            return super().tickValues(minVal, maxVal, size)
        first = max(0, math.ceil(minVal))
        last = min(len(self._tokens) - 1, math.floor(maxVal))
        if last < first or size <= 0:
            return []
        pixels_per_step = size / max(maxVal - minVal, 1e-9)
        line = QFontMetricsF(self.style.get("tickFont") or QFont()).height()
        number = self._digit * (len(str(len(self._tokens))) + 1)  # "123:"
        plan = plan_labels(self._widest, line, pixels_per_step, number, self.may_rotate)
        self._set_plan(plan)
        stride = plan.stride
        start = first + (-first) % stride
        return [(float(stride), [float(step) for step in range(start, last + 1, stride)])]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (Qt API)
        if not self._tokens:
            return super().tickStrings(values, scale, spacing)
        labels = []
        for value in values:
            step = int(round(value))
            if not 0 <= step < len(self._tokens):
                labels.append("")
            elif self.plan.numbered:  # thinned out: say which step the token is
                labels.append(f"{step}:{self._tokens[step]}")
            else:
                labels.append(self._tokens[step])
        return labels

    def _set_plan(self, plan: LabelPlan) -> None:
        if (plan.staggered, plan.rotated) != (self.plan.staggered, self.plan.rotated):
            self.plan = plan
            self.textHeight = 0  # the axis grows (or shrinks) to the new labels
            self._updateMaxTextSize(0)
        self.plan = plan

    def _updateMaxTextSize(self, x: float) -> None:  # noqa: N802 (pyqtgraph API)
        """pyqtgraph sizes a bottom axis to its tallest label; staggered labels take two
        rows of that height, upright ones the widest label's width."""
        line = QFontMetricsF(self.style.get("tickFont") or QFont()).height()
        if self.plan.rotated:
            x = self._widest + 2
        elif self.plan.staggered:
            x = max(x, line) + line
        super()._updateMaxTextSize(x)

    def generateDrawSpecs(self, p: QPainter) -> Any:  # noqa: N802 (pyqtgraph)
        """pyqtgraph's layout, then every other label one line lower when staggered."""
        specs = super().generateDrawSpecs(p)
        if specs is None or not self.plan.staggered:
            return specs
        axis, ticks, texts = specs
        line = QFontMetricsF(self.style.get("tickFont") or QFont()).height()
        ordered = sorted(texts, key=lambda spec: spec[0].center().x())
        moved = [(rect.translated(0, line) if index % 2 else rect, flags, text)
                 for index, (rect, flags, text) in enumerate(ordered)]
        return axis, ticks, moved

    def drawPicture(self, p: QPainter, axisSpec: Any, tickSpecs: Any,  # noqa: N802, N803
                    textSpecs: Any) -> None:  # noqa: N803 (pyqtgraph API)
        """pyqtgraph's axis and ticks; upright labels drawn here, each centred on its
        step and ending at the top of the text area, next to the tick."""
        if not self.plan.rotated:
            super().drawPicture(p, axisSpec, tickSpecs, textSpecs)
            return
        super().drawPicture(p, axisSpec, tickSpecs, [])
        line = QFontMetricsF(self.style.get("tickFont") or QFont()).height()
        align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for rect, _, text in textSpecs:
            p.save()
            p.translate(rect.center().x(), rect.top())
            p.rotate(-90)
            p.drawText(QRectF(-self._widest - 2, -line / 2, self._widest + 2, line),
                       int(align), text)
            p.restore()
