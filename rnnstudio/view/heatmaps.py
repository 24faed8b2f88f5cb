"""The heatmaps of one layer and direction: (units, T) arrays, levels and colour maps.

The heatmaps want C-contiguous float32 ``(units, T)`` arrays and fixed colour levels per
quantity: pyqtgraph then skips its per-frame min/max scan and its transpose copy (about
3x faster for 1024 x 4000 images, see STYLE.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.config import GATE_DESCRIPTIONS
from ..engine.trace import Trace

#: Colour maps: sequential and colour-blind safe for 0..1, diverging for signed values.
GATE_COLORMAP = "cividis"
SIGNED_COLORMAP = "CET-CBD1"

#: Short enough to fit beside a heatmap row (rotated); the long form is in the tooltip.
QUANTITY_TITLES = {
    "h": "h hidden",
    "c": "c cell",
    "i": "i input",
    "f": "f forget",
    "g": "g candidate",
    "o": "o output",
    "r": "r reset",
    "z": "z update",
    "n": "n candidate",
}

QUANTITY_DESCRIPTIONS = {
    "h": "hidden state: what the cell shows the next layer and the next step",
    "c": "cell state: the LSTM's long-term memory",
    **GATE_DESCRIPTIONS,
}

CANDIDATES = ("g", "n")


@dataclass(frozen=True)
class HeatmapData:
    """One quantity ready for an ImageItem: ``values`` is (units, T) float32, C order."""

    name: str
    title: str
    values: np.ndarray
    levels: tuple[float, float]
    colormap: str


def quantity_names(cell: str) -> tuple[str, ...]:
    """Quantities shown for a cell, in display order: h, c (LSTM), then the gates."""
    return {"lstm": ("h", "c", "i", "f", "g", "o"), "gru": ("h", "r", "z", "n")}.get(
        cell, ("h",)
    )


def _nice_ceiling(value: float) -> float:
    """Round up to 1, 2 or 5 times a power of ten, so colour bars get round numbers."""
    if not np.isfinite(value) or value <= 0:
        return 1.0
    exponent = np.floor(np.log10(value))
    for step in (1.0, 2.0, 5.0, 10.0):
        candidate = step * 10.0**exponent
        if candidate >= value * (1 - 1e-9):
            return float(candidate)
    return float(10.0 ** (exponent + 1))


def _finite_max_abs(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(np.abs(finite).max()) if finite.size else 1.0


def levels_for(name: str, values: np.ndarray, cell: str, nonlinearity: str = "tanh",
               projected: bool = False) -> tuple[float, float]:
    """Fixed colour levels: gates 0..1, h and candidates -1..1, c symmetric around 0.

    Values that are not bounded by a squashing function (c, a ReLU RNN's h, a projected
    LSTM h) get a symmetric (or 0..max) range rounded up to 1, 2 or 5 x 10^k.
    """
    if name in CANDIDATES:
        return (-1.0, 1.0)
    if name == "h":
        if cell == "rnn" and nonlinearity == "relu":
            return (0.0, _nice_ceiling(_finite_max_abs(values)))
        if projected:
            bound = _nice_ceiling(_finite_max_abs(values))
            return (-bound, bound)
        return (-1.0, 1.0)
    if name == "c":
        bound = max(1.0, _nice_ceiling(_finite_max_abs(values)))
        return (-bound, bound)
    return (0.0, 1.0)


def heatmaps(trace: Trace, layer: int, direction: str,
             names: tuple[str, ...] | None = None) -> list[HeatmapData]:
    """The heatmaps of one layer and direction, in display order: every quantity, or
    only ``names`` (Compare shows h alone)."""
    recurrent = trace.config.recurrent
    arrays = trace.layer(layer, direction).quantities()
    result = []
    for name in quantity_names(recurrent.cell):
        if name not in arrays or (names is not None and name not in names):
            continue
        values = np.ascontiguousarray(np.asarray(arrays[name]).T, dtype=np.float32)
        levels = levels_for(name, values, recurrent.cell, recurrent.nonlinearity,
                            bool(recurrent.proj_size))
        colormap = SIGNED_COLORMAP if levels[0] < 0 else GATE_COLORMAP
        if name == "h" and levels[0] >= 0:
            colormap = "viridis"
        result.append(HeatmapData(name, QUANTITY_TITLES[name], values, levels, colormap))
    return result
