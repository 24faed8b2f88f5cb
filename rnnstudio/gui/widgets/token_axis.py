"""A time axis labelled with tokens, thinned so labels never overlap at any zoom."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pyqtgraph as pg

#: Room one label needs, in pixels; a typical word at the default font is 30-60 px.
_LABEL_PIXELS = 48
_NUMBERED_LABEL_PIXELS = 84
_MAX_LABEL_CHARS = 10


def _nice_stride(raw: float) -> int:
    """Smallest of 1, 2, 5, 10, 20, 50 ... that is >= raw."""
    if raw <= 1:
        return 1
    exponent = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 5, 10):
        if step * exponent >= raw:
            return int(step * exponent)
    return int(10 * exponent)


class TokenAxis(pg.AxisItem):
    """Bottom axis whose tick at step t reads the token read at t."""

    def __init__(self, orientation: str = "bottom", **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        # Let the first and last token label reach a little past the plot's edges.
        self.setStyle(hideOverlappingLabels=False)
        self._tokens: list[str] = []
        self._numbered = False

    def set_tokens(self, tokens: Sequence[str]) -> None:
        self._tokens = [self._shorten(token) for token in tokens]
        self.picture = None
        self.update()

    @staticmethod
    def _shorten(token: str) -> str:
        token = token.replace("\n", "\\n") or "␣"
        return token if len(token) <= _MAX_LABEL_CHARS else token[: _MAX_LABEL_CHARS - 1] + "…"

    def tickValues(self, minVal: float, maxVal: float, size: float):  # noqa: N802 (Qt API)
        if not self._tokens:
            return super().tickValues(minVal, maxVal, size)
        first = max(0, math.ceil(minVal))
        last = min(len(self._tokens) - 1, math.floor(maxVal))
        if last < first or size <= 0:
            return []
        pixels_per_step = size / max(maxVal - minVal, 1e-9)
        stride = _nice_stride(_LABEL_PIXELS / pixels_per_step)
        if stride > 1:  # labels then carry the step number too, so they need more room
            stride = _nice_stride(_NUMBERED_LABEL_PIXELS / pixels_per_step)
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
