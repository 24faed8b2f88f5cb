"""A stand-in model with the engine's interface and random but well-shaped numbers.

Used where a test is about the GUI's plumbing (threads, cancellation, big arrays) and
not about the numbers; value tests use the real engine.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np

from rnnstudio.engine.config import RecurrentConfig
from rnnstudio.errors import Cancelled, TextError


@dataclass
class FakeLayer:
    h: np.ndarray
    c: np.ndarray | None
    gates: dict[str, np.ndarray]


@dataclass
class FakeTrace:
    tokens: list[str]
    config: Any
    layers: dict[tuple[int, str], FakeLayer]
    grads: Any
    x: np.ndarray
    unknown: list[int] = field(default_factory=list)
    nonfinite: Any = None
    logits: Any = None

    def layer(self, k: int, direction: str = "fwd") -> FakeLayer:
        return self.layers[(k, direction)]


class FakeModel:
    """``trace`` can block on ``gate`` so tests control when the worker finishes."""

    def __init__(self, cell: str = "lstm", hidden: int = 8, layers: int = 1,
                 bidirectional: bool = False, seed: int = 0) -> None:
        recurrent = RecurrentConfig(cell, 4, hidden, layers, bidirectional=bidirectional)
        self.config = SimpleNamespace(recurrent=recurrent, task=None, labels=())
        self.seed = seed
        self.gate: threading.Event | None = None
        self.calls: list[str] = []

    def trace(self, text: str, loss: Any = "last-output-sum", should_stop: Any = None,
              on_progress: Any = None, **_: Any) -> FakeTrace:
        self.calls.append(text)
        if self.gate is not None:
            while not self.gate.wait(0.005):
                if should_stop is not None and should_stop():
                    raise Cancelled("stopped")
        tokens = text.split()
        if not tokens:
            raise TextError("the text is empty: type a sentence")
        return fake_trace(self.config.recurrent, tokens, self.seed)


def fake_trace(recurrent: RecurrentConfig, tokens: list[str], seed: int = 0) -> FakeTrace:
    rng = np.random.default_rng(seed)
    steps, hidden = len(tokens), recurrent.hidden_size
    layers = {}
    for k in range(recurrent.num_layers):
        for direction in recurrent.directions:
            gates = {name: rng.random((steps, hidden)) for name in recurrent.gates}
            for candidate in ("g", "n"):
                if candidate in gates:
                    gates[candidate] = gates[candidate] * 2 - 1
            c = rng.normal(size=(steps, hidden)) * 2 if recurrent.cell == "lstm" else None
            layers[(k, direction)] = FakeLayer(np.tanh(rng.normal(size=(steps, hidden))), c,
                                               gates)
    keys = list(layers)
    grads = SimpleNamespace(
        loss_name="last-output-sum", loss_value=1.5,
        h={key: rng.normal(size=(steps, hidden)) for key in keys},
        c={key: rng.normal(size=(steps, hidden)) for key in keys}
        if recurrent.cell == "lstm" else {},
        x=rng.normal(size=(steps, recurrent.input_size)),
        jacobian={key: np.geomspace(1e-9, 1, steps) for key in keys},
    )
    return FakeTrace(tokens, SimpleNamespace(recurrent=recurrent), layers, grads,
                     rng.normal(size=(steps, recurrent.input_size)))
