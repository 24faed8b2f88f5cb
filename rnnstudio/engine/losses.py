"""Losses whose gradients the app shows flowing back through time.

A loss reads the forward results and returns its value and the *direct* gradients it puts
on states or logits; the stack turns those into total derivatives through time.

Losses are frozen values: each knows its string form (``name``, which ``parse_loss`` reads
back), the step it is tied to (``bound_step``: a probe's or a ``tag:N`` loss's step, else
None), whether a text of T tokens still has that step (``fits``), and how to say itself in
words (``describe``, naming the step by its token). Everyone else holds the value; only the
CLI and the file formats read the string, once, through ``parse_loss``.

String forms: ``last-output-sum``, ``probe:STEP:UNIT[:h|c[:LAYER[:fwd|bwd]]]``,
``class[:LABEL]`` (no label: the predicted class), ``tag[:STEP[:LABEL]]`` (a tagger's
tags, every step or one), ``next-token``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..errors import ConfigError, TextError

StateKey = tuple[int, str, str]  # (layer, direction, "h" | "c")


@dataclass
class LossInputs:
    """What a loss may read: states per (layer, direction, quantity) in forward time
    (T, B, n), logits (T, B, C) or None, token ids (T,), labels, top layer index."""

    states: dict[StateKey, np.ndarray]
    logits: np.ndarray | None
    token_ids: np.ndarray
    labels: tuple[str, ...]
    top_layer: int
    directions: tuple[str, ...]


@dataclass
class LossSeeds:
    value: float
    states: dict[StateKey, np.ndarray] = field(default_factory=dict)
    logits: np.ndarray | None = None  # dL/dlogits (T, B, C)


class Loss(Protocol):
    """What the stack needs of a loss, and what a view needs to name it."""

    @property
    def name(self) -> str: ...

    @property
    def bound_step(self) -> int | None: ...

    def fits(self, steps: int) -> bool: ...

    def describe(self, tokens: Sequence[str] = ()) -> str: ...

    def seeds(self, inputs: LossInputs, dtype: np.dtype) -> LossSeeds: ...


class _Described:
    """``fits`` and a default ``describe`` for losses tied to no step (mixed in)."""

    @property
    def bound_step(self) -> int | None:
        return None

    def fits(self, steps: int) -> bool:
        """Whether a text of ``steps`` tokens has the step this loss is tied to: an edit
        that shortens the text past it falls back to the task loss instead of failing."""
        step = self.bound_step
        return step is None or -steps <= step < steps


def step_name(step: int, tokens: Sequence[str]) -> str:
    """``“under” (step 3)`` when ``step`` indexes ``tokens``, else ``step 3``."""
    if not -len(tokens) <= step < len(tokens):
        return f"step {step}" + (" (from the end)" if step < 0 else "")
    return f"“{tokens[step]}” (step {step % len(tokens)})"


def _index(value: int, size: int, what: str) -> int:
    if not -size <= value < size:
        raise TextError(f"{what} {value} is out of range: there are {size}")
    return value % size


@dataclass(frozen=True)
class LastOutputSum(_Described):
    """L = sum of the top layer's output at the last step (PyTorch ``output[-1].sum()``)."""

    name: str = "last-output-sum"

    def describe(self, tokens: Sequence[str] = ()) -> str:
        return "sum of the top layer's output at the last step (PyTorch output[-1].sum())"

    def seeds(self, inputs: LossInputs, dtype: np.dtype) -> LossSeeds:
        value, grads = 0.0, {}
        for direction in inputs.directions:
            key = (inputs.top_layer, direction, "h")
            hidden = inputs.states[key]
            grad = np.zeros(hidden.shape, dtype)
            grad[-1] = 1.0
            grads[key] = grad
            value += float(hidden[-1].astype(dtype).sum())
        return LossSeeds(value, grads)


@dataclass(frozen=True)
class Probe(_Described):
    """L = one unit of h (or c) at one step: how that single number depends on the past."""

    step: int
    unit: int
    quantity: str = "h"
    layer: int = -1
    direction: str = "fwd"

    @property
    def name(self) -> str:
        return f"probe:{self.step}:{self.unit}:{self.quantity}:{self.layer}:{self.direction}"

    @property
    def bound_step(self) -> int | None:
        return self.step

    def describe(self, tokens: Sequence[str] = ()) -> str:
        layer = "top layer" if self.layer == -1 else f"layer {self.layer}"
        return (f"probe: {self.quantity} of unit {self.unit} at {step_name(self.step, tokens)}"
                f" ({layer}, {self.direction})")

    def seeds(self, inputs: LossInputs, dtype: np.dtype) -> LossSeeds:
        layer = _index(self.layer, inputs.top_layer + 1, "probe layer")
        key = (layer, self.direction, self.quantity)
        if key not in inputs.states:
            raise ConfigError(
                f"this model has no {self.quantity!r} for layer {layer}, direction "
                f"{self.direction!r} to probe (c exists for LSTM only)"
            )
        state = inputs.states[key]
        step = _index(self.step, state.shape[0], "probe step")
        unit = _index(self.unit, state.shape[2], "probe unit")
        grad = np.zeros(state.shape, dtype)
        grad[step, :, unit] = 1.0
        return LossSeeds(float(state[step, :, unit].astype(dtype).sum()), {key: grad})


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log p over the last axis, shifted by the maximum so no exp overflows."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _require_logits(inputs: LossInputs, what: str) -> np.ndarray:
    if inputs.logits is None:
        raise ConfigError(f"the {what} loss needs a model with a readout head; "
                          "use last-output-sum or a probe for a bare cell")
    return inputs.logits


@dataclass(frozen=True)
class ClassCrossEntropy(_Described):
    """Cross-entropy of the head's class scores at the last step; ``target`` None means
    the predicted class (the usual choice for saliency)."""

    target: int | str | None = None

    @property
    def name(self) -> str:
        return "class" if self.target is None else f"class:{self.target}"

    def describe(self, tokens: Sequence[str] = ()) -> str:
        if self.target is None:
            return "cross-entropy of the predicted class at the last step"
        return f"cross-entropy of the class “{self.target}” at the last step"

    def seeds(self, inputs: LossInputs, dtype: np.dtype) -> LossSeeds:
        logits = _require_logits(inputs, "class").astype(dtype)
        log_probs = log_softmax(logits[-1])  # (B, C)
        if self.target is None:
            target = log_probs.argmax(axis=-1)
        else:
            target = np.full(log_probs.shape[0], _target_index(self.target, inputs.labels,
                                                               logits.shape[-1], "class"))
        rows = np.arange(log_probs.shape[0])
        grad = np.zeros_like(logits)
        grad[-1] = np.exp(log_probs)
        grad[-1, rows, target] -= 1.0
        return LossSeeds(float(-log_probs[rows, target].sum()), logits=grad)


def _target_index(target: int | str, labels: tuple[str, ...], classes: int, what: str) -> int:
    """A label's index from its name or index; ``what`` ("class", "tag") names it."""
    if isinstance(target, str):
        if target not in labels:
            raise ConfigError(f"unknown {what} {target!r}: the model's labels are "
                              f"{', '.join(labels)}")
        return labels.index(target)
    return _index(target, classes, what)


@dataclass(frozen=True)
class TagCrossEntropy(_Described):
    """Cross-entropy of a tagger's tag at one step (``step``), or the mean over every step
    (``step`` None). ``target`` None means the predicted tag, so the gradients show what
    the model's own decision at that step rests on (for a bidirectional tagger, later
    words too)."""

    step: int | None = None
    target: int | str | None = None

    @property
    def name(self) -> str:
        parts = ["tag"] + ([] if self.step is None else [str(self.step)])
        return ":".join(parts + ([] if self.target is None else [str(self.target)]))

    @property
    def bound_step(self) -> int | None:
        return self.step

    def describe(self, tokens: Sequence[str] = ()) -> str:
        if self.step is None:
            return "mean cross-entropy of the predicted tag of every word"
        where = step_name(self.step, tokens)
        if self.target is not None:
            return f"cross-entropy of the tag “{self.target}” for {where}"
        return f"cross-entropy of the predicted tag of {where}"

    def seeds(self, inputs: LossInputs, dtype: np.dtype) -> LossSeeds:
        logits = _require_logits(inputs, "tag").astype(dtype)
        steps, batch, classes = logits.shape
        chosen = (np.arange(steps) if self.step is None
                  else np.array([_index(self.step, steps, "tag step")]))
        log_probs = log_softmax(logits[chosen])  # (S, B, C)
        if self.target is None:
            target = log_probs.argmax(axis=-1)
        else:
            target = np.full(log_probs.shape[:2], _target_index(self.target, inputs.labels,
                                                                classes, "tag"))
        rows, columns = np.arange(len(chosen))[:, None], np.arange(batch)[None, :]
        count = len(chosen) * batch
        grad = np.zeros_like(logits)
        grad[chosen] = np.exp(log_probs)
        grad[chosen[:, None], columns, target] -= 1.0
        grad /= count
        return LossSeeds(float(-log_probs[rows, columns, target].sum() / count), logits=grad)


@dataclass(frozen=True)
class NextTokenCrossEntropy(_Described):
    """Mean cross-entropy of predicting token t+1 from step t (a language model)."""

    name: str = "next-token"

    def describe(self, tokens: Sequence[str] = ()) -> str:
        return "mean cross-entropy of predicting each next token"

    def seeds(self, inputs: LossInputs, dtype: np.dtype) -> LossSeeds:
        logits = _require_logits(inputs, "next-token").astype(dtype)
        steps = logits.shape[0]
        if steps < 2:
            raise TextError("the next-token loss needs at least two tokens")
        batch = logits.shape[1]
        targets = np.asarray(inputs.token_ids).reshape(steps, -1)[1:]  # (T-1, 1 or B)
        if targets.min() < 0 or targets.max() >= logits.shape[-1]:
            raise ConfigError("the next-token loss needs a closed vocabulary and a head "
                              "with one output per vocabulary entry")
        log_probs = log_softmax(logits[:-1])  # (T-1, B, V)
        step_index, batch_index = np.arange(steps - 1)[:, None], np.arange(batch)[None, :]
        picked = log_probs[step_index, batch_index, targets]
        count = (steps - 1) * batch
        grad = np.zeros_like(logits)
        grad[:-1] = np.exp(log_probs)
        grad[step_index, batch_index, targets] -= 1.0
        grad /= count
        return LossSeeds(float(-picked.sum() / count), logits=grad)


def parse_loss(text: str) -> Loss:
    """A loss from its string form (see the module docstring); ``parse_loss(loss.name)``
    gives ``loss`` back."""
    name, _, rest = text.strip().partition(":")
    parts = rest.split(":") if rest else []
    try:
        if name == "last-output-sum" and not parts:
            return LastOutputSum()
        if name == "next-token" and not parts:
            return NextTokenCrossEntropy()
        if name == "class" and len(parts) <= 1:
            if not parts:
                return ClassCrossEntropy()
            return ClassCrossEntropy(_label(parts[0]))
        if name == "tag" and len(parts) <= 2:
            step = int(parts[0]) if parts else None
            return TagCrossEntropy(step, _label(parts[1]) if len(parts) > 1 else None)
        if name == "probe" and 2 <= len(parts) <= 5:
            quantity = parts[2] if len(parts) > 2 else "h"
            if quantity not in ("h", "c"):
                raise ValueError
            layer = int(parts[3]) if len(parts) > 3 else -1
            direction = parts[4] if len(parts) > 4 else "fwd"
            if direction not in ("fwd", "bwd"):
                raise ValueError
            return Probe(int(parts[0]), int(parts[1]), quantity, layer, direction)
    except ValueError:
        pass
    raise ConfigError(
        f"unknown loss {text!r}: use last-output-sum, probe:STEP:UNIT[:h|c[:LAYER[:fwd|bwd]]], "
        "class[:LABEL], tag[:STEP[:LABEL]] or next-token"
    )


def _label(text: str) -> int | str:
    """A label given by index ("2") or by name ("idiom")."""
    return int(text) if text.lstrip("-").isdigit() else text
