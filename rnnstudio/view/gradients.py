"""Gradients through time as the window plots them: per-step norms on a log axis, the
steps where they vanished or exploded, the alarm line, and the decades the axis must show.

An exploding gradient must look like one. Markers are relative to a stated reference,
the curve's own value at the step the loss is taken at (a probe's or ``tag:N``'s step,
else the last step; for ||dh_T/dh_t||, T itself): "vanished" below 1e-6 of it,
"exploded" above 1e6 of it. (Relative to the curve's maximum, an explosion backwards in
time read as everything after its start having vanished.) The y range spans every finite
positive value; exact zeros (the loss does not depend on that step) and non-finite values
are gaps on the log axis.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..engine.losses import parse_loss
from ..engine.trace import NonFinite, Trace, row_norms
from ..errors import RnnStudioError

GRADIENT_EXPLANATIONS = {
    "dL/dh": "||dL/dh_t||: how much the loss changes with the hidden state at step t",
    "dL/dc": "||dL/dc_t||: how much the loss changes with the cell state at step t",
    "dL/dx": "||dL/dx_t||: how much each token's input vector matters (saliency)",
    "dh_T/dh_t": "||dh_T/dh_t||: how strongly the last state still depends on step t",
}

def gradient_explanation(measure: str, direction: str = "fwd") -> str:
    """One sentence on what a curve means; a backward cell's "last" state is at step 0."""
    if measure == "dh_T/dh_t" and direction == "bwd":
        return ("||dh_T/dh_t||: how strongly the backward cell's last state (at step 0) "
                "still depends on step t")
    return GRADIENT_EXPLANATIONS[measure]


#: Below this fraction of its value at the reference step a gradient counts as vanished,
#: above its inverse as exploded: six decades either way.
VANISHED_FRACTION = 1e-6
EXPLODED_FACTOR = 1e6
#: Up to this many steps the curves get dots and the markers are 10 px; beyond, no dots
#: and 5 px markers (at 900 steps 10 px crosses merged into a black band), in the panel
#: and in exported figures alike.
STEPS_WITH_DOTS = 60
#: At most about this many decade lines, whatever the range.
MAX_DECADE_LINES = 8


def gradient_norms(trace: Trace, layer: int, direction: str) -> dict[str, np.ndarray]:
    """Per-step norms (T,) float64 of each gradient measure the trace has; a step
    holding inf or NaN has a non-finite norm (a gap on the plot), without a warning."""
    grads = trace.grads
    if grads is None:
        return {}
    key = (layer, direction)
    arrays = {"dL/dh": grads.h.get(key), "dL/dc": (grads.c or {}).get(key), "dL/dx": grads.x}
    with np.errstate(invalid="ignore", over="ignore"):
        norms = {name: row_norms(np.asarray(array, dtype=np.float64))
                 for name, array in arrays.items() if array is not None}
    if grads.jacobian and key in grads.jacobian:
        norms["dh_T/dh_t"] = np.asarray(grads.jacobian[key], dtype=np.float64)
    return norms


def reference_step(trace: Trace, measure: str, direction: str) -> int:
    """The step each curve is compared with: where the loss is taken (a probe's or a
    ``tag:N`` loss's step, else the last step); for ||dh_T/dh_t|| the direction's own
    T (the last step forwards, the first backwards)."""
    steps = len(trace.tokens)
    if measure == "dh_T/dh_t":
        return 0 if direction == "bwd" else steps - 1
    bound = None
    if trace.grads is not None:
        try:
            bound = parse_loss(trace.grads.loss_name).bound_step
        except RnnStudioError:  # a saved trace's loss from a newer release: the last step
            bound = None
    if bound is None or not -steps <= bound < steps:
        return steps - 1
    return bound % steps


@dataclass(frozen=True)
class Markers:
    """Steps of one curve that vanished or exploded, relative to ``reference`` (its value
    at ``reference_step``; 0 when that is not a finite positive number: no markers)."""

    reference_step: int
    reference: float
    vanished: np.ndarray
    exploded: np.ndarray


def markers(norm: np.ndarray, reference_step: int) -> Markers:
    value = float(norm[reference_step]) if 0 <= reference_step < norm.size else 0.0
    if not np.isfinite(value) or value <= 0:
        empty = np.zeros(0, dtype=np.int64)
        return Markers(reference_step, 0.0, empty, empty)
    positive = np.isfinite(norm) & (norm > 0)
    return Markers(reference_step, value,
                   np.flatnonzero(positive & (norm < VANISHED_FRACTION * value)),
                   np.flatnonzero(positive & (norm > EXPLODED_FACTOR * value)))


@dataclass(frozen=True)
class GradientAlarm:
    """The one line the panel raises when a curve vanished or exploded by more than six
    decades: which curve, how, the most extreme step and its ratio to the reference."""

    measure: str
    kind: str  # "exploded" or "vanished"
    step: int
    ratio: float
    reference_step: int
    text: str


def _alarm(trace: Trace, norms: dict[str, np.ndarray],
           found: dict[str, Markers]) -> GradientAlarm | None:
    """Exploding first (it wrecks training), then vanishing, in the curves' order."""
    for kind in ("exploded", "vanished"):
        for measure, marked in found.items():
            steps = marked.exploded if kind == "exploded" else marked.vanished
            if not steps.size:
                continue
            ratios = norms[measure][steps] / marked.reference
            pick = int(steps[np.argmax(ratios) if kind == "exploded" else np.argmin(ratios)])
            ratio = float(norms[measure][pick] / marked.reference)
            where = f"step {pick} (“{trace.tokens[pick]}”)"
            since = f"step {marked.reference_step} (“{trace.tokens[marked.reference_step]}”)"
            verb = "explodes" if kind == "exploded" else "vanishes"
            text = (f"||{measure}|| {verb}: at {where} it is {ratio:.2g} times its value "
                    f"at {since}")
            return GradientAlarm(measure, kind, pick, ratio, marked.reference_step, text)
    return None


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

    ``norms`` are the engine's per-step norms by measure; ``markers`` their vanished and
    exploded steps; ``alarm`` the line raised when one curve moved more than six decades
    from its reference; ``decades`` the y range as powers of ten and ``decade_lines`` the
    exponents that get a grid line; ``zeros`` whether some step is exactly 0;
    ``nonfinite`` the steps (int64) where a curve is NaN or infinite (gaps, the finite
    part still drawn); ``undefined`` a headline and ``undefined_detail`` a sentence when
    the loss itself is not finite, ``probe_step`` the step whose probe loss would show
    finite gradients then.
    """

    norms: dict[str, np.ndarray]
    markers: dict[str, Markers]
    alarm: GradientAlarm | None
    decades: tuple[float, float] | None
    decade_lines: tuple[float, ...]
    zeros: bool
    title: str
    loss_name: str
    nonfinite: dict[str, np.ndarray] = field(default_factory=dict)
    undefined: str = ""
    undefined_detail: str = ""
    probe_step: int | None = None

    def marked(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) of every curve's ``kind`` markers ("vanished"/"exploded")."""
        steps = [getattr(found, kind) for found in self.markers.values()]
        values = [self.norms[name][getattr(found, kind)]
                  for name, found in self.markers.items()]
        if not steps:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(steps), np.concatenate(values)


def gradient_curves(trace: Trace, layer: int, direction: str) -> GradientCurves:
    """Every curve, marker and the axis range of the Gradients panel, computed once."""
    norms = gradient_norms(trace, layer, direction)
    found = {name: markers(norm, reference_step(trace, name, direction))
             for name, norm in norms.items()}
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
    gaps = {name: np.flatnonzero(~np.isfinite(norm)) for name, norm in norms.items()}
    undefined, undefined_detail, probe_step = undefined_gradients(trace)
    return GradientCurves(
        norms=norms, markers=found, alarm=_alarm(trace, norms, found), decades=decades,
        decade_lines=lines, zeros=any(bool((norm == 0).any()) for norm in norms.values()),
        title=title, loss_name="" if grads is None else grads.loss_name,
        nonfinite={name: steps for name, steps in gaps.items() if steps.size},
        undefined=undefined, undefined_detail=undefined_detail, probe_step=probe_step)


def undefined_gradients(trace: Trace) -> tuple[str, str, int | None]:
    """When the loss is NaN or infinite (the forward pass overflowed before the loss's
    step), no gradient is defined, whatever numbers backward produced (a ReLU's slope
    at NaN reads as 0: zeros that do not mean "no dependence"). Returns a headline for
    the plot, the sentence for the explanation, and the step just before the overflow
    (just after it, for a backward direction), where a probe loss shows the gradients up
    to the overflow; else ("", "", None)."""
    grads, bad = trace.grads, trace.nonfinite
    if grads is None or np.isfinite(grads.loss_value):
        return "", "", None
    steps = len(trace.tokens)
    probe = None
    if bad is not None:
        before = bad.step + 1 if bad.direction == "bwd" else bad.step - 1
        probe = before if 0 <= before < steps else None
    where = "" if bad is None else (f": {bad.quantity} of layer {bad.layer} is not finite "
                                    f"from step {bad.step} (“{bad.token}”)")
    detail = (f"L = {grads.loss_value} because the forward pass overflowed{where}, so no "
              "gradient is defined (zeros here do not mean that L does not depend on a "
              "step).")
    if probe is not None:
        detail += f" A probe loss at step {probe} shows the gradients up to the overflow."
    return f"No gradient: L = {grads.loss_value}", detail, probe


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


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_label(exponent: float) -> str:
    """``10⁻³`` for -3: a log axis's tick label, the same form at every magnitude (no SI
    multiplier, no ``0.001`` beside ``1e+17``); "" between decades."""
    if not float(exponent).is_integer():
        return ""
    return "10" + str(int(exponent)).translate(_SUPERSCRIPTS)
