"""The data of the Compare view: one sentence read by several models, NumPy only.

Kept apart from the widget (as in Orange3) so it runs in a worker as a plain function of
``should_stop`` and is tested without any window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..engine.trace import Trace
from .compare_choice import Contender
from .distribution import distribution_note
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
    (built in the worker), ``answer`` its class at the last step, ``label`` its short
    legend name (``LSTM``, ``GRU (open)``), ``note`` how the text lies outside its
    training (:func:`~rnnstudio.view.distribution.distribution_note`) or None."""

    key: str
    label: str
    title: str
    cell: str
    trace: Trace
    hidden: HeatmapData
    answer: str | None
    confidence: float | None
    note: str | None = None


def answer_of(trace: Trace) -> tuple[str | None, float | None]:
    """The class a classifier gives at the last step and its softmax probability."""
    labels = getattr(trace.config, "labels", ()) or ()
    if trace.logits is None or trace.config.task != "classify" or not labels:
        return None, None
    probabilities = softmax(trace.logits[-1])
    best = int(probabilities.argmax())
    return str(labels[best]), float(probabilities[best])


def compare_models(contenders: Sequence[Contender], text: str,
                   should_stop: Callable[[], bool] | None = None,
                   open_task: str | None = None) -> list[ComparedModel]:
    """Trace ``text`` through each contender's model with its own task loss, and say
    where the text lies outside its training (``open_task``: the open model's task).

    ||dh_T/dh_t|| is included: for the shipped sizes (H = 32-48) it costs a few ms.
    """
    rows = []
    for contender in contenders:
        model = contender.load()
        trace = model.trace(text, loss=model.default_loss(), should_stop=should_stop)
        answer, confidence = answer_of(trace)
        top = model.config.recurrent.num_layers - 1
        (hidden,) = heatmaps(trace, top, "fwd", names=("h",))
        rows.append(ComparedModel(contender.key, contender.label, contender.title,
                                  model.config.recurrent.cell, trace, hidden, answer,
                                  confidence, distribution_note(model, trace, open_task)))
    return rows


def describe_notes(rows: Sequence[ComparedModel]) -> str:
    """One line per model whose training the text lies outside, e.g. ``RNN: 12 of 30
    tokens unknown to this model``, models with the same note on one line (``RNN, LSTM,
    GRU: ...``: three equal lines took 3 of a 720-px screen's rows); empty when the text
    lies inside every model's training."""
    labels: dict[str, list[str]] = {}
    for row in rows:
        if row.note:
            labels.setdefault(row.note, []).append(row.label)
    return "\n".join(f"{', '.join(names)}: {note}" for note, names in labels.items())


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
