"""The gradient's paths through one layer's own recurrence, step by step (NumPy only).

Everything here runs in one direction's *reading order* s = 0 .. S (S = T - 1, the last
step that direction reads; a reverse direction reads from the end of the text). The
anchor is the state at S. Products and norms come back as log10 (float64), ``-inf``
where the value is exactly zero: a product of 300 forget gates of 0.1 is 1e-300, and one
more step would underflow float64 to a zero that says nothing about how small it was.

LSTM (state h, c; the anchor is c_S). Two adjoints are carried backwards, A_h =
dc_S/dh_s and A_c (what reaches c_s along the cell state from step s + 1); they start
at A_h = 0, A_c = I, and step s applies engine/lstm.py's backward equations with H
adjoints seeded at c_S::

    M    = A_h                      (with proj_size: A_h W_hr)      dc_S/dm_s
    D    = A_c + M * o_s (1 - tanh(c_s)^2)                           dc_S/dc_s, every path
    da_i = D * g i (1 - i)      da_f = D * c_{s-1} f (1 - f)
    da_g = D * i (1 - g^2)      da_o = M * tanh(c_s) o (1 - o)
    A_h  = [da_i da_f da_g da_o] W_hh                                carried to step s - 1
    A_c  = D * f_s

The cell-state path alone keeps only ``A_c = A_c * f_s``: the retention
diag(prod_{k=s+1..S} f_k).

GRU and RNN (state h): the step Jacobian J_s = dh_s/dh_{s-1} (H x H) is built
explicitly and A = dh_S/dh_s is carried as ``A <- A J_s``::

    RNN  J_s   = diag(act'(a_s)) W_hh    act' = 1 - h_s^2 (tanh), [h_s > 0] (relu)
    GRU  J_s   = diag(z) + diag((1 - z)(1 - n^2)) dn/dh + diag((h_{s-1} - n) z (1 - z)) W_hz
         dn/dh = diag(r) W_hn + diag(hn r (1 - r)) W_hr,   hn = W_hn h_{s-1} + b_hn
         dn/dh = W_hn (diag(r) + diag(h_{s-1} r (1 - r)) W_hr)      reset before

The carried matrices are divided by their largest entry after every step, the factor
kept apart as a log10, so neither vanishing nor exploding products leave float64.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .params import LayerWeights

#: Called after each step with the number of steps done (checks cancel, reports progress).
AfterStep = Callable[[int], None]


@dataclass(frozen=True)
class LayerSteps:
    """One layer and direction in reading order, float64: h (S+1, H_out), c and gates
    (S+1, H), the initial states ``h_init`` (H_out,) and ``c_init`` (H,) (zeros unless
    given)."""

    hidden: np.ndarray
    cell: np.ndarray | None
    gates: dict[str, np.ndarray]
    h_init: np.ndarray
    c_init: np.ndarray | None

    def previous_hidden(self) -> np.ndarray:
        """h_{s-1} of every step (S+1, H_out), h_init first."""
        return np.concatenate([self.h_init[None], self.hidden[:-1]])


@dataclass(frozen=True)
class FullPaths:
    """d(anchor)/d(state_s) through every path, reading order, log10 (-inf: exactly 0).

    ``log10_norm`` (S+1,) Frobenius norm; ``log10_diagonal`` (S+1, H) its |diagonal|
    and ``diagonal_sign`` (S+1, H) int8 the diagonal's sign (-1, 0, +1). RNN only:
    ``log10_spectral`` (S+1,) its largest singular value, ``log10_step_sv`` (S+1, 2) the
    largest and smallest singular values of the step Jacobian J_s.
    """

    log10_norm: np.ndarray
    log10_diagonal: np.ndarray
    diagonal_sign: np.ndarray
    log10_spectral: np.ndarray | None = None
    log10_step_sv: np.ndarray | None = None


def log10_of(values: np.ndarray | float) -> np.ndarray:
    """log10 with an exact zero as -inf and no warning."""
    with np.errstate(divide="ignore"):
        return np.log10(np.abs(np.asarray(values, dtype=np.float64)))


def sums_after(log_factors: np.ndarray) -> np.ndarray:
    """``out[s] = sum_{k=s+1..S} log_factors[k]`` along axis 0 (0 at S): the log10 of a
    product of the factors read after step s."""
    suffix = np.cumsum(log_factors[::-1], axis=0)[::-1]
    return np.concatenate([suffix[1:], np.zeros_like(log_factors[:1])])


class _Recorder:
    """Norms and diagonals of a carried matrix kept as ``matrix * 10**log10_scale``."""

    def __init__(self, steps: int, size: int, spectral: bool) -> None:
        self.log10_scale = 0.0
        self.norm = np.empty(steps)
        self.diagonal = np.empty((steps, size))
        self.sign = np.empty((steps, size), dtype=np.int8)
        self.spectral = np.empty(steps) if spectral else None
        self.step_sv = np.empty((steps, 2)) if spectral else None

    def record(self, step: int, matrix: np.ndarray) -> None:
        diagonal = np.diagonal(matrix)
        self.norm[step] = log10_of(float(np.linalg.norm(matrix))) + self.log10_scale
        self.diagonal[step] = log10_of(diagonal) + self.log10_scale
        self.sign[step] = np.sign(diagonal)
        if self.spectral is not None:
            largest = np.linalg.svd(matrix, compute_uv=False)[0] if matrix.any() else 0.0
            self.spectral[step] = log10_of(largest) + self.log10_scale

    def renormalize(self, *carried: np.ndarray) -> None:
        """Divide the carried matrices by their largest entry (none when all are zero)."""
        peak = max(float(np.abs(matrix).max()) for matrix in carried)
        if peak > 0.0 and np.isfinite(peak):
            for matrix in carried:
                matrix /= peak
            self.log10_scale += float(np.log10(peak))

    def result(self) -> FullPaths:
        return FullPaths(self.norm, self.diagonal, self.sign, self.spectral, self.step_sv)


def _reverse_steps(steps: int, after_step: AfterStep | None) -> Iterator[int]:
    for step in range(steps - 1, -1, -1):
        yield step
        if after_step is not None:
            after_step(steps - step)


def lstm_full_paths(
    steps: LayerSteps, weights: LayerWeights, after_step: AfterStep | None = None
) -> FullPaths:
    """dc_S/dc_s through every path (module docstring), reading order."""
    assert steps.cell is not None and steps.c_init is not None
    i, f, g, o = (steps.gates[name] for name in "ifgo")
    tanh_cell = np.tanh(steps.cell)
    cell_prev = np.concatenate([steps.c_init[None], steps.cell[:-1]])
    through_h = o * (1.0 - tanh_cell**2)
    coef = np.stack([g * i * (1.0 - i), cell_prev * f * (1.0 - f), i * (1.0 - g * g)], axis=1)
    out_coef = tanh_cell * o * (1.0 - o)
    weight_hh = np.asarray(weights.weight_hh, dtype=np.float64)
    weight_hr = None if weights.weight_hr is None else np.asarray(weights.weight_hr, np.float64)
    count, size = f.shape
    carried_h = np.zeros((size, weight_hh.shape[1]))
    carried_c = np.eye(size)
    recorder = _Recorder(count, size, spectral=False)
    for s in _reverse_steps(count, after_step):
        through_m = carried_h if weight_hr is None else carried_h @ weight_hr
        total_c = carried_c + through_m * through_h[s]
        recorder.record(s, total_c)
        d_gates = np.concatenate([total_c[:, None, :] * coef[s, None, :2],
                                  (total_c * coef[s, 2])[:, None, :],
                                  (through_m * out_coef[s])[:, None, :]], axis=1)
        carried_h = d_gates.reshape(size, 4 * size) @ weight_hh
        carried_c = total_c * f[s]
        recorder.renormalize(carried_h, carried_c)
    return recorder.result()


def rnn_step_jacobian(
    weights: LayerWeights, nonlinearity: str
) -> Callable[[LayerSteps, int], np.ndarray]:
    """J_s = dh_s/dh_{s-1} of a plain RNN (H x H), from the cached h_s."""
    weight_hh = np.asarray(weights.weight_hh, dtype=np.float64)

    def jacobian(steps: LayerSteps, s: int) -> np.ndarray:
        hidden = steps.hidden[s]
        slope = (hidden > 0).astype(np.float64) if nonlinearity == "relu" else 1.0 - hidden**2
        return slope[:, None] * weight_hh

    return jacobian


def gru_step_jacobian(
    weights: LayerWeights, reset_after: bool
) -> Callable[[LayerSteps, int], np.ndarray]:
    """J_s = dh_s/dh_{s-1} of a GRU (H x H), PyTorch's form or reset before."""
    weight_hh = np.asarray(weights.weight_hh, dtype=np.float64)
    size = weight_hh.shape[0] // 3
    w_hr, w_hz, w_hn = weight_hh[:size], weight_hh[size : 2 * size], weight_hh[2 * size :]
    b_hn = (np.zeros(size) if weights.bias_hh is None
            else np.asarray(weights.bias_hh[2 * size :], dtype=np.float64))

    def jacobian(steps: LayerSteps, s: int) -> np.ndarray:
        r, z, n = (steps.gates[name][s] for name in "rzn")
        h_prev = steps.h_init if s == 0 else steps.hidden[s - 1]
        if reset_after:
            hidden_candidate = w_hn @ h_prev + b_hn
            d_candidate = r[:, None] * w_hn + (hidden_candidate * r * (1.0 - r))[:, None] * w_hr
        else:
            d_candidate = w_hn * r + w_hn @ ((h_prev * r * (1.0 - r))[:, None] * w_hr)
        result = ((1.0 - z) * (1.0 - n * n))[:, None] * d_candidate
        result += ((h_prev - n) * z * (1.0 - z))[:, None] * w_hz
        result[np.diag_indices(size)] += z
        return result

    return jacobian


def extreme_singular_values(matrix: np.ndarray) -> np.ndarray:
    """The largest and smallest singular value of a square ``matrix``; the smallest is
    0 when it is below what the SVD can resolve, n * eps * largest. (A ReLU unit that
    is off makes a zero row, so exactly 0, yet LAPACK returned 1e-66 or 1e-20 for it:
    noise that would be drawn as a number.)"""
    values = np.linalg.svd(matrix, compute_uv=False)
    largest, smallest = float(values[0]), float(values[-1])
    if smallest < len(matrix) * np.finfo(np.float64).eps * largest:
        smallest = 0.0
    return np.array([largest, smallest])


def carried_full_paths(
    steps: LayerSteps, step_jacobian: Callable[[LayerSteps, int], np.ndarray],
    spectral: bool, after_step: AfterStep | None = None,
) -> FullPaths:
    """dh_S/dh_s through every path as the product of the step Jacobians (GRU, RNN);
    with ``spectral`` also its largest singular value and those of each J_s."""
    count, size = steps.hidden.shape
    carried = np.eye(size)
    recorder = _Recorder(count, size, spectral)
    for s in _reverse_steps(count, after_step):
        recorder.record(s, carried)
        jacobian = step_jacobian(steps, s)
        if recorder.step_sv is not None:
            recorder.step_sv[s] = log10_of(extreme_singular_values(jacobian))
        carried = carried @ jacobian
        recorder.renormalize(carried)
    return recorder.result()
