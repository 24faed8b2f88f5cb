"""A time axis labelled with tokens: every token whenever the labels fit, on two
staggered rows before any is left out, thinned (and then numbered) only when the pixels
truly run out, so labels never overlap at any zoom.

The room a label needs is measured with the axis's font on the tokens themselves: a
fixed 48 px per label left 13 short words at 33 px a step showing every fifth one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pyqtgraph as pg
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


class TokenAxis(pg.AxisItem):
    """Bottom axis whose tick at step t reads the token read at t."""

    def __init__(self, orientation: str = "bottom", **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        # Let the first and last token label reach a little past the plot's edges.
        self.setStyle(hideOverlappingLabels=False)
        self._tokens: list[str] = []
        self._numbered = False
        self._widest = 0.0  # the widest label, in pixels (measured once per text)
        self._digit = 0.0
        #: Labels on two rows, every other one lower: each gets two steps' width.
        self.staggered = False

    def set_tokens(self, tokens: Sequence[str]) -> None:
        self._tokens = [token_label(token) for token in tokens]
        metrics = QFontMetricsF(self.style.get("tickFont") or QFont())
        self._widest = max((metrics.horizontalAdvance(token) for token in self._tokens),
                           default=0.0)
        self._digit = metrics.horizontalAdvance("0")
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
        room = self._widest + LABEL_GAP
        stride = nice_stride(room / pixels_per_step)
        self._set_staggered(stride > 1 and room <= 2 * pixels_per_step)
        if self.staggered:
            stride = 1
        elif stride > 1:  # labels then carry the step number too, so they need more room
            number = self._digit * (len(str(len(self._tokens))) + 1)  # "123:"
            stride = nice_stride((room + number) / pixels_per_step)
        self._numbered = stride > 1
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
            elif self._numbered:  # thinned out: say which step the token is
                labels.append(f"{step}:{self._tokens[step]}")
            else:
                labels.append(self._tokens[step])
        return labels

    def _set_staggered(self, staggered: bool) -> None:
        if staggered != self.staggered:
            self.staggered = staggered
            self._updateMaxTextSize(0)  # the axis grows (or shrinks) by one text line

    def _updateMaxTextSize(self, x: float) -> None:  # noqa: N802 (pyqtgraph API)
        """pyqtgraph sizes a bottom axis to its tallest label; staggered labels take two
        rows of that height."""
        line = QFontMetricsF(self.style.get("tickFont") or QFont()).height()
        if self.staggered:
            x = max(x, line) + line
        super()._updateMaxTextSize(x)

    def generateDrawSpecs(self, p: QPainter) -> Any:  # noqa: N802 (pyqtgraph)
        """pyqtgraph's layout, then every other label one line lower when staggered."""
        specs = super().generateDrawSpecs(p)
        if specs is None or not self.staggered:
            return specs
        axis, ticks, texts = specs
        line = QFontMetricsF(self.style.get("tickFont") or QFont()).height()
        ordered = sorted(texts, key=lambda spec: spec[0].center().x())
        moved = [(rect.translated(0, line) if index % 2 else rect, flags, text)
                 for index, (rect, flags, text) in enumerate(ordered)]
        return axis, ticks, moved
