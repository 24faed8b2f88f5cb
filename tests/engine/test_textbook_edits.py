"""This step's equations explain the step the trace recorded, edits included.

``explain.step_terms`` replays a step through the cell module's textbook step with the
trace's interventions at that step; each edited quantity's final value
(``StepTerms.final``) must then equal what the edited trace recorded, at every step of
every layer and direction, for every cell. Before this, the equations of an edited step
showed the cell's unedited arithmetic, which disagreed with the heatmaps.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rnnstudio.engine.explain import step_terms

from .cases import CELL_KINDS, TEXT, initial_states, make_config
from .engine_side import bare_model
from .reference import random_params

#: Per cell: edits of a gate, a candidate or c, and h, on parts of the units and steps.
EDITS = {
    "rnn": ["h=0.5@l0.fwd:units=1,3:steps=2-4", "h*0@l1.bwd:units=0", "h*-2@l0.bwd:steps=1"],
    "lstm": ["f=1@l0.fwd:steps=2-", "i=0@l0.fwd:steps=2-", "c*0.5@l1.bwd:units=0-1",
             "h=0.3@l0.bwd:units=2:steps=-3", "g=-1@l1.fwd:steps=4", "o*2@l0.fwd:units=4"],
    "gru": ["z=1@l0.fwd:units=0,2:steps=1-", "r=0@l1.fwd", "n*0.5@l0.bwd:steps=3-",
            "h=-0.2@l1.bwd:units=1:steps=2"],
}


def _recorded(record, name: str, step: int) -> np.ndarray:
    return {"h": record.h, "c": record.c}.get(name, record.gates.get(name))[step]


@pytest.mark.parametrize("kind", list(CELL_KINDS))
def test_every_edited_step_explains_what_the_trace_recorded(kind: str) -> None:
    cfg = make_config(kind, 2, True)
    model = bare_model(cfg, random_params(cfg, 3, scale=0.8), "float64")
    h0, c0 = initial_states(cfg, 4)
    trace = model.trace(TEXT, loss=None, h0=h0, c0=c0, interventions=EDITS[cfg.cell])
    unedited = model.trace(TEXT, loss=None, h0=h0, c0=c0)
    names = ["h", *(("c",) if cfg.cell == "lstm" else ()), *cfg.gates]
    seen_edits = 0
    for layer, direction in itertools.product(range(2), cfg.directions):
        record = trace.layer(layer, direction)
        for step in range(trace.steps):
            terms = step_terms(model, trace, layer, direction, step)
            seen_edits += len(terms.edited)
            made = {"h": terms.hidden, "c": terms.cell,
                    **{gate: terms.gates[gate].value for gate in cfg.gates}}
            if cfg.cell == "rnn":
                made["h"] = terms.gates["h"].value
            for name in names:
                np.testing.assert_allclose(terms.final(name, made[name]),
                                           _recorded(record, name, step), rtol=0, atol=1e-12,
                                           err_msg=f"{kind} l{layer}.{direction} {name} {step}")
    assert seen_edits > 0
    assert not np.allclose(trace.layer(0, "fwd").h, unedited.layer(0, "fwd").h)


def test_an_unedited_trace_has_no_edited_terms() -> None:
    cfg = make_config("lstm")
    model = bare_model(cfg, random_params(cfg, 3), "float64")
    trace = model.trace(TEXT, loss=None)
    assert all(not step_terms(model, trace, 0, "fwd", step).edited
               for step in range(trace.steps))
