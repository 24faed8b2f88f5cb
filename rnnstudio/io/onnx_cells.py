"""ONNX ``LSTM``, ``GRU`` and ``RNN`` nodes as layers of PyTorch's layout.

ONNX (opset 7-22) stores a node's weights as ``W`` (D, G*H, I), ``R`` (D, G*H, H) and
``B`` (D, 2*G*H) = [Wb; Rb], D = 1 or 2 directions. Its gate order differs from
PyTorch's and is converted here:

* LSTM: ONNX i, o, f, c -> PyTorch i, f, g, o (c is PyTorch's candidate g);
* GRU: ONNX z, r, h -> PyTorch r, z, n; ``linear_before_reset=1`` is PyTorch's
  candidate ``r * (W_hn h + b_hn)`` (``reset_after=True``), 0 the reset-before form
  ``W_hn (r * h) + b_hn`` (``reset_after=False``);
* RNN: one block; activation ``Tanh`` or ``Relu``.

What the engine cannot compute exactly is refused by name: other activations,
``activation_alpha``/``activation_beta``, ``clip``, LSTM ``input_forget=1`` (coupled
gates) and peepholes (a non-zero ``P``), ``direction="reverse"`` alone, per-sequence
lengths and non-zero initial states (an RNN Studio model starts from zeros; pass
``h0=``/``c0=`` to ``Model.trace`` for another start).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelFileError

__all__ = ["RecurrentNode", "read_recurrent_node"]

#: ONNX op -> engine cell.
CELLS = {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn"}
#: PyTorch's gate blocks, each as the index of the ONNX block that holds it.
TORCH_BLOCKS = {"LSTM": (0, 2, 3, 1), "GRU": (1, 0, 2), "RNN": (0,)}
#: The activations of each op that PyTorch's cells use (per direction).
DEFAULT_ACTIVATIONS = {"LSTM": ("sigmoid", "tanh", "tanh"), "GRU": ("sigmoid", "tanh"),
                       "RNN": ("tanh",)}
_KNOWN_ATTRIBUTES = {"activations", "direction", "hidden_size", "layout",
                     "linear_before_reset", "input_forget"}
_REFUSED_ATTRIBUTES = {
    "clip": "clips the cell's pre-activations",
    "activation_alpha": "parametrises its activations",
    "activation_beta": "parametrises its activations",
}


@dataclass(frozen=True)
class RecurrentNode:
    """One ONNX recurrent node read as one layer (all its directions).

    ``weights`` holds PyTorch's short names with the direction suffix (``weight_ih``,
    ``weight_hh``, ``bias_ih``, ``bias_hh``, and ``..._reverse``), rows in PyTorch's
    gate order; no biases when the node has no ``B``.
    """

    name: str
    op: str
    nonlinearity: str
    reset_after: bool
    directions: int
    hidden_size: int
    input_size: int
    batch_first: bool
    weights: dict[str, np.ndarray]

    @property
    def cell(self) -> str:
        return CELLS[self.op]


def read_recurrent_node(node: Any, attrs: dict[str, Any], arrays: list[np.ndarray | None],
                        path: Path) -> RecurrentNode:
    """Check a recurrent node's attributes and convert its weights.

    ``arrays`` are its inputs as constants (None where absent or, for X, the data):
    X, W, R, B, sequence_lens, initial_h, initial_c, P. Initial states and
    ``sequence_lens`` must already be checked by the caller (they depend on the data's
    shape).
    """
    op, name = node.op_type, node.name or node.op_type
    where = f"{path}: ONNX {op} node {name!r}"
    for key in attrs:
        if key in _REFUSED_ATTRIBUTES:
            raise ModelFileError(f"{where} {_REFUSED_ATTRIBUTES[key]} ({key}); RNN Studio "
                                 "computes PyTorch's cells only: export without it")
        if key not in _KNOWN_ATTRIBUTES:
            raise ModelFileError(f"{where} has attribute {key!r}, which RNN Studio does not "
                                 "know")
    direction = _text(attrs.get("direction", b"forward"))
    if direction not in ("forward", "bidirectional"):
        raise ModelFileError(f"{where} runs in direction {direction!r}; RNN Studio has "
                             "forward and bidirectional layers only")
    directions = 2 if direction == "bidirectional" else 1
    if attrs.get("input_forget", 0):
        raise ModelFileError(f"{where} couples its input and forget gates (input_forget=1)"
                             "; RNN Studio computes PyTorch's LSTM only")
    nonlinearity = _activation(op, attrs, directions, where)
    weight_ih, weight_hh, bias = _weights(op, arrays, directions, attrs, where)
    if len(arrays) > 7 and arrays[7] is not None and np.any(arrays[7]):
        raise ModelFileError(f"{where} has peepholes (a non-zero P input); RNN Studio "
                             "computes PyTorch's LSTM, which has none")
    hidden = weight_hh.shape[2]
    weights: dict[str, np.ndarray] = {}
    rows = _torch_rows(op, hidden)
    for index in range(directions):
        suffix = "_reverse" if index else ""
        weights[f"weight_ih{suffix}"] = weight_ih[index][rows]
        weights[f"weight_hh{suffix}"] = weight_hh[index][rows]
        if bias is not None:
            size = len(rows)
            weights[f"bias_ih{suffix}"] = bias[index][:size][rows]
            weights[f"bias_hh{suffix}"] = bias[index][size:][rows]
    return RecurrentNode(name, op, nonlinearity, bool(attrs.get("linear_before_reset", 0))
                         if op == "GRU" else True, directions, hidden,
                         int(weight_ih.shape[2]), bool(attrs.get("layout", 0)), weights)


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _activation(op: str, attrs: dict[str, Any], directions: int, where: str) -> str:
    """``tanh`` or ``relu`` (the RNN's nonlinearity; ``tanh`` for LSTM and GRU), when
    every direction uses the activations PyTorch's cell has."""
    given = attrs.get("activations")
    if given is None:
        return "tanh"
    names = [_text(value).lower() for value in given]
    default = DEFAULT_ACTIVATIONS[op]
    per_direction = [tuple(names[k : k + len(default)])
                     for k in range(0, len(names), len(default))]
    allowed = [default] + ([("relu",)] if op == "RNN" else [])
    if len(per_direction) != directions or len(set(per_direction)) != 1 or \
            per_direction[0] not in allowed:
        raise ModelFileError(f"{where} uses activations {', '.join(names)}; RNN Studio "
                             f"computes {', '.join(default)}"
                             + (" (or Relu)" if op == "RNN" else "") + " in every direction")
    return per_direction[0][0] if op == "RNN" else "tanh"


def _weights(op: str, arrays: list[np.ndarray | None], directions: int,
             attrs: dict[str, Any], where: str,
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """W, R and B (or None) as floats, their shapes checked against each other."""
    blocks = len(TORCH_BLOCKS[op])
    found = []
    for index, label in ((1, "W"), (2, "R"), (3, "B")):
        array = arrays[index] if len(arrays) > index else None
        if array is not None and array.dtype.kind != "f":
            raise ModelFileError(f"{where}: its {label} holds {array.dtype} values; expected "
                                 "floating-point weights")
        found.append(array)
    weight_ih, weight_hh, bias = found
    if weight_ih is None or weight_hh is None:
        raise ModelFileError(f"{where} has no W or R input; the file is corrupt")
    if weight_hh.ndim != 3 or weight_hh.shape[0] != directions or \
            weight_hh.shape[1] != blocks * weight_hh.shape[2] or weight_hh.shape[2] == 0:
        raise ModelFileError(f"{where}: R has shape {weight_hh.shape}; expected "
                             f"({directions}, {blocks} * hidden, hidden)")
    hidden = weight_hh.shape[2]
    if attrs.get("hidden_size", hidden) != hidden:
        raise ModelFileError(f"{where}: hidden_size {attrs['hidden_size']} but R has "
                             f"{hidden} columns; the file is corrupt")
    if weight_ih.ndim != 3 or weight_ih.shape[:2] != weight_hh.shape[:2] or \
            weight_ih.shape[2] == 0:
        raise ModelFileError(f"{where}: W has shape {weight_ih.shape}; expected "
                             f"({directions}, {blocks * hidden}, input size)")
    if bias is not None and bias.shape != (directions, 2 * blocks * hidden):
        raise ModelFileError(f"{where}: B has shape {bias.shape}; expected "
                             f"({directions}, {2 * blocks * hidden})")
    return weight_ih, weight_hh, bias


def _torch_rows(op: str, hidden: int) -> np.ndarray:
    """Row indices that put an ONNX weight's gate blocks in PyTorch's order."""
    return np.concatenate([np.arange(block * hidden, (block + 1) * hidden)
                           for block in TORCH_BLOCKS[op]])
