"""The shape of a recurrent stack, with PyTorch's ``nn.RNN/LSTM/GRU`` arguments."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..errors import ConfigError
from ..limits import (
    MAX_HIDDEN_SIZE,
    MAX_INPUT_SIZE,
    MAX_LAYERS,
    MAX_PARAMETERS,
    check_flag,
    check_whole,
)

CELLS = ("rnn", "lstm", "gru")
NONLINEARITIES = ("tanh", "relu")

#: Gate names in PyTorch's row order, per cell (``g``/``n`` is the candidate).
GATES: dict[str, tuple[str, ...]] = {
    "rnn": (), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n"),
}

#: Rows of ``weight_ih``/``weight_hh`` per hidden unit.
GATE_COUNT = {"rnn": 1, "lstm": 4, "gru": 3}

GATE_DESCRIPTIONS = {
    "i": "input gate: how much of the candidate is written into the cell state",
    "f": "forget gate: how much of the old cell state is kept",
    "g": "candidate: the new content proposed for the cell state",
    "o": "output gate: how much of the squashed cell state is shown as h",
    "r": "reset gate: how much of the old state the candidate may look at",
    "z": "update gate: how much of the old state is kept instead of the candidate",
    "n": "candidate: the new state proposed from the input and the reset old state",
}


#: The size arguments, their ranges (:mod:`rnnstudio.limits`) and what to do outside.
SIZE_RANGES: dict[str, tuple[int, int, str]] = {
    "input_size": (1, MAX_INPUT_SIZE, "give an input size in that range"),
    "hidden_size": (1, MAX_HIDDEN_SIZE, "give a hidden size in that range"),
    "num_layers": (1, MAX_LAYERS, "give a layer count in that range"),
    "proj_size": (0, MAX_HIDDEN_SIZE - 1, "use 0 (no projection) or fewer units than "
                  "hidden_size"),
}


def check_size(name: str, value: object) -> int:
    """One size argument of :class:`RecurrentConfig` (``hidden_size`` ...) within its
    range, as an ``int``; else :class:`ConfigError` naming it. Lets a caller check a
    size before reading a file whose configuration it overrides."""
    low, high, fix = SIZE_RANGES[name]
    return check_whole(name, value, low, high, fix)


@dataclass(frozen=True)
class RecurrentConfig:
    """Arguments of ``torch.nn.RNN/LSTM/GRU`` (``batch_first`` and dropout do not apply).

    ``cell`` is ``"rnn"``, ``"lstm"`` or ``"gru"``; ``nonlinearity`` only matters for
    ``"rnn"`` and ``proj_size`` only for ``"lstm"``. ``reset_after`` (GRU only) is
    PyTorch's candidate ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``; False is the
    form PyTorch cannot express, ``n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)``
    (Keras ``GRU(reset_after=False)``, ONNX ``GRU`` with ``linear_before_reset=0``).
    """

    cell: str
    input_size: int
    hidden_size: int
    num_layers: int = 1
    nonlinearity: str = "tanh"
    bias: bool = True
    bidirectional: bool = False
    proj_size: int = 0
    reset_after: bool = True

    def __post_init__(self) -> None:
        """Check every argument against :mod:`rnnstudio.limits` before anything is
        allocated; values are stored as plain ``int``/``bool`` (NumPy's are accepted)."""
        if self.cell not in CELLS:
            raise ConfigError(f"unknown cell {self.cell!r}: use one of {', '.join(CELLS)}",
                              argument="cell")
        if self.nonlinearity not in NONLINEARITIES:
            raise ConfigError(f"unknown nonlinearity {self.nonlinearity!r}: use 'tanh' or "
                              "'relu'", argument="nonlinearity")
        canonical = {name: check_size(name, getattr(self, name)) for name in SIZE_RANGES}
        canonical["bias"] = check_flag("bias", self.bias)
        canonical["bidirectional"] = check_flag("bidirectional", self.bidirectional)
        canonical["reset_after"] = check_flag("reset_after", self.reset_after)
        for name, value in canonical.items():
            object.__setattr__(self, name, value)
        if self.proj_size and self.cell != "lstm":
            raise ConfigError(f"proj_size {self.proj_size} is for LSTM only; use 0 for a "
                              f"{self.cell.upper()}", argument="proj_size")
        if not self.reset_after and self.cell != "gru":
            raise ConfigError(f"reset_after=False is for GRU only; use True for a "
                              f"{self.kind}", argument="reset_after")
        if self.proj_size >= self.hidden_size:
            raise ConfigError(f"proj_size {self.proj_size} must be smaller than hidden_size "
                              f"({self.hidden_size}), as in torch.nn.LSTM", argument="proj_size")
        if self.parameter_count > MAX_PARAMETERS:
            raise ConfigError(f"hidden_size {self.hidden_size} with {self.num_layers} layer(s)"
                              f" makes {self.parameter_count:,} recurrent parameters, more "
                              f"than the {MAX_PARAMETERS:,} allowed; use fewer units or "
                              "layers", argument="hidden_size")

    @property
    def parameter_count(self) -> int:
        """Weights and biases of the stack (``torch.nn.LSTM(...).parameters()``),
        counted from the sizes alone, before anything is allocated."""
        rows = self.gate_count * self.hidden_size
        per_direction = sum(
            rows * (self.layer_input_size(layer) + self.output_size + 2 * self.bias)
            + self.proj_size * self.hidden_size
            for layer in range(self.num_layers))
        return per_direction * self.num_directions

    @property
    def gate_count(self) -> int:
        return GATE_COUNT[self.cell]

    @property
    def gates(self) -> tuple[str, ...]:
        return GATES[self.cell]

    @property
    def output_size(self) -> int:
        """Size of h: ``proj_size`` when set, else ``hidden_size``."""
        return self.proj_size or self.hidden_size

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def directions(self) -> tuple[str, ...]:
        return ("fwd", "bwd") if self.bidirectional else ("fwd",)

    @property
    def kind(self) -> str:
        """Human name: ``RNN (tanh)``, ``LSTM``, ``GRU``, ``GRU (reset before)``."""
        if self.cell == "rnn":
            return f"RNN ({self.nonlinearity})"
        return self.cell.upper() + ("" if self.reset_after else " (reset before)")

    def layer_input_size(self, layer: int) -> int:
        return self.input_size if layer == 0 else self.output_size * self.num_directions

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RecurrentConfig:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown recurrent config keys: {', '.join(sorted(unknown))}",
                              argument=sorted(unknown)[0])
        return cls(**data)
