"""Keras weights in PyTorch's layout: what a Keras recurrent model becomes in RNN Studio.

Keras stores a recurrent layer as ``kernel`` (input, G*H), ``recurrent_kernel``
(H, G*H) and ``bias``; PyTorch (and the engine) as ``weight_ih`` (G*H, input),
``weight_hh`` (G*H, H), ``bias_ih`` and ``bias_hh`` (G*H). So each matrix is
transposed, and the gate blocks reordered:

* LSTM: Keras ``i, f, c, o`` = PyTorch ``i, f, g, o`` (same order); one bias, so
  ``bias_ih = bias`` and ``bias_hh = 0`` (they are only ever added);
* GRU: Keras ``z, r, h`` -> PyTorch ``r, z, n``. ``reset_after=True`` (Keras 3's and
  tf.keras 2's default) is PyTorch's equation ``n = tanh(W_in x + b_in + r * (W_hn h +
  b_hn))``; its bias (2, 3H) holds the input and the recurrent biases. ``reset_after=False``
  (Keras 2.0's default) is ``n = tanh(W_in x + b_in + W_hn (r * h))``: one bias (3H,),
  ``bias_hh = 0``, and the engine's ``reset_after=False`` GRU;
* SimpleRNN: one block; ``activation`` tanh or relu is the nonlinearity.

A ``Bidirectional`` layer's forward half becomes ``_l{k}``, its backward half
``_l{k}_reverse`` (Keras re-aligns the backward outputs with forward time, as PyTorch).
The ``Dense`` head's kernel (D, C) is transposed to ``head.weight`` (C, D).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..engine.config import GATE_COUNT
from ..engine.tokenizers import tokens_by_index
from ..errors import ModelFileError
from ..limits import MAX_PARAMETERS
from .json_values import show
from .keras_config import DenseHead, KerasPlan, RecurrentLayer, plan_model
from .state_dict import FileContents, conversion_notes, widen_float16
from .vocab_options import OptionSources

__all__ = ["PADDING", "Shape", "Weights", "check_weight_shapes", "convert_keras",
           "keras_overrides", "keras_vocabulary"]

Shape = tuple[int, ...]
#: ``weights(layer_name, storage_key, expected_shapes)`` -> that layer's arrays in Keras's
#: own order (``layer.get_weights()``); the reader checks the shapes before it reads a
#: byte. ``storage_key`` is the layer's group in a ``.keras`` weights file.
Weights = Callable[[str, str, Sequence[Shape]], list[np.ndarray]]
LayerWeights = Callable[[str, Sequence[Shape]], list[np.ndarray]]

#: Keras gate blocks in the order PyTorch's rows want them.
_KERAS_BLOCKS = {"rnn": (0,), "lstm": (0, 1, 2, 3), "gru": (1, 0, 2)}
#: The token of embedding row 0 when a Keras ``word_index`` starts at 1 (Keras's padding).
PADDING = "<pad>"


def convert_keras(model_config: Mapping[str, Any], weights: Weights, where: str) -> FileContents:
    """The engine's parameters and configuration for a serialized Keras model.

    ``model_config`` is ``{"class_name": "Sequential" | "Functional", "config": ...}``;
    ``weights`` reads one layer's arrays. Raises :class:`ModelFileError` naming
    ``where`` and the layer for anything RNN Studio cannot run exactly.
    """
    plan = plan_model(model_config, where)
    _check_parameter_count(plan, where)

    def layer_weights(name: str, shapes: Sequence[Shape]) -> list[np.ndarray]:
        return weights(name, plan.storage_keys[name], shapes)

    params: dict[str, np.ndarray] = {}
    notes: list[str] = []
    if plan.embedding is not None:
        name, rows, width, mask_zero = plan.embedding
        (params["embedding.weight"],) = layer_weights(name, [(rows, width)])
        if mask_zero:
            notes.append("Embedding mask_zero: row 0 is Keras's padding, masked by Keras, "
                         "read as a token here")
    for index, layer in enumerate(plan.recurrent):
        params.update(_recurrent_params(layer, index, plan, layer_weights))
    config: dict[str, Any] = {"recurrent": _recurrent_config(plan)}
    if plan.head is not None:
        head_params, head_note = _head_params(plan.head, plan.recurrent[-1], layer_weights)
        params.update(head_params)
        notes.append(head_note)
        config.update(_readout_fields(plan))
    if plan.skipped:
        notes.append(f"{', '.join(map(show, plan.skipped))} skipped (no effect on a trained "
                     "model)")
    if plan.recurrent[0].cell == "gru" and not plan.recurrent[0].reset_after:
        notes.append("GRU reset_after=False: the reset gate acts before W_hn")
    params, widened = widen_float16(params)
    return FileContents(params, config, (*notes, *conversion_notes({"float16": widened})))


def check_weight_shapes(where: str, layer: str, shapes: Sequence[Shape],
                        expected: Sequence[Shape]) -> None:
    """``shapes`` (what the file or model holds for ``layer``) equal ``expected``."""
    if len(shapes) != len(expected):
        raise ModelFileError(f"{where}: layer {show(layer)} holds {len(shapes)} weight arrays, "
                             f"expected {len(expected)}; the weights do not match the model's "
                             "configuration: save the model again")
    for position, (shape, wanted) in enumerate(zip(shapes, expected, strict=True)):
        if tuple(shape) != tuple(wanted):
            raise ModelFileError(f"{where}: layer {show(layer)} weight {position} has shape "
                                 f"{tuple(shape)}, expected {tuple(wanted)} from the model's "
                                 "configuration; save the model again")


def keras_vocabulary(vocabulary: Any, rows: int | None) -> Any:
    """A Keras ``word_index`` ({token: index} from 1, row 0 being padding) as the
    engine's token list of ``rows`` entries: row 0 is :data:`PADDING`, tokens past the
    embedding's rows are dropped (Keras's ``Tokenizer(num_words=...)`` never feeds them),
    rows no token names are filled with ``<unused N>`` (no tokenizer makes a token with
    a space). Anything else is returned as it is."""
    if not isinstance(vocabulary, Mapping) or rows is None or not vocabulary:
        return vocabulary
    indices = [index for index in vocabulary.values() if isinstance(index, int)]
    if len(indices) != len(vocabulary) or 0 in indices:
        return vocabulary  # tokens_by_index says what is wrong, or reads it as it is
    kept = {token: index for token, index in vocabulary.items() if index < rows}
    used = set(kept.values())
    filled = {PADDING: 0, **kept} if PADDING not in kept else dict(kept)
    filled.update({f"<unused {row}>": row for row in range(1, rows) if row not in used})
    return tokens_by_index(filled, "the Keras word_index")


def keras_overrides(overrides: Mapping[str, Any], contents: FileContents) -> dict[str, Any]:
    """``overrides`` (options or a sidecar) with a Keras ``word_index`` given as
    ``vocabulary`` fitted to the embedding's rows (:func:`keras_vocabulary`)."""
    table = contents.params.get("embedding.weight")
    rows = int(table.shape[0]) if table is not None else None
    return {**overrides, **({"vocabulary": keras_vocabulary(overrides["vocabulary"], rows)}
                            if "vocabulary" in overrides else {})}


def keras_options(options: OptionSources, contents: FileContents) -> OptionSources:
    """Every option source through :func:`keras_overrides` (a ``word_index`` given as
    ``vocabulary=`` fitted to the embedding)."""
    return OptionSources(tuple((keras_overrides(data, contents), source)
                               for data, source in options.sources), options.notes)


def _check_parameter_count(plan: KerasPlan, where: str) -> None:
    """The model's size from its configuration, before any weight is read."""
    total = sum(math.prod(shape) for shape in _all_shapes(plan))
    if total > MAX_PARAMETERS:
        raise ModelFileError(f"{where}: the configuration describes {total:,} parameters, "
                             f"more than the {MAX_PARAMETERS:,} RNN Studio reads")


def _all_shapes(plan: KerasPlan) -> list[Shape]:
    shapes: list[Shape] = [plan.embedding[1:3]] if plan.embedding is not None else []
    for index, layer in enumerate(plan.recurrent):
        directions = 2 if layer.bidirectional else 1
        shapes += _cell_shapes(layer, _layer_input(plan, index)) * directions
    if plan.head is not None:
        shapes += _head_shapes(plan.head, plan.recurrent[-1])
    return shapes


def _layer_input(plan: KerasPlan, index: int) -> int:
    if index == 0:
        return plan.input_size
    below = plan.recurrent[index - 1]
    return below.units * (2 if below.bidirectional else 1)


def _cell_shapes(layer: RecurrentLayer, input_size: int) -> list[Shape]:
    """Keras's kernel, recurrent kernel and bias shapes for one direction."""
    columns = GATE_COUNT[layer.cell] * layer.units
    shapes: list[Shape] = [(input_size, columns), (layer.units, columns)]
    if layer.bias:
        shapes.append((2, columns) if layer.reset_after else (columns,))
    return shapes


def _recurrent_params(layer: RecurrentLayer, index: int, plan: KerasPlan,
                      weights: LayerWeights) -> dict[str, np.ndarray]:
    """``rnn.weight_ih_l{k}`` ... of one Keras layer, both halves of a Bidirectional."""
    shapes = _cell_shapes(layer, _layer_input(plan, index))
    directions = ("", "_reverse") if layer.bidirectional else ("",)
    arrays = weights(layer.name, shapes * len(directions))
    params = {}
    for position, suffix in enumerate(directions):
        kernel, recurrent, *bias = arrays[position * len(shapes):(position + 1) * len(shapes)]
        blocks = _KERAS_BLOCKS[layer.cell]
        names = {"weight_ih": kernel.T, "weight_hh": recurrent.T}
        if bias:
            input_bias, recurrent_bias = (bias[0][0], bias[0][1]) if bias[0].ndim == 2 \
                else (bias[0], np.zeros_like(bias[0]))
            names.update(bias_ih=input_bias, bias_hh=recurrent_bias)
        for name, value in names.items():
            params[f"rnn.{name}_l{index}{suffix}"] = _reorder(value, blocks, layer.units)
    return params


def _reorder(rows: np.ndarray, blocks: tuple[int, ...], units: int) -> np.ndarray:
    """Gate blocks of ``units`` rows taken in ``blocks`` order, as a new C array."""
    return np.ascontiguousarray(
        np.concatenate([rows[block * units:(block + 1) * units] for block in blocks]))


def _recurrent_config(plan: KerasPlan) -> dict[str, Any]:
    first = plan.recurrent[0]
    config = {"cell": first.cell, "input_size": plan.input_size, "hidden_size": first.units,
              "num_layers": len(plan.recurrent), "nonlinearity": first.nonlinearity,
              "bias": first.bias, "bidirectional": first.bidirectional, "proj_size": 0}
    if first.cell == "gru" and not first.reset_after:
        config["reset_after"] = False
    return config


def _head_shapes(head: DenseHead, top: RecurrentLayer) -> list[Shape]:
    width = top.units * (2 if top.bidirectional else 1)
    return [(width, head.units), (head.units,)][:1 + head.bias]


def _head_params(head: DenseHead, top: RecurrentLayer,
                 weights: LayerWeights) -> tuple[dict[str, np.ndarray], str]:
    """``head.weight`` (C, D) and ``head.bias`` (C,), and what its activation means. A
    ``Dense(1, sigmoid)`` becomes two classes with logits (0, z): their softmax gives
    class 1 the probability sigmoid(z), Keras's output, exactly."""
    kernel, *bias = weights(head.name, _head_shapes(head, top))
    weight = np.ascontiguousarray(kernel.T)
    offset = bias[0] if bias else np.zeros(head.units, kernel.dtype)
    if head.activation == "sigmoid" and head.units == 1:
        weight = np.concatenate([np.zeros_like(weight), weight])
        offset = np.concatenate([np.zeros_like(offset), offset])
        note = "Dense(1, sigmoid) read as classes 0 and 1 with logits (0, z): p(1) = sigmoid(z)"
    elif head.activation == "sigmoid":
        note = (f"Dense({head.units}, sigmoid) is multi-label: logits are Keras's "
                "pre-sigmoid values, probabilities here are their softmax")
    elif head.activation == "softmax":
        note = "Dense softmax head: probabilities equal Keras's outputs"
    else:
        note = "Dense head without activation: logits equal Keras's outputs"
    return {"head.weight": weight, "head.bias": np.ascontiguousarray(offset)}, note


def _readout_fields(plan: KerasPlan) -> dict[str, str]:
    """Task and readout as the Keras model computes its output."""
    top = plan.recurrent[-1]
    if plan.pooling is not None:
        return {"task": "classify", "readout": plan.pooling}
    if top.return_sequences:
        return {"task": "tag", "readout": "per-step"}
    return {"task": "classify",
            "readout": "final-states" if top.bidirectional else "last-step"}
