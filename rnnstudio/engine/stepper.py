"""Feed a model one token at a time, as a cell reads.

Each step runs the same layer kernels as :meth:`Model.trace` on a sequence of length one,
starting from the states the previous step left, so stepping and tracing agree to within
rounding. A bidirectional model cannot be stepped: its reverse direction needs the whole
text before the first output exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ConfigError
from .trace import LayerTrace, Trace

if TYPE_CHECKING:
    from .model import Model


@dataclass(frozen=True)
class StepRecord:
    """Everything one step computed: per layer, h, c (LSTM) and gates as (n,) arrays."""

    step: int
    token: str
    token_id: int
    unknown: bool
    x: np.ndarray
    layers: dict[int, dict[str, np.ndarray]]


class Stepper:
    """Holds the states between tokens; ``step`` reads one more token."""

    def __init__(self, model: Model, h0: np.ndarray | None = None,
                 c0: np.ndarray | None = None) -> None:
        if model.config.recurrent.bidirectional:
            raise ConfigError(
                "a bidirectional model cannot be stepped token by token (its reverse "
                "direction reads the whole text first): use trace() instead"
            )
        self.model = model
        h_init, c_init = model.initial_states(h0, c0)
        self._hidden = list(h_init)
        self._cell = list(c_init)
        self.records: list[StepRecord] = []

    def step(self, token: str) -> StepRecord:
        model = self.model
        encoded = model.tokenize([token])
        x = model.embed(encoded.ids)
        layer_input = x[:, None, :]
        layers = {}
        for layer, kernel in enumerate(model.stack.layers(model.dtype).values()):
            cache = kernel.forward(layer_input, self._hidden[layer], self._cell[layer])
            record = cache.record()
            self._hidden[layer] = record["h"][-1]
            if "c" in record:
                self._cell[layer] = record["c"][-1]
            layers[layer] = {name: values[0, 0].copy() for name, values in record.items()}
            layer_input = cache.hidden
        result = StepRecord(len(self.records), token, int(encoded.ids[0]),
                            bool(encoded.unknown), x[0], layers)
        self.records.append(result)
        return result

    def trace(self) -> Trace:
        """The forward trace of every token stepped so far (no gradients)."""
        if not self.records:
            raise ConfigError("nothing has been stepped yet")
        layers = {}
        for layer in self.records[0].layers:
            stacked = {name: np.stack([r.layers[layer][name] for r in self.records])
                       for name in self.records[0].layers[layer]}
            hidden, cell = stacked.pop("h"), stacked.pop("c", None)
            layers[layer, "fwd"] = LayerTrace(hidden, cell, stacked)
        return Trace(
            config=self.model.config,
            tokens=[r.token for r in self.records],
            token_ids=np.array([r.token_id for r in self.records], dtype=np.int64),
            unknown=[r.step for r in self.records if r.unknown],
            x=np.stack([r.x for r in self.records]),
            layers=layers,
        )
