"""State trajectories: the hidden state (or c) over time, projected onto its principal
components.

A text's states of one layer and direction are N points in R^H (one per token). PCA
fitted on them (or on many texts' states, concatenated) is::

    mean = X.mean(axis=0)                     (H,)
    X - mean = U S V^T                        numpy SVD, thin
    components = V^T[:k]                      (k, H), orthonormal rows
    explained_variance = S[:k]^2 / N          variance along each component (ddof 0)
    ratio = explained_variance / total        total = sum(S^2) / N, every direction

and any text's states X' (same layer, direction, quantity) are drawn at
``(X' - mean) @ components.T`` (T, k): a second text projected in the SAME basis, so two
paths are comparable. The variance is the population one (divided by N, not N - 1): a
one-token text then has variance 0 instead of 0 / 0, and the ratio is the same either way.

Signs are fixed (the largest-magnitude entry of each component is positive), so one
fit gives one picture whatever LAPACK returns. When every state is equal (one token, or
a saturated cell) the total variance is 0: ``ratio`` is then all zeros and
``PcaBasis.degenerate`` True, never a division by zero.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ConfigError

if TYPE_CHECKING:
    from .model import ModelConfig
    from .trace import Trace

#: The states a trajectory may follow.
QUANTITIES = ("h", "c")
#: What a basis says it was fitted on when fitted on the text it draws.
THIS_TEXT = "this text"


@dataclass(frozen=True, eq=False)
class PcaBasis:
    """Principal axes of one layer's states: ``mean`` (H,), ``components`` (k, H)
    orthonormal rows, ``explained_variance`` (k,) along them and ``total_variance`` over
    all H directions. ``fitted_on`` ("this text" or a file's name) and ``tokens`` (N
    states) say what it was fitted on; ``fingerprint`` the model's weights
    (:func:`model_fingerprint`), "" when unknown."""

    mean: np.ndarray
    components: np.ndarray
    explained_variance: np.ndarray
    total_variance: float
    quantity: str = "h"
    layer: int = 0
    direction: str = "fwd"
    fitted_on: str = THIS_TEXT
    tokens: int = 0
    fingerprint: str = ""

    @property
    def width(self) -> int:
        """H, the size of the states this basis projects."""
        return int(self.mean.shape[0])

    @property
    def count(self) -> int:
        """k, how many components it keeps."""
        return int(self.components.shape[0])

    @property
    def degenerate(self) -> bool:
        """Every state fitted on was the same point: no direction carries variance."""
        return not self.total_variance > 0

    @property
    def ratio(self) -> np.ndarray:
        """Share of the total variance along each component (k,); zeros when degenerate."""
        if self.degenerate:
            return np.zeros(self.count)
        return self.explained_variance / self.total_variance

    def project(self, states: np.ndarray) -> np.ndarray:
        """``(states - mean) @ components.T``: (T, H) states -> (T, k) coordinates."""
        states = np.asarray(states, dtype=np.float64)
        if states.ndim != 2 or states.shape[1] != self.width:
            raise ConfigError(f"cannot project states of shape {states.shape}: this basis "
                              f"was fitted on {self.width} units of {self.where}")
        return (states - self.mean) @ self.components.T

    @property
    def where(self) -> str:
        """"h of layer 0 (fwd)": which states the basis belongs to."""
        return f"{self.quantity} of layer {self.layer} ({self.direction})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PcaBasis):
            return NotImplemented
        same_arrays = all(np.array_equal(a, b) for a, b in (
            (self.mean, other.mean), (self.components, other.components),
            (self.explained_variance, other.explained_variance)))
        return same_arrays and self._facts() == other._facts()

    __hash__ = None  # type: ignore[assignment]  # holds arrays, compared by value

    def _facts(self) -> tuple[object, ...]:
        return (self.total_variance, self.quantity, self.layer, self.direction,
                self.fitted_on, self.tokens, self.fingerprint)


@dataclass(frozen=True, eq=False)
class Trajectory:
    """A text's path in a basis: ``points`` (T, k), one row per token of ``tokens``."""

    basis: PcaBasis
    points: np.ndarray
    tokens: tuple[str, ...]


def fit_pca(states: np.ndarray | Sequence[np.ndarray], components: int = 2, *,
            quantity: str = "h", layer: int = 0, direction: str = "fwd",
            fitted_on: str = THIS_TEXT, fingerprint: str = "") -> PcaBasis:
    """PCA of ``states`` (N, H), or of several texts' (T_i, H) arrays stacked.

    Keeps ``components`` axes (at most H; with fewer states than that, the directions
    past the states' rank carry no variance but are still orthonormal, so a one-token
    text has a PC2). The other arguments are recorded in the basis.
    """
    stacked = _stacked(states)
    count, width = stacked.shape
    if not 1 <= components <= width:
        raise ConfigError(f"components={components}: choose 1 to {width} "
                          f"(the {width} units of {quantity})")
    # All equal: the mean is that point exactly (a float mean of equal values may not
    # be, and its rounding noise would pass for variance).
    same = bool((stacked == stacked[0]).all())
    mean = stacked[0].copy() if same else stacked.mean(axis=0)
    centred = stacked - mean
    # Thin SVD is enough unless fewer states than components: then the full V^T.
    _, singular, rows = np.linalg.svd(centred, full_matrices=count < components)
    kept = _signed(rows[:components])
    squares = np.zeros(components)
    squares[:min(components, singular.size)] = singular[:components] ** 2
    return PcaBasis(mean, kept, squares / count, float((singular ** 2).sum() / count),
                    quantity, int(layer), direction, fitted_on, count, fingerprint)


def _stacked(states: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
    """One float64 (N, H) array from one array or a sequence of them."""
    parts = [states] if isinstance(states, np.ndarray) else list(states)
    arrays = [np.asarray(part, dtype=np.float64) for part in parts]
    if not arrays or any(array.ndim != 2 for array in arrays):
        raise ConfigError("PCA needs states as (T, H) arrays, at least one")
    if len({array.shape[1] for array in arrays}) != 1:
        raise ConfigError("PCA needs states of one width: the texts come from different "
                          f"layers or models ({sorted({a.shape[1] for a in arrays})} units)")
    stacked = np.concatenate(arrays)
    if stacked.shape[0] == 0:
        raise ConfigError("PCA needs at least one state: the text has no tokens")
    if not np.isfinite(stacked).all():
        raise ConfigError("PCA cannot fit states holding NaN or infinity: the model "
                          "overflowed on this text (see the trace's non-finite report)")
    return stacked


def _signed(rows: np.ndarray) -> np.ndarray:
    """Each row flipped so its largest-magnitude entry is positive (one picture a fit)."""
    peaks = rows[np.arange(rows.shape[0]), np.abs(rows).argmax(axis=1)]
    return rows * np.where(peaks < 0, -1.0, 1.0)[:, None]


def trace_states(trace: Trace, quantity: str = "h", layer: int = 0,
                 direction: str = "fwd") -> np.ndarray:
    """The (T, H) states a trajectory follows: h, or c (LSTM), of a layer and direction."""
    check_states(trace.config, quantity, layer, direction)
    record = trace.layers[layer, direction]
    values = record.h if quantity == "h" else record.c
    assert values is not None  # check_states: c only for an LSTM
    return values


def check_states(config: ModelConfig, quantity: str, layer: int, direction: str) -> int:
    """The width H of ``quantity`` at ``layer``/``direction`` in a model of ``config``;
    a :class:`ConfigError` naming what exists when that is not one of its states."""
    recurrent = config.recurrent
    if quantity not in QUANTITIES or (quantity == "c" and recurrent.cell != "lstm"):
        shown = "h or c" if recurrent.cell == "lstm" else "h (only an LSTM has c)"
        raise ConfigError(f"quantity {quantity!r}: a {recurrent.cell} trajectory follows {shown}")
    if not 0 <= layer < recurrent.num_layers:
        raise ConfigError(f"layer {layer}: this model has layers 0 to "
                          f"{recurrent.num_layers - 1}")
    if direction not in recurrent.directions:
        raise ConfigError(f"direction {direction!r}: this model has "
                          f"{' and '.join(recurrent.directions)}")
    if quantity == "h" and recurrent.proj_size:
        return int(recurrent.proj_size)
    return int(recurrent.hidden_size)


def check_basis(basis: PcaBasis, config: ModelConfig, fingerprint: str = "") -> None:
    """Refuse a basis that does not fit a model of ``config`` (its layer, direction,
    quantity or width), or whose fingerprint names other weights than ``fingerprint``."""
    width = check_states(config, basis.quantity, basis.layer, basis.direction)
    if basis.width != width:
        raise ConfigError(f"this basis projects {basis.width} units but {basis.where} of "
                          f"this model has {width}: fit it on this model")
    if basis.fingerprint and fingerprint and basis.fingerprint != fingerprint:
        raise ConfigError(f"this basis was fitted on another model (fingerprint "
                          f"{basis.fingerprint}, this one {fingerprint}): fit it again here")


def trace_trajectory(trace: Trace, quantity: str | None = None, layer: int | None = None,
                     direction: str | None = None, components: int = 2,
                     basis: PcaBasis | None = None) -> Trajectory:
    """``trace``'s path: in ``basis`` when given (its quantity, layer and direction are
    used; a conflicting argument is an error), else in PCA fitted on this text."""
    if basis is not None:
        asked = (quantity, layer, direction)
        own = (basis.quantity, basis.layer, basis.direction)
        if any(a is not None and a != b for a, b in zip(asked, own, strict=True)):
            raise ConfigError(f"the basis belongs to {basis.where}; leave quantity, layer "
                              "and direction out or give the basis's")
        check_basis(basis, trace.config)
        states = trace_states(trace, *own)
    else:
        own = (quantity or "h", layer or 0, direction or "fwd")
        states = trace_states(trace, *own)
        basis = fit_pca(states, components, quantity=own[0], layer=own[1],
                        direction=own[2])
    return Trajectory(basis, basis.project(states), tuple(trace.tokens))


def model_fingerprint(params: Mapping[str, np.ndarray]) -> str:
    """16 hex digits of SHA-256 over the weights' names, dtypes, shapes and bytes: a
    basis records the model it was fitted on, and a reader can tell another one."""
    digest = hashlib.sha256()
    for name in sorted(params):
        values = np.ascontiguousarray(params[name])
        digest.update(f"{name}:{values.dtype.str}:{values.shape};".encode())
        digest.update(values.tobytes())
    return digest.hexdigest()[:16]
