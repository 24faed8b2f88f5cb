"""What the Saturation dock draws (no Qt): the scatter of Karpathy, Johnson & Fei-Fei
(2015), one dot per unit and gate at (fraction left-saturated, fraction right-saturated),
for the layer and direction on view, with the words around it.

A gate is *shut* below ``left`` and *open* above ``right``; a tanh RNN's h is *near −1*
or *near +1* (:mod:`rnnstudio.engine.saturation`). Many dots often sit on one spot
((0, 0): never saturated; (0, 1): always open), so the caption counts those at (0, 0),
the hover names how many share the spot of the dot under the mouse, and the dock draws
them translucent: a pile reads darker than a single dot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.saturation import (
    DEFAULT_LEFT,
    DEFAULT_RIGHT,
    GATE_NAMES,
    Saturation,
    trace_saturation,
)
from ..engine.trace import Trace
from ..errors import ConfigError

__all__ = ["GatePoints", "SaturationScatter", "axis_labels", "saturation_scatter",
           "text_saturation"]

#: How near (in pixels) the mouse must be to a dot to hover or click it.
PICK_RADIUS_PX = 8.0
#: What the two ends are called: a gate is shut or open, a tanh RNN's h near -1 or +1.
_ENDS = {"gate": ("shut", "open"), "rnn": ("near −1", "near +1")}


@dataclass(frozen=True)
class GatePoints:
    """One gate's dots: ``left`` (x) and ``right`` (y) fractions, (H,) each, unit = index."""

    gate: str
    label: str
    left: np.ndarray
    right: np.ndarray


@dataclass(frozen=True)
class SaturationScatter:
    """The dots of one layer and direction, what they were counted over (``source``)
    and the caption; ``gates`` in the cell's order (i, f, o; r, z; h)."""

    layer: int
    direction: str
    gates: tuple[GatePoints, ...]
    source: str
    definition: str
    #: "shut" and "open" for gates, "near −1" and "near +1" for a tanh RNN's h.
    ends: tuple[str, str] = _ENDS["gate"]

    @property
    def dots(self) -> int:
        return sum(points.left.size for points in self.gates)

    def at_origin(self) -> int:
        """Dots at exactly (0, 0): never saturated either way."""
        return sum(int(np.count_nonzero((points.left == 0) & (points.right == 0)))
                   for points in self.gates)

    def caption(self) -> str:
        """The regions' meaning and how many of the dots pile up at (0, 0)."""
        low, high = self.ends
        return (f"top left: always {high} · bottom right: always {low} · on the diagonal: "
                f"saturated at every step · at (0, 0): never saturated ({self.at_origin()} "
                f"of {self.dots} dots there)")

    def nearest(self, x: float, y: float, x_per_px: float,
                y_per_px: float) -> tuple[int, int] | None:
        """(gate index, unit) of the dot nearest (x, y) within :data:`PICK_RADIUS_PX`
        pixels (``x_per_px``, ``y_per_px``: data units per pixel); None if none is."""
        best, best_distance = None, PICK_RADIUS_PX ** 2
        for index, points in enumerate(self.gates):
            distance = (((points.left - x) / x_per_px) ** 2
                        + ((points.right - y) / y_per_px) ** 2)
            if distance.size and distance.min() <= best_distance:
                unit = int(distance.argmin())
                best, best_distance = (index, unit), float(distance[unit])
        return best

    def describe(self, gate_index: int, unit: int) -> str:
        """Hover text: the unit, its gate, both fractions, and the dots sharing its spot."""
        points = self.gates[gate_index]
        left, right = float(points.left[unit]), float(points.right[unit])
        shared = sum(int(np.count_nonzero((other.left == left) & (other.right == right)))
                     for other in self.gates) - 1
        also = f" · {shared} other dot{'s' * (shared != 1)} here" if shared else ""
        low, high = self.ends
        return (f"unit {unit} · {points.label}: {low} {left:.1%} of steps, {high} "
                f"{right:.1%}{also}")

    def selected(self, unit: int) -> list[tuple[float, float]]:
        """The selected unit's dot in every gate (where it has that many units)."""
        return [(float(points.left[unit]), float(points.right[unit]))
                for points in self.gates if 0 <= unit < points.left.size]


def axis_labels(result: Saturation) -> tuple[str, str]:
    """x and y axis titles with the thresholds (a tanh RNN's h on its own scale)."""
    if result.cell == "rnn":
        low, high = _ENDS["rnn"]
        return (f"fraction {low} (h < {2 * result.left - 1:g})",
                f"fraction {high} (h > {2 * result.right - 1:g})")
    return f"fraction shut (gate < {result.left:g})", f"fraction open (gate > {result.right:g})"


def saturation_scatter(result: Saturation, layer: int, direction: str,
                       source: str) -> SaturationScatter:
    """The dots of ``layer`` and ``direction`` of ``result`` (counted over ``source``)."""
    gates = tuple(
        GatePoints(gate, GATE_NAMES[gate], result.left_fraction(key), result.right_fraction(key))
        for key in result.keys if key[:2] == (layer, direction) for gate in key[2:])
    return SaturationScatter(layer, direction, gates, source, result.definition(),
                             _ENDS["rnn" if result.cell == "rnn" else "gate"])


def text_saturation(trace: Trace, left: float = DEFAULT_LEFT,
                    right: float = DEFAULT_RIGHT) -> tuple[Saturation | None, str]:
    """This text's counts, or None and why they cannot be counted (a ReLU RNN)."""
    try:
        return trace_saturation(trace, left, right), ""
    except ConfigError as error:
        return None, str(error)
