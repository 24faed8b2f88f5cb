"""The shape of a recurrent stack, with PyTorch's ``nn.RNN/LSTM/GRU`` arguments."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..errors import ConfigError

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


@dataclass(frozen=True)
class RecurrentConfig:
    """Arguments of ``torch.nn.RNN/LSTM/GRU`` (``batch_first`` and dropout do not apply).

    ``cell`` is ``"rnn"``, ``"lstm"`` or ``"gru"``; ``nonlinearity`` only matters for
    ``"rnn"`` and ``proj_size`` only for ``"lstm"``.
    """

    cell: str
    input_size: int
    hidden_size: int
    num_layers: int = 1
    nonlinearity: str = "tanh"
    bias: bool = True
    bidirectional: bool = False
    proj_size: int = 0

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ConfigError(f"unknown cell {self.cell!r}: use one of {', '.join(CELLS)}")
        if self.nonlinearity not in NONLINEARITIES:
            raise ConfigError(
                f"unknown nonlinearity {self.nonlinearity!r}: use 'tanh' or 'relu'"
            )
        for name in ("input_size", "hidden_size", "num_layers"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name} must be a whole number >= 1, got {value!r}")
        if self.proj_size < 0 or (self.proj_size and self.cell != "lstm"):
            raise ConfigError("proj_size is for LSTM only and must be >= 0")
        if self.proj_size and self.proj_size >= self.hidden_size:
            raise ConfigError(
                f"proj_size ({self.proj_size}) must be smaller than hidden_size "
                f"({self.hidden_size}), as in torch.nn.LSTM"
            )

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
        """Human name: ``RNN (tanh)``, ``LSTM``, ``GRU``."""
        return f"RNN ({self.nonlinearity})" if self.cell == "rnn" else self.cell.upper()

    def layer_input_size(self, layer: int) -> int:
        return self.input_size if layer == 0 else self.output_size * self.num_directions

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RecurrentConfig:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown recurrent config keys: {', '.join(sorted(unknown))}")
        return cls(**data)
