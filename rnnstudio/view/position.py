"""Where the window looks in a trace: the cursor's step, the layer, the direction and the
unit, kept valid for whatever trace comes next (no Qt).

A new trace may be shorter, have fewer layers or units, or read one way only; a lesson
may name a step (negative: from the end) or a token before its trace exists. Fitting
the position happens once, before anything is drawn, so no panel draws twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.trace import Trace
from .tracing import Placement


@dataclass(frozen=True)
class Position:
    cursor: int = 0
    layer: int = 0
    direction: str = "fwd"
    unit: int = 0


def clamp(value: int, count: int) -> int:
    """``value`` within 0..count-1 (0 when there is nothing)."""
    return max(0, min(int(value), count - 1)) if count > 0 else 0


def valid_view(trace: Trace | None, layer: int, direction: str) -> tuple[int, str]:
    """The nearest layer the trace has, and ``direction`` if it has it, else ``fwd``."""
    if trace is None:
        return 0, "fwd"
    recurrent = trace.config.recurrent
    layer = clamp(layer, recurrent.num_layers)
    return layer, direction if direction in recurrent.directions else "fwd"


def unit_count(trace: Trace | None, layer: int, direction: str) -> int:
    return 0 if trace is None else int(trace.layer(layer, direction).h.shape[1])


def fit_position(trace: Trace, old: Position, follow_end: bool,
                 placement: Placement | None = None) -> Position:
    """``old`` moved onto ``trace``: the cursor stays (or stays at the end when it was
    there: typing keeps showing the last word), then a lesson's placement applies."""
    steps = trace.steps
    layer, direction = old.layer, old.direction
    cursor = steps - 1 if follow_end else clamp(old.cursor, steps)
    unit = old.unit
    if placement is not None:
        layer = layer if placement.layer is None else placement.layer
        direction = placement.direction or direction
        unit = unit if placement.unit is None else max(0, placement.unit)
        if placement.token is not None and placement.token in trace.tokens:
            cursor = trace.tokens.index(placement.token)
        elif placement.step is not None:
            step = placement.step
            cursor = clamp(step + steps if step < 0 else step, steps)
    layer, direction = valid_view(trace, layer, direction)
    return Position(cursor, layer, direction, clamp(unit, unit_count(trace, layer, direction)))


def status_line(trace: Trace, title: str, seconds: float) -> str:
    """The status bar after a trace: tokens, model, loss, what it cost, and its edits
    (interventions) when it has any."""
    parts = [f"{len(trace.tokens)} tokens", title]
    took = milliseconds(seconds * 1000.0)
    if trace.grads is not None:
        parts.append(f"loss {trace.grads.loss_name} = {trace.grads.loss_value:.4g}")
        parts.append(f"forward + BPTT in {took}")
    else:
        parts.append(f"forward in {took}")
    if trace.interventions:  # a trace file recorded with edits says so too
        specs = [edit.spec() for edit in trace.interventions]
        more = f" and {len(specs) - 2} more" if len(specs) > 2 else ""
        parts.append(f"edited ({', '.join(specs[:2])}{more})")
    if trace.nonfinite is not None:
        parts.append("non-finite values!")
    return " · ".join(parts)


def milliseconds(value: float) -> str:
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"
