"""The data of the Compare view: one sentence read by several models, NumPy only.

Kept apart from the widget (as in Orange3) so it runs in a worker as a plain function of
``should_stop`` and is tested without any window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..engine.trace import Trace
from ..io.model_source import ModelSource
from ..models_index import shipped_title
from .gradients import gradient_norms
from .heatmaps import HeatmapData, heatmaps
from .readout import shown_token, softmax, step_readout

#: Curves the Compare view can overlay, with the sentence the panel shows for each.
COMPARE_MEASURES = {
    "dL/dh": "||dL/dh_t||: how much each model's loss changes with its hidden state at t",
    "dh_T/dh_t": "||dh_T/dh_t||: how strongly each model's last state depends on step t",
    "dL/dx": "||dL/dx_t||: how much each token's input vector matters to each model",
}

#: One colour per compared model (Okabe-Ito: safe for colour-vision deficiencies).
MODEL_COLORS = ("#D55E00", "#0072B2", "#009E73", "#CC79A7")


@dataclass(frozen=True)
class ComparedModel:
    """One model's reading of the sentence: ``hidden`` is its top layer's h as a heatmap
    (built in the worker), ``answer`` its class at the last step."""

    key: str
    title: str
    cell: str
    trace: Trace
    hidden: HeatmapData
    answer: str | None
    confidence: float | None

    @property
    def label(self) -> str:
        """Short legend name: the cell (the task is the same for every row)."""
        return self.cell.upper()


def answer_of(trace: Trace) -> tuple[str | None, float | None]:
    """The class a classifier gives at the last step and its softmax probability."""
    labels = getattr(trace.config, "labels", ()) or ()
    if trace.logits is None or trace.config.task != "classify" or not labels:
        return None, None
    probabilities = softmax(trace.logits[-1])
    best = int(probabilities.argmax())
    return str(labels[best]), float(probabilities[best])


def compare_models(keys: Sequence[str], text: str,
                   should_stop: Callable[[], bool] | None = None) -> list[ComparedModel]:
    """Trace ``text`` through each shipped model ``key`` with its own task loss.

    ||dh_T/dh_t|| is included: for the shipped sizes (H = 32-48) it costs a few ms.
    """
    rows = []
    for key in keys:
        model = ModelSource.shipped(key).load()
        trace = model.trace(text, loss=model.default_loss(), should_stop=should_stop)
        answer, confidence = answer_of(trace)
        top = model.config.recurrent.num_layers - 1
        (hidden,) = heatmaps(trace, top, "fwd", names=("h",))
        rows.append(ComparedModel(key, shipped_title(key), model.config.recurrent.cell,
                                  trace, hidden, answer, confidence))
    return rows


def compare_curve(row: ComparedModel, measure: str, relative: bool) -> np.ndarray:
    """(T,) norms of ``measure`` for the top layer's forward direction; ``relative``
    divides by the last step's value, so models with different loss sizes line up."""
    top = row.trace.config.recurrent.num_layers - 1
    norms = gradient_norms(row.trace, top, "fwd").get(measure)
    if norms is None:
        return np.full(len(row.trace.tokens), np.nan)
    if relative and np.isfinite(norms[-1]) and norms[-1] > 0:
        return norms / norms[-1]
    return norms


def answer_text(row: ComparedModel, step: int) -> str | None:
    """What the model says: a classifier's answer at the last word, a tagger's tag of the
    word at ``step`` (it follows the cursor); None for other models."""
    if row.answer is not None:
        return f"answers “{row.answer}” (p = {row.confidence:.2f})"
    readout = step_readout(row.trace, min(step, len(row.trace.tokens) - 1))
    if readout is None or readout.task != "tag":
        return None
    tag, probability = readout.choices[0]
    word = shown_token(row.trace.tokens[readout.step])
    return f"tags “{word}” {tag} (p = {probability:.2f})"


def describe_answers(rows: Sequence[ComparedModel], step: int) -> str:
    """One line: what each model says (see :func:`answer_text`)."""
    answers = ((row.label, answer_text(row, step)) for row in rows)
    return " · ".join(f"{label} {text}" for label, text in answers if text is not None)
