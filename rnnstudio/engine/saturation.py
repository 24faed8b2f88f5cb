"""How often each gate is nearly shut or nearly open: saturation statistics.

Karpathy, Johnson & Fei-Fei (2015), "Visualizing and understanding recurrent networks",
count per gate and unit the fraction of steps the gate is *left-saturated* (below
``left`` = 0.1: nearly shut) and *right-saturated* (above ``right`` = 0.9: nearly open),
and plot one against the other. A forget gate near (0, 1) remembers almost always (an
integrator); a gate near (0, 0) is never saturated and reacts to its input.

What is counted, per layer, direction, gate and unit::

    left_count[u]  = #{t : gate[t, u] < left}
    right_count[u] = #{t : gate[t, u] > right}
    left_fraction  = left_count / steps,   right_fraction = right_count / steps

* LSTM: the sigmoid gates i, f, o; GRU: r, z (PyTorch's z keeps the old state). The
  candidates g and n are tanh, not gates, and are left out, as in the paper.
* RNN (tanh): it has no gates. Its hidden state is counted on the gates' scale
  ``(1 + h) / 2`` (``tanh(x) = 2 sigmoid(2x) - 1``): left-saturated is ``h < 2 left - 1``
  (-0.8), right-saturated ``h > 2 right - 1`` (0.8). There ``1 - h^2`` is at most 0.36 of
  its peak, exactly as ``s (1 - s)`` of a gate beyond 0.1 or 0.9 is: the same "gradient
  mostly blocked" meaning. A ReLU RNN has neither gates nor a saturating range: refused.

Counts and steps are kept (not only fractions), so results over several texts merge
exactly (:meth:`Saturation.merged`). Over texts (:func:`saturation`), each text is read
from the zero state, forward only (no loss, no gradients, no Jacobian). A text longer
than :data:`PIECE_TOKENS` tokens is read in pieces so memory stays bounded; a
unidirectional model carries h and c from one piece to the next (the counts are those of
one trace of the whole text), a bidirectional model starts each piece from zero (its
reverse direction needs the piece's end).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import Cancelled, ConfigError, TextError, shown
from ..limits import MAX_TEXT_CHARS, check_number

if TYPE_CHECKING:
    from .model import Model
    from .trace import Trace

__all__ = ["DEFAULT_LEFT", "DEFAULT_RIGHT", "GATE_NAMES", "PIECE_TOKENS", "Saturation",
           "SaturationKey", "check_thresholds", "countable_gates", "gate_bounds",
           "saturated_gates", "saturation", "trace_saturation"]

DEFAULT_LEFT = 0.1
DEFAULT_RIGHT = 0.9
#: Tokens traced at once when counting over texts: an LSTM of 256 units records about
#: 1,800 values a token, so a piece stays near 50 MB (``limits.MAX_TRACE_VALUES``).
PIECE_TOKENS = 1000
#: What each counted quantity is, in words (legends, tables).
GATE_NAMES = {"i": "input gate i", "f": "forget gate f", "o": "output gate o",
              "r": "reset gate r", "z": "update gate z", "h": "hidden state h"}
_GATES_BY_CELL = {"lstm": ("i", "f", "o"), "gru": ("r", "z"), "rnn": ("h",)}

#: (layer, direction, gate letter), e.g. ``(0, "fwd", "f")``.
SaturationKey = tuple[int, str, str]


def check_thresholds(left: Any, right: Any) -> tuple[float, float]:
    """``left`` and ``right`` as floats with 0 < left < right < 1; else a
    :class:`ConfigError` naming the one at fault."""
    fix = "use e.g. left 0.1 and right 0.9 (the paper's)"
    left = check_number("left", left, fix, low=0.0, high=1.0)
    right = check_number("right", right, fix, low=0.0, high=1.0)
    if left == 0.0:
        raise ConfigError(f"left must be above 0 (a gate is never below 0); {fix}",
                          argument="left")
    if right == 1.0:
        raise ConfigError(f"right must be below 1 (a gate is never above 1); {fix}",
                          argument="right")
    if not left < right:
        raise ConfigError(f"left {left:g} must be below right {right:g}; {fix}",
                          argument="left")
    return left, right


def countable_gates(cell: str, nonlinearity: str = "tanh") -> tuple[str, ...]:
    """The quantities counted for ``cell``: ``("i", "f", "o")``, ``("r", "z")``,
    ``("h",)`` (tanh RNN), or none (a ReLU RNN: its state has no saturating range)."""
    if cell == "rnn" and nonlinearity != "tanh":
        return ()
    return _GATES_BY_CELL[cell]


def gate_bounds(gate: str, left: float, right: float) -> tuple[float, float]:
    """The values a gate is saturated below and above: ``left`` and ``right`` on a
    gate's (0, 1), mapped to (-1, 1) for a tanh RNN's h (module docstring)."""
    return (2 * left - 1, 2 * right - 1) if gate == "h" else (left, right)


def saturated_gates(cell: str, nonlinearity: str = "tanh") -> tuple[str, ...]:
    """:func:`countable_gates`, and a :class:`ConfigError` saying why for a ReLU RNN."""
    gates = countable_gates(cell, nonlinearity)
    if not gates:
        raise ConfigError("a ReLU RNN has no gates and its state has no saturating range "
                          "(relu is unbounded above): saturation statistics need an LSTM, "
                          "a GRU or a tanh RNN", argument="model")
    return gates


def _read_only(values: np.ndarray) -> np.ndarray:
    values = np.array(values, dtype=np.int64)
    values.flags.writeable = False
    return values


@dataclass(frozen=True)
class Saturation:
    """Saturation counts per (layer, direction, gate): ``left_counts[key]`` and
    ``right_counts[key]`` are (H,) int64 counts over ``steps`` steps of ``texts`` texts;
    keys in layer, direction, gate order. Fractions are counts / steps."""

    cell: str
    left: float
    right: float
    steps: int
    texts: int
    left_counts: Mapping[SaturationKey, np.ndarray]
    right_counts: Mapping[SaturationKey, np.ndarray]

    @property
    def keys(self) -> tuple[SaturationKey, ...]:
        return tuple(self.left_counts)

    def left_fraction(self, key: SaturationKey) -> np.ndarray:
        """(H,) fraction of steps ``key``'s gate was below ``left``, per unit."""
        return self.left_counts[key] / self.steps

    def right_fraction(self, key: SaturationKey) -> np.ndarray:
        """(H,) fraction of steps ``key``'s gate was above ``right``, per unit."""
        return self.right_counts[key] / self.steps

    def means(self, key: SaturationKey) -> tuple[float, float]:
        """The gate's mean left and right fractions over its units."""
        return float(self.left_fraction(key).mean()), float(self.right_fraction(key).mean())

    def top_units(self, key: SaturationKey, side: str, count: int) -> list[tuple[int, float]]:
        """The ``count`` units of ``key``'s gate most often saturated on ``side``
        (``"left"`` or ``"right"``) as (unit, fraction), most first (ties: lower unit
        first); units never saturated there are left out."""
        fractions = self.left_fraction(key) if side == "left" else self.right_fraction(key)
        order = np.argsort(-fractions, kind="stable")[:count]
        return [(int(unit), float(fractions[unit])) for unit in order if fractions[unit] > 0]

    def definition(self) -> str:
        """One line: what left- and right-saturated mean for this cell."""
        if self.cell == "rnn":
            return (f"hidden state h (no gates): left-saturated h < {2 * self.left - 1:g}, "
                    f"right-saturated h > {2 * self.right - 1:g}")
        return f"left-saturated: gate < {self.left:g}; right-saturated: gate > {self.right:g}"

    def merged(self, other: Saturation) -> Saturation:
        """The counts of both (the same model's shape and thresholds), summed exactly."""
        same = (self.cell, self.left, self.right, self.keys) == (
            other.cell, other.left, other.right, other.keys)
        if not same or any(self.left_counts[key].shape != other.left_counts[key].shape
                           for key in self.keys):
            raise ConfigError("only saturation counts of one model shape with the same "
                              "thresholds can be merged")
        return Saturation(
            self.cell, self.left, self.right, self.steps + other.steps,
            self.texts + other.texts,
            {key: _read_only(self.left_counts[key] + other.left_counts[key])
             for key in self.keys},
            {key: _read_only(self.right_counts[key] + other.right_counts[key])
             for key in self.keys})

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: thresholds, steps, texts and per gate every unit's counts and
        fractions with the gate's means."""
        gates = []
        for key in self.keys:
            layer, direction, gate = key
            mean_left, mean_right = self.means(key)
            gates.append({
                "layer": layer, "direction": direction, "gate": gate,
                "name": GATE_NAMES[gate],
                "left_count": self.left_counts[key].tolist(),
                "right_count": self.right_counts[key].tolist(),
                "left_fraction": self.left_fraction(key).tolist(),
                "right_fraction": self.right_fraction(key).tolist(),
                "mean_left_fraction": mean_left, "mean_right_fraction": mean_right,
            })
        return {"cell": self.cell, "left": self.left, "right": self.right,
                "definition": self.definition(), "steps": self.steps, "texts": self.texts,
                "gates": gates}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Saturation:
        """The counts :meth:`to_dict` wrote (a corpus manifest keeps them); fractions and
        means are recomputed from the counts, never read."""
        gates = data["gates"]
        keys = [(int(gate["layer"]), str(gate["direction"]), str(gate["gate"]))
                for gate in gates]
        paired = list(zip(keys, gates, strict=True))
        return cls(str(data["cell"]), float(data["left"]), float(data["right"]),
                   int(data["steps"]), int(data["texts"]),
                   {key: _read_only(gate["left_count"]) for key, gate in paired},
                   {key: _read_only(gate["right_count"]) for key, gate in paired})


def trace_saturation(trace: Trace, left: float = DEFAULT_LEFT,
                     right: float = DEFAULT_RIGHT) -> Saturation:
    """The saturation counts of one trace (every layer and direction; see the module
    docstring for what is counted)."""
    left, right = check_thresholds(left, right)
    rec = trace.config.recurrent
    gates = saturated_gates(rec.cell, rec.nonlinearity)
    if trace.steps == 0:
        raise TextError("the trace has no steps to count")
    left_counts, right_counts = {}, {}
    for layer in range(rec.num_layers):
        for direction in rec.directions:
            recorded = trace.layers[layer, direction]
            for gate in gates:
                values = recorded.quantities()[gate]
                low, high = gate_bounds(gate, left, right)
                left_counts[layer, direction, gate] = _read_only((values < low).sum(axis=0))
                right_counts[layer, direction, gate] = _read_only((values > high).sum(axis=0))
    return Saturation(rec.cell, left, right, trace.steps, 1, left_counts, right_counts)


def saturation(
    model: Model,
    texts: str | Iterable[str],
    left: float = DEFAULT_LEFT,
    right: float = DEFAULT_RIGHT,
    should_stop: Callable[[], bool] | None = None,
) -> Saturation:
    """Saturation counts of ``model`` over one text or many, summed (see the module
    docstring: each text from the zero state, forward only, long texts in pieces).

    ``texts``: a string (one text) or an iterable of strings (read one at a time, so a
    generator over a large file keeps memory bounded, e.g.
    :func:`rnnstudio.io.text_stream.read_paragraphs`). Texts without tokens are skipped;
    none at all is a :class:`TextError`. ``should_stop()`` is checked between pieces.
    """
    left, right = check_thresholds(left, right)
    rec = model.config.recurrent
    saturated_gates(rec.cell, rec.nonlinearity)  # a ReLU RNN fails before any reading
    if isinstance(texts, str):
        texts = [texts]
    elif not isinstance(texts, Iterable) or isinstance(texts, (bytes, bytearray)):
        raise TypeError(f"texts must be a string or an iterable of strings, got {shown(texts)}")
    total: Saturation | None = None
    for position, text in enumerate(texts):
        counted = _text_saturation(model, _checked_text(position, text), left, right,
                                   should_stop)
        if counted is not None:
            total = counted if total is None else total.merged(counted)
    if total is None:
        raise TextError("the texts hold no tokens: give at least one non-empty text")
    return total


def _checked_text(position: int, text: Any) -> str:
    if not isinstance(text, str):
        raise TypeError(f"text {position} is {shown(text)}, not a string")
    if len(text) > MAX_TEXT_CHARS:
        raise TextError(f"text {position} has {len(text):,} characters, more than the "
                        f"{MAX_TEXT_CHARS:,} read at once: split it into paragraphs")
    return text


def _text_saturation(model: Model, text: str, left: float, right: float,
                     should_stop: Callable[[], bool] | None) -> Saturation | None:
    """One text's counts, read in pieces of at most :data:`PIECE_TOKENS` tokens (state
    carried for a unidirectional model); None for a text without tokens."""
    tokens = model.tokenizer.split(text)
    piece = min(PIECE_TOKENS, model.config.max_tokens())
    rec = model.config.recurrent
    hidden = cell = None
    total: Saturation | None = None
    for start in range(0, len(tokens), piece):
        if should_stop is not None and should_stop():
            raise Cancelled("saturation statistics cancelled")
        trace = model.trace(tokens[start:start + piece], loss=None, jacobian=False,
                            h0=hidden, c0=cell, should_stop=should_stop)
        counted = trace_saturation(trace, left, right)
        total = counted if total is None else total.merged(counted)
        if not rec.bidirectional:  # the next piece goes on from where this one ended
            hidden = np.stack([trace.layers[k, "fwd"].h[-1] for k in range(rec.num_layers)])
            if rec.cell == "lstm":
                cell = np.stack([trace.layers[k, "fwd"].c[-1]  # type: ignore[index]
                                 for k in range(rec.num_layers)])
    if total is None:
        return None
    return Saturation(total.cell, left, right, total.steps, 1, total.left_counts,
                      total.right_counts)
