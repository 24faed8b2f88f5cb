"""What the session asks its worker to compute: immutable snapshots, and the function
that computes them (the worker never sees the session)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from . import engine_bridge
from .engine_bridge import LossChoice, RandomModelSpec


@dataclass(frozen=True)
class Request:
    """An immutable snapshot of what to compute (the worker never sees the session)."""

    model: Any
    model_source: str
    text: str
    loss: LossChoice
    model_path: str | None = None
    random_spec: RandomModelSpec | None = None
    #: ``task-cell`` of a shipped model (loaded in the worker when ``model`` is None).
    model_key: str | None = None
    #: Where to put the cursor and the view once this trace is shown (lessons).
    view: ViewRequest | None = None


@dataclass(frozen=True)
class ViewRequest:
    """Cursor (negative counts from the end), layer, direction and unit to show after a
    trace: a lesson names the step to look at before the trace exists."""

    step: int | None = None
    #: Put the cursor on the first step reading this token (wins over ``step``).
    token: str | None = None
    layer: int | None = None
    direction: str | None = None
    unit: int | None = None


@dataclass(frozen=True)
class Outcome:
    model: Any
    model_source: str
    trace: Any
    request: Request


def compute(request: Request, should_stop: Any, on_progress: Any) -> Outcome:
    model = request.model
    if model is None and request.model_key is not None:
        model = engine_bridge.load_shipped_model(request.model_key)
    elif model is None and request.model_path is not None:
        model = engine_bridge.load_model(request.model_path)
    if not _reaches(request.loss, model, request.text):
        request = replace(request, loss=LossChoice("default"))
    trace = engine_bridge.trace_text(model, request.text, request.loss, should_stop,
                                     on_progress)
    return Outcome(model, request.model_source, trace, request)


def _reaches(loss: LossChoice, model: Any, text: str) -> bool:
    """Whether the text still has the step a probe or ``tag:N`` loss is tied to. When an
    edit shortens the text past it, the model's task loss takes over (the Loss box and
    the status line say so): typing a shorter sentence is not an error."""
    step = loss.fixed_step()
    if step is None:
        return True
    steps = len(model.tokenize(text).ids)
    return -steps <= step < steps
