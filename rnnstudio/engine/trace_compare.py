"""Whether two traces hold the same numbers: exactly (``Trace.__eq__``) or within a
tolerance (:func:`allclose`).

Both compare what a trace file keeps (:meth:`Trace.arrays`: tokens, ids, inputs, every
state, gate, gradient, Jacobian norm, logits, initial state) plus the configuration,
the unknown positions, the loss, the interventions and where a value first became
non-finite. They leave
out ``seconds`` (how long the run took) and the weight gradients ``grads.params``, which
files do not keep, so ``trace == load_trace(save_trace(trace, path))`` holds.
NaN equals NaN at the same place: a trace that overflowed still equals its copy.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .trace_keys import META

if TYPE_CHECKING:
    from .trace import Trace

__all__ = ["allclose", "traces_equal"]


def _facts(trace: Trace) -> tuple[Any, ...]:
    """What is compared exactly in both functions (everything but the numbers)."""
    grads = trace.grads
    return (trace.config, list(trace.tokens), list(trace.unknown), trace.nonfinite,
            None if grads is None else (grads.loss_name, grads.nonfinite),
            trace.interventions)


def _numbers(trace: Trace) -> dict[str, np.ndarray]:
    arrays = {key: np.asarray(value) for key, value in trace.arrays().items() if key != META}
    if trace.grads is not None:
        arrays["loss_value"] = np.asarray(trace.grads.loss_value)
    return arrays


def _same_layout(
    first: dict[str, np.ndarray], second: dict[str, np.ndarray], dtypes: bool
) -> bool:
    """Same keys and shapes (and, with ``dtypes``, the same dtype per key)."""
    return first.keys() == second.keys() and all(
        first[key].shape == second[key].shape
        and (not dtypes or first[key].dtype == second[key].dtype) for key in first)


def traces_equal(first: Trace, second: Trace) -> bool:
    """True when both traces hold the same facts and bit-for-bit the same arrays
    (same keys, shapes and dtypes; NaN equals NaN)."""
    if _facts(first) != _facts(second):
        return False
    left, right = _numbers(first), _numbers(second)
    return _same_layout(left, right, dtypes=True) and all(
        np.array_equal(left[key], right[key], equal_nan=left[key].dtype.kind in "fc")
        for key in left)


def allclose(first: Trace, second: Trace, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """True when both traces hold the same facts and every float array (and the loss
    value) agrees within ``|a - b| <= atol + rtol * |b|`` (``np.allclose``; NaN equals
    NaN) whatever its dtype; integer arrays and tokens must match exactly.

    Parameters
    ----------
    first, second : Trace
        Traces of the same configuration and tokens (else False).
    rtol, atol : float
        Relative and absolute tolerance, as in ``numpy.allclose``.
    """
    if not (math.isfinite(rtol) and math.isfinite(atol) and rtol >= 0 and atol >= 0):
        raise ValueError(f"rtol and atol must be finite and not negative, got {rtol}, {atol}")
    if _facts(first) != _facts(second):
        return False
    left, right = _numbers(first), _numbers(second)
    if not _same_layout(left, right, dtypes=False):
        return False
    for key, value in left.items():
        if value.dtype.kind in "fc":
            if not np.allclose(value, right[key], rtol=rtol, atol=atol, equal_nan=True):
                return False
        elif not np.array_equal(value, right[key]):
            return False
    return True
