"""The linear head of an ONNX graph (``Gemm``, or ``MatMul`` then ``Add``) and what it
reads, found by labels: every step of the top layer, its last step, its final states
(PyTorch's ``cat(h_n[-2], h_n[-1])``), or their mean or maximum over the steps
(``ReduceMean``/``ReduceMax``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ModelFileError
from .onnx_graph import Flow, Value, attributes

if TYPE_CHECKING:
    from .onnx_file import _Reading

__all__ = ["head_bias", "linear_head", "pooled_outputs"]

#: What the head reads -> the note's words.
_READS = {None: "every step", "last-step": "the last step", "final-states": "the final states",
          "mean": "the mean over the steps", "max": "the maximum over the steps"}
#: Labels of a pooled vector (far above every recurrent node's).
POOLED_LABELS = 2**62
_POOLS = {"ReduceMean": "mean", "ReduceMax": "max"}


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
    if data.level not in (len(reading.nodes) - 1, "pooled") or reading.head_weight is not None:
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
    reading.readout = _readout(reading, data, where)
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


def pooled_outputs(reading: _Reading, node: Any,
                   inputs: list[Value | None]) -> list[Value] | None:
    """``ReduceMean``/``ReduceMax`` of the top layer's outputs over the steps: the
    ``mean``/``max`` readout; of constants, folded (None)."""
    data = inputs[0]
    if not isinstance(data, Flow):
        return None
    assert reading.walk is not None
    where = f"{reading.path}: ONNX {node.op_type} node {node.name or node.op_type!r}"
    attrs = attributes(node)
    axes = attrs.get("axes")
    if axes is None and len(inputs) > 1 and inputs[1] is not None:  # opset 18: an input
        axes = reading.walk.constant(inputs[1], f"{where}: its axes").reshape(-1).tolist()
    top = _top_outputs(reading) if reading.nodes else None
    if top is None or data.level != len(reading.nodes) - 1 or reading.pooled is not None or \
            axes is None or len(axes) != 1:
        raise ModelFileError(f"{where} is not a pooling of the last recurrent layer's "
                             "outputs over the steps; RNN Studio cannot compute it")
    axis = int(axes[0]) % data.labels.ndim
    steps = np.moveaxis(data.labels, axis, 0)
    if len(steps) != len(top) or not np.array_equal(
            np.sort(steps.reshape(len(steps), -1), axis=0),
            np.sort(top.reshape(len(top), -1), axis=0)):
        raise ModelFileError(f"{where} pools over something other than the steps of the "
                             "last recurrent layer's outputs; RNN Studio cannot compute it")
    rest = steps.shape[1:]
    reading.budget.take(int(np.prod(rest)), node.op_type)
    pooled = POOLED_LABELS + np.arange(int(np.prod(rest)), dtype=np.int64).reshape(rest)
    reading.pooled = (_POOLS[node.op_type], pooled.reshape(-1, top.shape[-1]))
    return [Flow(np.expand_dims(pooled, axis) if attrs.get("keepdims", 1) else pooled,
                 "pooled")]


def _top_outputs(reading: _Reading) -> np.ndarray:
    """The last node's output labels as the engine's top layer output (T, B, D * H)."""
    outputs = reading.outputs[-1]  # (T, D, B, H)
    steps, directions, batch, hidden = outputs.shape
    return outputs.transpose(0, 2, 1, 3).reshape(steps, batch, directions * hidden)


def _readout(reading: _Reading, data: Flow, where: str) -> str | None:
    """None when the head reads every step of the top layer (in time or batch order),
    else the readout of one vector per sequence."""
    rows = data.labels.reshape(-1, data.labels.shape[-1])
    if data.level == "pooled":
        assert reading.pooled is not None
        kind, expected = reading.pooled
        candidates: list[tuple[str | None, np.ndarray]] = [(kind, expected)]
    else:
        top = _top_outputs(reading)
        hidden = reading.outputs[-1].shape[-1]
        candidates = [(None, top.reshape(-1, top.shape[-1])),
                      (None, top.transpose(1, 0, 2).reshape(-1, top.shape[-1])),
                      ("last-step", top[-1])]
        if reading.nodes[-1].directions == 2:
            final = np.concatenate([top[-1, :, :hidden], top[0, :, hidden:]], axis=-1)
            candidates.append(("final-states", final))
    for readout, expected in candidates:
        if np.array_equal(rows, expected):
            return readout
    raise ModelFileError(f"{where} reads neither every step, the last step, the final "
                         "states nor a mean or maximum over the steps of the top layer "
                         "(reordered); RNN Studio cannot compute that head")
