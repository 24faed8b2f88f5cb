"""The linear head of an ONNX graph (``Gemm``, or ``MatMul`` then ``Add``) and what it
reads, found by labels: every step of the top layer, its last step, or its final
states (PyTorch's ``cat(h_n[-2], h_n[-1])``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ModelFileError
from .onnx_graph import Flow, Value, attributes

if TYPE_CHECKING:
    from .onnx_file import _Reading

__all__ = ["head_bias", "linear_head"]

#: What the head reads -> the note's words.
_READS = {None: "every step", "last-step": "the last step", "final-states": "the final states"}


def linear_head(reading: _Reading, node: Any, inputs: list[Value | None]) -> list[Value] | None:
    """``MatMul(outputs, W)`` or ``Gemm(outputs, B, C)``: the head; a product of
    constants is folded (None)."""
    data = inputs[0]
    if not isinstance(data, Flow):
        return None
    assert reading.walk is not None
    op = node.op_type
    where = f"{reading.path}: ONNX {op} node {node.name or op!r}"
    if not reading.nodes:
        raise ModelFileError(f"{where} computes with the model's data before any LSTM, GRU "
                             "or RNN node: the recurrence is unrolled into plain ops (the "
                             "dynamo exporter does this to nn.RNN); export with "
                             "torch.onnx.export(..., dynamo=False)")
    if data.level != len(reading.nodes) - 1 or reading.head_weight is not None:
        raise ModelFileError(f"{where} is not a head on the last recurrent layer's outputs;"
                             " RNN Studio reads one linear head after the recurrent layers")
    attrs = attributes(node)
    weight = reading.walk.constant(inputs[1], f"{where}: its weight")
    if op == "Gemm":
        if attrs.get("transA", 0):
            raise ModelFileError(f"{where} transposes the data (transA=1); RNN Studio reads "
                                 "a head on (batch, features) rows")
        weight = weight.T if attrs.get("transB", 0) else weight
    if weight.ndim != 2 or weight.dtype.kind != "f" or weight.shape[0] != data.labels.shape[-1]:
        raise ModelFileError(f"{where}: weight of shape {weight.shape} does not map "
                             f"{data.labels.shape[-1]} features to classes")
    alpha = float(attrs.get("alpha", 1.0))
    reading.head_weight = np.ascontiguousarray((weight * alpha if alpha != 1 else weight).T)
    reading.readout = _readout(reading, data.labels, where)
    if op == "Gemm" and len(inputs) > 2 and inputs[2] is not None:
        bias = reading.walk.constant(inputs[2], f"{where}: its C input")
        _add_bias(reading, bias * float(attrs.get("beta", 1.0)), where)
    reading.notes.append(f"head: ONNX {op} reading {_READS[reading.readout]}")
    shape = (*data.labels.shape[:-1], len(reading.head_weight))
    reading.budget.take(int(np.prod(shape)), op)
    return [Flow(np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape), "logits")]


def head_bias(reading: _Reading, node: Any, inputs: list[Value | None]) -> list[Value] | None:
    """``Add(logits, b)``: the head's bias; any other Add is folded (None)."""
    flows = [value for value in inputs if isinstance(value, Flow)]
    if len(flows) != 1 or flows[0].level != "logits" or len(inputs) != 2:
        return None
    assert reading.walk is not None
    where = f"{reading.path}: ONNX Add node {node.name or 'Add'!r}"
    other = inputs[1] if inputs[0] is flows[0] else inputs[0]
    _add_bias(reading, reading.walk.constant(other, f"{where}: the head's bias"), where)
    return [flows[0]]


def _add_bias(reading: _Reading, bias: np.ndarray, where: str) -> None:
    assert reading.head_weight is not None
    classes = len(reading.head_weight)
    if bias.dtype.kind != "f" or bias.size not in (1, classes) or \
            bias.ndim > 1 and bias.shape[-1] != bias.size:
        raise ModelFileError(f"{where}: a bias of shape {bias.shape} for {classes} classes; "
                             "RNN Studio reads one bias per class")
    row = np.broadcast_to(bias.reshape(-1), (classes,)).astype(reading.head_weight.dtype)
    reading.head_bias = row if reading.head_bias is None else reading.head_bias + row


def _readout(reading: _Reading, labels: np.ndarray, where: str) -> str | None:
    """None when the head reads every step of the top layer (in time or batch order),
    ``last-step`` or ``final-states`` for one vector per sequence."""
    outputs = reading.outputs[-1]  # (T, D, B, H)
    steps, directions, batch, hidden = outputs.shape
    top = outputs.transpose(0, 2, 1, 3).reshape(steps, batch, directions * hidden)
    rows = labels.reshape(-1, labels.shape[-1])
    candidates: list[tuple[str | None, np.ndarray]] = [
        (None, top.reshape(-1, top.shape[-1])),
        (None, top.transpose(1, 0, 2).reshape(-1, top.shape[-1])),
        ("last-step", top[-1]),
    ]
    if directions == 2:
        final = np.concatenate([top[-1, :, :hidden], top[0, :, hidden:]], axis=-1)
        candidates.append(("final-states", final))
    for readout, expected in candidates:
        if np.array_equal(rows, expected):
            return readout
    raise ModelFileError(f"{where} reads neither every step, the last step nor the final "
                         "states of the top layer (pooled or reordered); RNN Studio cannot "
                         "compute that head")
