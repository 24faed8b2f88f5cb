"""A trace's per-step arrays in long format: ``layer,direction,step,token,quantity,unit,
value``, the one place that decides the rows of the CSV export and of
``Trace.to_dataframe``.

One row per step and unit of every per-step quantity, in ``trace.arrays()`` order:
``l0.fwd.h`` gives ``0,fwd,t,token,h,unit,value``; ``grad.l0.fwd.h`` gives quantity
``grad.h``; ``jacobian.l0.fwd`` (||dh_T/dh_t||, one number per step) gives quantity
``jacobian`` with an empty ``unit``; ``decomposition.l0.fwd.log10_retention`` gives
``decomposition.log10_retention`` (one-per-step ones also with an empty ``unit``).
Quantities of no layer (``x``, ``grad.x``, ``logits``) have empty ``layer`` and
``direction`` and their key as quantity.
``tokens``, ``token_ids``, the initial states ``h0``/``c0`` and ``meta`` are not rows.
The keys are spelled and taken apart by :mod:`.trace_keys`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from .trace_keys import (
    C0,
    DECOMPOSITION,
    GRAD,
    H0,
    JACOBIAN,
    META,
    STATE,
    TOKEN_IDS,
    TOKENS,
    LayerKey,
    layer_key,
    parse_layer_key,
)

if TYPE_CHECKING:
    from .trace import Trace

__all__ = ["LONG_COLUMNS", "join_key", "long_blocks", "split_key", "trace_dataframe"]

LONG_COLUMNS = ("layer", "direction", "step", "token", "quantity", "unit", "value")
_NOT_ROWS = (TOKENS, TOKEN_IDS, H0, C0, META)
#: The ``quantity`` column's prefix per kind of layer key (a Jacobian's is its kind).
_PREFIX = {STATE: "", GRAD: "grad.", DECOMPOSITION: "decomposition."}


def long_blocks(
    arrays: Mapping[str, np.ndarray], steps: int
) -> Iterator[tuple[str, str, str, np.ndarray]]:
    """(layer, direction, quantity, values) of every per-step array: values (T, units),
    or (T,) for a Jacobian norm; layer and direction are "" for a quantity of no layer."""
    for key, value in arrays.items():
        if (key not in _NOT_ROWS and value.dtype.kind in "fiub" and value.ndim in (1, 2)
                and value.shape[0] == steps):
            yield (*split_key(key), value)


def split_key(key: str) -> tuple[str, str, str]:
    """``grad.l0.fwd.h`` -> ("0", "fwd", "grad.h"); a key of no layer is its own quantity."""
    parts = parse_layer_key(key)
    if parts is None:
        return "", "", key
    quantity = JACOBIAN if parts.kind == JACOBIAN else _PREFIX[parts.kind] + parts.name
    return str(parts.layer), parts.direction, quantity


def join_key(layer: str, direction: str, quantity: str) -> str:
    """The key :func:`split_key` took apart."""
    if not layer:
        return quantity
    if quantity == JACOBIAN:
        return layer_key(LayerKey(JACOBIAN, int(layer), direction))
    kind = next((kind for kind in (GRAD, DECOMPOSITION) if quantity.startswith(_PREFIX[kind])),
                STATE)
    return layer_key(LayerKey(kind, int(layer), direction,
                              quantity.removeprefix(_PREFIX[kind])))


def trace_dataframe(trace: Trace) -> Any:
    """The long-format rows of ``trace`` as a ``pandas.DataFrame`` (see
    ``Trace.to_dataframe``); ``layer`` and ``unit`` are nullable integers."""
    try:  # an optional dependency, imported by name so type checkers need no stubs
        pd = importlib.import_module("pandas")
    except ImportError as exc:
        raise ImportError("Trace.to_dataframe needs pandas: pip install pandas") from exc
    tokens = np.array(trace.tokens, dtype=object)
    parts: dict[str, list[Any]] = {name: [] for name in LONG_COLUMNS}
    for layer, direction, quantity, values in long_blocks(trace.arrays(), trace.steps):
        units = values.shape[1] if values.ndim == 2 else 1
        count = trace.steps * units
        steps = np.repeat(np.arange(trace.steps), units)
        parts["layer"].append(np.full(count, int(layer) if layer else -1))
        parts["direction"].append(np.full(count, direction, dtype=object))
        parts["step"].append(steps)
        parts["token"].append(tokens[steps])
        parts["quantity"].append(np.full(count, quantity, dtype=object))
        parts["unit"].append(np.tile(np.arange(units), trace.steps) if values.ndim == 2
                             else np.full(count, -1))
        parts["value"].append(values.reshape(-1).astype(np.float64))
    columns = {name: np.concatenate(blocks) for name, blocks in parts.items()}
    frame = pd.DataFrame(columns)
    for name in ("layer", "unit"):  # -1 stood for the CSV's empty field
        frame[name] = frame[name].astype("Int64").mask(frame[name] < 0)
    return frame
