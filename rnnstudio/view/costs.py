"""How long ||dh_T/dh_t|| will take, from measuring, not from a constant (no Qt).

Its cost is one backward pass per layer and direction with a batch of seeds: T x H^2 x
seeds multiply-adds each (seeds = H up to the engine's exact limit, else its probes). A
:class:`JacobianClock` turns that work count into seconds with a rate it measured: first
on a small calibration run (a few ms, in whatever thread asks first), then on every real
run it is told about, so the estimate follows this machine and its load.
"""

from __future__ import annotations

import threading
import time

from ..engine.model import Model, random_model
from ..engine.stack import JACOBIAN_EXACT_MAX, JACOBIAN_PROBES

#: The calibration model and text: big enough that per-step Python overhead does not
#: dominate (H = 96: ~3 ms here), small enough to run unnoticed at start-up.
_CALIBRATION_HIDDEN = 96
_CALIBRATION_TEXT = " ".join(["the cat sat on the mat"] * 4)
#: Weight of a new measurement in the running rate: recent runs count most.
_NEW_WEIGHT = 0.5


def jacobian_work(model: Model, steps: int) -> float:
    """Multiply-adds ||dh_T/dh_t|| costs for ``steps`` tokens (all layers, directions)."""
    recurrent = model.config.recurrent
    size = recurrent.output_size
    seeds = size if size <= JACOBIAN_EXACT_MAX else JACOBIAN_PROBES
    per_pass = steps * float(recurrent.hidden_size) ** 2 * seeds
    return per_pass * recurrent.num_directions * recurrent.num_layers


class JacobianClock:
    """Seconds per unit of :func:`jacobian_work`, measured; thread-safe."""

    def __init__(self) -> None:
        self._rate: float | None = None
        self._lock = threading.Lock()

    @property
    def rate(self) -> float:
        """Seconds per multiply-add, calibrating on first use."""
        with self._lock:
            rate = self._rate
        return rate if rate is not None else self._calibrate()

    def estimate(self, model: Model, steps: int) -> float:
        """Seconds ||dh_T/dh_t|| should take for ``steps`` tokens of ``model``."""
        return jacobian_work(model, steps) * self.rate

    def record(self, model: Model, steps: int, seconds: float) -> None:
        """Learn from a real run: the rate moves halfway to what it measured."""
        work = jacobian_work(model, steps)
        if work <= 0 or seconds <= 0:
            return
        with self._lock:
            measured = seconds / work
            old = self._rate
            self._rate = measured if old is None else (
                (1 - _NEW_WEIGHT) * old + _NEW_WEIGHT * measured)

    def _calibrate(self) -> float:
        model = random_model("lstm", _CALIBRATION_HIDDEN, seed=0)
        trace = model.trace(_CALIBRATION_TEXT, jacobian=False)
        started = time.perf_counter()
        model.jacobian_norms(trace)
        self.record(model, trace.steps, time.perf_counter() - started)
        with self._lock:
            assert self._rate is not None
            return self._rate
