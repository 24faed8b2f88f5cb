"""The heatmaps of one layer and direction: (units, T) arrays and their colour scales.

The heatmaps want C-contiguous float32 ``(units, T)`` arrays and fixed colour levels per
quantity: pyqtgraph then skips its per-frame min/max scan and its transpose copy (about
3x faster for 1024 x 4000 images, see STYLE.md). How values become colours (finite
levels, symmetric-log scales, the non-finite colour) is in :mod:`.colours`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.config import GATE_DESCRIPTIONS
from ..engine.trace import Trace
from .colours import SYMLOG_DECADES, ColourScale, count_nonfinite, nice_ceiling, spread

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
    """One quantity ready for an image: ``values`` is (units, T) float32, C order.

    ``scale`` is the colour scale chosen for it; an unsquashed quantity (c, a ReLU RNN's
    h, a projected h) also has the ``other`` one (linear or symmetric-log) a user may
    choose instead. ``nonfinite`` counts the NaN and infinite cells.
    """

    name: str
    title: str
    values: np.ndarray
    scale: ColourScale
    nonfinite: int = 0
    other: ColourScale | None = None

    @property
    def levels(self) -> tuple[float, float]:
        return self.scale.levels

    @property
    def colormap(self) -> str:
        return self.scale.colormap

    def scale_for(self, mode: str) -> ColourScale:
        """The scale shown in ``mode`` ("auto", "linear" or "symlog"); squashed quantities
        keep their linear scale in every mode."""
        if self.other is None or mode == "auto" or (mode == "symlog") == self.scale.symlog:
            return self.scale
        return self.other


def quantity_names(cell: str) -> tuple[str, ...]:
    """Quantities shown for a cell, in display order: h, c (LSTM), then the gates."""
    return {"lstm": ("h", "c", "i", "f", "g", "o"), "gru": ("h", "r", "z", "n")}.get(
        cell, ("h",)
    )


def _unsquashed_levels(name: str, largest: float, relu: bool) -> tuple[float, float]:
    """0..max for a ReLU RNN's h, symmetric for c and a projected h, rounded up to 1, 2 or
    5 x 10^k (c at least -1..1)."""
    bound = nice_ceiling(largest)
    if relu:
        return (0.0, bound)
    if name == "c":
        bound = max(1.0, bound)
    return (-bound, bound)


def colour_scales(name: str, values: np.ndarray, cell: str, nonlinearity: str = "tanh",
                  projected: bool = False) -> tuple[ColourScale, ColourScale | None, int]:
    """The chosen scale, the other one (None for squashed quantities) and the count of
    non-finite cells of one quantity's (units, T) ``values``.

    Gates are 0..1 (cividis), h and candidates -1..1 (CET-CBD1). Values not bounded by a
    squashing function (c, a ReLU RNN's h, a projected LSTM h) get levels from their
    finite values, and a symmetric-log scale when those span more than
    ``SYMLOG_DECADES`` decades.
    """
    relu = cell == "rnn" and nonlinearity == "relu"
    unsquashed = name == "c" or (name == "h" and (relu or projected))
    if not unsquashed:
        if name in CANDIDATES or name == "h":
            scale = ColourScale((-1.0, 1.0), SIGNED_COLORMAP)
        else:
            scale = ColourScale((0.0, 1.0), GATE_COLORMAP)
        return scale, None, count_nonfinite(values)
    found = spread(values)
    levels = _unsquashed_levels(name, found.largest, relu)
    colormap = "viridis" if relu else SIGNED_COLORMAP
    linear = ColourScale(levels, colormap)
    symlog = ColourScale(levels, colormap, found.linthresh)
    if found.decades > SYMLOG_DECADES:
        return symlog, linear, found.nonfinite
    return linear, symlog, found.nonfinite


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
        scale, other, nonfinite = colour_scales(name, values, recurrent.cell,
                                                recurrent.nonlinearity,
                                                bool(recurrent.proj_size))
        result.append(HeatmapData(name, QUANTITY_TITLES[name], values, scale, nonfinite,
                                  other))
    return result


@dataclass(frozen=True)
class StepBars:
    """One quantity at one step as This step draws it: ``heights`` (units,) float32 with
    non-finite values as 0, the y range ``levels``, and the ``nonfinite`` units (int64),
    to be drawn full height in :data:`~.colours.NONFINITE_RGB`."""

    heights: np.ndarray
    levels: tuple[float, float]
    nonfinite: np.ndarray


def step_bars(data: HeatmapData, step: int, mode: str = "auto") -> StepBars:
    """Column ``step`` of ``data`` as bars. The heatmap's levels, except on a
    symmetric-log scale: values decades apart on a linear bar axis ranging to the
    largest of the whole trace left every bar of an earlier step at zero height, so
    the range is that of this step's finite values (rounded up to 1, 2 or 5 x 10^k)."""
    column = data.values[:, step]
    finite = np.isfinite(column)
    levels = data.scale_for(mode).levels
    if data.scale_for(mode).symlog:
        largest = float(np.abs(column[finite]).max()) if finite.any() else 0.0
        bound = nice_ceiling(largest)
        levels = (0.0, bound) if levels[0] >= 0 else (-bound, bound)
    return StepBars(np.where(finite, column, np.float32(0)), levels, np.flatnonzero(~finite))
