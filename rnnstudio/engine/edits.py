"""Interventions as per-step arrays: what a cell's edited step loop and its backward
pass read (the records and their grammar are :mod:`.interventions`).

Every edit of one quantity is affine per unit, ``q_edited = keep * q_made + add``: a set
is ``keep = 0, add = value``, a scale ``keep = value, add = 0``, and several edits of the
same quantity compose in the order given (scale then set is a set; set 2 then scale 3
sets 6). So one pair of (T, n) arrays per edited quantity holds any list of edits, and
the backward rule is one line: the gradient reaching what made ``q`` is ``keep`` times
the gradient of ``q`` (0 where clamped, the constant where scaled).

Where ``keep`` is 0 the forward assigns ``add`` (``np.copyto``) instead of computing
``0 * q + add``, so a clamp is exact even where the made value overflowed (0 * inf is NaN).
Arrays are in a direction's processing order (a reverse direction's step 0 is the last
token), like the caches that carry them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .interventions import Intervention

Key = tuple[int, str]


@dataclass(frozen=True)
class QuantityEdit:
    """All edits of one quantity of one layer and direction, (T, n) per step and unit."""

    keep: np.ndarray  # multiplier of the made value; 0 where clamped
    add: np.ndarray  # the clamped value where keep is 0, else 0
    clamped: np.ndarray  # bool, keep == 0
    active: np.ndarray  # (T,) bool: steps where any unit is edited
    scales: bool  # some keep is neither 0 nor 1 (the multiply is needed)

    def apply(self, step: int, values: np.ndarray) -> None:
        """Edit the made values (B, n) of ``step`` in place."""
        if not self.active[step]:
            return
        if self.scales:
            np.multiply(values, self.keep[step], out=values)
        np.copyto(values, self.add[step], where=self.clamped[step])


@dataclass(frozen=True)
class LayerEdits:
    """The edits of one layer and direction, by quantity (``h``, ``c``, gate letters)."""

    quantities: dict[str, QuantityEdit]
    steps: int

    def apply(self, name: str, step: int, values: np.ndarray) -> None:
        """Edit quantity ``name``'s made values (B, n) at ``step`` in place, if edited."""
        edit = self.quantities.get(name)
        if edit is not None:
            edit.apply(step, values)

    def keep(self, names: Sequence[str], width: int, dtype: np.dtype) -> np.ndarray | None:
        """The local derivatives of the edits of ``names`` side by side, (T, 1, len(names)
        * width) in ``dtype`` (1 where a quantity is not edited), or None when none is:
        the factor the backward pass multiplies the gradient of the made values by."""
        if not any(name in self.quantities for name in names):
            return None
        blocks = [self.quantities[name].keep if name in self.quantities
                  else np.ones((self.steps, width)) for name in names]
        return np.concatenate(blocks, axis=1).astype(dtype)[:, None, :]


def layer_edits(
    interventions: Iterable[Intervention], num_layers: int, directions: Sequence[str],
    hidden_size: int, output_size: int, steps: int, dtype: np.dtype,
) -> dict[Key, LayerEdits]:
    """The checked ``interventions`` (see ``check_interventions``) as per-step arrays in
    the forward pass's ``dtype`` (a float32 model multiplies by float32 constants), by
    (layer, direction), for a text of ``steps`` tokens; only edited layers appear. Steps
    beyond the text are ignored (an edit from step 50 does nothing to 20 tokens)."""
    grouped: dict[Key, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    for edit in interventions:
        key = (edit.layer, edit.direction)
        assert edit.layer < num_layers and edit.direction in directions
        width = output_size if edit.quantity == "h" else hidden_size
        quantities = grouped.setdefault(key, {})
        keep, add = quantities.setdefault(edit.quantity, (np.ones((steps, width)),
                                                           np.zeros((steps, width))))
        rows = np.flatnonzero(edit.step_mask(steps))
        units = np.arange(width) if edit.units is None else np.asarray(edit.units)
        where = np.ix_(rows, units)
        if edit.op == "set":
            keep[where], add[where] = 0.0, edit.value
        else:
            keep[where] *= edit.value
            add[where] *= edit.value
    return {key: LayerEdits({name: _quantity_edit(keep, add, key[1] == "bwd", dtype)
                             for name, (keep, add) in quantities.items()}, steps)
            for key, quantities in grouped.items()}


def _quantity_edit(
    keep: np.ndarray, add: np.ndarray, reverse: bool, dtype: np.dtype
) -> QuantityEdit:
    """Forward-time float64 arrays as a :class:`QuantityEdit` in processing order."""
    if reverse:
        keep, add = keep[::-1], add[::-1]
    keep = np.ascontiguousarray(keep, dtype=dtype)
    clamped = keep == 0.0
    add = np.where(clamped, add, 0.0).astype(dtype)
    active = (keep != 1.0).any(axis=1)
    scales = bool(((keep != 0.0) & (keep != 1.0)).any())
    return QuantityEdit(keep, add, clamped, active, scales)



def keeps(edits: LayerEdits | None, names: Sequence[str], width: int,
          dtype: np.dtype) -> list[np.ndarray | None]:
    """Per name, the edit's local derivative (T, 1, width) in ``dtype``, or None where the
    quantity is not edited (or there are no edits)."""
    if edits is None:
        return [None] * len(names)
    return [edits.keep((name,), width, dtype) for name in names]


def scaled_by(values: np.ndarray, *factors: np.ndarray | None) -> np.ndarray:
    """``values`` times every factor that is not None (a new array when one is given)."""
    for factor in factors:
        if factor is not None:
            values = values * factor
    return values
