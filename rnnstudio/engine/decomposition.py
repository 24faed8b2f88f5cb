"""The gradient, decomposed through the gates: how much of d(state_T)/d(state_t) each
path carries, per layer and direction (issue 14).

* LSTM: the *memory retention* ``R[t, u] = prod f_k[u]`` over the steps read after t
  is the part of dc_T/dc_t carried by the cell state alone (a diagonal matrix); beside
  it the full dc_T/dc_t through every path (via h too): its norm and its diagonal.
* GRU: ``prod z_k`` (PyTorch's convention: z near 1 *keeps* the old state) beside the
  full dh_T/dh_t.
* RNN: the step Jacobian dh_t/dh_{t-1} = diag(act'(a_t)) W_hh, its largest and
  smallest singular values, and their products over the steps read after t: the
  spectral norm ||dh_T/dh_t||_2 lies between the product of the smallest and the
  product of the largest, which is why plain RNN gradients vanish or explode.

The anchor T is the last step of that direction's reading order: the last token for
``fwd``, the *first* token for ``bwd`` (which reads from the end, so its "later" steps
are earlier tokens). Arrays are returned in forward time like every trace array.

Every product and norm is a log10 (float64); ``-inf`` marks an exact zero (a forget
gate that saturated to 0.0, a dead ReLU unit). The equations, step by step, are in
:mod:`.decomposition_steps`. Cost: the full Jacobians carry H x H matrices, about
8 H^3 multiply-adds a step for an LSTM (2 H^3 for GRU/RNN, plus two SVDs a step for the
RNN), so they are computed only up to :data:`FULL_MAX_UNITS` units; the retention
products are cheap and always there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

from .decomposition_steps import (
    FullPaths,
    LayerSteps,
    carried_full_paths,
    gru_step_jacobian,
    log10_of,
    lstm_full_paths,
    rnn_step_jacobian,
    sums_after,
)
from .layer import check_stop
from .params import layer_weights
from .stack import JACOBIAN_EXACT_MAX
from .trace_keys import decomposition_key

if TYPE_CHECKING:
    from .model import Model
    from .trace import Trace

__all__ = ["FULL_MAX_UNITS", "Decomposition", "decompose", "decompose_all",
           "decomposition_arrays"]

#: Largest hidden (and output) size whose full Jacobians are computed: the engine's
#: exact limit for ||dh_T/dh_t|| (one adjoint per unit), about 1-3 ms a step at 256.
FULL_MAX_UNITS = JACOBIAN_EXACT_MAX

Key = tuple[int, str]


@dataclass(frozen=True)
class Decomposition:
    """One layer and direction's gradient paths; arrays in forward time (T = steps),
    float64 log10 with ``-inf`` for an exact zero. None where a cell has no such
    quantity, or where the full Jacobians were not computed (more than
    :data:`FULL_MAX_UNITS` units, or ``full=False``).

    Attributes
    ----------
    cell, layer, direction : what was decomposed (``direction`` ``fwd`` or ``bwd``).
    log10_retention : (T, H)
        LSTM: log10 prod f_k[u], GRU: log10 prod z_k[u], over the steps k read after t
        (0 at the anchor). RNN: None.
    log10_retention_norm : (T,)
        log10 of the Frobenius norm of diag(retention): the cell-state (GRU: keep) path.
    log10_full_norm : (T,)
        log10 ||dc_T/dc_t||_F (LSTM) or ||dh_T/dh_t||_F (GRU, RNN), every path.
    log10_full_diagonal, full_diagonal_sign : (T, H)
        log10 |diagonal| of that Jacobian, and its sign (int8 -1, 0, +1).
    log10_step_sv_max, log10_step_sv_min : (T,)
        RNN: largest, smallest singular value of dh_t/dh_{t-1} (step t's own Jacobian).
    log10_bound_max, log10_bound_min : (T,)
        RNN: their sums over the steps read after t, i.e. log10 of the products that
        bound ||dh_T/dh_t||_2 from above and below.
    log10_full_spectral : (T,)
        RNN: log10 ||dh_T/dh_t||_2, the largest singular value of the full Jacobian.
    """

    cell: str
    layer: int
    direction: str
    log10_retention: np.ndarray | None = None
    log10_retention_norm: np.ndarray | None = None
    log10_full_norm: np.ndarray | None = None
    log10_full_diagonal: np.ndarray | None = None
    full_diagonal_sign: np.ndarray | None = None
    log10_step_sv_max: np.ndarray | None = None
    log10_step_sv_min: np.ndarray | None = None
    log10_bound_max: np.ndarray | None = None
    log10_bound_min: np.ndarray | None = None
    log10_full_spectral: np.ndarray | None = None

    @property
    def highway_share(self) -> np.ndarray | None:
        """(T,) ||retention path|| / ||full Jacobian||: 1 means the gate path carries as
        much as all paths together (it can exceed 1 when the paths through h cancel part
        of it); None without both."""
        if self.log10_retention_norm is None or self.log10_full_norm is None:
            return None
        with np.errstate(invalid="ignore", over="ignore"):
            return np.power(10.0, self.log10_retention_norm - self.log10_full_norm)

    def arrays(self) -> dict[str, np.ndarray]:
        """The trace-file keys of what this holds, e.g. ``decomposition.l0.fwd.log10_retention``."""
        out = {}
        for item in fields(self)[3:]:
            value = getattr(self, item.name)
            if value is not None:
                out[decomposition_key(self.layer, self.direction, item.name)] = value
        return out


def _layer_steps(model: Model, trace: Trace, layer: int, direction: str) -> LayerSteps:
    """The trace's arrays of one layer and direction in reading order, float64."""
    record = trace.layer(layer, direction)
    order = slice(None, None, -1) if direction == "bwd" else slice(None)
    rec = model.config.recurrent
    index = layer * rec.num_directions + rec.directions.index(direction)
    h_all, c_all = model.initial_states(trace.h0, trace.c0)

    def read(values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=np.float64)[order]

    return LayerSteps(
        hidden=read(record.h), cell=None if record.c is None else read(record.c),
        gates={name: read(values) for name, values in record.gates.items()},
        h_init=np.asarray(h_all[index, 0], dtype=np.float64),
        c_init=np.asarray(c_all[index, 0], dtype=np.float64) if rec.cell == "lstm" else None,
    )


def _log10_norm_of_diagonals(log_diagonals: np.ndarray) -> np.ndarray:
    """log10 sqrt(sum_u 10^(2 x_u)) per row, without leaving float64's range."""
    peak = log_diagonals.max(axis=1)
    finite = np.where(np.isfinite(peak), peak, 0.0)
    with np.errstate(divide="ignore"):
        spread = np.log10(np.power(10.0, 2.0 * (log_diagonals - finite[:, None])).sum(axis=1))
    return np.where(np.isfinite(peak), finite + 0.5 * spread, peak)


def _full_paths(model: Model, steps: LayerSteps, layer: int, direction: str,
                after_step: Callable[[int], None] | None) -> FullPaths:
    rec = model.config.recurrent
    weights = layer_weights(model.params, layer, direction, np.dtype(np.float64))
    if rec.cell == "lstm":
        return lstm_full_paths(steps, weights, after_step)
    if rec.cell == "gru":
        return carried_full_paths(steps, gru_step_jacobian(weights, rec.reset_after), False,
                                  after_step)
    return carried_full_paths(steps, rnn_step_jacobian(weights, rec.nonlinearity), True,
                              after_step)


def decompose(
    model: Model, trace: Trace, layer: int = 0, direction: str = "fwd", full: bool = True,
    should_stop: Callable[[], bool] | None = None,
    on_step: Callable[[int], None] | None = None,
) -> Decomposition:
    """The gradient paths of one layer and direction of ``trace`` (made by ``model``).

    Parameters
    ----------
    model : the model that made ``trace`` (its weights give the full Jacobians).
    trace : any trace of ``model`` (with or without gradients).
    layer, direction : which recurrence; a layer number as ``Trace.layer`` takes it.
    full : also the full Jacobians (skipped above :data:`FULL_MAX_UNITS` units, and for
        an edited trace: its per-step Jacobians would have to drop what a clamped
        quantity passes no gradient to, which these do not, so they would be wrong; the
        retention reads the edited gates and stays).
    should_stop : asked after every step; raises ``Cancelled`` when it says so.
    on_step : ``on_step(done)`` after each step of the full pass.

    Returns
    -------
    Decomposition
        Arrays in forward time; see its attributes for shapes and meanings.
    """
    rec = model.config.recurrent
    layer = layer % rec.num_layers
    if direction not in rec.directions:
        raise ValueError(f"direction {direction!r}: this model reads {', '.join(rec.directions)}")
    steps = _layer_steps(model, trace, layer, direction)
    order = slice(None, None, -1) if direction == "bwd" else slice(None)
    found: dict[str, np.ndarray] = {}
    gate = {"lstm": "f", "gru": "z"}.get(rec.cell)
    if gate is not None:
        retention = sums_after(log10_of(steps.gates[gate]))
        found["log10_retention"] = retention
        found["log10_retention_norm"] = _log10_norm_of_diagonals(retention)
    if (full and max(rec.hidden_size, rec.output_size) <= FULL_MAX_UNITS and trace.steps
            and not trace.interventions):
        def after_step(done: int) -> None:
            check_stop(should_stop, done, every_step=True)
            if on_step is not None:
                on_step(done)

        paths = _full_paths(model, steps, layer, direction, after_step)
        found.update(log10_full_norm=paths.log10_norm, log10_full_diagonal=paths.log10_diagonal,
                     full_diagonal_sign=paths.diagonal_sign)
        if paths.log10_step_sv is not None and paths.log10_spectral is not None:
            sv_max, sv_min = paths.log10_step_sv[:, 0], paths.log10_step_sv[:, 1]
            found.update(log10_step_sv_max=sv_max, log10_step_sv_min=sv_min,
                         log10_bound_max=sums_after(sv_max), log10_bound_min=sums_after(sv_min),
                         log10_full_spectral=paths.log10_spectral)
    in_time = {name: np.ascontiguousarray(values[order]) for name, values in found.items()}
    return Decomposition(rec.cell, layer, direction, **in_time)


def decompose_all(
    model: Model, trace: Trace, full: bool = True,
    should_stop: Callable[[], bool] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[Key, Decomposition]:
    """:func:`decompose` of every layer and direction; ``on_progress(done, total)``
    counts steps over all of them."""
    keys = [(k, d) for k in range(model.config.recurrent.num_layers)
            for d in model.config.recurrent.directions]
    total = len(keys) * trace.steps
    out = {}
    for index, (layer, direction) in enumerate(keys):
        before = index * trace.steps

        def on_step(done: int, before: int = before) -> None:
            if on_progress is not None:
                on_progress(before + done, total)

        out[layer, direction] = decompose(model, trace, layer, direction, full, should_stop,
                                          on_step)
    return out


def decomposition_arrays(decompositions: dict[Key, Decomposition]) -> dict[str, np.ndarray]:
    """Every decomposition's trace-file keys and arrays (docs/formats.md)."""
    out: dict[str, np.ndarray] = {}
    for item in decompositions.values():
        out.update(item.arrays())
    return out
