"""What the session asks a worker to compute, and the plain function that computes it.

A request is an immutable snapshot (the worker never sees the session): where the model
comes from, the model itself when it is already loaded, the text, the loss, the edits
(interventions) and where to put the cursor afterwards. With edits on, the worker also
reads the text without them (or reuses the session's unedited trace when only the edits
changed), so the window can show both. Tested without Qt, run by the GUI's job runner.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ..engine.interventions import Intervention
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
    ``loss`` None means the model's own task loss. ``interventions`` are replayed when
    ``edits_on``; ``original`` is the unedited trace of the same model, text and loss
    when the session has it (reused instead of read again)."""

    source: ModelSource
    text: str
    loss: Loss | None = None
    model: Model | None = None
    placement: Placement | None = None
    interventions: tuple[Intervention, ...] = ()
    edits_on: bool = True
    original: Trace | None = None

    @property
    def active_edits(self) -> tuple[Intervention, ...]:
        """The edits the trace replays: all of them, or none while they are off."""
        return self.interventions if self.edits_on else ()


@dataclass(frozen=True)
class TraceOutcome:
    """A trace and what made it; ``model`` and ``loss`` are None for a trace opened from
    a file (its text cannot be read again). ``original`` is the same text read without
    the edits, when edits are on (else None: ``trace`` is the original)."""

    request: TraceRequest
    model: Model | None
    trace: Trace
    loss: Loss | None
    seconds: float
    original: Trace | None = None


def compute_trace(request: TraceRequest, should_stop: StopCheck | None = None,
                  on_progress: Progress | None = None) -> TraceOutcome:
    """Load the model if needed, tokenize once, pick the loss, read the text.

    A loss tied to a step the text no longer has (an edit shortened it past a probe or a
    ``tag:N``) gives way to the task loss: typing a shorter sentence is not an error.
    ||dh_T/dh_t|| is left out: it costs O(T H^3), so it is separate, later work.
    With edits, the unedited trace comes too: the request's when it was read with the
    same loss, else read here; without edits, that trace is the answer as it is.
    """
    started = time.perf_counter()
    model = request.model if request.model is not None else request.source.load()
    tokens = model.tokenize(request.text)
    loss = request.loss
    if loss is None or not loss.fits(len(tokens.ids)):
        loss = model.default_loss()
    cached = request.original
    if cached is not None and (cached.grads is None or cached.grads.loss_name != loss.name
                               or cached.tokens != tokens.tokens):
        cached = None

    def read(edits: tuple[Intervention, ...]) -> Trace:
        return model.trace(tokens, loss=loss, jacobian=False, should_stop=should_stop,
                           on_progress=on_progress, interventions=edits)

    edits = request.active_edits
    if not edits:
        trace = cached if cached is not None else read(())
        return TraceOutcome(request, model, trace, loss, time.perf_counter() - started)
    trace = read(edits)
    original = cached if cached is not None else read(())
    return TraceOutcome(request, model, trace, loss, time.perf_counter() - started,
                        original)
