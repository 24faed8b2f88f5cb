"""What the token strip shows of an attribution: which method, each chip's tint, and the
words of its tooltip (Qt-free; the strip paints these).

The strip's choices are ``off``, the trace's own ||dL/dx_t|| (``dL/dx``: the shown
loss's gradient, computed with every trace) and the engine's signed methods
(:mod:`rnnstudio.engine.attribution`), which explain a stated score s and run as a job.
Unsigned values tint one hue by size; signed values diverge: blue where a token raises s,
vermillion where it lowers it (the Okabe-Ito pair, told apart with any colour vision),
the tint's strength the value's share of the largest |value| in the text.

A classifier's computed methods explain the verdict's log-odds, log p - log(1 - p), not
log p: a confident verdict saturates log p (the shipped reviews LSTM says positive with
p = 0.999 on the cereal review, log p = -0.001), so every token's effect on log p is
below 0.05 and the tints would show how saturated the verdict is, not which words it
rests on (occlusion of the log-odds: "be" 3.9, "definitely" 2.7, "amazing" 1.0). The
trace's ||dL/dx_t|| stays the class loss's gradient, as the window's other panels show it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..engine.attribution import DEFAULT_STEPS, SCORES, Attribution, attribute
from ..engine.losses import ClassCrossEntropy, Loss, TagCrossEntropy
from ..engine.model import Model
from ..engine.tokenizers import Tokens
from ..io.session_file import STRIP_ATTRIBUTIONS
from .gradients import GRADIENT_EXPLANATIONS

if TYPE_CHECKING:
    from .trace_view import TraceView

__all__ = ["STRIP_ATTRIBUTIONS", "STRIP_LABELS", "Shading", "chip_tint", "current_shading",
           "shading_of", "strip_attribution", "strip_score", "token_line"]

#: The switch's words for each choice of :data:`STRIP_ATTRIBUTIONS`.
STRIP_LABELS = {
    "off": "off",
    "dL/dx": "||dL/dx_t|| (the loss's gradient)",
    "gradient-x-input": "gradient × input",
    "occlusion": "occlusion (word → <unk>)",
    "integrated-gradients": "integrated gradients",
}
#: The choices the engine computes (in a job); ``dL/dx`` comes with the trace.
COMPUTED = ("gradient-x-input", "occlusion", "integrated-gradients")
POSITIVE_RGB = (0, 114, 178)
NEGATIVE_RGB = (213, 94, 0)
#: Above this share of the largest value a chip is dark: its word is written in white.
DARK_LEVEL = 0.6
#: IG steps the window tries in turn until the completeness gap is within
#: :data:`GAP_SHARE` of s(x) - s(baseline): the shipped sentiment LSTM on the cereal
#: review needs 1,024 (its log-odds: gap 1.98 of 10.95 at 64 steps, 3e-6 at 1,024; 250 ms).
IG_STEPS = (DEFAULT_STEPS, 256, 1024, 4096)
GAP_SHARE = 0.01


@dataclass(frozen=True)
class Shading:
    """Per token: ``values`` (T,) as computed, ``levels`` (T,) in -1..1 (0..1 when not
    ``signed``) relative to the largest |value|; ``name`` what the values are,
    ``caption`` one line on what they explain."""

    values: np.ndarray
    levels: np.ndarray
    signed: bool
    name: str
    caption: str

    def describe(self, index: int) -> str:
        """The tooltip's words for token ``index``: the value, signed, and its share."""
        value = float(self.values[index])
        share = f"{abs(float(self.levels[index])):.2f} of the largest"
        if not self.signed:
            return f"{self.name} {value:.3g} ({share})"
        effect = "raises s" if value > 0 else "lowers s" if value < 0 else "no effect on s"
        return f"{self.name} {value:+.3g} ({effect}; {share})"


def shading_of(values: np.ndarray, signed: bool, name: str, caption: str) -> Shading:
    """Levels for ``values``: each divided by the largest |value| (non-finite: 0)."""
    finite = np.array(values, dtype=np.float64)
    finite[~np.isfinite(finite)] = 0.0
    largest = np.abs(finite).max() if finite.size else 0.0
    levels = finite / largest if largest > 0 else np.zeros_like(finite)
    return Shading(finite, levels if signed else np.abs(levels), signed, name, caption)


def attribution_shading(result: Attribution) -> Shading:
    """The strip's shading of an engine attribution, its caption naming s and the method
    (IG: the steps and the completeness gap)."""
    caption = f"{STRIP_LABELS[result.method]} of s = {result.definition}"
    if result.baseline is not None:
        caption += f"; baseline {result.baseline}"
    if result.completeness_gap is not None:
        caption += f"; {result.steps} steps, completeness gap {result.completeness_gap:.1g}"
    return shading_of(result.scores, result.signed, STRIP_LABELS[result.method], caption)


def current_shading(view: TraceView | None, choice: str,
                    result: Attribution | None) -> Shading | None:
    """What the window shows for the strip's ``choice`` on ``view``: ||dL/dx_t|| from the
    trace, or the attribution job's ``result`` once it is there for this choice (None
    while it runs, and with the colouring off). The strip and This step both read it,
    so the chips and the readout line never disagree."""
    norms = None if view is None else view.layer.gradients.norms.get("dL/dx")
    if choice == "dL/dx" and norms is not None:
        # ||dL/dx_t|| is the same for every layer: the shown curve's norms are it
        return shading_of(norms, False, STRIP_LABELS[choice], GRADIENT_EXPLANATIONS["dL/dx"])
    if result is not None and view is not None and result.method == choice:
        return attribution_shading(result)
    return None


def token_line(shading: Shading, tokens: Sequence[str], step: int) -> str:
    """This step's line on the token at ``step``: "“amazing”: occlusion +1.03 (raises s;
    0.27 of the largest)"; empty where the shading does not reach ``step``."""
    if not 0 <= step < min(len(tokens), shading.values.size):
        return ""
    return f"“{tokens[step]}”: {shading.describe(step)}"


def chip_tint(level: float, signed: bool) -> tuple[int, int, int, int] | None:
    """RGBA of a chip at ``level``: None for no tint (signed 0), else the hue of the sign
    with an opacity growing with |level| (an unsigned chip keeps a faint floor, as the
    saliency colouring always had, so a 0 reads as "measured, small")."""
    size = min(1.0, abs(float(level)))
    if signed:
        if size == 0.0:
            return None
        return (*(POSITIVE_RGB if level > 0 else NEGATIVE_RGB), int(30 + 210 * size))
    return (*POSITIVE_RGB, int(40 + 200 * size))


def explained_choice(loss: Loss | None) -> tuple[int | str | None, int | None]:
    """(target, step) the window's attribution explains: a ``class:LABEL`` or
    ``tag:STEP:LABEL`` loss names them; otherwise the prediction at the last step."""
    if isinstance(loss, ClassCrossEntropy):
        return loss.target, None
    if isinstance(loss, TagCrossEntropy):
        return loss.target, loss.step
    return None, None


def strip_score(model: Model) -> str | None:
    """The score the strip explains for ``model``: a classifier's log-odds (see the
    module docstring), a tagger's or language model's log p, None for a bare stack."""
    task = model.config.task
    return None if task is None else SCORES[1] if task == "classify" else SCORES[0]


def strip_attribution(
    model: Model, tokens: Tokens, method: str, loss: Loss | None,
    should_stop: Callable[[], bool] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Attribution:
    """The attribution the strip shows for ``method`` (one of :data:`COMPUTED`) of the
    score :func:`strip_score` names: the loss's class or tag when it names one, else the
    prediction; integrated gradients with more steps (:data:`IG_STEPS`) until its
    completeness gap is within :data:`GAP_SHARE` of s(x) - s(baseline), so the tint is
    the integral, not a sketch."""
    target, step = explained_choice(loss)
    if model.config.task == "classify":
        step = None
    if model.config.task is None:
        target = None
    score = strip_score(model)
    result = attribute(model, tokens, method, target, step, IG_STEPS[0],
                       should_stop=should_stop, on_progress=on_progress, score=score)
    for steps in IG_STEPS[1:]:
        if result.completeness_gap is None or result.baseline_score is None:
            break
        change = abs(result.score - result.baseline_score)
        if abs(result.completeness_gap) <= GAP_SHARE * max(change, 1e-12):
            break
        result = attribute(model, tokens, method, target, step, steps,
                           should_stop=should_stop, on_progress=on_progress, score=score)
    return result
