"""What a model with a readout head says at one step, in words (NumPy only, no Qt).

The head scores every step, but what a step's scores mean depends on the task: a
classifier's real answer is at the last step (an earlier step is the verdict it would give
if the text ended there), a tagger's step t is the tag of token t, and a language model's
step t predicts token t + 1. A classifier built on a pooled readout (``final-states``,
``mean``, ``max``) has no verdict for a prefix: at every step it shows its one verdict,
named as the verdict after the last token.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np

from ..engine.readout import POOLED_READOUTS, READOUTS

TASKS = ("classify", "tag", "next-token")
#: Classes and tags are all listed up to this many (sentiment 2, tags 3, recall 4); beyond,
#: only the most likely ones, as for next tokens: a line, not a table (adding has 19 sums).
MAX_LISTED = 4
TOP_CHOICES = 3
#: A character model's context is the tail of the text read so far, this many characters.
CONTEXT_CHARACTERS = 16


#: What the head reads under each readout, in words (the Model dock, Model details).
READOUT_WORDS = {
    "last-step": "reads the head on h after the last token",
    "per-step": "reads the head on h at every step: one answer per token",
    "final-states": "final states: forward after the last token, backward after the first",
    "mean": "mean over steps of the top layer's h",
    "max": "maximum over steps of each unit of the top layer's h",
}
#: ... where a second direction changes what they mean.
_BIDIRECTIONAL_WORDS = {
    "last-step": "reads the head on h after the last token, in both directions (the "
                 "backward one has read only that token)",
    "per-step": "reads the head on both directions' h at every step",
}


def readout_words(readout: str, bidirectional: bool = False,
                  guessed: bool = False) -> str:
    """``final-states``: "final states: forward after the last token, backward after
    the first"; ``guessed`` adds "(guessed)" (the file did not say, RNN Studio chose)."""
    words = (_BIDIRECTIONAL_WORDS.get(readout) if bidirectional else None) or \
        READOUT_WORDS.get(readout, readout)
    return f"{words} (guessed)" if guessed else words


def readout_choices(task: str | None) -> tuple[str, ...]:
    """The readouts a model of ``task`` may use: a pooled one gives one verdict per
    text, so only a classifier has them; a model without a head has none."""
    if task is None:
        return ()
    return READOUTS if task == "classify" else tuple(
        readout for readout in READOUTS if readout not in POOLED_READOUTS)


def renamed_words(names: Any) -> str:
    """``(("embed", "embedding"), ("fc", "head"))`` as "embed → embedding, fc → head";
    empty when nothing was renamed."""
    return ", ".join(f"{old} → {new}" for old, new in names or ())


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities over the last axis, in float64 so small ones do not round to 0."""
    shifted = np.asarray(logits, dtype=np.float64)
    shifted = shifted - shifted.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def head_task(trace: Any) -> str | None:
    """The trace's task when it has readout scores to explain, else None (bare cells,
    traces saved before files recorded the task, synthetic benchmark traces)."""
    if trace is None or getattr(trace, "logits", None) is None:
        return None
    task = getattr(getattr(trace, "config", None), "task", None)
    return task if task in TASKS else None


def shown_token(token: str) -> str:
    """A token as printed between quotes: spaces and newlines visible."""
    return token.replace("\n", "\\n").replace(" ", "␣") or "␣"


@dataclass(frozen=True)
class StepReadout:
    """The head's answer at ``step``: ``choices`` are (label, probability), most likely
    first; for a language model, also the real next token and the probability it got."""

    task: str
    step: int
    lead: str
    choices: tuple[tuple[str, float], ...]
    next_token: str | None = None
    next_probability: float | None = None

    def line(self, rich: bool = False) -> str:
        """``Tag of “under”: idiom 1.00 · literal 0.00 · other 0.00``; ``rich`` puts the
        most likely choice in bold (HTML, everything escaped)."""
        quote = escape if rich else str
        parts = [f"{quote(shown_token(label))} {probability:.2f}"
                 for label, probability in self.choices]
        if rich and parts:
            parts[0] = f"<b>{parts[0]}</b>"
        text = f"{quote(self.lead)}: {' · '.join(parts)}"
        if self.next_token is not None and self.next_probability is not None:
            text += (f" (next is “{quote(shown_token(self.next_token))}”: "
                     f"{self.next_probability:.2f})")
        return text


def class_names(trace: Any) -> tuple[str, ...]:
    """One name per logit column: labels, or the vocabulary of a language model; indices
    when the config does not name every column."""
    config = trace.config
    if config.task == "next-token":
        names = tuple(getattr(config.tokenizer, "vocabulary", None) or ())
    else:
        names = tuple(getattr(config, "labels", ()) or ())
    count = trace.logits.shape[-1]
    return names if len(names) == count else tuple(str(index) for index in range(count))


def step_readout(trace: Any, step: int) -> StepReadout | None:
    """What the head says at ``step``, or None for a trace without a head.

    One softmax row per call (C values), so following the cursor costs microseconds.
    """
    task = head_task(trace)
    if task is None or not 0 <= step < len(trace.tokens):
        return None
    pooled = task == "classify" and _readout(trace) in POOLED_READOUTS
    probabilities = softmax(trace.logits[-1 if pooled else step])
    names = _named_rows(class_names(trace), task)
    listed = len(names) if task != "next-token" and len(names) <= MAX_LISTED else TOP_CHOICES
    order = np.argsort(-probabilities, kind="stable")[:listed]
    choices = tuple((names[index], float(probabilities[index])) for index in order)
    token = shown_token(trace.tokens[step])
    if task == "tag":
        return StepReadout(task, step, f"Tag of “{token}”", choices)
    if task == "classify":
        return StepReadout(task, step, _verdict_lead(trace, step, token), choices)
    following = None
    if step + 1 < len(trace.tokens):
        following = int(np.asarray(trace.token_ids)[step + 1])
    return StepReadout(task, step, _next_token_lead(trace, step), choices,
                       None if following is None else names[following],
                       None if following is None else float(probabilities[following]))


def _named_rows(names: tuple[str, ...], task: str) -> tuple[str, ...]:
    """Labels that are only row numbers (guessed ``"0"``, ``"1"``, or none given) named
    as rows: "class 1 0.52 · class 0 0.48", not "1 0.52 · 0 0.48" (a no-break space:
    the name never wraps, and is not shown as a token's "␣")."""
    if task == "next-token" or names != tuple(str(row) for row in range(len(names))):
        return names
    kind = "class" if task == "classify" else "tag"
    return tuple(f"{kind}\u00a0{name}" for name in names)  # a space shown_token keeps


def _readout(trace: Any) -> str:
    return str(getattr(trace.config, "readout", "last-step"))


def _verdict_lead(trace: Any, step: int, token: str) -> str:
    if step == len(trace.tokens) - 1:
        return f"Verdict at the last token “{token}”"
    if _readout(trace) in POOLED_READOUTS:
        last = shown_token(trace.tokens[-1])
        return (f"{_readout(trace)} readout reads the whole text: verdict after the last "
                f"token “{last}”")
    if trace.config.recurrent.bidirectional:
        # Its backward direction has read the whole text already: no "if it ended here".
        return f"Scores at “{token}” (bidirectional: it has read the whole text)"
    return f"Verdict if the text ended at “{token}”"


def _next_token_lead(trace: Any, step: int) -> str:
    if getattr(trace.config.tokenizer, "kind", "word") == "char":
        # The character just read is shown like a token, so "the " reads "the␣".
        context = "".join(trace.tokens[max(0, step - CONTEXT_CHARACTERS + 1): step])
        context = context.replace("\n", "\\n") + shown_token(trace.tokens[step])
        ellipsis = "…" if step >= CONTEXT_CHARACTERS else ""
        return f"After “{ellipsis}{context}”, next character"
    return f"After “{shown_token(trace.tokens[step])}”, next word"
