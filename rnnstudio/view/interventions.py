"""Interventions in the window: edits in words, the edited cells, and the diff (no Qt).

The session keeps two traces of one text while edits are on: the *edited* one (what the
panels show) and the *original* one (the same model, text and loss, no edits). Everything
here is a function of those two arrays and the edits, so a test can check each number
against a direct subtraction: the per-step norms ||Δh_t||, ||Δc_t|| of the shown layer
and direction, the change of the head's answer, the Δ heatmaps (edited − original) and
the cells each edit acts on (units × steps of one quantity, layer and direction).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..engine.config import GATES
from ..engine.interventions import SPEC_HELP, Intervention, parse_intervention
from ..engine.model import Model
from ..engine.trace import Trace, row_norms
from ..errors import RnnStudioError
from .colours import ColourScale, count_nonfinite, nice_ceiling
from .heatmaps import QUANTITY_TITLES, SIGNED_COLORMAP, HeatmapData, quantity_names
from .readout import head_task, softmax

__all__ = ["SPEC_HELP", "EditState", "TraceDiff", "checked_spec", "diff_summary",
           "edit_state", "edited_blocks", "edited_mask", "intervention_words", "trace_diff"]

Edits = tuple[Intervention, ...]
#: (first step, first unit, step count, unit count): one outlined block of edited cells.
Block = tuple[int, int, int, int]


def quantity_choices(cell: str) -> tuple[str, ...]:
    """What an edit may act on for ``cell``: h, c (LSTM) and the gates, display order."""
    return tuple(name for name in quantity_names(cell)
                 if name in ("h", "c") or name in GATES[cell])


def checked_spec(spec: str, model: Model | None) -> tuple[Intervention | None, str]:
    """The edit a typed spec makes and what it does in words, or None and what is wrong
    (the grammar's or the model's one-line message): the dock's form validates here."""
    try:
        edit = parse_intervention(spec)
        if model is not None:
            model.check_interventions([edit])
    except RnnStudioError as error:
        return None, str(error)
    return edit, intervention_words(edit)


def _units_words(units: tuple[int, ...] | None) -> str:
    if units is None:
        return "every unit"
    shown = ", ".join(str(unit) for unit in units[:8])
    more = f" and {len(units) - 8} more" if len(units) > 8 else ""
    return f"unit{'s' if len(units) > 1 else ''} {shown}{more}"


def _steps_words(edit: Intervention) -> str:
    if edit.stop is None:
        return "at every step" if edit.start == 0 else f"from step {edit.start}"
    if edit.stop == edit.start + 1:
        return f"at step {edit.start}"
    return f"at steps {edit.start} to {edit.stop - 1}"


def intervention_words(edit: Intervention) -> str:
    """``f clamped to 1.00 on units 3, 7 from step 5 (layer 0 fwd)``; a zeroing edit
    reads "zeroed", a scaling one "scaled by 0.50"."""
    if edit.value == 0:
        action = "zeroed"
    elif edit.op == "set":
        action = f"clamped to {edit.value:.2f}"
    else:
        action = f"scaled by {edit.value:.2f}"
    return (f"{edit.quantity} {action} on {_units_words(edit.units)} {_steps_words(edit)} "
            f"(layer {edit.layer} {edit.direction})")


def edits_acting_on(edits: Sequence[Intervention], quantity: str, layer: int,
                    direction: str) -> Edits:
    """The edits of one quantity of one layer and direction."""
    return tuple(edit for edit in edits if (edit.quantity, edit.layer, edit.direction)
                 == (quantity, layer, direction))


def edited_mask(edits: Sequence[Intervention], quantity: str, layer: int, direction: str,
                units: int, steps: int) -> np.ndarray:
    """(units, steps) bool: the cells of ``quantity`` the edits act on (heatmap layout)."""
    mask = np.zeros((units, steps), dtype=bool)
    for edit in edits_acting_on(edits, quantity, layer, direction):
        rows = edit.unit_index(units)
        if not isinstance(rows, slice):
            rows = rows[rows < units]
        mask[rows, edit.start : edit.stop] = True
    return mask


def edited_blocks(edits: Sequence[Intervention], quantity: str, layer: int,
                  direction: str, units: int, steps: int) -> list[Block]:
    """The edited cells as few rectangles: each edit's runs of consecutive units over its
    steps, clipped to the heatmap (what the heatmap outlines)."""
    blocks: list[Block] = []
    for edit in edits_acting_on(edits, quantity, layer, direction):
        first_step, last_step = edit.start, steps if edit.stop is None else min(edit.stop,
                                                                                steps)
        if first_step >= last_step:
            continue
        listed = range(units) if edit.units is None else [u for u in edit.units if u < units]
        for first, count in _runs(listed):
            blocks.append((first_step, first, last_step - first_step, count))
    return blocks


def _runs(units: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted unit numbers as (first, count) runs of consecutive numbers."""
    runs: list[tuple[int, int]] = []
    for unit in sorted(set(units)):
        if runs and runs[-1][0] + runs[-1][1] == unit:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((unit, 1))
    return runs


def edited_steps(edits: Sequence[Intervention], steps: int) -> np.ndarray:
    """(steps,) bool: the steps at which any edit acts (the diff plot shades them)."""
    mask = np.zeros(steps, dtype=bool)
    for edit in edits:
        mask |= edit.step_mask(steps)
    return mask


@dataclass(frozen=True)
class ReadoutChange:
    """How the head's answer moved: ``delta`` (T,) is the edited minus the original
    probability of the original's top choice at each step; ``flipped`` (T,) bool where
    the top choice itself changed."""

    delta: np.ndarray
    flipped: np.ndarray


@dataclass(frozen=True)
class TraceDiff:
    """Edited minus original for one layer and direction, per step (T,): ``hidden``
    ||Δh_t||, ``cell`` ||Δc_t|| (LSTM, else None), ``readout`` (None without a head),
    ``edited`` the steps any edit acts at, and ``heatmaps`` the Δ of every quantity
    (units, T) in the heatmaps' order, on symmetric colour levels."""

    layer: int
    direction: str
    hidden: np.ndarray
    cell: np.ndarray | None
    readout: ReadoutChange | None
    edited: np.ndarray
    heatmaps: tuple[HeatmapData, ...]

    def heatmap(self, name: str) -> HeatmapData | None:
        return next((item for item in self.heatmaps if item.name == name), None)


def readout_change(edited: Trace, original: Trace) -> ReadoutChange | None:
    """The change of the head's answer per step, or None for a model without a head."""
    if head_task(edited) is None or edited.logits is None or original.logits is None:
        return None
    before, after = softmax(original.logits), softmax(edited.logits)
    top = before.argmax(axis=-1)
    rows = np.arange(len(top))
    return ReadoutChange(after[rows, top] - before[rows, top], after.argmax(axis=-1) != top)


def delta_heatmap(name: str, edited: np.ndarray, original: np.ndarray) -> HeatmapData:
    """Edited − original of one quantity's (T, units) arrays as a (units, T) heatmap on
    symmetric levels rounded up to 1, 2 or 5 × 10^k (a zero difference: ±1e-6, so an
    untouched quantity reads as untouched, not as noise stretched to the full scale)."""
    delta = np.ascontiguousarray((np.asarray(edited, np.float64)
                                  - np.asarray(original, np.float64)).T, dtype=np.float32)
    # Only the largest |Δ| sets the levels: ``spread``'s percentile for a symmetric-log
    # threshold took 4 of the 5 ms per quantity (T = 200, H = 256).
    nonfinite = count_nonfinite(delta)
    finite = delta[np.isfinite(delta)] if nonfinite else delta
    largest = float(np.abs(finite).max()) if finite.size else 0.0
    bound = nice_ceiling(largest) if largest > 0 else 1e-6
    scale = ColourScale((-bound, bound), SIGNED_COLORMAP)
    return HeatmapData(name, f"Δ{QUANTITY_TITLES[name]}", delta, scale, nonfinite)


def trace_diff(edited: Trace, original: Trace, edits: Sequence[Intervention], layer: int,
               direction: str) -> TraceDiff:
    """The diff of two traces of the same text (``edited`` with ``edits``)."""
    if edited.steps != original.steps:
        raise ValueError(f"the traces read {edited.steps} and {original.steps} tokens: "
                         "a diff needs the same text")
    after, before = edited.layer(layer, direction), original.layer(layer, direction)
    after_arrays, before_arrays = after.quantities(), before.quantities()
    hidden = row_norms(np.asarray(after.h, np.float64) - before.h)
    cell = None
    if after.c is not None and before.c is not None:
        cell = row_norms(np.asarray(after.c, np.float64) - before.c)
    maps = tuple(delta_heatmap(name, after_arrays[name], before_arrays[name])
                 for name in quantity_names(edited.config.recurrent.cell)
                 if name in after_arrays and name in before_arrays)
    return TraceDiff(layer, direction, hidden, cell, readout_change(edited, original),
                     edited_steps(edits, edited.steps), maps)


def cursor_note(edits: Sequence[Intervention], edited: Trace, original: Trace, layer: int,
                direction: str, step: int, unit: int) -> str:
    """What This step says under edits: which of the cursor unit's quantities are edited
    at ``step``, and each quantity's edited value beside the original one, e.g.
    ``edited here: f · unit 17: h 0.412 (was 0.380) · f 1.000 (was 0.731)``."""
    if not 0 <= step < edited.steps:
        return ""
    here = sorted({edit.quantity for edit in edits if edit.covers(step)
                   and (edit.layer, edit.direction) == (layer, direction)
                   and (edit.units is None or unit in edit.units)})
    after = edited.layer(layer, direction).quantities()
    before = original.layer(layer, direction).quantities()
    values = []
    for name, array in after.items():
        if name in before and unit < np.shape(array)[1]:
            values.append(f"{name} {float(array[step, unit]):.3f} "
                          f"(was {float(before[name][step, unit]):.3f})")
    lead = f"edited here: {', '.join(here)}" if here else "not edited here"
    return f"{lead} · unit {unit}: " + " · ".join(values)


@dataclass(frozen=True)
class EditState:
    """The session's edits: all of them, whether they are on, and, while some are on,
    the unedited trace of the same text and the diff of the shown layer and direction."""

    interventions: Edits = ()
    enabled: bool = True
    original: Trace | None = None
    diff: TraceDiff | None = None

    @property
    def active(self) -> Edits:
        """The edits the shown trace was read with."""
        return self.interventions if self.enabled else ()


def edit_state(edits: Edits, enabled: bool, trace: Trace, original: Trace | None,
               layer: int, direction: str) -> EditState:
    """The state after a trace arrived (``original`` None: it was read without edits)."""
    if original is None or not enabled or not edits:
        return EditState(edits, enabled)
    return EditState(edits, enabled, original,
                     trace_diff(trace, original, edits, layer, direction))


def shown_at(state: EditState, trace: Trace, layer: int, direction: str) -> EditState:
    """The same state with the diff of another layer or direction."""
    return edit_state(state.interventions, state.enabled, trace, state.original, layer,
                      direction)


def step_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """The True entries of a (T,) mask as (first step, count) runs (shaded bands)."""
    return _runs(int(step) for step in np.flatnonzero(mask))


def diff_summary(diff: TraceDiff, tokens: Sequence[str]) -> str:
    """The diff in one line: where h (and c) moved most, and where the answer changed,
    e.g. ``largest ||Δh|| 0.84 at step 9 “good” · ||Δc|| 2.10 at step 9 · the top
    choice changes at 3 steps (first at step 5)``."""
    moved = bool(np.any(diff.hidden) or (diff.cell is not None and np.any(diff.cell)))
    parts = [] if moved else [f"no change of h{' or c' if diff.cell is not None else ''} "
                              f"in layer {diff.layer} {diff.direction}"]
    for name, norms in (("h", diff.hidden), ("c", diff.cell)) if moved else ():
        if norms is not None and norms.size:
            step = int(np.nanargmax(norms)) if np.isfinite(norms).any() else 0
            parts.append(f"{'largest ' if not parts else ''}||Δ{name}|| "
                         f"{float(norms[step]):.3g} at step {step} “{tokens[step]}”")
    if diff.readout is not None:
        flips = np.flatnonzero(diff.readout.flipped)
        parts.append(f"the top choice changes at {len(flips)} step(s) (first at step "
                     f"{flips[0]})" if flips.size else "the top choice never changes")
    return " · ".join(parts)


def unit_edit(quantity: str, layer: int, direction: str, unit: int, start: int = 0,
              value: float = 0.0) -> Intervention:
    """A heatmap cell's quick edit: ``quantity`` of one unit clamped to ``value`` (rounded
    to three decimals, as the form shows it) from ``start`` on."""
    return Intervention(quantity, "set", round(float(value), 3), layer, direction,
                        (int(unit),), int(start))


def equation_caveat(edits: Sequence[Intervention], layer: int, direction: str, step: int,
                    unit: int) -> str:
    """What the unit's equations say when an edit acts on it at ``step``: each line is
    the cell's own arithmetic, and an edited line ends in the value the edit put there."""
    here = [edit for edit in edits if edit.covers(step)
            and (edit.layer, edit.direction) == (layer, direction)
            and (edit.units is None or unit in edit.units)]
    if not here:
        return ""
    words = ", ".join(f"{edit.quantity} {'set to' if edit.op == 'set' else 'scaled by'} "
                      f"{edit.value:.2f}" for edit in here)
    return (f"Edited at this step: {words}. Each line is the cell's own arithmetic; an "
            "edited one ends in \u2192 the value the edit put there, which the lines after "
            "it, the bars, the heatmaps and the next step use.")
