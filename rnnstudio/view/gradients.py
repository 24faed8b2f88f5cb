"""Gradients through time as the window plots them: per-step norms on a log axis, the
steps where they vanished, and the decades the axis must show (no Qt).

An exploding gradient must look like one: the y range spans every finite positive value
(from the decade below the smallest to the one above the largest), exact zeros and
non-finite values are gaps on the log axis, and a vanished step is marked at its value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.trace import NonFinite, Trace, row_norms

GRADIENT_EXPLANATIONS = {
    "dL/dh": "||dL/dh_t||: how much the loss changes with the hidden state at step t",
    "dL/dc": "||dL/dc_t||: how much the loss changes with the cell state at step t",
    "dL/dx": "||dL/dx_t||: how much each token's input vector matters (saliency)",
    "dh_T/dh_t": "||dh_T/dh_t||: how strongly the last state still depends on step t",
}

#: A gradient below this fraction of its largest value counts as vanished.
VANISHED_FRACTION = 1e-6
#: At most about this many decade lines, whatever the range.
MAX_DECADE_LINES = 8


def gradient_norms(trace: Trace, layer: int, direction: str) -> dict[str, np.ndarray]:
    """Per-step norms (T,) float64 of each gradient measure the trace has."""
    grads = trace.grads
    if grads is None:
        return {}
    key = (layer, direction)
    norms: dict[str, np.ndarray] = {}
    if key in grads.h:
        norms["dL/dh"] = row_norms(np.asarray(grads.h[key], dtype=np.float64))
    if grads.c and key in grads.c:
        norms["dL/dc"] = row_norms(np.asarray(grads.c[key], dtype=np.float64))
    if grads.x is not None:
        norms["dL/dx"] = row_norms(np.asarray(grads.x, dtype=np.float64))
    if grads.jacobian and key in grads.jacobian:
        norms["dh_T/dh_t"] = np.asarray(grads.jacobian[key], dtype=np.float64)
    return norms


def vanished_steps(norm: np.ndarray) -> np.ndarray:
    """Indices of steps whose norm fell below ``VANISHED_FRACTION`` of the largest."""
    finite = np.isfinite(norm)
    if not finite.any():
        return np.zeros(0, dtype=np.int64)
    largest = float(norm[finite].max())
    if largest <= 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(finite & (norm < VANISHED_FRACTION * largest))


def log_safe(values: np.ndarray) -> np.ndarray:
    """Zeros and non-finite values become NaN so a log plot leaves a gap, not -inf."""
    safe = np.array(values, dtype=np.float64)
    safe[~np.isfinite(safe) | (safe <= 0)] = np.nan
    return safe


def decade_range(curves: list[np.ndarray]) -> tuple[float, float] | None:
    """(low, high) powers of ten bracketing every finite positive value of ``curves``,
    at least one decade apart; None when there is nothing to show on a log axis."""
    values = [curve[np.isfinite(curve) & (curve > 0)] for curve in curves]
    values = [part for part in values if part.size]
    if not values:
        return None
    every = np.concatenate(values)
    low = float(np.floor(np.log10(every.min())))
    high = float(np.ceil(np.log10(every.max())))
    return low, max(high, low + 1)


@dataclass(frozen=True)
class GradientCurves:
    """What the Gradients panel draws for one layer and direction of one trace.

    ``norms`` are the engine's per-step norms by measure; ``vanished_steps`` and
    ``vanished_values`` the markers (an exact zero sits at the vanishing threshold, since
    a log axis has no place for it); ``decades`` the y range as powers of ten and
    ``decade_lines`` the exponents that get a grid line.
    """

    norms: dict[str, np.ndarray]
    vanished_steps: np.ndarray
    vanished_values: np.ndarray
    decades: tuple[float, float] | None
    decade_lines: tuple[float, ...]
    title: str
    loss_name: str


def gradient_curves(trace: Trace, layer: int, direction: str) -> GradientCurves:
    """Every curve, marker and the axis range of the Gradients panel, computed once."""
    norms = gradient_norms(trace, layer, direction)
    steps: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for norm in norms.values():
        gone = vanished_steps(norm)
        finite = norm[np.isfinite(norm)]
        floor = VANISHED_FRACTION * float(finite.max()) if finite.size else 0.0
        steps.append(gone)
        values.append(np.where(norm[gone] > 0, norm[gone], floor))
    decades = decade_range(list(norms.values()))
    lines: tuple[float, ...] = ()
    if decades is not None:
        low, high = decades
        stride = max(1, int((high - low) // MAX_DECADE_LINES))
        lines = tuple(float(value) for value in np.arange(low, high + 1, stride))
    grads = trace.grads
    title = "" if grads is None else (
        f"gradients of L = {grads.loss_name} ({grads.loss_value:.4g}) · layer {layer} "
        f"{direction}")
    return GradientCurves(
        norms=norms,
        vanished_steps=np.concatenate(steps) if steps else np.zeros(0, dtype=np.int64),
        vanished_values=np.concatenate(values) if values else np.zeros(0),
        decades=decades, decade_lines=lines, title=title,
        loss_name="" if grads is None else grads.loss_name)


def saliency(input_norms: np.ndarray | None) -> np.ndarray | None:
    """||dL/dx_t|| (the ``dL/dx`` curve) scaled to 0..1 per trace, or None without
    gradients; a non-finite norm counts as 0."""
    if input_norms is None:
        return None
    norm = np.array(input_norms, dtype=np.float64)
    norm[~np.isfinite(norm)] = 0.0
    largest = norm.max() if norm.size else 0.0
    return norm / largest if largest > 0 else np.zeros_like(norm)


def describe_nonfinite(nonfinite: NonFinite | None) -> str:
    """One sentence naming where a value first stopped being finite."""
    if nonfinite is None:
        return ""
    return f"Warning: {nonfinite.message()}"


def describe_step(trace: Trace, curves: GradientCurves, step: int) -> str | None:
    """Token, step and each norm there, for the hover line."""
    if not 0 <= step < len(trace.tokens) or not curves.norms:
        return None
    values = " · ".join(f"||{name}|| = {norm[step]:.3g}" for name, norm in curves.norms.items())
    return f"step {step} “{trace.tokens[step]}” · {values}"
