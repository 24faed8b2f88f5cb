"""An ONNX graph read without running it: its constants folded in NumPy and the path of
the model's data followed by *labels*.

No inference engine is used. Constants (initializers, ``Constant`` nodes and the few
ops ``torch.onnx.export`` computes from them: Slice, Concat, Shape arithmetic, Expand
of zeros ...) are evaluated in NumPy. The model's input is replaced by a *probe* of the
declared shape whose elements are numbered (:class:`Flow`): layout ops (Transpose,
Reshape, Squeeze, Concat ...) move the numbers exactly as they would move the data, so
the reader can check, number by number, that each recurrent node reads the previous
one's outputs in time order and what the head reads, whatever glue the exporter put in
between. Any other op that touches the data is refused by name; recurrent nodes,
embedding and head are handled by the caller (``handlers``).

Nothing is trusted: every tensor's declared size must equal the bytes the file holds
before it is decoded, and every folded result is counted against a budget of values
(``FoldBudget``) before it is allocated.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelFileError

__all__ = ["Flow", "FoldBudget", "GraphWalk", "Unknown", "Value", "attributes",
           "constant_value", "tensor_array"]

#: Most dimensions of a tensor; ONNX RNN weights have 3, glue shapes up to 4 or 5.
MAX_DIMS = 8
#: Values folded in all, beyond the file's own size in values: room for the zero
#: initial states and shape vectors an exporter builds (a few thousand values).
MIN_FOLD_VALUES = 1_000_000
#: ONNX TensorProto data types read, as NumPy types (16-bit floats are widened later).
TENSOR_TYPES = {1: np.float32, 2: np.uint8, 3: np.int8, 5: np.int16, 6: np.int32,
                7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64}
#: ONNX op -> NumPy function for the element-wise ops of shape arithmetic.
_ELEMENTWISE: dict[str, Callable[..., Any]] = {
    "Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Equal": np.equal,
    "Neg": np.negative, "Abs": np.abs, "Where": np.where, "Less": np.less,
    "Greater": np.greater, "Max": np.maximum, "Min": np.minimum,
}


@dataclass(frozen=True)
class Flow:
    """The model's data at one point of the graph, as element numbers (int64 labels).

    ``level`` says what the numbers stand for: ``"ids"`` token positions,
    ``"input"`` input vector entries, an ``int`` k the outputs of recurrent node k,
    ``"logits"`` the head's outputs.
    """

    labels: np.ndarray
    level: str | int


@dataclass(frozen=True)
class Unknown:
    """A value this reader cannot compute; ``source`` names what made it, for the
    message if the value turns out to be needed (``"an ONNX Where node 'mask'"``)."""

    source: str


Value = np.ndarray | Flow | Unknown
#: A node's special reading: its output values, or None to fold it like any other.
Handler = Callable[[Any, list["Value | None"]], "list[Value] | None"]


@dataclass
class FoldBudget:
    """How many values folding may still allocate (the file's size in values, at least
    ``MIN_FOLD_VALUES``); :meth:`take` refuses a result before it is made."""

    path: Path
    left: int

    def take(self, count: int, op: str) -> None:
        """Count ``count`` values made by an ``op`` node (``"input"``: the probe)."""
        if count > self.left:
            maker = "the graph's input" if op == "input" else f"an ONNX {op} node"
            raise ModelFileError(f"{self.path}: {maker} would make {count:,} values, more "
                                 "than the file can describe; the graph is corrupt or not "
                                 "a recurrent model")
        self.left -= count


def attributes(node: Any) -> dict[str, Any]:
    """A node's attributes as Python values (ints, floats, strings, lists, tensors)."""
    from onnx import helper

    return {attribute.name: helper.get_attribute_value(attribute)
            for attribute in node.attribute}


def tensor_array(tensor: Any, path: Path) -> np.ndarray:
    """A ``TensorProto`` as an array, after checking that its declared shape matches
    the data it holds (a 1 KB file cannot declare a 40 GB tensor); unsupported types
    are refused by name. Weights in an external file (``torch.onnx.export``'s default
    ``external_data=True``) are read from the model's own folder, within that file."""
    from onnx import numpy_helper

    name = tensor.name or "(unnamed)"
    dims = [int(d) for d in tensor.dims]
    if len(dims) > MAX_DIMS or any(d < 0 for d in dims):
        raise ModelFileError(f"{path}: tensor {name!r} declares shape {dims}; the file is "
                             "corrupt")
    kind = TENSOR_TYPES.get(tensor.data_type)
    if kind is None:
        raise ModelFileError(f"{path}: tensor {name!r} has ONNX data type "
                             f"{tensor.data_type}, which RNN Studio does not read; export "
                             "float32 weights")
    count = math.prod(dims)
    if tensor.data_location == 1:  # TensorProto.EXTERNAL
        return _external_array(tensor, np.dtype(kind).newbyteorder("<"), dims, path)
    held = _values_held(tensor, np.dtype(kind))
    if held != count:
        raise ModelFileError(f"{path}: tensor {name!r} declares shape {dims} "
                             f"({count:,} values) but holds {held:,}; the file is truncated "
                             "or corrupt")
    return np.asarray(numpy_helper.to_array(tensor))


def constant_value(tensor: Any, path: Path) -> np.ndarray | Unknown:
    """An initializer or ``Constant`` tensor; one of a type RNN Studio does not read
    (strings ...) is :class:`Unknown`, refused only if something needs it."""
    if tensor.data_type not in TENSOR_TYPES:
        return Unknown(f"the ONNX tensor {tensor.name or '(unnamed)'!r} of data type "
                       f"{tensor.data_type}")
    return tensor_array(tensor, path)


def _external_array(tensor: Any, dtype: np.dtype, dims: list[int], path: Path) -> np.ndarray:
    """An external tensor's bytes: a file in the model's folder (no absolute path, no
    way out of it), ``offset`` and ``length`` inside that file and equal to the shape."""
    name = tensor.name or "(unnamed)"
    entries = {entry.key: entry.value for entry in tensor.external_data}
    folder = path.resolve().parent
    location = entries.get("location", "")
    source = (folder / location).resolve()
    if not location or Path(location).is_absolute() or not source.is_relative_to(folder):
        raise ModelFileError(f"{path}: tensor {name!r} names external data {location!r} "
                             "outside the model's folder; RNN Studio reads weights only "
                             "from files next to the model")
    nbytes = math.prod(dims) * dtype.itemsize
    try:
        offset, length = int(entries.get("offset", 0)), int(entries.get("length", nbytes))
        with source.open("rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if length != nbytes or offset < 0 or offset + length > size:
                raise ModelFileError(
                    f"{path}: tensor {name!r} declares shape {dims} ({nbytes:,} bytes) at "
                    f"bytes {offset:,}+{length:,} of {source.name} ({size:,} bytes); the "
                    "weights file is truncated or does not belong to this model")
            stream.seek(offset)
            data = stream.read(length)
    except ValueError as exc:
        raise ModelFileError(f"{path}: tensor {name!r} has a malformed external data "
                             "offset or length; export the model again") from exc
    except OSError as exc:
        raise ModelFileError(f"{path}: tensor {name!r}'s weights file {location!r} cannot "
                             f"be read ({exc.strerror or exc}); keep it next to the model"
                             ) from exc
    return np.frombuffer(data, dtype=dtype).reshape(dims)


def _values_held(tensor: Any, dtype: np.dtype) -> int:
    """How many values a tensor's data fields really hold."""
    if tensor.HasField("raw_data"):
        return len(tensor.raw_data) // dtype.itemsize
    fields = ("float_data", "int32_data", "int64_data", "double_data", "uint64_data")
    return max(len(getattr(tensor, name)) for name in fields)


@dataclass
class GraphWalk:
    """Evaluate a graph's nodes in order: constants folded, :class:`Flow` labels moved
    by layout ops, the rest handed to ``handlers`` (op -> function of the node and its
    input values, returning its output values)."""

    path: Path
    budget: FoldBudget
    handlers: Mapping[str, Handler]
    values: dict[str, Value] = field(default_factory=dict)

    def run(self, nodes: Sequence[Any], graph_outputs: Sequence[str]) -> None:
        """Every node whose outputs are used (by a node or as a graph output): an
        exporter leaves dead ones, e.g. the ArgMax beside ``torch.max(x, dim)``."""
        used = {name for node in nodes for name in node.input} | set(graph_outputs)
        for node in nodes:
            if not used.intersection(node.output):
                continue
            inputs = [self.value(name, node) if name else None for name in node.input]
            handler = self.handlers.get(node.op_type)
            outputs = None if handler is None else handler(node, inputs)
            if outputs is None:  # not the handler's case (a Gather that is no embedding)
                outputs = self._fold(node, inputs)
            for name, output in zip(node.output, outputs, strict=False):
                if name:
                    self.values[name] = output

    def value(self, name: str, node: Any) -> Value:
        if name not in self.values:
            raise ModelFileError(f"{self.path}: node {node.name or node.op_type!r} reads "
                                 f"{name!r}, which no earlier node makes; the graph is not "
                                 "in order or is corrupt")
        return self.values[name]

    def constant(self, value: Value | None, what: str) -> np.ndarray:
        """``value`` as an array, else a message naming ``what`` and why it is not one."""
        if isinstance(value, np.ndarray):
            return value
        if isinstance(value, Unknown):
            raise ModelFileError(f"{self.path}: {what} comes from {value.source}, which RNN "
                                 "Studio cannot evaluate")
        raise ModelFileError(f"{self.path}: {what} depends on the model's input; RNN "
                             "Studio reads it only as a constant")

    def _fold(self, node: Any, inputs: list[Value | None]) -> list[Value]:
        """A layout op on constants or labels, or shape arithmetic on constants; an op
        this reader does not know makes :class:`Unknown` outputs, and refuses if it
        touches the data."""
        flows = [value for value in inputs if isinstance(value, Flow)]
        op, label = node.op_type, node.name or node.op_type
        if op == "Shape" and flows:
            shape = flows[0].labels.shape
            return [np.array(shape, dtype=np.int64)[_shape_range(attributes(node))]]
        known = op in LAYOUT_OPS or op in CONSTANT_OPS
        operand_flow = op != "Concat" and any(isinstance(v, Flow) for v in inputs[1:])
        if flows and (op not in LAYOUT_OPS or operand_flow):
            raise ModelFileError(f"{self.path}: ONNX op {op} (node {label!r}) computes with "
                                 "the model's data; RNN Studio reads embedding (Gather), "
                                 "LSTM/GRU/RNN nodes, layout ops and a linear head")
        if not known or any(isinstance(value, Unknown) for value in inputs):
            return [Unknown(f"an ONNX {op} node {label!r}") for _ in node.output]
        if len({flow.level for flow in flows}) > 1:
            inputs = self._top_level_only(op, label, inputs)
            flows = [value for value in inputs if isinstance(value, Flow)]
        arrays = [_as_labels(value, bool(flows) and op == "Concat") for value in inputs]
        attrs = {**attributes(node), "outputs": len(node.output)}
        try:
            results = evaluate(op, arrays, attrs, self.budget)
        except (ValueError, IndexError, TypeError, KeyError) as exc:
            raise ModelFileError(f"{self.path}: ONNX {op} node {label!r} cannot be "
                                 f"evaluated ({type(exc).__name__}: {exc}); the graph is "
                                 "corrupt") from exc
        if flows:
            return [Flow(np.asarray(result, dtype=np.int64), flows[0].level)
                    for result in results]
        return [np.asarray(result) for result in results]  # np.take gives 0-d scalars

    def _top_level_only(self, op: str, label: str, inputs: list[Value | None]
                        ) -> list[Value | None]:
        """A Concat of several recurrent nodes' outputs, as torch exports ``h_n``
        (every layer's final states, layer by layer): the top node's labels kept, the
        lower ones numbered -1, so a head reading ``hidden[-2], hidden[-1]`` is read
        and one that reads a lower layer is refused by :mod:`.onnx_head` (no -1 is an
        element of the top layer). Anything else mixing layers is a skip connection."""
        levels = {value.level for value in inputs if isinstance(value, Flow)}
        if op != "Concat" or not all(isinstance(level, int) for level in levels):
            raise ModelFileError(f"{self.path}: ONNX {op} node {label!r} mixes outputs of "
                                 "different layers; skip connections are not supported")
        top = max(level for level in levels if isinstance(level, int))
        return [Flow(np.full_like(value.labels, -1), top)
                if isinstance(value, Flow) and value.level != top else value
                for value in inputs]


def _as_labels(value: Value | None, concat_with_flows: bool) -> np.ndarray | None:
    """The array a folded op works on: labels for the data; next to labels, a Concat's
    constant part is numbered -1 (it stands for no element of the data)."""
    if isinstance(value, Flow):
        return value.labels
    if concat_with_flows and isinstance(value, np.ndarray):
        return np.full(value.shape, -1, dtype=np.int64)
    return value if isinstance(value, np.ndarray) else None


def _shape_range(attrs: dict[str, Any]) -> slice:
    return slice(attrs.get("start", 0), attrs.get("end"))


# ---------------------------------------------------------------- the ops themselves
LAYOUT_OPS = ("Identity", "Dropout", "Transpose", "Reshape", "Squeeze", "Unsqueeze",
              "Flatten", "Concat", "Slice", "Gather", "Split")
CONSTANT_OPS = ("Shape", "Size", "Cast", "ConstantOfShape", "Expand", "Range", "Div",
                *_ELEMENTWISE)


def evaluate(op: str, arrays: list[np.ndarray | None], attrs: dict[str, Any],
             budget: FoldBudget) -> list[np.ndarray]:
    """One op of :data:`LAYOUT_OPS` or :data:`CONSTANT_OPS` in NumPy, its result
    counted against ``budget`` before it is made."""
    first = arrays[0]
    assert first is not None
    if op in ("Identity", "Dropout"):
        return [first]
    if op == "Transpose":
        return [np.transpose(first, attrs.get("perm"))]
    if op == "Reshape":
        return [first.reshape(_reshape_target(first, _ints(arrays[1]),
                                              attrs.get("allowzero", 0)))]
    if op in ("Squeeze", "Unsqueeze"):
        axes = attrs.get("axes", _ints(arrays[1]) if len(arrays) > 1 else None)
        if op == "Squeeze":
            return [np.squeeze(first, None if axes is None else tuple(axes))]
        return [np.expand_dims(first, tuple(axes or ()))]
    if op == "Flatten":
        axis = attrs.get("axis", 1) % (first.ndim or 1)
        return [first.reshape(math.prod(first.shape[:axis]), -1)]
    if op == "Concat":
        present = [array for array in arrays if array is not None]
        budget.take(sum(array.size for array in present), op)
        return [np.concatenate(present, axis=attrs["axis"])]
    if op == "Slice":
        return [_slice(first, arrays, attrs)]
    if op == "Gather":
        indices = np.asarray(arrays[1])
        axis = attrs.get("axis", 0)
        budget.take(indices.size * first.size // max(first.shape[axis], 1), op)
        return [np.take(first, indices.astype(np.int64), axis=axis)]
    if op == "Split":
        return _split(first, arrays, attrs)
    return [_constant_op(op, arrays, attrs, budget)]


def _constant_op(op: str, arrays: list[np.ndarray | None], attrs: dict[str, Any],
                 budget: FoldBudget) -> np.ndarray:
    first = arrays[0]
    assert first is not None
    if op == "Shape":
        return np.array(first.shape, dtype=np.int64)[_shape_range(attrs)]
    if op == "Size":
        return np.array(first.size, dtype=np.int64)
    if op == "Cast":
        kind = TENSOR_TYPES.get(attrs["to"])
        if kind is None:
            raise ValueError(f"Cast to ONNX data type {attrs['to']} is not supported")
        return first.astype(kind)
    if op == "ConstantOfShape":
        shape = _ints(first)
        budget.take(math.prod(shape), op)
        fill = attrs.get("value")
        value = np.zeros(1, np.float32) if fill is None else _onnx_array(fill)
        return np.full(shape, value.reshape(-1)[0], dtype=value.dtype)
    if op == "Expand":
        target = np.broadcast_shapes(first.shape, tuple(_ints(arrays[1])))
        budget.take(math.prod(target), op)
        return np.broadcast_to(first, target)
    if op == "Range":
        start, limit, delta = (np.asarray(array).item() for array in arrays)
        budget.take(max(0, math.ceil((limit - start) / delta)) if delta else 0, op)
        return np.arange(start, limit, delta, dtype=first.dtype)
    present = [np.asarray(array) for array in arrays if array is not None]
    budget.take(math.prod(np.broadcast_shapes(*(array.shape for array in present))), op)
    if op == "Div":
        left, right = present
        if left.dtype.kind in "iu" and right.dtype.kind in "iu":
            return (np.trunc(left / right)).astype(left.dtype)  # ONNX: toward zero
        return np.asarray(left / right, dtype=left.dtype)
    return np.asarray(_ELEMENTWISE[op](*present))


def _onnx_array(tensor: Any) -> np.ndarray:
    from onnx import numpy_helper

    return np.asarray(numpy_helper.to_array(tensor))


def _ints(array: np.ndarray | None) -> list[int]:
    return [] if array is None else [int(value) for value in np.asarray(array).reshape(-1)]


def _reshape_target(array: np.ndarray, shape: list[int], allowzero: int) -> list[int]:
    """ONNX Reshape's target: 0 copies the input's dimension (unless ``allowzero``)."""
    if allowzero:
        return shape
    return [array.shape[index] if size == 0 else size for index, size in enumerate(shape)]


def _slice(array: np.ndarray, arrays: list[np.ndarray | None],
           attrs: dict[str, Any]) -> np.ndarray:
    """ONNX Slice (inputs since opset 10, attributes before)."""
    if len(arrays) > 1:
        starts, ends = _ints(arrays[1]), _ints(arrays[2])
        axes = _ints(arrays[3]) if len(arrays) > 3 and arrays[3] is not None else None
        steps = _ints(arrays[4]) if len(arrays) > 4 and arrays[4] is not None else None
    else:
        starts, ends, axes, steps = attrs["starts"], attrs["ends"], attrs.get("axes"), None
    axes = list(range(len(starts))) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    index: list[slice] = [slice(None)] * array.ndim
    for start, end, axis, step in zip(starts, ends, axes, steps, strict=True):
        size = array.shape[axis]
        # ONNX clamps huge ends (INT64_MAX) and starts: Python slices clamp the same way,
        # except end = -INT64_MAX-ish with a negative step, which means "past the start".
        stop = None if step < 0 and end < -size else end
        index[axis] = slice(start, stop, step)
    return array[tuple(index)]


def _split(array: np.ndarray, arrays: list[np.ndarray | None],
           attrs: dict[str, Any]) -> list[np.ndarray]:
    axis = attrs.get("axis", 0)
    sizes = attrs.get("split") or (_ints(arrays[1]) if len(arrays) > 1 else None)
    if not sizes:
        return list(np.array_split(array, attrs.get("num_outputs", attrs["outputs"]),
                                   axis=axis))
    return list(np.split(array, np.cumsum(sizes)[:-1], axis=axis))
