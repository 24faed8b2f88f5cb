"""What the session asks a worker to compute, and the plain function that computes it.

A request is an immutable snapshot (the worker never sees the session): where the model
comes from, the model itself when it is already loaded, the text, the loss and where to
put the cursor afterwards. Tested without Qt, run by the GUI's job runner.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ..engine.losses import Loss
from ..engine.model import Model
from ..engine.trace import Trace
from ..io.model_source import ModelSource

StopCheck = Callable[[], bool]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Placement:
    """Where to look once the trace is shown: a lesson names the step (negative: from the
    end) or the token before the trace exists; layer, direction and unit likewise."""

    step: int | None = None
    #: The first step reading this token (wins over ``step`` when the text has it).
    token: str | None = None
    layer: int | None = None
    direction: str | None = None
    unit: int | None = None


@dataclass(frozen=True)
class TraceRequest:
    """Trace ``text`` with the model from ``source`` (``model`` when already loaded).
    ``loss`` None means the model's own task loss."""

    source: ModelSource
    text: str
    loss: Loss | None = None
    model: Model | None = None
    placement: Placement | None = None


@dataclass(frozen=True)
class TraceOutcome:
    """A trace and what made it; ``model`` and ``loss`` are None for a trace opened from
    a file (its text cannot be read again)."""

    request: TraceRequest
    model: Model | None
    trace: Trace
    loss: Loss | None
    seconds: float


def compute_trace(request: TraceRequest, should_stop: StopCheck | None = None,
                  on_progress: Progress | None = None) -> TraceOutcome:
    """Load the model if needed, tokenize once, pick the loss, read the text.

    A loss tied to a step the text no longer has (an edit shortened it past a probe or a
    ``tag:N``) gives way to the task loss: typing a shorter sentence is not an error.
    ||dh_T/dh_t|| is left out: it costs O(T H^3), so it is separate, later work.
    """
    started = time.perf_counter()
    model = request.model if request.model is not None else request.source.load()
    tokens = model.tokenize(request.text)
    loss = request.loss
    if loss is None or not loss.fits(len(tokens.ids)):
        loss = model.default_loss()
    trace = model.trace(tokens, loss=loss, jacobian=False, should_stop=should_stop,
                        on_progress=on_progress)
    return TraceOutcome(request, model, trace, loss, time.perf_counter() - started)
