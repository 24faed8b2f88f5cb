"""The "Gradient paths" panel as plain data: what the gradient carries along each path
through the gates, for one layer and direction (no Qt; the engine computes, this module
decides what is drawn and what it is called).

Every value is a log10 from :class:`~rnnstudio.engine.decomposition.Decomposition` and is
plotted as such on a linear axis labelled in powers of ten: products far below float64
(1e-500) still have a place, and nothing is rescaled, so an exploding product (10^+40)
is drawn above 10^0 and a vanishing one below it. An exact zero (log10 = -inf) is a gap
in a curve; in the retention heatmap it takes the lowest colour, and the note says so.

* LSTM / GRU: ``image`` (units, T) the retention log10 prod f (prod z), above the curves
  of the full ||dc_T/dc_t|| (||dh_T/dh_t||) and of the retention path alone.
* RNN: the step Jacobian's largest and smallest singular values above their products
  over the later steps (the bounds) and the actual ||dh_T/dh_t||_2 between them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..engine.decomposition import FULL_MAX_UNITS, Decomposition
from ..engine.trace import Trace
from .gradients import power_label

#: Curve names, as the legend shows them.
FULL_C = "‖dc_T/dc_t‖ every path"
FULL_H = "‖dh_T/dh_t‖ every path"
HIGHWAY_F = "‖∏ f‖ cell-state path alone"
HIGHWAY_Z = "‖∏ z‖ keep path alone"
STEP_MAX = "largest singular value of dh_t/dh_t−1"
STEP_MIN = "smallest singular value of dh_t/dh_t−1"
BOUND_MAX = "∏ largest (upper bound)"
BOUND_MIN = "∏ smallest (lower bound)"
SPECTRAL = "‖dh_T/dh_t‖₂ actual"
#: The same, as the cursor's line names them.
SHORT_NAMES = {FULL_C: "‖dc_T/dc_t‖", FULL_H: "‖dh_T/dh_t‖", HIGHWAY_F: "‖∏ f‖",
               HIGHWAY_Z: "‖∏ z‖", STEP_MAX: "σ_max", STEP_MIN: "σ_min", BOUND_MAX: "∏ σ_max",
               BOUND_MIN: "∏ σ_min", SPECTRAL: "‖dh_T/dh_t‖₂"}


@dataclass(frozen=True)
class PathsView:
    """One layer and direction's gradient paths as the panel draws them.

    ``image`` (units, T) float32 log10 retention with -inf at ``levels[0]`` (None for
    the RNN); ``levels`` its colour range in decades; ``top`` / ``bottom`` curves by
    legend name, (T,) float64 log10 with NaN where the value is exactly 0 (a gap);
    ``top_range`` / ``bottom_range`` their y ranges in decades; ``anchor`` the step
    every product starts from (T of the reading order); ``note`` what the picture
    cannot show by itself.
    """

    cell: str
    title: str
    explanation: str
    anchor: int
    top_title: str
    bottom_title: str
    image: np.ndarray | None = None
    levels: tuple[float, float] = (-1.0, 0.0)
    top: dict[str, np.ndarray] = field(default_factory=dict)
    bottom: dict[str, np.ndarray] = field(default_factory=dict)
    top_range: tuple[float, float] = (-1.0, 1.0)
    bottom_range: tuple[float, float] = (-1.0, 1.0)
    note: str = ""


def gap_at_zero(log_values: np.ndarray | None) -> np.ndarray | None:
    """log10 values with -inf (an exact zero) as NaN: a gap, never a point at -inf."""
    if log_values is None:
        return None
    return np.where(np.isneginf(log_values), np.nan, log_values).astype(np.float64)


def decade_span(curves: list[np.ndarray], include_zero: bool = True) -> tuple[float, float]:
    """Whole decades covering every finite value (and 10^0 with ``include_zero``)."""
    finite = [curve[np.isfinite(curve)] for curve in curves]
    every = np.concatenate([part for part in finite if part.size] or [np.zeros(0)])
    if include_zero:
        every = np.append(every, 0.0)
    if not every.size:
        return -1.0, 1.0
    low, high = float(np.floor(every.min())), float(np.ceil(every.max()))
    return low, max(high, low + 1.0)


def decade_ticks(low: float, high: float, most: int = 7) -> list[tuple[float, str]]:
    """(value, "10ⁿ") at whole decades from ``low`` to ``high``, every 1, 2, 5, 10, 20 ...
    decades so that there are at most ``most`` (up to a span of 35,000 decades)."""
    wanted = (high - low) / most
    stride = next(step * scale for scale in (1, 10, 100, 1000) for step in (1, 2, 5)
                  if step * scale >= wanted or scale == 1000 and step == 5)
    start = int(np.ceil(low / stride)) * stride
    return [(float(value), power_label(value)) for value in range(start, int(high) + 1, stride)]


def _where_anchor(trace: Trace, direction: str) -> tuple[int, str]:
    anchor = 0 if direction == "bwd" else trace.steps - 1
    reading = ("the backward cell reads from the end, so its last step T is the first "
               "token and its later steps are earlier tokens" if direction == "bwd"
               else "T is the last token")
    return anchor, reading


def _gated_view(trace: Trace, found: Decomposition) -> PathsView:
    """LSTM or GRU: the retention heatmap above the full and highway norms."""
    lstm = found.cell == "lstm"
    assert found.log10_retention is not None and found.log10_retention_norm is not None
    anchor, reading = _where_anchor(trace, found.direction)
    retention = found.log10_retention
    finite = retention[np.isfinite(retention)]
    low = min(-1.0, float(np.floor(finite.min()))) if finite.size else -1.0
    image = np.ascontiguousarray(np.maximum(retention, low).T, dtype=np.float32)
    bottom = {FULL_C if lstm else FULL_H: gap_at_zero(found.log10_full_norm),
              HIGHWAY_F if lstm else HIGHWAY_Z: gap_at_zero(found.log10_retention_norm)}
    curves = {name: values for name, values in bottom.items() if values is not None}
    notes = []
    if np.isneginf(retention).any():
        notes.append("some gate was exactly 0: from there back the retention is exactly 0, "
                     "drawn in the lowest colour")
    if found.log10_full_norm is None:
        notes.append(_why_no_full(trace, "the full Jacobian is", "so only the retention "
                                  "is shown"))
    gate, state = ("f", "c") if lstm else ("z", "h")
    explanation = (
        f"Memory retention ∏ {gate}: the part of d{state}_T/d{state}_t carried by the "
        f"{'cell state' if lstm else 'keep path (z near 1 keeps the old state)'} alone, "
        f"per unit, the {'forget' if lstm else 'update'} gates of every step read after t "
        f"multiplied together ({reading}). Below: ‖d{state}_T/d{state}_t‖ through every "
        f"path (via h too) beside that path alone; where they agree the gradient travels "
        "along the highway.")
    return PathsView(
        cell=found.cell, title=f"gradient paths · layer {found.layer} {found.direction}",
        explanation=explanation, anchor=anchor,
        top_title=f"memory retention ∏ {gate}, units × steps",
        bottom_title=f"‖d{state}_T/d{state}_t‖, every path and the gate path alone",
        image=image, levels=(low, 0.0), bottom=curves,
        bottom_range=decade_span(list(curves.values())), note="; ".join(notes))


def _why_no_full(trace: Trace, what: str, outcome: str) -> str:
    """Why the full Jacobians are missing: an edited trace, or too many units."""
    if trace.interventions:
        return (f"{what} not computed for an edited trace (the step Jacobians do not drop "
                f"what a clamped quantity passes no gradient to), {outcome}")
    return f"{what} computed up to {FULL_MAX_UNITS} units; this layer has more, {outcome}"


def _rnn_view(trace: Trace, found: Decomposition) -> PathsView:
    """RNN: step singular values above their products and the actual norm."""
    anchor, reading = _where_anchor(trace, found.direction)
    top = {STEP_MAX: gap_at_zero(found.log10_step_sv_max),
           STEP_MIN: gap_at_zero(found.log10_step_sv_min)}
    bottom = {BOUND_MAX: gap_at_zero(found.log10_bound_max),
              SPECTRAL: gap_at_zero(found.log10_full_spectral),
              BOUND_MIN: gap_at_zero(found.log10_bound_min)}
    top_curves = {name: values for name, values in top.items() if values is not None}
    bottom_curves = {name: values for name, values in bottom.items() if values is not None}
    notes = []
    if not bottom_curves:
        notes.append(_why_no_full(trace, "the Jacobians are", "so none is shown"))
    elif np.isnan(bottom_curves[BOUND_MIN]).any():
        why = ("a ReLU unit that is off" if trace.config.recurrent.nonlinearity == "relu"
               else "a tanh unit at exactly ±1, where 1 − h² is 0")
        notes.append(f"a step's smallest singular value is 0 ({why}, or below what the SVD "
                     "resolves): the lower bound is 0 from there back, a gap on the log axis")
    explanation = (
        "Each step multiplies the gradient by the step Jacobian dh_t/dh_t−1 = "
        "diag(act′) W_hh; it stretches a direction by at most its largest and at least its "
        "smallest singular value. Multiplied over the steps after t, these products bound "
        f"‖dh_T/dh_t‖₂ from above and below ({reading}): below 1 at every step, the "
        "gradient vanishes; above 1, it can explode.")
    return PathsView(
        cell=found.cell, title=f"gradient paths · layer {found.layer} {found.direction}",
        explanation=explanation, anchor=anchor,
        top_title="each step's singular values",
        bottom_title="their products from T back and the actual ‖dh_T/dh_t‖₂",
        top=top_curves, bottom=bottom_curves,
        top_range=decade_span(list(top_curves.values())),
        bottom_range=decade_span(list(bottom_curves.values())), note="; ".join(notes))


def paths_view(trace: Trace, found: Decomposition) -> PathsView:
    """What the Gradient paths panel draws for ``found`` (a decomposition of ``trace``)."""
    return _rnn_view(trace, found) if found.cell == "rnn" else _gated_view(trace, found)


def _power(log_value: float) -> str:
    if np.isneginf(log_value) or np.isnan(log_value):
        return "0"
    return f"10^{log_value:.1f}" if abs(log_value) >= 300 else f"{10.0 ** log_value:.3g}"


def describe_paths_step(trace: Trace, view: PathsView, found: Decomposition, step: int,
                        unit: int) -> str:
    """The cursor's line: token, and every number drawn at ``step`` (``unit``'s
    retention for a gated cell)."""
    if not 0 <= step < trace.steps:
        return ""
    parts = [f"step {step} “{trace.tokens[step]}”"]
    if found.log10_retention is not None and 0 <= unit < found.log10_retention.shape[1]:
        gate = "f" if found.cell == "lstm" else "z"
        parts.append(f"unit {unit}: ∏ {gate} = {_power(found.log10_retention[step, unit])}")
    for name, values in {**view.top, **view.bottom}.items():
        parts.append(f"{SHORT_NAMES[name]} = {_power(float(values[step]))}")
    share = found.highway_share
    if share is not None and np.isfinite(share[step]):
        parts.append(f"path alone / every path = {share[step]:.3g}")
    return " · ".join(parts)
