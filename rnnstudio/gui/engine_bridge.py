"""The few engine and io entry points the GUI calls, imported in one place.

Keeping them here means the GUI has one seam to adapt when the engine or io API moves,
and the Qt-free layers stay unaware of the GUI (dependencies point gui -> io -> engine).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..io.model_source import RandomModelSpec, load_shipped_model
from ..models_index import check_compare_keys, default_compare_keys, shipped_title

__all__ = ["LossChoice", "RandomModelSpec", "check_compare_keys", "default_compare_keys",
           "engine_loss", "jacobian_cost_seconds", "jacobian_norms", "load_model",
           "load_shipped_model", "make_random_model", "save_trace", "shipped_sample",
           "shipped_title", "trace_text"]


@dataclass(frozen=True)
class LossChoice:
    """The loss whose gradients are shown: a named loss or one probed unit at one step."""

    kind: str = "last-output-sum"
    step: int = -1
    unit: int = 0
    layer: int = -1
    direction: str = "fwd"
    quantity: str = "h"

    def tag_parts(self) -> tuple[int | None, str] | None:
        """``(3, "literal")`` for ``tag:3:literal``, ``(None, "")`` for ``tag``; None for a
        loss that is not a tag loss (the one reading of this string form in the GUI)."""
        name, _, rest = self.kind.partition(":")
        if name != "tag":
            return None
        step, _, label = rest.partition(":")
        return (int(step) if step.lstrip("-").isdigit() else None), label

    def fixed_step(self) -> int | None:
        """The step a probe or a ``tag:N`` loss is tied to (negative from the end)."""
        if self.kind == "probe":
            return self.step
        parts = self.tag_parts()
        return None if parts is None else parts[0]

    def describe(self, tokens: Sequence[str] = ()) -> str:
        """The loss in words; with the trace's ``tokens``, a step is named by its token."""
        if self.kind == "probe":
            return (f"probe {self.quantity} of unit {self.unit} at step {self.step} "
                    f"(layer {self.layer}, {self.direction})")
        parts = self.tag_parts()
        if parts is None:
            return self.kind
        step, label = parts
        if step is None:
            return "mean cross-entropy of the predicted tag of every word"
        where = _step_name(step, tokens)
        if label:
            return f"cross-entropy of the tag “{label}” for {where}"
        return f"cross-entropy of the predicted tag of {where}"


def _step_name(step: int, tokens: Sequence[str]) -> str:
    """``“under” (step 3)`` when the step is a token of ``tokens``, else ``step 3``."""
    if not -len(tokens) <= step < len(tokens):
        return f"step {step}" + (" (from the end)" if step < 0 else "")
    return f"“{tokens[step]}” (step {step % len(tokens)})"


def make_random_model(spec: RandomModelSpec) -> Any:
    """A seeded random model from the engine (pure NumPy)."""
    return spec.build()


def load_model(path: str | Path) -> Any:
    """A model from a file, through ``rnnstudio.io`` (raises ``ModelFileError``)."""
    from .. import io as rnn_io

    return rnn_io.load_model(path)


def shipped_sample(key: str) -> str:
    """The sample sentence of a shipped model's task."""
    from ..models_index import find_model

    return find_model(key).sample


def save_trace(trace: Any, path: str | Path) -> None:
    """Write a trace as .npz, .csv or .json, atomically, through ``rnnstudio.io``."""
    from .. import io as rnn_io

    rnn_io.save_trace(trace, path)


def engine_loss(choice: LossChoice) -> Any:
    """The engine's loss object (or string form) for a choice."""
    if choice.kind != "probe":
        return choice.kind
    from ..engine.losses import Probe

    return Probe(choice.step, choice.unit, layer=choice.layer, direction=choice.direction,
                 quantity=choice.quantity)


def trace_text(model: Any, text: str, loss: LossChoice, should_stop: Any = None,
               on_progress: Any = None, jacobian: bool = False) -> Any:
    """Forward and backward through time for ``text``, cancellable.

    ||dh_T/dh_t|| is left out by default: it costs O(T H^3) (2.8 s against 0.06 s for the
    rest at T = 200, H = 256), so the session asks for it as separate, later work.
    """
    return model.trace(text, loss=engine_loss(loss), should_stop=should_stop,
                       on_progress=on_progress, jacobian=jacobian)


#: Seconds per step x H^2 x seed, measured here for an LSTM with T = 200, H = 256: 8e-11
#: (0.28 s) for a float32 model, whose adjoints run in float32, 1.9e-10 (0.65 s) for a
#: float64 one; 2.5e-10 leaves some room for a busy machine. Only used to decide
#: whether to start that work unasked.
_JACOBIAN_SECONDS_PER_UNIT = 2.5e-10


def jacobian_cost_seconds(model: Any, steps: int) -> float:
    """Rough time ||dh_T/dh_t|| would take for ``steps`` tokens with this model.

    The engine runs one backward pass with a batch of seeds: one per unit up to
    ``JACOBIAN_EXACT_MAX`` units, else ``JACOBIAN_PROBES`` random probes.
    """
    from ..engine.stack import JACOBIAN_EXACT_MAX, JACOBIAN_PROBES

    recurrent = model.config.recurrent
    size = recurrent.output_size
    seeds = size if size <= JACOBIAN_EXACT_MAX else JACOBIAN_PROBES
    per_layer = steps * float(recurrent.hidden_size) ** 2 * seeds * recurrent.num_directions
    return _JACOBIAN_SECONDS_PER_UNIT * per_layer * recurrent.num_layers


def jacobian_norms(model: Any, trace: Any, should_stop: Any = None) -> dict | None:
    """||dh_T/dh_t|| per (layer, direction) for a trace made without them, or None."""
    if trace.grads is None or not hasattr(model, "jacobian_norms"):
        return None
    return model.jacobian_norms(trace, should_stop=should_stop)
