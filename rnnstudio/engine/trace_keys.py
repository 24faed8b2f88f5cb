"""The trace-file keys: how a trace's arrays are named in ``.npz``, ``.json`` and ``.csv``.

One home for their spelling (docs/formats.md has the table): ``Trace.arrays()`` and
``Trace.from_arrays`` make and read them, the CSV writer splits them into columns.

* per layer ``k`` and direction ``fwd|bwd``: ``l{k}.{dir}.{name}`` (h, c, gates),
  ``grad.l{k}.{dir}.{h|c}`` (dL/dh_t, dL/dc_t), ``jacobian.l{k}.{dir}`` (||dh_T/dh_t||)
  and ``decomposition.l{k}.{dir}.{name}`` (the gradient's paths through the gates, see
  :mod:`.decomposition`; written on request, not read back into a ``Trace``);
* of no layer: ``tokens``, ``token_ids``, ``x``, ``grad.x``, ``logits``, ``h0``, ``c0``
  and ``meta`` (a JSON string).
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = [
    "C0", "DECOMPOSITION", "GRAD", "GRAD_X", "H0", "JACOBIAN", "LOGITS", "META", "STATE",
    "TOKENS", "TOKEN_IDS", "X", "LayerKey", "decomposition_key", "grad_key", "jacobian_key",
    "layer_key", "parse_layer_key", "state_key",
]

TOKENS = "tokens"
TOKEN_IDS = "token_ids"
X = "x"
GRAD_X = "grad.x"
LOGITS = "logits"
H0 = "h0"
C0 = "c0"
META = "meta"

#: Kinds of per-layer key.
STATE, GRAD, JACOBIAN, DECOMPOSITION = "state", "grad", "jacobian", "decomposition"

# Layer numbers in canonical decimal only (no ``l01``: it would alias ``l1``), at most
# nine digits so ``int()`` never meets a 10,000-digit number from a hostile file.
_LAYER = r"l(?P<layer>0|[1-9][0-9]{0,8})\.(?P<direction>fwd|bwd)"
_PATTERNS = {
    STATE: re.compile(rf"{_LAYER}\.(?P<name>[a-z]+)"),
    GRAD: re.compile(rf"grad\.{_LAYER}\.(?P<name>[a-z]+)"),
    JACOBIAN: re.compile(rf"jacobian\.{_LAYER}"),
    # Field names of Decomposition: lower-case words joined by "_", at most 40 characters.
    DECOMPOSITION: re.compile(rf"decomposition\.{_LAYER}\.(?P<name>[a-z][a-z0-9_]{{0,39}})"),
}


class LayerKey(NamedTuple):
    """A per-layer key taken apart: ``kind`` is STATE, GRAD, JACOBIAN or DECOMPOSITION;
    ``name`` is the quantity (``h``, ``c``, a gate letter, a Decomposition field such as
    ``log10_retention``), empty for JACOBIAN."""

    kind: str
    layer: int
    direction: str
    name: str = ""


def state_key(layer: int, direction: str, name: str) -> str:
    """``l0.fwd.h``: a state or gate of one layer and direction."""
    return f"l{layer}.{direction}.{name}"


def grad_key(layer: int, direction: str, name: str) -> str:
    """``grad.l0.fwd.c``: dL/dh_t (``h``) or dL/dc_t (``c``)."""
    return f"grad.{state_key(layer, direction, name)}"


def jacobian_key(layer: int, direction: str) -> str:
    """``jacobian.l0.fwd``: ||dh_T/dh_t||, one number per step."""
    return f"jacobian.l{layer}.{direction}"


def decomposition_key(layer: int, direction: str, name: str) -> str:
    """``decomposition.l0.fwd.log10_retention``: a field of a ``Decomposition``."""
    return f"decomposition.{state_key(layer, direction, name)}"


def layer_key(parts: LayerKey) -> str:
    """The key that :func:`parse_layer_key` takes apart into ``parts``."""
    if parts.kind == JACOBIAN:
        return jacobian_key(parts.layer, parts.direction)
    if parts.kind == DECOMPOSITION:
        return decomposition_key(parts.layer, parts.direction, parts.name)
    make = grad_key if parts.kind == GRAD else state_key
    return make(parts.layer, parts.direction, parts.name)


def parse_layer_key(key: str) -> LayerKey | None:
    """``grad.l1.bwd.h`` -> ``LayerKey(GRAD, 1, "bwd", "h")``; None for a key of no layer."""
    for kind, pattern in _PATTERNS.items():
        match = pattern.fullmatch(key)
        if match:
            return LayerKey(kind, int(match["layer"]), match["direction"],
                            match.groupdict().get("name") or "")
    return None
