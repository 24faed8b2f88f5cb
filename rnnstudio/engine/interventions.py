"""Interventions: edits of a gate, ``c`` or ``h`` that a trace replays with.

An intervention sets (clamps) or scales one quantity of chosen units of one layer and
direction over a range of steps; the rest of the sequence is recomputed with the edit
in place, and BPTT runs through the *edited* computation. Why edits and not a second
model: "what if this unit forgot everything at step 5?" is a question about one
computation, and the answer is the difference between two traces of the same weights.

Semantics (the contract the engine and its tests keep)
    set    ``q_t[u] = value``       for u in units and t in steps: a clamped quantity is
                                    a constant, so no gradient reaches what produced it.
    scale  ``q_t[u] = value * q``   the produced value times a constant: the gradient to
                                    its producer is multiplied by the same constant.
Zeroing is either ``=0`` or ``*0``; both give 0 and pass no gradient.

The edit acts where the quantity is made, inside the step, so everything downstream
reads the edited value: with f = 1 and i = 0 on every unit from step s, ``c_t`` equals
``c_{s-1}`` bit for bit for every t >= s; a zeroed unit of h is 0 where zeroed, the
next step's recurrence and the next layer both read 0. Steps are token positions in
forward time (a backward direction's step t is still token t); steps beyond a text are
ignored (an edit from step 50 does nothing to 20 tokens), so an edit outlives a shorter
text. Several edits of one quantity apply in the order given (scale then set is a set).

The spec (``rnnstudio trace --intervene SPEC``; :func:`parse_intervention`)::

    QUANTITY (= | *) VALUE [@l{layer}[.fwd|.bwd]] [:units=LIST] [:steps=RANGE]

    f=1.0@l0.fwd:units=3,7:steps=5-      clamp f of units 3 and 7 to 1 from step 5 on
    h*0@l0.fwd:units=12                  zero unit 12 of h at every step
    i=0:units=0-63:steps=5-9             the input gate shut at steps 5 to 9 (inclusive)

QUANTITY is ``h``, ``c`` (LSTM) or a gate letter of the cell (LSTM i f g o, GRU r z n);
LIST is comma-separated units or inclusive ranges ``a-b`` (default: every unit); RANGE is
``s`` (one step), ``a-b`` (inclusive), ``a-`` (from a to the end) or ``-b`` (to b).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError, shown
from .config import GATES

__all__ = ["OPERATIONS", "SPEC_HELP", "Intervention", "as_interventions",
           "check_interventions", "parse_intervention"]

#: ``=`` sets, ``*`` scales.
OPERATIONS = {"=": "set", "*": "scale"}
#: One line for ``--help`` and error messages.
SPEC_HELP = ("QUANTITY(=|*)VALUE[@lK[.fwd|.bwd]][:units=3,7|0-9][:steps=5|5-9|5-|-9], "
             "e.g. f=1.0@l0.fwd:units=3,7:steps=5-")
#: Unit and step numbers in specs: canonical decimal, at most nine digits.
_NUMBER = r"(?:0|[1-9][0-9]{0,8})"
_SPEC = re.compile(
    rf"(?P<quantity>[a-z])(?P<op>[=*])(?P<value>[^@:]+)"
    rf"(?:@l(?P<layer>{_NUMBER})(?:\.(?P<direction>fwd|bwd))?)?"
    rf"(?::units=(?P<units>[0-9,\-]+))?"
    rf"(?::steps=(?P<steps>{_NUMBER}?-?{_NUMBER}?))?"
)
_RANGE = re.compile(rf"(?P<first>{_NUMBER})(?:-(?P<last>{_NUMBER}))?")
#: At most this many listed units in one spec (a hidden layer holds at most 8192).
_MAX_LISTED = 1 << 13


@dataclass(frozen=True)
class Intervention:
    """One edit: ``quantity`` of ``units`` (None: all) of layer ``layer``, direction
    ``direction``, at steps ``start`` to ``stop - 1`` (``stop`` None: to the end), set
    to ``value`` (``op="set"``) or multiplied by it (``op="scale"``).

    Frozen and hashable, so a list of them can key a cached replay and sit in a session.
    """

    quantity: str
    op: str
    value: float
    layer: int = 0
    direction: str = "fwd"
    units: tuple[int, ...] | None = None
    start: int = 0
    stop: int | None = None

    def __post_init__(self) -> None:
        if self.op not in OPERATIONS.values():
            raise ConfigError(f"intervention {self.spec_or_fields()}: operation "
                              f"{shown(self.op)} is not 'set' or 'scale'")
        if not math.isfinite(self.value):
            raise ConfigError(f"intervention {self.spec_or_fields()}: the value "
                              f"{self.value} is not finite; give a finite number")
        if self.direction not in ("fwd", "bwd"):
            raise ConfigError(f"intervention {self.spec_or_fields()}: direction "
                              f"{shown(self.direction)} is not fwd or bwd")
        if self.layer < 0 or self.start < 0 or (self.stop is not None
                                                 and self.stop <= self.start):
            raise ConfigError(f"intervention {self.spec_or_fields()}: layer and steps must "
                              "be non-negative, and the last step not before the first")
        if self.units is not None and (not self.units or min(self.units) < 0):
            raise ConfigError(f"intervention {self.spec_or_fields()}: units must be a "
                              "non-empty list of unit numbers from 0")

    def spec_or_fields(self) -> str:
        """Its spec when its fields are valid enough to write one (for messages)."""
        try:
            return self.spec()
        except (TypeError, ValueError):
            return shown(self)

    def spec(self) -> str:
        """The command-line spec that parses back to this intervention."""
        op = "=" if self.op == "set" else "*"
        text = f"{self.quantity}{op}{self.value:g}@l{self.layer}.{self.direction}"
        if self.units is not None:
            text += ":units=" + _list_text(self.units)
        if self.start or self.stop is not None:
            last = "" if self.stop is None else str(self.stop - 1)
            text += f":steps={self.start}-{last}" if last != str(self.start) else \
                f":steps={self.start}"
        return text

    def covers(self, step: int) -> bool:
        """Whether the edit acts at ``step``."""
        return step >= self.start and (self.stop is None or step < self.stop)

    def step_mask(self, steps: int) -> np.ndarray:
        """(steps,) bool: the steps of a ``steps``-token text the edit acts at."""
        mask = np.zeros(steps, dtype=bool)
        mask[self.start : self.stop] = True
        return mask

    def unit_index(self, size: int) -> np.ndarray | slice:
        """Index of the edited units in a row of ``size`` units."""
        return slice(0, size) if self.units is None else np.asarray(self.units)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (session files, trace metadata)."""
        return {"quantity": self.quantity, "op": self.op, "value": self.value,
                "layer": self.layer, "direction": self.direction,
                "units": None if self.units is None else list(self.units),
                "start": self.start, "stop": self.stop}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Intervention:
        """Inverse of :meth:`to_dict`; a missing or ill-typed field is a ConfigError."""
        try:
            units = data.get("units")
            stop = data.get("stop")
            return cls(quantity=str(data["quantity"]), op=str(data["op"]),
                       value=float(data["value"]), layer=int(data.get("layer", 0)),
                       direction=str(data.get("direction", "fwd")),
                       units=None if units is None else tuple(int(u) for u in units),
                       start=int(data.get("start", 0)),
                       stop=None if stop is None else int(stop))
        except (KeyError, TypeError, ValueError) as error:
            raise ConfigError(f"intervention {shown(dict(data))} is not valid ({error}); "
                              "it needs quantity, op and value") from None


def _list_text(units: Sequence[int]) -> str:
    """``0,1,2,5`` as ``0-2,5``: runs shortened so a spec of 64 units stays short."""
    parts: list[str] = []
    first = previous = units[0]
    for unit in [*units[1:], None]:
        if unit is not None and unit == previous + 1:
            previous = unit
            continue
        parts.append(str(first) if first == previous else f"{first}-{previous}")
        if unit is not None:
            first = previous = unit
    return ",".join(parts)


def _parse_units(spec: str, text: str) -> tuple[int, ...]:
    units: list[int] = []
    for part in text.split(","):
        match = _RANGE.fullmatch(part)
        if match is None:
            raise ConfigError(f"intervention {shown(spec)}: units {shown(text)} are not a "
                              "list of numbers or ranges like 3,7 or 0-9")
        first = int(match["first"])
        last = first if match["last"] is None else int(match["last"])
        if last < first or len(units) + last - first + 1 > _MAX_LISTED:
            raise ConfigError(f"intervention {shown(spec)}: the unit range {part} is empty "
                              f"or lists more than {_MAX_LISTED} units")
        units.extend(range(first, last + 1))
    return tuple(sorted(set(units)))


def _parse_steps(spec: str, text: str) -> tuple[int, int | None]:
    first, dash, last = text.partition("-")
    if not first and not last:
        raise ConfigError(f"intervention {shown(spec)}: steps need a number, e.g. 5, 5-9 "
                          "or 5-")
    start = int(first) if first else 0
    if not dash:
        return start, start + 1
    stop = int(last) + 1 if last else None
    if stop is not None and stop <= start:
        raise ConfigError(f"intervention {shown(spec)}: the steps {text} end before they "
                          "start; give FIRST-LAST with FIRST <= LAST")
    return start, stop


def parse_intervention(spec: str) -> Intervention:
    """An :class:`Intervention` from its command-line spec (grammar in the module
    docstring); a malformed spec is a one-line ConfigError quoting it."""
    match = _SPEC.fullmatch(spec.strip())
    if match is None:
        raise ConfigError(f"intervention {shown(spec)} is not a spec; write {SPEC_HELP}")
    try:
        value = float(match["value"])
    except ValueError:
        raise ConfigError(f"intervention {shown(spec)}: the value {shown(match['value'])} "
                          "is not a number") from None
    start, stop = (0, None) if match["steps"] is None else _parse_steps(spec, match["steps"])
    return Intervention(
        quantity=match["quantity"], op=OPERATIONS[match["op"]], value=value,
        layer=int(match["layer"] or 0), direction=match["direction"] or "fwd",
        units=None if match["units"] is None else _parse_units(spec, match["units"]),
        start=start, stop=stop)


def as_interventions(
    items: Intervention | str | Iterable[Intervention | str],
) -> tuple[Intervention, ...]:
    """Interventions from objects and specs alike (one, or any iterable of them); a spec
    is parsed (:func:`parse_intervention`), anything else is a ConfigError."""
    if isinstance(items, (str, Intervention)):
        items = (items,)
    if not isinstance(items, Iterable):
        raise ConfigError(f"interventions must be a list of Intervention objects or specs, "
                          f"got {shown(items)}")
    return tuple(parse_intervention(item) if isinstance(item, str) else item
                 for item in items)


def check_interventions(interventions: Iterable[Intervention], cell: str, num_layers: int,
                        bidirectional: bool, hidden_size: int, output_size: int,
                        ) -> tuple[Intervention, ...]:
    """The interventions, each checked against a model's shape before any computing.

    ``output_size`` is h's width (``proj_size`` for a projected LSTM, else
    ``hidden_size``); c and the gates are ``hidden_size`` wide. Raises a ConfigError
    naming the spec and what the model has.
    """
    checked = []
    for edit in interventions:
        if not isinstance(edit, Intervention):
            raise ConfigError(f"interventions must be Intervention objects or specs, got "
                              f"{shown(edit)}")
        allowed = ("h", *(("c",) if cell == "lstm" else ()), *GATES[cell])
        if edit.quantity not in allowed:
            raise ConfigError(f"intervention {edit.spec()}: this {cell.upper()} has no "
                              f"{shown(edit.quantity)}; it has {', '.join(allowed)}")
        if edit.layer >= num_layers or (edit.direction == "bwd" and not bidirectional):
            raise ConfigError(f"intervention {edit.spec()}: the model has {num_layers} "
                              f"layer(s){'' if bidirectional else ', forward only'}")
        width = output_size if edit.quantity == "h" else hidden_size
        if edit.units is not None and max(edit.units) >= width:
            raise ConfigError(f"intervention {edit.spec()}: unit {max(edit.units)} is "
                              f"beyond {edit.quantity}'s {width} units (0 to {width - 1})")
        checked.append(edit)
    return tuple(checked)
