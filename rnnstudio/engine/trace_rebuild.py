"""Rebuild a :class:`~.trace.Trace` from its file form (``Trace.from_arrays``), trusting
nothing in it.

A saved trace is checked whole before it becomes a Trace, so a window never meets a
half-valid one. T is the number of tokens, L*D layers times directions:

* ``meta`` names the format and describes a model: the ``ModelConfig`` rebuilt from its
  fields (recurrent sizes, tokenizer, task, labels, dtype) validates itself;
* every layer and direction of that model has ``h`` (T, H_out), an LSTM's also ``c``
  (T, H), and every gate of the cell (T, H); no key names a layer or quantity the model
  does not have;
* with gradients: ``grad.l{k}.{dir}.h`` (T, H_out), an LSTM's ``.c`` (T, H), ``grad.x``
  (T, I) and the loss in meta; Jacobian norms (T,) for every layer and direction or none;
* ``x`` (T, I), ``token_ids`` (T,), ``logits`` (T, C) with C the head's rows,
  ``h0`` (L*D, H_out), ``c0`` (L*D, H);
* ``interventions`` in meta, when there, are edits this model can have.

Sizes from meta are only compared, never allocated: a meta claiming 10**9 layers costs a
comparison. Each failure is one :class:`ExportError` line naming the key or meta field;
``io.load_trace`` adds the file's name.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..errors import ConfigError, ExportError
from .config import RecurrentConfig
from .interventions import Intervention, check_interventions
from .model import ModelConfig
from .tokenizers import Tokenizer
from .trace import TRACE_FORMAT, TRACE_FORMAT_VERSION, Gradients, Key, LayerTrace, NonFinite, Trace
from .trace_keys import (
    C0,
    GRAD,
    GRAD_X,
    H0,
    JACOBIAN,
    LOGITS,
    STATE,
    TOKEN_IDS,
    TOKENS,
    X,
    grad_key,
    jacobian_key,
    parse_layer_key,
    state_key,
)

__all__ = ["config_from_meta", "trace_from_arrays"]

_REQUIRED: Any = dataclasses.MISSING
#: Standard JSON has no NaN or infinity: meta writes them as these strings.
_NONFINITE_NUMBERS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_KIND_NAMES = {"f": "floating-point numbers", "iu": "integers"}
_RECURRENT_TYPES: dict[str, type] = {
    "cell": str, "input_size": int, "hidden_size": int, "num_layers": int,
    "nonlinearity": str, "bias": bool, "bidirectional": bool, "proj_size": int,
    "reset_after": bool,
}
_NONFINITE_TYPES: dict[str, type] = {
    "step": int, "layer": int, "direction": str, "quantity": str, "unit": int, "token": str,
}
Grouped = dict[str, dict[Key, dict[str, str]]]


def trace_from_arrays(arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> Trace:
    """See :meth:`Trace.from_arrays` and the module docstring."""
    if not isinstance(meta, Mapping):
        raise ExportError(f"meta must be a JSON object, got {type(meta).__name__}")
    _check_format(meta)
    config = config_from_meta(meta)
    rec = config.recurrent
    tokens = _tokens(arrays, meta)
    dims = _dims(config, len(tokens), arrays)
    grouped = _group_layer_keys(arrays, rec)
    if config.task is not None and LOGITS not in arrays:
        raise ExportError(f"{LOGITS} is missing: a {config.task} model has a readout head")
    if C0 in arrays and rec.cell != "lstm":
        raise ExportError(f"{C0}: only an LSTM has a cell state, this is a {rec.kind}")
    return Trace(
        config=config,
        tokens=tokens,
        token_ids=_take(arrays, TOKEN_IDS, ("T",), dims, "iu").astype(np.int64, copy=False),
        unknown=_unknown(meta, len(tokens)),
        x=_take(arrays, X, ("T", "I"), dims),
        layers=_layers(arrays, grouped[STATE], rec, dims),
        logits=_optional(arrays, LOGITS, ("T", "C"), dims),
        grads=_gradients(arrays, grouped, meta, rec, dims),
        nonfinite=_nonfinite(meta, "nonfinite_at", "nonfinite"),
        seconds=_number(meta, "seconds", 0.0),
        h0=_optional(arrays, H0, ("L*D", "H_out"), dims),
        c0=_optional(arrays, C0, ("L*D", "H"), dims),
        interventions=_interventions(meta, config),
    )


def config_from_meta(meta: Mapping[str, Any]) -> ModelConfig:
    """The model configuration a trace's meta records. Files written before ``task``,
    ``embedding``, ``vocabulary``, ``lowercase`` and ``card`` were recorded get a bare
    cell's: no task, an open vocabulary, a hashed embedding; before ``readout``, the
    last step (the only readout there was)."""
    fields = RecurrentConfig.__dataclass_fields__
    recurrent = {name: _field(meta, name, (kind,), fields[name].default)
                 for name, kind in _RECURRENT_TYPES.items()}
    vocabulary = _field(meta, "vocabulary", (list,), None)
    labels = _field(meta, "labels", (list,), [])
    for name, items in (("vocabulary", vocabulary or []), ("labels", labels)):
        if not all(isinstance(item, str) for item in items):
            raise ExportError(f"meta {name!r} must be a list of strings")
    try:
        tokenizer = Tokenizer(_field(meta, "tokenizer", (str,), "word"),
                              None if vocabulary is None else tuple(vocabulary),
                              _field(meta, "lowercase", (bool,), True),
                              _field(meta, "unk", (str,), None),
                              _field(meta, "pad", (str,), None))
        return ModelConfig(
            RecurrentConfig(**recurrent), tokenizer, _field(meta, "embedding", (str,), "hashed"),
            _field(meta, "task", (str,), None), tuple(labels),
            _field(meta, "dtype", (str,), "float32"), _field(meta, "card", (dict,), {}),
            _field(meta, "readout", (str,), "last-step"),
        )
    except ConfigError as error:
        raise ExportError(f"meta describes no model RNN Studio can build: {error}") from error


def _check_format(meta: Mapping[str, Any]) -> None:
    if meta.get("format") != TRACE_FORMAT:
        raise ExportError(f"meta 'format' is {_shown(meta.get('format'))}, not "
                          f"{TRACE_FORMAT!r}: this is not an RNN Studio trace")
    version = _field(meta, "format_version", (int,))
    if version < 1:
        raise ExportError(f"meta 'format_version' is {version}; trace formats start at 1")
    if version > TRACE_FORMAT_VERSION:
        raise ExportError(f"trace format {version} is newer than this rnnstudio reads "
                          f"({TRACE_FORMAT_VERSION}): upgrade rnnstudio")


def _tokens(arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> list[str]:
    if TOKENS not in arrays:
        raise ExportError(f"{TOKENS} is missing: save the trace again")
    value = np.asarray(arrays[TOKENS])
    if value.dtype.kind != "U" or value.ndim != 1 or value.size == 0:
        raise ExportError(f"{TOKENS} must be a non-empty list of text (T,), got "
                          f"{value.dtype} values of shape {value.shape}")
    steps = _field(meta, "steps", (int,), value.size)
    if steps != value.size:
        raise ExportError(f"meta 'steps' is {steps} but {TOKENS} holds {value.size}")
    return [str(token) for token in value.tolist()]


def _dims(config: ModelConfig, steps: int, arrays: Mapping[str, np.ndarray]) -> dict[str, int]:
    """The sizes every shape is checked against. Without a task, C is the logits' own
    width (files from before ``task`` was recorded)."""
    rec = config.recurrent
    logits = np.asarray(arrays.get(LOGITS, np.zeros((0, 0))))
    head = config.head_size if config.task else (logits.shape[-1] if logits.ndim else -1)
    return {"T": steps, "I": rec.input_size, "H": rec.hidden_size, "H_out": rec.output_size,
            "L*D": rec.num_layers * rec.num_directions, "C": head}


def _take(arrays: Mapping[str, np.ndarray], key: str, names: tuple[str, ...],
          dims: Mapping[str, int], kinds: str = "f") -> np.ndarray:
    """``arrays[key]``, refused unless it holds ``kinds`` in the shape ``names`` say."""
    if key not in arrays:
        raise ExportError(f"{key} is missing: save the trace again")
    value = np.asarray(arrays[key])
    if value.dtype.kind not in kinds:
        raise ExportError(f"{key} holds {value.dtype} values; a trace holds "
                          f"{_KIND_NAMES[kinds]} there")
    expected = tuple(dims[name] for name in names)
    if value.shape != expected:
        raise ExportError(f"{key} has shape {value.shape}; this trace needs "
                          f"({', '.join(names)}) = {expected}")
    return value


def _optional(arrays: Mapping[str, np.ndarray], key: str, names: tuple[str, ...],
              dims: Mapping[str, int]) -> np.ndarray | None:
    return _take(arrays, key, names, dims) if key in arrays else None


def _group_layer_keys(arrays: Mapping[str, np.ndarray], rec: RecurrentConfig) -> Grouped:
    """Per-layer keys by kind, then (layer, direction), then quantity (file order)."""
    grouped: Grouped = {STATE: {}, GRAD: {}, JACOBIAN: {}}
    for key in arrays:
        parts = parse_layer_key(key)
        if parts is None:
            continue  # tokens, x, ... and keys a later version may add
        if parts.layer >= rec.num_layers or parts.direction not in rec.directions:
            sides = "both directions" if rec.bidirectional else "forward only"
            raise ExportError(f"{key}: the model in meta has {rec.num_layers} layer(s), "
                              f"{sides}")
        grouped[parts.kind].setdefault((parts.layer, parts.direction), {})[parts.name] = key
    return grouped


def _require_every_layer(present: Mapping[Key, Any], rec: RecurrentConfig,
                         key_of: Callable[[int, str], str]) -> None:
    """Each (layer, direction) of the model is in ``present``; the search for a missing
    one stops after ``len(present) + 1`` candidates, however many layers meta claims."""
    if len(present) == rec.num_layers * rec.num_directions:
        return  # every key in `present` was range-checked, so none is missing
    for layer in range(rec.num_layers):
        for direction in rec.directions:
            if (layer, direction) not in present:
                raise ExportError(f"{key_of(layer, direction)} is missing: save the trace again")


def _check_names(names: Mapping[str, str], allowed: tuple[str, ...], rec: RecurrentConfig) -> None:
    for name, key in names.items():
        if name not in allowed:
            raise ExportError(f"{key}: {name!r} is not a quantity of this {rec.kind} "
                              f"(it has {', '.join(allowed)})")


def _layers(arrays: Mapping[str, np.ndarray], states: Mapping[Key, Mapping[str, str]],
            rec: RecurrentConfig, dims: Mapping[str, int]) -> dict[Key, LayerTrace]:
    _require_every_layer(states, rec, lambda layer, side: state_key(layer, side, "h"))
    allowed = ("h", "c", *rec.gates) if rec.cell == "lstm" else ("h", *rec.gates)
    layers = {}
    for (layer, direction), names in states.items():
        _check_names(names, allowed, rec)
        values = {name: _take(arrays, state_key(layer, direction, name),
                              ("T", "H_out" if name == "h" else "H"), dims)
                  for name in allowed}
        layers[layer, direction] = LayerTrace(values.pop("h"), values.pop("c", None), values)
    return layers


def _gradients(arrays: Mapping[str, np.ndarray], grouped: Grouped, meta: Mapping[str, Any],
               rec: RecurrentConfig, dims: Mapping[str, int]) -> Gradients | None:
    if not grouped[GRAD] and GRAD_X not in arrays:
        if grouped[JACOBIAN]:
            first = next(iter(grouped[JACOBIAN]))
            raise ExportError(f"{jacobian_key(*first)}: Jacobian norms without the "
                              "gradients they belong to; save the trace again")
        return None
    _require_every_layer(grouped[GRAD], rec, lambda layer, side: grad_key(layer, side, "h"))
    allowed = ("h", "c") if rec.cell == "lstm" else ("h",)
    by_name: dict[str, dict[Key, np.ndarray]] = {name: {} for name in allowed}
    for (layer, direction), names in grouped[GRAD].items():
        _check_names(names, allowed, rec)
        for name in allowed:
            by_name[name][layer, direction] = _take(
                arrays, grad_key(layer, direction, name),
                ("T", "H_out" if name == "h" else "H"), dims)
    jacobian = {}
    if grouped[JACOBIAN]:
        _require_every_layer(grouped[JACOBIAN], rec, jacobian_key)
        jacobian = {key: _take(arrays, jacobian_key(*key), ("T",), dims)
                    for key in grouped[JACOBIAN]}
    return Gradients(
        loss_name=_field(meta, "loss", (str,)), loss_value=_number(meta, "loss_value"),
        h=by_name["h"], c=by_name.get("c", {}), x=_take(arrays, GRAD_X, ("T", "I"), dims),
        params={}, h0=None, c0=None, jacobian=jacobian,
        nonfinite=_nonfinite(meta, "grad_nonfinite_at", None),
    )


def _unknown(meta: Mapping[str, Any], steps: int) -> list[int]:
    positions = _field(meta, "unknown", (list,), [])
    for position in positions:
        if not isinstance(position, int) or isinstance(position, bool) \
                or not 0 <= position < steps:
            raise ExportError(f"meta 'unknown' lists {_shown(position)}, not a step 0..{steps - 1}")
    return list(positions)


def _nonfinite(meta: Mapping[str, Any], name: str, message_name: str | None) -> NonFinite | None:
    """The structured record (rnnstudio 0.2), else the fields read back from the message
    (0.1); None when neither is there."""
    fields = _field(meta, name, (dict,), None)
    if fields is not None:
        where = f"meta {name}"
        values = {field: _field(fields, field, (kind,), where=where)
                  for field, kind in _NONFINITE_TYPES.items()}
        return NonFinite(**values, value=_number(fields, "value", where=where))
    message = meta.get(message_name) if message_name else None
    return NonFinite.from_message(message) if isinstance(message, str) else None


def _interventions(meta: Mapping[str, Any], config: ModelConfig) -> tuple[Intervention, ...]:
    """The edits the trace was computed with, checked against its model; none in files
    written before interventions existed."""
    listed = _field(meta, "interventions", (list,), [])
    rec = config.recurrent
    for item in listed:
        if not isinstance(item, dict):
            raise ExportError(f"meta 'interventions' holds {_shown(item)}, not an object "
                              "with quantity, op and value")
    try:
        edits = [Intervention.from_dict(item) for item in listed]
        return check_interventions(edits, rec.cell, rec.num_layers, rec.bidirectional,
                                   rec.hidden_size, rec.output_size)
    except ConfigError as error:
        raise ExportError(f"meta 'interventions': {error}") from None


def _field(mapping: Mapping[str, Any], name: str, kinds: tuple[type, ...],
           default: Any = _REQUIRED, where: str = "meta") -> Any:
    """``mapping[name]`` if it is one of ``kinds`` (a bool is not an int here); absent or
    null gives ``default``, or an error when there is none."""
    value = mapping.get(name)
    if value is None:
        if default is _REQUIRED:
            raise ExportError(f"{where} has no {name!r}: save the trace again")
        return default
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        expected = " or ".join(kind.__name__ for kind in kinds)
        raise ExportError(f"{where} {name!r} is {_shown(value)}, not a {expected}")
    return value


def _number(mapping: Mapping[str, Any], name: str, default: Any = _REQUIRED,
            where: str = "meta") -> float:
    """A float field; ``"NaN"``, ``"Infinity"``, ``"-Infinity"`` stand for themselves."""
    value = _field(mapping, name, (int, float, str), default, where)
    if isinstance(value, str):
        if value not in _NONFINITE_NUMBERS:
            raise ExportError(f"{where} {name!r} is {_shown(value)}, not a number")
        return _NONFINITE_NUMBERS[value]
    try:
        return float(value)
    except OverflowError:  # a 400-digit integer is valid JSON
        raise ExportError(f"{where} {name!r} is {_shown(value)}, too large") from None


def _shown(value: Any) -> str:
    """A value for a message: its repr, cut short (a hostile file may hold megabytes)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
