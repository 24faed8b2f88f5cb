"""ONNX models (``.onnx``), read through the ``onnx`` package without running them.

Recognised: an optional ``Gather`` on a constant table (the embedding), a chain of
``LSTM``/``GRU``/``RNN`` nodes (one node per layer, the exporter's Transpose/Reshape/
Squeeze/Concat glue in between), and an optional ``Gemm`` or ``MatMul`` (+ ``Add``) head
that reads every step, the last step or the final states (PyTorch's ``h_n``). Weights may
be initializers or ``Constant`` nodes, or computed from them by the few ops
:mod:`.onnx_graph` folds. Gate orders and layout are converted by :mod:`.onnx_cells`.
What the graph's numbers do is checked with :class:`~.onnx_graph.Flow` labels, not
assumed from names: each recurrent node must read the previous node's outputs (both
directions, forward first) in time order, and the head one of the readouts above.
Any other graph is refused with one line naming the op and the file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelFileError
from .messages import library_line
from .onnx_cells import CELLS, RecurrentNode
from .onnx_graph import (
    MIN_FOLD_VALUES,
    Flow,
    FoldBudget,
    GraphWalk,
    Unknown,
    Value,
    attributes,
    constant_value,
)
from .onnx_head import head_bias, linear_head, pooled_outputs
from .onnx_recurrent import node_outputs, recurrent_config, recurrent_params
from .state_dict import FileContents, conversion_notes

__all__ = ["INSTALL_HINT", "read_onnx"]

INSTALL_HINT = 'pip install "rnnstudio[onnx]"'
#: Protobuf cannot parse a message of 2 GB or more (and ONNX stores bigger weights
#: in external files, which are refused).
MAX_ONNX_BYTES = 2**31 - 1
#: Probe lengths for input dimensions the file leaves open (time, batch): distinct,
#: so that a glue op that swapped them would be seen.
_PROBE_SIZES = (5, 3)
_HEAD_OPS = ("MatMul", "Gemm")


def read_onnx(path: Path) -> FileContents:
    """The weights of an ONNX recurrent model under PyTorch's names, its recurrent
    configuration (and readout, when the head reads one vector per text) and notes on
    what was converted.

    Raises :class:`ModelFileError` (one line naming the file) when ``onnx`` is missing,
    the file is no ONNX model, or its graph is not one RNN Studio can compute exactly.
    """
    try:
        import onnx
    except ImportError as exc:
        raise ModelFileError(f"{path}: reading ONNX files needs the onnx package: "
                             f"{INSTALL_HINT}") from exc
    model = _parse(onnx, path)
    graph = model.graph
    constants = {tensor.name: constant_value(tensor, path) for tensor in graph.initializer}
    size = path.stat().st_size
    reading = _Reading(path, FoldBudget(path, size + MIN_FOLD_VALUES))
    walk = GraphWalk(path, reading.budget, reading.handlers())
    walk.values.update(constants)
    external = sorted({entry.value for tensor in graph.initializer
                       for entry in tensor.external_data if entry.key == "location"})
    if external:
        reading.notes.append(f"weights from {', '.join(external)}")
    reading.walk = walk
    walk.values[_data_input(graph, constants, path)] = reading.probe(graph, constants)
    walk.run(graph.node, [value.name for value in graph.output])
    return reading.contents()


def _parse(onnx: Any, path: Path) -> Any:
    """The ``ModelProto``, read within :data:`MAX_ONNX_BYTES`; protobuf's own error
    (truncated, not protobuf) as one line."""
    from google.protobuf.message import DecodeError  # type: ignore[import-untyped]

    try:
        size = path.stat().st_size
        if size > MAX_ONNX_BYTES:
            raise ModelFileError(f"{path}: {size:,} bytes, more than an ONNX file can hold "
                                 "(2 GB); RNN Studio does not read external ONNX weights")
        data = path.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise ModelFileError(f"{path}: not a readable ONNX model (truncated or corrupt: "
                             f"{library_line(exc)}); export it again") from exc
    if not model.graph.node:
        raise ModelFileError(f"{path}: holds no ONNX graph (empty, truncated or not an "
                             "ONNX model); export it again")
    return model


def _data_input(graph: Any, constants: Mapping[str, object], path: Path) -> str:
    """The name of the graph's one real input (older exporters list initializers too)."""
    names = [value.name for value in graph.input if value.name not in constants]
    if len(names) != 1:
        raise ModelFileError(f"{path}: the ONNX graph takes {len(names)} inputs "
                             f"({', '.join(names) or 'none'}); RNN Studio reads models whose "
                             "only input is the token ids or the input vectors")
    return names[0]


@dataclass
class _Reading:
    """What the walk through the graph found: embedding, recurrent nodes, head."""

    path: Path
    budget: FoldBudget
    walk: GraphWalk | None = None
    probe_flow: Flow | None = None
    embedding: np.ndarray | None = None
    nodes: list[RecurrentNode] = field(default_factory=list)
    outputs: list[np.ndarray] = field(default_factory=list)  # node k: (T, D, B, H) labels
    head_weight: np.ndarray | None = None  # (C, F)
    head_bias: np.ndarray | None = None
    readout: str | None = None  # None: the head reads every step
    pooled: tuple[str, np.ndarray] | None = None  # ("mean" | "max", labels (B, F))
    notes: list[str] = field(default_factory=list)

    def handlers(self) -> dict[str, Any]:
        recurrent = {op: self.recurrent for op in CELLS}
        return {"Constant": self.constant, "Gather": self.gather, "Cast": self.cast,
                "Add": self.add, "Softmax": self.final_activation,
                "LogSoftmax": self.final_activation, "ReduceMean": self.pool,
                "ReduceMax": self.pool, **recurrent,
                **{op: self.head for op in _HEAD_OPS}}

    # -------------------------------------------------------------- the input probe
    def probe(self, graph: Any, constants: Mapping[str, object]) -> Flow:
        """Numbered stand-in for the graph's input: token positions (integer ids) or
        input vector entries (floats), in the declared shape, open sizes from
        :data:`_PROBE_SIZES`."""
        value = next(item for item in graph.input if item.name not in constants)
        tensor_type = value.type.tensor_type
        dims = [dim.dim_value if dim.HasField("dim_value") and dim.dim_value > 0 else None
                for dim in tensor_type.shape.dim]
        is_ids = tensor_type.elem_type in (6, 7)  # int32, int64
        if not (1 <= len(dims) <= 2 + (not is_ids)) or not is_ids and dims[-1] is None:
            raise ModelFileError(
                f"{self.path}: the graph's input {value.name!r} has shape "
                f"{[d or '?' for d in dims]}; RNN Studio reads token ids (time, batch) or "
                "input vectors (time, batch, features) with a fixed feature size")
        open_sizes = iter(_PROBE_SIZES)
        shape = [size if size is not None else next(open_sizes) for size in dims]
        self.budget.take(math.prod(shape), "input")
        labels = np.arange(math.prod(shape), dtype=np.int64).reshape(shape)
        self.probe_flow = Flow(labels, "ids" if is_ids else "input")
        return self.probe_flow

    # ------------------------------------------------------------------- handlers
    def constant(self, node: Any, inputs: list[Value | None]) -> list[Value]:
        attrs = {attribute.name: attribute for attribute in node.attribute}
        if "value" in attrs:
            return [constant_value(attrs["value"].t, self.path)]
        for key, kind in (("value_float", np.float32), ("value_int", np.int64)):
            if key in attrs:
                return [np.array(attributes(node)[key], dtype=kind)]
            if key + "s" in attrs:
                return [np.array(attributes(node)[key + "s"], dtype=kind)]
        return [Unknown(f"an ONNX Constant node {node.name or 'Constant'!r}")]

    def gather(self, node: Any, inputs: list[Value | None]) -> list[Value] | None:
        """``Gather(table, ids)``: the embedding; any other Gather is folded."""
        table, ids = inputs[0], inputs[1]
        if not (isinstance(ids, Flow) and ids.level == "ids" and isinstance(table, np.ndarray)):
            return None
        if self.embedding is not None or table.ndim != 2 or table.dtype.kind != "f" or \
                attributes(node).get("axis", 0) != 0:
            raise ModelFileError(f"{self.path}: ONNX Gather node {node.name!r} is not an "
                                 "embedding RNN Studio reads (one float table, rows by id)")
        self.embedding = table
        width = table.shape[1]
        self.budget.take(ids.labels.size * width, "Gather")
        return [Flow(ids.labels[..., None] * width + np.arange(width), "input")]

    def cast(self, node: Any, inputs: list[Value | None]) -> list[Value] | None:
        """Token ids may be cast (int32 <-> int64) before the embedding."""
        data = inputs[0]
        return [data] if isinstance(data, Flow) and data.level == "ids" else None

    def recurrent(self, node: Any, inputs: list[Value | None]) -> list[Value]:
        return node_outputs(self, node, inputs)

    def head(self, node: Any, inputs: list[Value | None]) -> list[Value] | None:
        return linear_head(self, node, inputs)

    def add(self, node: Any, inputs: list[Value | None]) -> list[Value] | None:
        return head_bias(self, node, inputs)

    def pool(self, node: Any, inputs: list[Value | None]) -> list[Value] | None:
        return pooled_outputs(self, node, inputs)

    def final_activation(self, node: Any, inputs: list[Value | None]) -> list[Value] | None:
        """Softmax after the head: the model's logits are what RNN Studio shows."""
        data = inputs[0]
        if not (isinstance(data, Flow) and data.level == "logits"):
            return None
        self.notes.append(f"the graph's final {node.op_type} is left out: logits are shown")
        return [data]

    # ------------------------------------------------------------------- the result
    def contents(self) -> FileContents:
        if not self.nodes:
            raise ModelFileError(f"{self.path}: the ONNX graph has no LSTM, GRU or RNN node; "
                                 "RNN Studio reads recurrent models")
        params = recurrent_params(self)
        config: dict[str, Any] = {"recurrent": recurrent_config(self)}
        if self.embedding is not None:
            params["embedding.weight"] = self.embedding
        if self.head_weight is not None:
            params["head.weight"] = self.head_weight
            if self.head_bias is None:
                self.head_bias = np.zeros(len(self.head_weight), self.head_weight.dtype)
                self.notes.append("the head has no bias: zeros")
            params["head.bias"] = self.head_bias
            if self.readout is not None:
                config.update(readout=self.readout, task="classify")
            else:  # the graph shows the head reads every step: a tagger or a language model
                config.update(readout="per-step")
        widened = [name for name, value in params.items() if value.dtype == np.float16]
        params = {name: value.astype(np.float32) if name in widened else value
                  for name, value in params.items()}
        notes = (*self.notes, *conversion_notes({"float16": widened}))
        return FileContents(params, config, notes)
