"""The Loss box: which losses a model offers, and which entry a loss belongs to (no Qt).

Entries that depend on where the user is ("tag at the cursor", "probe") make their loss
from the cursor, unit, layer and direction at the moment they are chosen, so the box holds
entries, and the session holds the one engine loss value in force.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..engine.losses import (
    ClassCrossEntropy,
    LastOutputSum,
    Loss,
    NextTokenCrossEntropy,
    Probe,
    TagCrossEntropy,
)
from ..engine.model import ModelConfig

PROBE_HINT = "probe: click a cell of the h or c heatmap"


@dataclass(frozen=True)
class Where:
    """What a cursor-bound entry needs to make its loss."""

    step: int
    unit: int
    layer: int
    direction: str


@dataclass(frozen=True)
class LossEntry:
    """One line of the Loss box: ``key`` identifies it (``tag@cursor:idiom``)."""

    key: str
    text: str

    def make(self, where: Where) -> Loss:
        """The loss this entry stands for, at ``where``."""
        kind, _, label = self.key.partition(":")
        if kind == "probe":
            return Probe(where.step, where.unit, "h", where.layer, where.direction)
        if kind == "tag@cursor":
            return TagCrossEntropy(where.step, label or None)
        if kind == "tag":
            return TagCrossEntropy()
        if kind == "class":
            return ClassCrossEntropy(label or None)
        if kind == "next-token":
            return NextTokenCrossEntropy()
        return LastOutputSum()


def loss_entries(config: ModelConfig) -> list[LossEntry]:
    """The box's entries for a model, its task loss first, the probe last."""
    head: list[LossEntry] = []
    if config.task == "next-token":
        head = [LossEntry("next-token", "next-token")]
    elif config.task == "classify":
        # "class" alone is the predicted class: the usual choice for saliency.
        head = [LossEntry("class", "class")]
        head += [LossEntry(f"class:{label}", f"class:{label}") for label in config.labels]
    elif config.task == "tag":
        head = [LossEntry("tag", "tag (every word, predicted tags)"),
                LossEntry("tag@cursor", "tag at the cursor")]
        head += [LossEntry(f"tag@cursor:{label}", f"tag at the cursor: {label}")
                 for label in config.labels]
    return head + [LossEntry("last-output-sum", "last-output-sum"),
                   LossEntry("probe", PROBE_HINT)]


def entry_key(loss: Loss) -> str:
    """The key of the entry ``loss`` belongs to (``tag:3:literal`` -> ``tag@cursor:literal``)."""
    if isinstance(loss, Probe):
        return "probe"
    if isinstance(loss, TagCrossEntropy) and loss.step is not None:
        return "tag@cursor" + ("" if loss.target is None else f":{loss.target}")
    return loss.name


def loss_note(loss: Loss, tokens: Sequence[str], listed: bool) -> str:
    """What the box alone cannot say: the step (and token) a loss is tied to, or the loss
    itself when the box does not list it (``listed`` False); else nothing."""
    if listed and loss.bound_step is None:
        return ""
    return loss.describe(tokens)
