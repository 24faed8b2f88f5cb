"""The recurrent nodes of an ONNX graph as one stack: each node checked to read the one
before it in time order (by labels), its outputs numbered for the next, and the
nodes' weights and configuration gathered under PyTorch's names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine.params import RNN_PREFIX, layer_suffix
from ..errors import ModelFileError
from .onnx_cells import RecurrentNode, read_recurrent_node
from .onnx_graph import Flow, Value, attributes

if TYPE_CHECKING:
    from .onnx_file import _Reading

__all__ = ["node_outputs", "recurrent_config", "recurrent_params"]

#: The inputs of ONNX LSTM (GRU and RNN have the first six).
INPUT_NAMES = ("X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P")
#: Labels of node k's outputs start at (k + 1) * this (the input's are below it).
LABEL_SPACE = 2**40
#: ONNX gate order -> PyTorch's, for the notes.
GATE_ORDERS = {"LSTM": "i,o,f,c -> i,f,g,o", "GRU": "z,r,h -> r,z,n", "RNN": ""}


def node_outputs(reading: _Reading, node: Any, inputs: list[Value | None]) -> list[Value]:
    """Read one recurrent node as the next layer; its Y, Y_h (and Y_c) as labels."""
    assert reading.walk is not None
    where = f"{reading.path}: ONNX {node.op_type} node {node.name or node.op_type!r}"
    attrs = attributes(node)
    batch_first = bool(attrs.get("layout", 0))
    steps, batch = _check_input(reading, inputs[0], batch_first, where)
    arrays: list[np.ndarray | None] = [None]
    for index, value in enumerate(inputs[1:], start=1):
        arrays.append(None if value is None else reading.walk.constant(
            value, f"{where}: its {INPUT_NAMES[index]} input"))
    _check_states(arrays, steps, where)
    cell = read_recurrent_node(node, attrs, arrays, reading.path)
    layer_input = inputs[0]
    assert isinstance(layer_input, Flow)
    if layer_input.labels.shape[-1] != cell.input_size:
        raise ModelFileError(f"{where} reads {layer_input.labels.shape[-1]} features but "
                             f"its W expects {cell.input_size}; the file is corrupt")
    directions, hidden = cell.directions, cell.hidden_size
    count = steps * directions * batch * hidden
    reading.budget.take(2 * count, node.op_type)
    layer = len(reading.nodes)
    offset = (layer + 1) * LABEL_SPACE
    sequence = offset + np.arange(count, dtype=np.int64).reshape(steps, directions, batch,
                                                                 hidden)
    final = np.stack([sequence[-1, 0], sequence[0, 1]]) if directions == 2 else sequence[-1]
    cell_final = offset + count + np.arange(directions * batch * hidden,
                                            dtype=np.int64).reshape(final.shape)
    reading.nodes.append(cell)
    reading.outputs.append(sequence)
    if batch_first:
        return [Flow(sequence.transpose(2, 0, 1, 3), layer),
                Flow(final.transpose(1, 0, 2), layer),
                Flow(cell_final.transpose(1, 0, 2), f"cell state {layer}")]
    return [Flow(sequence, layer), Flow(final, layer), Flow(cell_final, f"cell state {layer}")]


def _check_input(reading: _Reading, value: Value | None, batch_first: bool,
                 where: str) -> tuple[int, int]:
    """(steps, batch) of the node's X, after checking that it is the model's input (the
    first node) or the previous node's outputs, in time order."""
    level: str | int = "input" if not reading.nodes else len(reading.nodes) - 1
    what = ("the input sequence" if level == "input"
            else "the outputs of the recurrent node before it")
    if not isinstance(value, Flow) or value.level != level or value.labels.ndim != 3:
        raise ModelFileError(f"{where} does not read {what}; RNN Studio reads a chain of "
                             "recurrent layers")
    sequence = value.labels.transpose(1, 0, 2) if batch_first else value.labels
    steps, batch, width = sequence.shape
    if not any(np.array_equal(sequence, expected)
               for expected in _expected_inputs(reading, steps, batch, width)):
        raise ModelFileError(f"{where} reads {what} reordered or mixed (not each step's "
                             "vector in time order, directions concatenated forward first); "
                             "RNN Studio cannot compute it")
    return steps, batch


def _expected_inputs(reading: _Reading, steps: int, batch: int,
                     width: int) -> list[np.ndarray]:
    """The labels X (T, B, F) holds when it is the input in time order (for each way
    the input's axes may be time and batch) or the previous node's outputs."""
    if reading.nodes:
        previous = reading.outputs[-1]  # (T, D, B, H)
        if previous.shape[0] != steps or previous.shape[2] != batch:
            return []
        return [previous.transpose(0, 2, 1, 3).reshape(steps, batch, -1)]
    assert reading.probe_flow is not None
    shape = reading.probe_flow.labels.shape
    positions = shape if reading.probe_flow.level == "ids" else shape[:-1]
    candidates = []
    if len(positions) == 1 and (steps, batch) == (positions[0], 1):
        candidates.append(np.arange(steps)[:, None])
    if len(positions) == 2 and (steps, batch) == positions:
        candidates.append(np.arange(steps * batch).reshape(steps, batch))
    if len(positions) == 2 and (batch, steps) == positions:
        candidates.append(np.arange(steps * batch).reshape(batch, steps).T)
    return [position[..., None] * width + np.arange(width) for position in candidates]


def _check_states(arrays: list[np.ndarray | None], steps: int, where: str) -> None:
    """Every sequence as long as the input, and initial states of zeros."""
    lengths = arrays[4] if len(arrays) > 4 else None
    if lengths is not None and np.any(lengths != steps):
        raise ModelFileError(f"{where} has per-sequence lengths (sequence_lens); RNN Studio "
                             "reads every step of one sequence: export without them")
    for index in (5, 6):
        state = arrays[index] if len(arrays) > index else None
        if state is not None and np.any(state):
            raise ModelFileError(
                f"{where} starts from a non-zero {INPUT_NAMES[index]}; RNN Studio models "
                "start from zeros: export with zero states, and pass h0=/c0= to "
                "Model.trace to start elsewhere")


def recurrent_params(reading: _Reading) -> dict[str, np.ndarray]:
    """Every node's weights as ``rnn.weight_ih_l{k}[_reverse]`` ...; a node without
    biases next to one with them gets zeros (noted)."""
    params: dict[str, np.ndarray] = {}
    with_bias = [node for node in reading.nodes if "bias_ih" in node.weights]
    for layer, node in enumerate(reading.nodes):
        weights = dict(node.weights)
        if with_bias and node not in with_bias:
            rows = len(weights["weight_hh"])
            for suffix in ("", "_reverse")[: node.directions]:
                for name in ("bias_ih", "bias_hh"):
                    weights[name + suffix] = np.zeros(rows, weights["weight_hh"].dtype)
            reading.notes.append(f"ONNX node {node.name!r} has no B: zero biases")
        for name, value in weights.items():
            direction = "bwd" if name.endswith("_reverse") else "fwd"
            short = name.removesuffix("_reverse")
            params[f"{RNN_PREFIX}{short}_{layer_suffix(layer, direction)}"] = value
    return params


def recurrent_config(reading: _Reading) -> dict[str, Any]:
    """The stack's ``RecurrentConfig`` fields; every node must be the same kind of layer
    (the engine's stack is uniform)."""
    first = reading.nodes[0]
    for node in reading.nodes[1:]:
        for attribute in ("op", "nonlinearity", "reset_after", "directions", "hidden_size"):
            if getattr(node, attribute) != getattr(first, attribute):
                raise ModelFileError(
                    f"{reading.path}: ONNX nodes {first.name!r} and {node.name!r} differ in "
                    f"{attribute} ({getattr(first, attribute)} and "
                    f"{getattr(node, attribute)}); RNN Studio stacks identical layers")
    reading.notes.insert(0, _summary(first, len(reading.nodes)))
    return {"cell": first.cell, "input_size": first.input_size,
            "hidden_size": first.hidden_size, "num_layers": len(reading.nodes),
            "nonlinearity": first.nonlinearity,
            "bias": any("bias_ih" in node.weights for node in reading.nodes),
            "bidirectional": first.directions == 2, "proj_size": 0,
            "reset_after": first.reset_after}


def _summary(node: RecurrentNode, count: int) -> str:
    """``ONNX LSTM x2, bidirectional, gates i,o,f,c -> i,f,g,o`` and the like."""
    parts = [f"ONNX {node.op} x{count}"]
    if node.directions == 2:
        parts.append("bidirectional")
    if node.batch_first:
        parts.append("layout 1 (batch first)")
    if GATE_ORDERS[node.op]:
        parts.append(f"gates {GATE_ORDERS[node.op]}")
    if node.op == "GRU":
        parts.append("linear_before_reset=1" if node.reset_after
                     else "linear_before_reset=0 (reset before)")
    return ", ".join(parts)
