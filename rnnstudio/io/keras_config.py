"""Read a Keras model's configuration (``config.json`` of a ``.keras`` file, the
``model_config`` attribute of a legacy ``.h5``, ``model.get_config()``) as a plan of
what RNN Studio's engine can run, without importing Keras and without running anything
from the file.

The model must be a ``Sequential`` or a functional chain (each layer reads the one
before it) of: ``InputLayer``, an optional ``Embedding``, one or more ``SimpleRNN``,
``LSTM`` or ``GRU`` layers (each alone or in a ``Bidirectional`` with
``merge_mode="concat"``), an optional ``GlobalAveragePooling1D`` /
``GlobalMaxPooling1D``, an optional ``Dense`` head (or ``TimeDistributed(Dense)``,
the same on a sequence); ``Dropout`` and
``SpatialDropout1D`` have no effect when a model is read and are skipped. Every other
layer, option or activation is refused by name: a ``Lambda`` layer or a custom object
would need Python code from the file, which is never run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError, ModelFileError
from ..limits import MAX_HIDDEN_SIZE, MAX_INPUT_SIZE, MAX_VOCABULARY, check_whole
from .json_values import show

__all__ = ["DenseHead", "KerasPlan", "RecurrentLayer", "plan_model"]

RECURRENT_CELLS = {"SimpleRNN": "rnn", "LSTM": "lstm", "GRU": "gru"}
POOLING_READOUTS = {"GlobalAveragePooling1D": "mean", "GlobalMaxPooling1D": "max"}
#: Layers without parameters that do nothing when a trained model reads a text.
SKIPPED = ("InputLayer", "Dropout", "SpatialDropout1D")
HEAD_ACTIVATIONS = ("softmax", "sigmoid", "linear")
READ_LAYERS = ("InputLayer, Embedding, SimpleRNN, LSTM, GRU, Bidirectional (concat), "
               "GlobalAveragePooling1D, GlobalMaxPooling1D, Dense, TimeDistributed(Dense), "
               "Dropout, SpatialDropout1D")
#: Recurrent options that must agree over the stack (the engine has one cell and size).
_STACK_FIELDS = ("cell", "units", "nonlinearity", "bias", "reset_after", "bidirectional")


@dataclass(frozen=True)
class RecurrentLayer:
    """One recurrent Keras layer (a ``Bidirectional`` counts as one), as the engine
    needs it."""

    name: str
    cell: str
    units: int
    nonlinearity: str
    bias: bool
    reset_after: bool
    bidirectional: bool
    return_sequences: bool


@dataclass(frozen=True)
class DenseHead:
    """The final ``Dense`` layer: its name, outputs, activation and bias."""

    name: str
    units: int
    activation: str
    bias: bool


@dataclass(frozen=True)
class KerasPlan:
    """What a Keras model is, in the engine's terms: ``embedding`` is the Embedding
    layer's (name, rows, width, mask_zero) or None; ``input_size`` the width layer 0
    reads; ``pooling`` ``"mean"``/``"max"``/None; ``skipped`` the names of the layers
    that have no effect; ``storage_keys`` each layer's group in a ``.keras`` weights
    file (Keras 3 names it by class, not by layer name: ``lstm``, ``lstm_1``, ...)."""

    input_size: int
    embedding: tuple[str, int, int, bool] | None
    recurrent: tuple[RecurrentLayer, ...]
    pooling: str | None
    head: DenseHead | None
    skipped: tuple[str, ...]
    storage_keys: Mapping[str, str]


def plan_model(model_config: Mapping[str, Any], where: str) -> KerasPlan:
    """The plan of a serialized Keras model ``{"class_name": ..., "config": ...}``.

    Raises :class:`ModelFileError`, one line naming ``where`` and the layer, class or
    option RNN Studio does not read.
    """
    layers = _layer_chain(model_config, where)
    embedding = None
    input_size: int | None = None
    recurrent: list[RecurrentLayer] = []
    pooling = None
    head = None
    skipped = []
    for class_name, name, config in layers:
        ends = pooling is not None or head is not None
        if class_name in SKIPPED:
            if class_name == "InputLayer":
                input_size = _input_width(config)
            else:
                skipped.append(name)
        elif class_name == "Embedding" and embedding is None and not recurrent:
            embedding = _embedding(name, config, where)
            input_size = embedding[2]
        elif class_name in (*RECURRENT_CELLS, "Bidirectional") and not ends:
            if not recurrent and input_size is None:
                input_size = _input_width(config)
            recurrent.append(_recurrent(class_name, name, config, where))
        elif class_name in POOLING_READOUTS and recurrent and not ends:
            pooling = _pooling(class_name, name, config, where)
        elif class_name == "Dense" and recurrent and head is None:
            head = _dense(name, config, where)
        elif class_name == "TimeDistributed" and recurrent and not ends:
            head = _dense(name, _wrapped_dense(name, config, where), where)
        else:
            _refuse_layer(class_name, name, where, bool(recurrent))
    if not recurrent:
        raise ModelFileError(f"{where}: no SimpleRNN, LSTM or GRU layer; RNN Studio reads "
                             "recurrent models")
    if input_size is None:
        raise ModelFileError(f"{where}: the input width of layer {show(recurrent[0].name)} is "
                             "not in the model's configuration; give the model an Input shape")
    _check_stack(recurrent, pooling, where)
    return KerasPlan(input_size, embedding, tuple(recurrent), pooling, head, tuple(skipped),
                     _storage_keys(layers))


def _layer_chain(model_config: Mapping[str, Any],
                 where: str) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(class name, layer name, layer config) of every layer, in the order they run."""
    kind = model_config.get("class_name") if isinstance(model_config, Mapping) else None
    config = model_config.get("config") if isinstance(model_config, Mapping) else None
    if kind not in ("Sequential", "Functional", "Model"):
        raise ModelFileError(f"{where}: a Keras {show(kind)} model; RNN Studio reads Sequential "
                             "models and functional chains")
    # Keras 2.2 wrote a Sequential's config as the bare list of its layers.
    entries = config if isinstance(config, list) else _get(config, "layers", list, where)
    layers = []
    for entry in entries:
        layer_config = _get(entry, "config", dict, where)
        name = entry.get("name", layer_config.get("name"))
        layers.append((_get(entry, "class_name", str, where), str(name), layer_config))
    if kind != "Sequential":
        for (_, before, _), entry in zip(layers, entries[1:], strict=False):
            sources = sorted(set(_inbound_names(entry.get("inbound_nodes", []))))
            if sources != [before]:
                raise ModelFileError(
                    f"{where}: layer {show(entry.get('name'))} reads from "
                    f"{', '.join(map(show, sources)) or 'nothing'}, not from {show(before)}; "
                    "RNN Studio reads functional models that are one chain of layers")
    return layers


def _storage_keys(layers: list[tuple[str, str, Mapping[str, Any]]]) -> dict[str, str]:
    """Layer name -> its group under ``layers/`` in a ``.keras`` weights file: the class
    name in snake case, ``_1``, ``_2`` ... for the second, third of a class (as Keras's
    ``saving_lib`` names them, in the model's layer order)."""
    seen: dict[str, int] = {}
    keys = {}
    for class_name, name, _ in layers:
        key = re.sub("([a-z])([A-Z])", r"\1_\2",
                     re.sub("(.)([A-Z][a-z]+)", r"\1_\2", re.sub(r"\W+", "", class_name))).lower()
        count = seen[key] = seen.get(key, -1) + 1
        keys[name] = f"{key}_{count}" if count else key
    return keys


def _inbound_names(nodes: Any) -> list[str]:
    """Names of the layers a functional layer's ``inbound_nodes`` read: Keras 3 writes
    ``{"keras_history": [name, node, tensor]}``, Keras 2 ``[name, node, tensor, kwargs]``
    (a live model's ``get_config()`` has tuples where the JSON has lists)."""
    if isinstance(nodes, Mapping):
        history = nodes.get("keras_history")
        if isinstance(history, (list, tuple)) and history and isinstance(history[0], str):
            return [history[0]]
        return [name for value in nodes.values() for name in _inbound_names(value)]
    if isinstance(nodes, (list, tuple)):
        if len(nodes) >= 3 and isinstance(nodes[0], str) and isinstance(nodes[1], int):
            return [nodes[0]]
        return [name for value in nodes for name in _inbound_names(value)]
    return []


def _refuse_layer(class_name: str, name: str, where: str, after_recurrent: bool) -> None:
    layer = f"layer {class_name} ({show(name)})"
    if class_name == "Lambda":
        raise ModelFileError(f"{where}: {layer} holds Python code, which RNN Studio never "
                             f"runs; it reads {READ_LAYERS}")
    if class_name in ("Embedding", *RECURRENT_CELLS, "Bidirectional", "Dense", "TimeDistributed",
                      *POOLING_READOUTS):
        place = "after the recurrent layers" if after_recurrent else "before them"
        raise ModelFileError(f"{where}: {layer} {place} is not read; RNN Studio reads an "
                             "optional Embedding, recurrent layers, an optional pooling layer "
                             "and one optional Dense head, in that order")
    raise ModelFileError(f"{where}: Keras {layer} is not read by RNN Studio; it reads "
                         f"{READ_LAYERS}")


def _input_width(config: Mapping[str, Any]) -> int | None:
    """The last dimension of an input shape a layer's config states, if any."""
    for key in ("batch_shape", "batch_input_shape"):
        shape = config.get(key)
        if isinstance(shape, (list, tuple)) and shape and isinstance(shape[-1], int):
            return shape[-1]
    build = config.get("build_config")
    shape = build.get("input_shape") if isinstance(build, Mapping) else None
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[-1], int):
        return shape[-1]
    return None


def _embedding(name: str, config: Mapping[str, Any],
               where: str) -> tuple[str, int, int, bool]:
    rows = _whole(config, "input_dim", name, where, 1, MAX_VOCABULARY)
    width = _whole(config, "output_dim", name, where, 1, MAX_INPUT_SIZE)
    return name, rows, width, config.get("mask_zero") is True


def _recurrent(class_name: str, name: str, config: Mapping[str, Any],
               where: str) -> RecurrentLayer:
    """One recurrent layer, or a Bidirectional wrapping one (concat only)."""
    if class_name != "Bidirectional":
        return _cell_layer(class_name, name, config, where, bidirectional=False)
    merge_mode = config.get("merge_mode", "concat")
    if merge_mode != "concat":
        raise ModelFileError(f"{where}: Bidirectional layer {show(name)} merges with "
                             f"{show(merge_mode)}; RNN Studio reads merge_mode='concat' only")
    inner = _get(config, "layer", dict, where)
    inner_class = _get(inner, "class_name", str, where)
    if inner_class not in RECURRENT_CELLS:
        _refuse_layer(inner_class, f"{name}.layer", where, False)
    forward = _cell_layer(inner_class, name, _get(inner, "config", dict, where), where, True)
    backward_entry = config.get("backward_layer")
    if backward_entry is not None:
        backward = _cell_layer(_get(backward_entry, "class_name", str, where), name,
                               _get(backward_entry, "config", dict, where), where, True,
                               backward=True)
        if backward != forward:
            raise ModelFileError(f"{where}: Bidirectional layer {show(name)} has a backward "
                                 "layer unlike its forward one; RNN Studio reads both alike")
    return forward


def _cell_layer(class_name: str, name: str, config: Mapping[str, Any], where: str,
                bidirectional: bool, backward: bool = False) -> RecurrentLayer:
    """A SimpleRNN, LSTM or GRU config, every option the engine cannot run refused."""
    if class_name not in RECURRENT_CELLS:
        _refuse_layer(class_name, name, where, False)
    layer = f"{class_name} layer {show(name)}"
    for option in ("stateful", "return_state", "time_major"):
        if config.get(option) is True:
            raise ModelFileError(f"{where}: {layer} has {option}=True; RNN Studio reads "
                                 f"layers with {option}=False")
    if config.get("go_backwards", False) is not backward:
        raise ModelFileError(f"{where}: {layer} has go_backwards={not backward} outside a "
                             "Bidirectional wrapper; RNN Studio reads it only as the backward "
                             "half of a Bidirectional layer")
    activation = _activation(config.get("activation", "tanh"))
    allowed = ("tanh", "relu") if class_name == "SimpleRNN" else ("tanh",)
    if activation not in allowed:
        raise ModelFileError(f"{where}: {layer} has activation {show(activation)}; RNN "
                             f"Studio runs {' or '.join(allowed)}, as PyTorch does")
    if class_name != "SimpleRNN":
        gate_activation = _activation(config.get("recurrent_activation", "sigmoid"))
        if gate_activation != "sigmoid":
            raise ModelFileError(
                f"{where}: {layer} has recurrent_activation {show(gate_activation)}; RNN "
                "Studio's gates use the logistic sigmoid, as PyTorch's do (Keras 2's and "
                "Keras 3's hard_sigmoid are two other functions): retrain with 'sigmoid'")
    return RecurrentLayer(
        name=name, cell=RECURRENT_CELLS[class_name],
        units=_whole(config, "units", name, where, 1, MAX_HIDDEN_SIZE),
        nonlinearity=activation if class_name == "SimpleRNN" else "tanh",
        bias=config.get("use_bias", True) is not False,
        # A GRU saved before Keras 2.1 has no reset_after: it ran the reset_after=False form.
        reset_after=class_name == "GRU" and config.get("reset_after", False) is True,
        bidirectional=bidirectional,
        return_sequences=config.get("return_sequences", False) is True,
    )


def _check_stack(layers: list[RecurrentLayer], pooling: str | None, where: str) -> None:
    """One cell, size and direction over the stack; every layer but the last returns
    its sequence; pooling needs the last one's sequence too."""
    first = layers[0]
    for layer in layers[1:]:
        for field in _STACK_FIELDS:
            if getattr(layer, field) != getattr(first, field):
                raise ModelFileError(
                    f"{where}: recurrent layers {show(first.name)} and {show(layer.name)} "
                    f"differ in {field} ({getattr(first, field)} and "
                    f"{getattr(layer, field)}); RNN Studio's stacks have the same cell, size "
                    "and options in every layer")
    for layer in layers[:-1]:
        if not layer.return_sequences:
            raise ModelFileError(f"{where}: recurrent layer {show(layer.name)} feeds another "
                                 "without return_sequences=True; save a model that runs")
    if pooling is not None and not layers[-1].return_sequences:
        raise ModelFileError(f"{where}: the pooling layer needs return_sequences=True on "
                             f"{show(layers[-1].name)}; save a model that runs")


def _pooling(class_name: str, name: str, config: Mapping[str, Any], where: str) -> str:
    if config.get("data_format", "channels_last") != "channels_last" or config.get("keepdims"):
        raise ModelFileError(f"{where}: {class_name} layer {show(name)} pools with "
                             "data_format or keepdims RNN Studio does not read; use the "
                             "defaults (channels_last, keepdims=False)")
    return POOLING_READOUTS[class_name]


def _dense(name: str, config: Mapping[str, Any], where: str) -> DenseHead:
    activation = _activation(config.get("activation") or "linear")
    if activation not in HEAD_ACTIVATIONS:
        raise ModelFileError(f"{where}: Dense layer {show(name)} has activation "
                             f"{show(activation)}; RNN Studio reads a head with "
                             f"{', '.join(HEAD_ACTIVATIONS)}")
    return DenseHead(name, _whole(config, "units", name, where, 1, MAX_VOCABULARY), activation,
                     config.get("use_bias", True) is not False)


def _wrapped_dense(name: str, config: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    """The config of the Dense a TimeDistributed wraps: on a sequence it is the same as
    a Dense applied at every step (the taggers of many Keras tutorials)."""
    inner = _get(config, "layer", dict, where)
    inner_class = _get(inner, "class_name", str, where)
    if inner_class != "Dense":
        _refuse_layer(inner_class, f"{name}.layer", where, True)
    return _get(inner, "config", dict, where)


def _activation(value: Any) -> str:
    """An activation's name: Keras writes a string, or a serialized function
    ``{"class_name": "function", "config": "tanh"}`` (which is only read, never run)."""
    if isinstance(value, Mapping):
        value = value.get("config", value.get("class_name"))
    return value if isinstance(value, str) else show(value)


def _whole(config: Mapping[str, Any], key: str, name: str, where: str, low: int,
           high: int) -> int:
    try:
        return check_whole(key, config.get(key), low, high, "")
    except ConfigError as exc:  # said again with the file and the layer
        raise ModelFileError(f"{where}: layer {show(name)} has {key} "
                             f"{show(config.get(key))}; RNN Studio reads {low:,} to "
                             f"{high:,}") from exc


def _get(mapping: Any, key: str, kind: type, where: str) -> Any:
    """``mapping[key]`` when ``mapping`` is a dict and the value a ``kind``."""
    value = mapping.get(key) if isinstance(mapping, Mapping) else None
    if not isinstance(value, kind):
        raise ModelFileError(f"{where}: corrupt Keras model configuration ({show(key)} is "
                             f"{show(value)}, expected a {kind.__name__}); save the model again")
    return value
