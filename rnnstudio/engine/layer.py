"""What the three cell modules share: prepared weight rows, the backward loop's
bookkeeping, gradients, cancellation, and the terms of a textbook step."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import Cancelled
from .params import LayerWeights

StopCheck = Callable[[], bool]
ProgressCallback = Callable[[int, int], None]
#: Called after each step of one backward pass with the steps done in that pass.
StepCallback = Callable[[int], None]

#: How many steps run between two calls of ``should_stop`` (a call costs ~0.1 us).
STOP_INTERVAL = 64


#: Start of the recurrent matrices, in bytes: OpenBLAS's sgemv reads a 64-byte aligned
#: 512 x 2048 matrix 5-13 % faster than one at NumPy's default for large arrays (16 bytes
#: past a page boundary); see the README, Performance.
ALIGNMENT = 64


def aligned(array: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of ``array`` whose data starts on an :data:`ALIGNMENT` boundary."""
    raw = np.empty(array.nbytes + ALIGNMENT, dtype=np.uint8)
    start = -raw.ctypes.data % ALIGNMENT
    copy = raw[start : start + array.nbytes].view(array.dtype).reshape(array.shape)
    copy[...] = array
    return copy


def check_stop(should_stop: StopCheck | None, step: int, every_step: bool = False) -> None:
    """Raise ``Cancelled`` when asked to stop; asks every :data:`STOP_INTERVAL` steps, or
    ``every_step`` for a backward pass with one adjoint per unit (a Jacobian pass: 1-3 ms
    a step at H = 256, where 64 steps made a new edit wait up to 0.2 s for the worker)."""
    interval = 1 if every_step else STOP_INTERVAL
    if should_stop is not None and step % interval == 0 and should_stop():
        raise Cancelled("stopped before the work finished")


@dataclass(frozen=True)
class Rows:
    """A layer's weights with rows in the cell's internal order.

    ``weight_ih_t``/``weight_hh_t``/``bias`` are the forward copies (transposed, some rows
    scaled by 0.5 for the tanh form of the sigmoid, ``bias_hh`` folded in where the
    equations allow); ``weight_ih``/``weight_hh`` are the unscaled rows for backward.
    Internal row ``j`` is PyTorch row ``order[j]``.
    """

    order: np.ndarray
    weight_ih_t: np.ndarray  # (in, G*H)
    weight_hh_t: np.ndarray  # (H_out, G*H)
    bias: np.ndarray | None  # (G*H,)
    weight_ih: np.ndarray  # (G*H, in)
    weight_hh: np.ndarray  # (G*H, H_out)
    has_bias: bool

    def input_projection(self, x: np.ndarray) -> np.ndarray:
        """W_ih x_t (+ biases) for every step at once: one matrix product, (T, B, G*H)."""
        steps, batch, width = x.shape
        flat = np.ascontiguousarray(x, dtype=self.weight_ih_t.dtype).reshape(-1, width)
        projected = flat @ self.weight_ih_t
        if self.bias is not None:
            projected += self.bias
        return projected.reshape(steps, batch, -1)

    def to_pytorch(self, internal: np.ndarray) -> np.ndarray:
        """Rows in internal order back to PyTorch's gate order."""
        return internal[np.argsort(self.order)]


def prepare_rows(
    weights: LayerWeights, order: np.ndarray, scale: np.ndarray, folded_hh_rows: int
) -> Rows:
    """Permute and scale a layer's rows once; ``folded_hh_rows`` leading internal rows of
    ``bias_hh`` are added to the input bias (all rows for RNN/LSTM, r and z for GRU)."""
    weight_ih = np.ascontiguousarray(weights.weight_ih[order])
    weight_hh = np.ascontiguousarray(weights.weight_hh[order])
    bias = None
    if weights.bias_ih is not None and weights.bias_hh is not None:
        bias = weights.bias_ih[order].copy()
        bias[:folded_hh_rows] += weights.bias_hh[order][:folded_hh_rows]
        bias *= scale
    return Rows(
        order=order,
        weight_ih_t=np.ascontiguousarray((weight_ih * scale[:, None]).T),
        weight_hh_t=aligned((weight_hh * scale[:, None]).T),
        bias=bias,
        weight_ih=weight_ih,
        weight_hh=aligned(weight_hh),
        has_bias=bias is not None,
    )


#: Steps whose adjoints are this far below the largest one's are left out of the float32
#: parameter sums (:func:`input_grads`): their terms are below 2^-40 of the largest.
NEGLIGIBLE_STEP = 2.0**-80


@dataclass
class LayerGrads:
    """Gradients of one layer and direction, in processing order (T, B, ...).

    ``hidden``/``cell`` are total derivatives dL/dh_t, dL/dc_t (through time and the
    direct path); ``params`` uses PyTorch's short names (``weight_ih`` ...), rows in
    PyTorch's gate order.
    """

    hidden: np.ndarray
    cell: np.ndarray | None = None
    x: np.ndarray | None = None
    h0: np.ndarray | None = None
    c0: np.ndarray | None = None
    params: dict[str, np.ndarray] = field(default_factory=dict)


def input_grads(
    rows: Rows, cache: Any, d_input_rows: np.ndarray, d_recurrent_rows: np.ndarray,
    dtype: np.dtype, scaler: StepScale | None = None,
) -> LayerGrads:
    """Parameter and input gradients formed once after the time loop.

    ``d_input_rows`` (T, B, G*H) is dL/d(W_ih x_t + b_ih) and ``d_recurrent_rows``
    dL/d(W_hh h_{t-1} + b_hh), both in internal row order (equal except for GRU's n),
    in the ``scaler``'s stored units when one is enabled: then the parameter sums run in
    float32 relative to the largest step scale (terms below float32's range of it are
    negligible in the sum) and dL/dx_t gets each step's own scale.
    """
    steps, batch, rows_count = d_input_rows.shape
    x = np.ascontiguousarray(cache.x, dtype=dtype).reshape(steps * batch, -1)
    h0 = cache.h0.astype(dtype, copy=False)
    hidden = cache.hidden.astype(dtype, copy=False)
    h_prev = np.concatenate([h0[None], hidden[:-1]]).reshape(steps * batch, -1)
    flat_input = d_input_rows.reshape(-1, rows_count)
    flat_recurrent = d_recurrent_rows.reshape(-1, rows_count)
    d_x = (flat_input @ rows.weight_ih).reshape(steps, batch, -1)
    scaled = scaler is not None and scaler.enabled
    reference = 1.0
    if scaler is not None and scaled:
        d_x = scaler.true(d_x)
        reference = float(scaler.per_step.max())
        per_step = scaler.per_step / reference
        # A step 2^-80 below the largest adds nothing a float32 sum keeps, yet its terms
        # are subnormal floats, which slow BLAS down ~8x: zeroed (float32 LSTM, H = 256,
        # T = 200, whose gradients vanish: 46 ms -> 5 ms for these sums).
        per_step[per_step < NEGLIGIBLE_STEP] = 0.0
        relative = np.repeat(per_step.astype(dtype), batch)[:, None]
        flat_input, flat_recurrent = flat_input * relative, flat_recurrent * relative
    params = {
        "weight_ih": rows.to_pytorch(flat_input.T @ x),
        "weight_hh": rows.to_pytorch(flat_recurrent.T @ h_prev),
    }
    if rows.has_bias:
        params["bias_ih"] = rows.to_pytorch(flat_input.sum(axis=0))
        params["bias_hh"] = rows.to_pytorch(flat_recurrent.sum(axis=0))
    if scaled:
        params = {name: value.astype(np.float64) * reference for name, value in params.items()}
    return LayerGrads(hidden=np.empty(0), x=d_x, params=params)


class StepScale:
    """Float32 adjoints with float64's range, for the float64 gradients of float32 models.

    The true adjoint is ``scale * stored``: the carried vectors are float32 and are divided
    by their peak whenever it leaves [2^-20, 2^20], the factor moving into ``scale`` (a
    Python float). The loop then runs at float32 speed (half the memory traffic of
    float64: 162 vs 340 us a step for an LSTM with H = 512), yet a gradient of 1e-40 after
    200 steps keeps float32's seven significant digits instead of underflowing to zero.
    Norm-only passes (the Jacobian) use it in every dtype, since squaring an adjoint of
    1e-160 underflows even float64. Disabled, it is the identity.
    """

    LOW, HIGH = 2.0**-20, 2.0**20

    def __init__(self, steps: int, enabled: bool, seeded: bool = False) -> None:
        self.enabled = enabled
        self.scale = 1.0
        self.empty = not seeded  # no non-zero adjoint carried yet
        self.per_step = np.ones(steps)

    @staticmethod
    def step_peaks(grad: np.ndarray | None) -> np.ndarray | None:
        """Largest magnitude of a direct gradient (T, B, n) at each step, found once
        before the loop (most steps of most losses are exactly zero)."""
        if grad is None:
            return None
        return np.abs(grad).reshape(len(grad), -1).max(axis=1)

    def direct(
        self, step: int, grads: list[np.ndarray | None], peaks: list[np.ndarray | None],
        carried: list[np.ndarray], dtype: np.dtype,
    ) -> list[np.ndarray | None]:
        """This step's direct gradients (true values) in stored units, None where zero;
        when one would not fit, the scale moves to it and the carried adjoints are
        rescaled in place."""
        step_peaks = [0.0 if p is None else float(p[step]) for p in peaks]
        if not self.enabled:
            return [None if g is None or peak == 0.0 else g[step]
                    for g, peak in zip(grads, step_peaks, strict=True)]
        peak = max(step_peaks)
        if peak > 0.0 and (self.empty or peak > self.scale * self.HIGH):
            if not self.empty:
                for vector in carried:
                    vector *= self.scale / peak
            self.scale, self.empty = peak, False
        return [None if g is None or p == 0.0 else (g[step] / self.scale).astype(dtype)
                for g, p in zip(grads, step_peaks, strict=True)]

    def renormalize(self, step: int, carried: list[np.ndarray]) -> None:
        """Record the scale of this step's outputs, then bring the carried adjoints back
        to about 1 (one ``vdot`` a vector to check, the exact peak only to rescale)."""
        if not self.enabled:
            return
        self.per_step[step] = self.scale
        norm = float(np.sqrt(sum(float(np.vdot(v, v)) for v in carried)))
        if self.LOW < norm < self.HIGH:
            return
        peak = max(float(np.abs(v).max()) for v in carried)
        if peak == 0.0 or self.scale * peak == 0.0:  # zero, or below float64's range
            for vector in carried:
                vector[...] = 0.0
            self.scale, self.empty = 1.0, True
        else:
            for vector in carried:
                vector /= peak
            self.scale *= peak

    def true(self, stored: np.ndarray) -> np.ndarray:
        """Per-step stored values (T, ...) as float64 true values."""
        if not self.enabled:
            return stored
        return stored.astype(np.float64) * self.per_step.reshape((-1,) + (1,) * (stored.ndim - 1))

    def final(self, stored: np.ndarray) -> np.ndarray:
        """The carried adjoint after the loop (dL/dh_0, dL/dc_0) as true values."""
        return stored.astype(np.float64) * self.scale if self.enabled else stored


class BackwardLoop:
    """The bookkeeping every cell's backward pass shares, so a cell's loop holds only its
    equations: steps from last to first, the :class:`StepScale`, dL/dh_t of every step
    (or only its norm), stop checks and progress.

    Two modes. Gradients (the constructor): ``direct`` (T, B, n) arrays, None where
    absent, join the carried adjoints at each step; ``scaled`` enables the StepScale.
    Jacobian (:meth:`jacobian`): seeds (K, H_out) start K adjoints at the last step, only
    ||dh_t|| is kept (:meth:`record_norm`), the StepScale is always on and
    ``should_stop`` is asked at every step.
    """

    def __init__(
        self, dtype: np.dtype, steps: int, batch: int, output_size: int, *,
        direct: Sequence[np.ndarray | None] = (), scaled: bool = False,
        should_stop: StopCheck | None = None, seeds: np.ndarray | None = None,
        on_step: StepCallback | None = None,
    ) -> None:
        self.dtype, self.steps, self.batch = dtype, steps, batch
        self.is_jacobian = seeds is not None
        self.scaler = StepScale(steps, scaled or self.is_jacobian, seeded=self.is_jacobian)
        self._direct = list(direct)
        self._peaks = [StepScale.step_peaks(grad) for grad in self._direct]
        self._seeds, self._output_size = seeds, output_size
        self._should_stop, self._on_step = should_stop, on_step
        #: dL/dh_t in stored units: (T, B, H_out), or (T,) norms for a Jacobian pass.
        self.total_hidden = (np.empty(steps) if self.is_jacobian
                             else np.empty((steps, batch, output_size), dtype=dtype))

    @classmethod
    def jacobian(
        cls, dtype: np.dtype, steps: int, seeds: np.ndarray,
        should_stop: StopCheck | None = None, on_step: StepCallback | None = None,
    ) -> BackwardLoop:
        """A Jacobian pass: ``seeds`` (K, H_out) are the adjoints carried into the last step."""
        return cls(dtype, steps, seeds.shape[0], seeds.shape[1], seeds=seeds,
                   should_stop=should_stop, on_step=on_step)

    def start_hidden(self) -> np.ndarray:
        """The adjoint carried into the last step: the seeds, or zeros."""
        start = np.zeros((self.batch, self._output_size), dtype=self.dtype)
        if self._seeds is not None:
            start[...] = self._seeds
        return start

    def zeros(self, width: int) -> np.ndarray:
        """A carried adjoint (B, width) starting at zero."""
        return np.zeros((self.batch, width), dtype=self.dtype)

    def per_step(self, width: int) -> np.ndarray:
        """Room for one (B, width) row per step, (T, B, width)."""
        return np.empty((self.steps, self.batch, width), dtype=self.dtype)

    def reverse_steps(self) -> Iterator[int]:
        """t = T-1 ... 0; after each step's body, a stop check and the progress."""
        for t in range(self.steps - 1, -1, -1):
            yield t
            done = self.steps - t
            check_stop(self._should_stop, done - 1, every_step=self.is_jacobian)
            if self._on_step is not None:
                self._on_step(done)

    def direct(self, step: int, carried: list[np.ndarray]) -> list[np.ndarray | None]:
        """This step's direct gradients in stored units (see :meth:`StepScale.direct`)."""
        return self.scaler.direct(step, self._direct, self._peaks, carried, self.dtype)

    def record_norm(self, step: int, grad_hidden: np.ndarray) -> None:
        """Keep only the Frobenius norm of this step's adjoints (a Jacobian pass)."""
        self.total_hidden[step] = np.sqrt(np.vdot(grad_hidden, grad_hidden))

    def hidden(self) -> np.ndarray:
        """dL/dh_t (or its norms) of every step as true values, processing order."""
        return self.scaler.true(self.total_hidden)


# ------------------------------------------------------------- the textbook step
def sigmoid(value: np.ndarray) -> np.ndarray:
    """The logistic function as the textbook writes it, 1 / (1 + exp(-a))."""
    with np.errstate(over="ignore"):  # exp(800) = inf gives the exact limit 0
        return 1.0 / (1.0 + np.exp(-value))


@dataclass(frozen=True)
class GateTerms:
    """One nonlinearity of one step, per unit (H,), float64: the part from the input
    ``W_i* x + b_i*``, the part from the previous state ``W_h* h_prev + b_h*`` (biases
    zero when the layer has none), the pre-activation they make (their sum; for GRU's
    n the input part plus r times the recurrent part) and the value after the
    nonlinearity."""

    from_input: np.ndarray
    from_hidden: np.ndarray
    pre_activation: np.ndarray
    value: np.ndarray


@dataclass(frozen=True)
class StepTerms:
    """Every quantity one step's equations name, for one batch row, float64.

    ``gates``: name -> :class:`GateTerms` in PyTorch's row order (``i f g o``, ``r z n``;
    for the plain RNN the one entry ``h``, its only nonlinearity). ``x`` (I,),
    ``hidden_prev`` (H_out,) and ``cell_prev`` (H,) are what the step started from;
    ``cell`` (H,) is c' (LSTM), ``unprojected`` (H,) is m = o * tanh(c') of an LSTM with
    ``proj_size`` (else None) and ``hidden`` (H_out,) is h'.

    With interventions, every value above is what the cell *made* from edited operands,
    and ``edited`` maps each quantity an edit replaced (a gate letter, ``c``, ``h``) to
    the value the rest of the step, and the trace, used: the equations can then show
    the cell's own arithmetic and the edit, and agree with the trace.
    """

    gates: dict[str, GateTerms]
    x: np.ndarray
    hidden_prev: np.ndarray
    cell_prev: np.ndarray | None
    hidden: np.ndarray
    cell: np.ndarray | None = None
    unprojected: np.ndarray | None = None
    edited: dict[str, np.ndarray] = field(default_factory=dict)

    def final(self, name: str, made: np.ndarray) -> np.ndarray:
        """Quantity ``name``'s value after any edit (``made`` when not edited)."""
        return self.edited.get(name, made)


#: A textbook step's edit hook: (quantity, made values (H,)) -> the values used.
StepEdit = Callable[[str, np.ndarray], np.ndarray]


def edited_value(edit: StepEdit | None, name: str, made: np.ndarray,
                 edited: dict[str, np.ndarray]) -> np.ndarray:
    """``made`` passed through ``edit``; a changed result is recorded in ``edited``."""
    if edit is None:
        return made
    value = edit(name, made)
    if value is not made:
        edited[name] = value
    return value


def as_float64(*vectors: np.ndarray) -> tuple[np.ndarray, ...]:
    """The textbook step's operands as float64 vectors."""
    return tuple(np.asarray(vector, dtype=np.float64) for vector in vectors)


def gate_parts(
    weights: LayerWeights, names: Sequence[str], x: np.ndarray, h_prev: np.ndarray
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per gate ``*`` of ``names`` (PyTorch's row blocks, in order): ``W_i* x + b_i*``
    and ``W_h* h_prev + b_h*``, float64 (H,) each; a missing bias counts as zero."""
    from_input = np.asarray(weights.weight_ih, dtype=np.float64) @ x
    from_hidden = np.asarray(weights.weight_hh, dtype=np.float64) @ h_prev
    if weights.bias_ih is not None and weights.bias_hh is not None:
        from_input += weights.bias_ih
        from_hidden += weights.bias_hh
    size = len(from_input) // len(names)
    blocks = {name: slice(j * size, (j + 1) * size) for j, name in enumerate(names)}
    return ({name: from_input[rows] for name, rows in blocks.items()},
            {name: from_hidden[rows] for name, rows in blocks.items()})


def gate_terms(
    from_input: dict[str, np.ndarray], from_hidden: dict[str, np.ndarray],
    pre_activations: dict[str, np.ndarray], values: dict[str, np.ndarray],
) -> dict[str, GateTerms]:
    """The :class:`GateTerms` of every gate in ``values``, in its order."""
    return {name: GateTerms(from_input[name], from_hidden[name], pre_activations[name], value)
            for name, value in values.items()}
