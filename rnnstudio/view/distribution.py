"""Whether a text lies outside what a model was trained on, in measured terms.

Compare reads one text with several models; an answer means little when the model never
saw text like it (issue 11: the recall models "answering" a camera review). Three things
are measured, each from the model itself, never guessed from the text:

* tokens unknown to the model's vocabulary (read as ``<unk>``), when more than
  :data:`UNKNOWN_FRACTION` of the text;
* more tokens than the longest training sequence, which the card's ``train`` entry
  (task and task options) reproduces through :func:`rnnstudio.engine.tasks.make_task`;
* a task other than the open model's (a set chosen by hand or by a lesson).

A model without a card (imported, random) gets only the first, and only with a closed
vocabulary: a hashed embedding knows every token.
"""

from __future__ import annotations

from typing import Any

from ..engine.model import Model
from ..engine.tasks import make_task
from ..engine.trace import Trace
from ..errors import RnnStudioError

__all__ = ["UNKNOWN_FRACTION", "distribution_note", "trained_length", "trained_task"]

#: The note names unknown tokens when more than this fraction of the text is unknown
#: (one unknown word in a 12-word review is noise; 12 of 30 is another text).
UNKNOWN_FRACTION = 0.2


def trained_task(model: Model) -> str | None:
    """The generated task the model was trained on (its card's ``task``), if it says."""
    task = model.config.card.get("task")
    return task if isinstance(task, str) and task else None


def trained_length(model: Model) -> int | None:
    """The most tokens of a training sequence, from the card's ``train`` entry (e.g. 28
    for the shipped sentiment models, 21 for recall trained with gaps up to 10); None
    when the card does not say."""
    train: Any = model.config.card.get("train")
    if not isinstance(train, dict) or not isinstance(train.get("task"), str):
        return None
    options = train.get("task_options") or {}
    if not isinstance(options, dict):
        return None
    try:
        return int(make_task(train["task"], **options).longest)
    except (RnnStudioError, TypeError, ValueError):
        return None


def distribution_note(model: Model, trace: Trace, open_task: str | None = None) -> str | None:
    """One line on how ``trace``'s text lies outside ``model``'s training, or None.

    ``open_task`` is the open model's task (:func:`trained_task`); a model trained on
    another one says so. E.g. ``"12 of 30 tokens unknown to this model; 30 tokens,
    longer than the 28 it was trained on"``.
    """
    parts = []
    total, unknown = len(trace.tokens), len(trace.unknown)
    if unknown > UNKNOWN_FRACTION * total:
        parts.append(f"{unknown} of {total} tokens unknown to this model")
    longest = trained_length(model)
    if longest is not None and total > longest:
        parts.append(f"{total} tokens, longer than the {longest} it was trained on")
    task = trained_task(model)
    if open_task is not None and task is not None and task != open_task:
        parts.append(f"trained on {task}, not on {open_task} like the open model")
    return "; ".join(parts) or None
