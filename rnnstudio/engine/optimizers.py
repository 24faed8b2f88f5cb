"""The trainer's optimizer and clipping: Adam (or plain SGD) and global-norm clipping.

Clipping is a training option only: it changes the update, never the gradients the app
displays (those come from ``Model.trace``).
"""

from __future__ import annotations

import numpy as np


class Adam:
    """Adam (Kingma & Ba) with bias correction; SGD when ``plain``.

    The gradients of one dtype are gathered into one flat array and the moments updated
    there in place (:class:`_FlatMoments`): the same arithmetic, in the same order and
    dtype, as ``m = 0.9 m + 0.1 g``, ``v = 0.999 v + 0.001 g g``,
    ``w -= lr (m / c1) / (sqrt(v / c2) + 1e-8)`` per parameter, with one set of NumPy
    calls for all parameters instead of one per parameter.
    """

    def __init__(self, learning_rate: float, plain: bool = False) -> None:
        self.learning_rate, self.plain = learning_rate, plain
        self.moments: dict[np.dtype, _FlatMoments] = {}
        self.count = 0

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.count += 1
        if self.plain:
            for name, grad in grads.items():
                params[name] -= self.learning_rate * grad
            return
        groups: dict[np.dtype, dict[str, np.ndarray]] = {}
        for name, grad in grads.items():
            groups.setdefault(grad.dtype, {})[name] = grad
        for dtype, group in groups.items():
            moments = self.moments.get(dtype)
            if moments is None or not moments.fits(group):
                moments = self.moments[dtype] = _FlatMoments(group)
            step = moments.step(group, self.learning_rate, 1 - 0.9**self.count,
                                1 - 0.999**self.count)
            for name, (start, stop) in moments.spans.items():
                params[name] -= step[start:stop].reshape(group[name].shape).astype(
                    params[name].dtype, copy=False)


class _FlatMoments:
    """Adam's moments of some gradients of one dtype, end to end in flat arrays;
    gradients of other names or shapes start new moments."""

    def __init__(self, grads: dict[str, np.ndarray]) -> None:
        self.shapes = {name: grad.shape for name, grad in grads.items()}
        bounds = np.cumsum([0] + [grad.size for grad in grads.values()])
        self.spans = {name: (int(bounds[k]), int(bounds[k + 1])) for k, name in enumerate(grads)}
        dtype = next(iter(grads.values())).dtype
        self.first, self.second = np.zeros(bounds[-1], dtype), np.zeros(bounds[-1], dtype)
        self.grad, self.scale, self._step = (np.empty(bounds[-1], dtype) for _ in range(3))

    def fits(self, grads: dict[str, np.ndarray]) -> bool:
        """Whether ``grads`` are the gradients these moments were made for."""
        return {name: grad.shape for name, grad in grads.items()} == self.shapes

    def step(self, grads: dict[str, np.ndarray], learning_rate: float,
             first_correction: float, second_correction: float) -> np.ndarray:
        """The update of every parameter, flat (valid until the next call)."""
        grad, step, scale = self.grad, self._step, self.scale
        np.concatenate([value.reshape(-1) for value in grads.values()], out=grad)
        self.first *= 0.9
        np.multiply(grad, 0.1, out=step)
        self.first += step
        self.second *= 0.999
        np.multiply(grad, 0.001, out=step)
        step *= grad
        self.second += step
        np.divide(self.second, second_correction, out=scale)
        np.sqrt(scale, out=scale)
        scale += 1e-8
        np.divide(self.first, first_correction, out=step)
        step *= learning_rate
        step /= scale
        return step


def clip_by_norm(grads: dict[str, np.ndarray], max_norm: float | None) -> float:
    """Scale all gradients together so their global norm is at most ``max_norm``."""
    total = float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads.values())))
    if max_norm is not None and total > max_norm:
        for grad in grads.values():
            grad *= max_norm / total
    return total
