"""Interventions as the reference computes them, and edit lists that suit each cell."""

from __future__ import annotations

import numpy as np

from rnnstudio.engine.config import RecurrentConfig
from rnnstudio.engine.interventions import Intervention, parse_intervention

from .reference import Edit, Key


def reference_edit(interventions: list[Intervention]) -> Edit:
    """``reference.run``'s edit hook doing what the interventions say, one at a time in
    their order, written from the contract (interventions.py), not from the engine."""

    def edit(key: Key, t: int, name: str, value: np.ndarray) -> np.ndarray:
        for intervention in interventions:
            if ((intervention.layer, intervention.direction) != key
                    or intervention.quantity != name or not intervention.covers(t)):
                continue
            units = slice(None) if intervention.units is None else list(intervention.units)
            value = np.array(value, dtype=np.float64)
            if intervention.op == "set":
                value[..., units] = intervention.value
            else:
                value[..., units] *= intervention.value
        return value

    return edit


def mixed_edits(cfg: RecurrentConfig) -> list[Intervention]:
    """Sets and scales of every quantity the cell has, in the first and the last layer,
    forward and (when there is one) reverse direction, over different steps and units;
    h's units stay within a projected LSTM's 3."""
    top = cfg.num_layers - 1
    back = "bwd" if cfg.bidirectional else "fwd"
    specs = {
        "lstm": ["f=1@l0.fwd:units=0,2:steps=2-", "i*0.5@l0.fwd:steps=1-3",
                 f"c=0.3@l{top}.{back}:units=1:steps=3", f"h*0@l0.{back}:units=1:steps=2-4",
                 f"o*1.5@l{top}.fwd:units=0-2", "g=-0.2@l0.fwd:units=4:steps=-2",
                 "c*0.5@l0.fwd:units=3:steps=1-2", f"h=0.25@l{top}.fwd:units=2:steps=4"],
        "gru": ["z=1@l0.fwd:units=0,2:steps=2-", "r*0.5@l0.fwd:steps=1-3",
                f"n=0.3@l{top}.{back}:units=1:steps=3", f"h*0@l0.{back}:units=1:steps=2-4",
                f"h*1.5@l{top}.fwd:units=0-1:steps=4-", "z*0.5@l0.fwd:units=3:steps=1",
                f"r=0.9@l{top}.{back}:units=4:steps=1-"],
        "rnn": ["h*0@l0.fwd:units=1:steps=2-4", f"h=0.5@l{top}.{back}:units=0:steps=3",
                f"h*-1.5@l0.{back}:units=2-3:steps=1-", f"h*0.5@l{top}.fwd:steps=2"],
    }[cfg.cell]
    return [parse_intervention(spec) for spec in specs]
