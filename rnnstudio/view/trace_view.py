"""Everything the panels draw from one trace, computed once and shared (no Qt).

The session builds a :class:`TraceView` when a trace arrives and a new :class:`LayerView`
when the layer or direction changes; the heatmaps, This step, the unit inspector and the
gradient plot all read the same arrays, so nothing is built twice per trace.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..engine.trace import Trace
from .gradients import GradientCurves, gradient_curves
from .heatmaps import HeatmapData, heatmaps
from .readout import class_names, head_task


@dataclass(frozen=True)
class LayerView:
    """One layer and direction: its heatmaps, in display order, and gradient curves."""

    layer: int
    direction: str
    heatmaps: tuple[HeatmapData, ...]
    gradients: GradientCurves

    @property
    def reads_backward(self) -> bool:
        """A backward direction reads from the end: its unread steps are the earlier ones."""
        return self.direction == "bwd"

    def heatmap(self, name: str) -> HeatmapData | None:
        return next((item for item in self.heatmaps if item.name == name), None)


@dataclass(frozen=True)
class TraceView:
    """``trace`` with what every panel draws of it: the shown layer, and for a tagger
    the predicted tag (argmax of its scores) of every token with the tag names."""

    trace: Trace
    layer: LayerView
    task: str | None
    tags: tuple[str, ...] | None
    tag_labels: tuple[str, ...]

    @property
    def steps(self) -> int:
        return len(self.trace.tokens)


def layer_view(trace: Trace, layer: int, direction: str) -> LayerView:
    return LayerView(layer, direction, tuple(heatmaps(trace, layer, direction)),
                     gradient_curves(trace, layer, direction))


def trace_view(trace: Trace, layer: int, direction: str) -> TraceView:
    """The view of ``trace`` at ``layer`` and ``direction`` (both must exist)."""
    task = head_task(trace)
    labels = class_names(trace) if task == "tag" else ()
    tags = None
    if task == "tag" and trace.logits is not None:
        tags = tuple(labels[index] for index in np.asarray(trace.logits).argmax(axis=-1))
    shown = layer_view(trace, layer, direction)
    return TraceView(trace, shown, task, tags, labels)


def with_layer(view: TraceView, layer: int, direction: str) -> TraceView:
    """The same trace shown at another layer or direction."""
    return replace(view, layer=layer_view(view.trace, layer, direction))


def with_new_gradients(view: TraceView) -> TraceView:
    """After ||dh_T/dh_t|| arrived: the curves again, the heatmaps as they were."""
    shown = view.layer
    curves = gradient_curves(view.trace, shown.layer, shown.direction)
    return replace(view, layer=replace(shown, gradients=curves))
