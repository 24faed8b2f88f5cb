"""Arrays a training run reuses from one step to the next.

Why: a training step of an LSTM at H = 64, batch 32 fills megabytes of arrays, and on
this machine the first write to freshly allocated memory cost more than the arithmetic:
the backward loop's element-wise calls took 63 us a time step writing into new arrays
and 24 us writing into arrays reused from the previous step (README, Performance).
"""

from __future__ import annotations

import math
from collections.abc import Hashable

import numpy as np
from numpy.typing import DTypeLike


class Workspace:
    """Named scratch arrays, each handed out again on the next request of its name.

    An array from :meth:`array` is valid until the next request of the same name: the
    owner of a workspace must be done with a step's arrays before the next step starts.
    Buffers grow to the largest shape asked for (a curriculum lengthens the sequences;
    an evaluation batch may be larger than a training batch) and are never shrunk.
    """

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}
        self._parts: dict[Hashable, Workspace] = {}

    def array(self, name: str, shape: tuple[int, ...], dtype: DTypeLike) -> np.ndarray:
        """An uninitialised C-contiguous array of ``shape`` for ``name``."""
        dtype, count = np.dtype(dtype), math.prod(shape)
        buffer = self._buffers.get(name)
        if buffer is None or buffer.dtype != dtype or buffer.size < count:
            buffer = np.empty(count, dtype)
            self._buffers[name] = buffer
        return buffer[:count].reshape(shape)

    def part(self, key: Hashable) -> Workspace:
        """The workspace of one user (e.g. a layer and direction), its names its own."""
        if key not in self._parts:
            self._parts[key] = Workspace()
        return self._parts[key]
