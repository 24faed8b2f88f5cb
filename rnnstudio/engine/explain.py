"""One step of one layer, term by term, from the cell's own textbook equations.

A trace records what the fast path computed (h, c, gates after their nonlinearities);
explaining a step needs the terms inside the equations too: each gate's part from the
input and from the previous state. :func:`step_terms` hands the inputs and the previous
state the cell really saw to the cell module's ``textbook_step``, so the equations have
one home (the cell module) and the tests hold the fast path to them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import gru, lstm, rnn
from .layer import StepEdit, StepTerms
from .params import layer_weights

if TYPE_CHECKING:
    from .model import Model
    from .trace import Trace


def layer_input(trace: Trace, layer: int, step: int) -> np.ndarray:
    """What layer ``layer`` read at ``step`` (I,): the token's vector for layer 0, else
    the outputs of layer - 1 at that step, forward direction first."""
    if layer == 0:
        return np.asarray(trace.x[step])
    below = [trace.layer(layer - 1, direction).h[step]
             for direction in trace.config.recurrent.directions]
    return np.concatenate(below)


def previous_state(
    model: Model, trace: Trace, layer: int, direction: str, step: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """(h_prev (H_out,), c_prev (H,) or None) the cell started ``step`` from.

    Traced arrays are in forward time, so a reverse direction's previous step is
    ``step + 1``; the first step it reads (0 forward, T-1 reverse) starts from the
    trace's own initial states (zeros where the trace has none).
    """
    recurrent = model.config.recurrent
    previous = step - 1 if direction == "fwd" else step + 1
    if 0 <= previous < trace.steps:
        record = trace.layer(layer, direction)
        return record.h[previous], None if record.c is None else record.c[previous]
    initial_h, initial_c = model.initial_states(trace.h0, trace.c0)
    row = layer * recurrent.num_directions + recurrent.directions.index(direction)
    return initial_h[row, 0], initial_c[row, 0] if recurrent.cell == "lstm" else None


def step_terms(model: Model, trace: Trace, layer: int, direction: str, step: int) -> StepTerms:
    """Every term of the equations of ``layer``/``direction`` at ``step`` (float64).

    Parameters
    ----------
    model : the model that made ``trace``.
    trace : its trace; ``trace.h0``/``trace.c0`` are the initial states it started from.
    layer, direction, step : which cell and which step (forward time, 0 <= step < T).

    Returns
    -------
    StepTerms
        The gates' input and recurrent parts and values (H,), c (H,) for the LSTM, m
        with a projection, and h (H_out,), recomputed by the cell's ``textbook_step``
        with the trace's interventions at this step (``StepTerms.edited``).
    """
    recurrent = model.config.recurrent
    if not 0 <= layer < recurrent.num_layers or direction not in recurrent.directions:
        raise IndexError(f"layer {layer} {direction} is not in this model: it has "
                         f"{recurrent.num_layers} layer(s), directions {recurrent.directions}")
    if not 0 <= step < trace.steps:
        raise IndexError(f"step {step} is outside the trace's {trace.steps} steps")
    weights = layer_weights(model.params, layer, direction, model.dtype)
    x = layer_input(trace, layer, step)
    h_prev, c_prev = previous_state(model, trace, layer, direction, step)
    edit = step_edit(model, trace, layer, direction, step)
    if recurrent.cell == "lstm":
        assert c_prev is not None
        return lstm.textbook_step(weights, x, h_prev, c_prev, edit)
    if recurrent.cell == "gru":
        return gru.textbook_step(weights, x, h_prev, recurrent.reset_after, edit)
    return rnn.textbook_step(weights, x, h_prev, recurrent.nonlinearity, edit)


def step_edit(model: Model, trace: Trace, layer: int, direction: str,
              step: int) -> StepEdit | None:
    """The trace's edits of ``layer``/``direction`` at ``step`` as a textbook step's hook
    (None when none acts there). They are the engine's own per-step edits
    (:meth:`Model.layer_edits`, in the model's dtype and composed in the order given),
    so the explained step is the step the trace recorded."""
    if not trace.interventions:
        return None
    edits = model.layer_edits(trace.interventions, trace.steps).get((layer, direction))
    if edits is None:
        return None
    at = step if direction == "fwd" else trace.steps - 1 - step  # its processing order

    def apply(name: str, made: np.ndarray) -> np.ndarray:
        edit = edits.quantities.get(name)
        if edit is None or not edit.active[at]:
            return made
        value = made[None].copy()  # (1, n): one batch row, edited in place
        edit.apply(at, value)
        return value[0]

    return apply
