"""An intervention replay against the unedited trace, timed in the same run (a script,
not a test).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
        python tests/benchmarks/bench_intervention.py [--steps 200] [--hidden 256] \
        [--repeats 40] [--cell lstm] [--jacobian]

The issue's budget: a replay at T = 200, H = 256 (random LSTM) within 100 ms p95 for the
forward + BPTT trace (what the window recomputes after an edit; the Jacobian norms run as
separate work there, ``--jacobian`` includes them). Each repeat times one unedited and one
edited trace back to back (an untimed run of each first), so a slow spell on this shared
machine lands on both; printed: p50 and p95 in ms of wall-clock and CPU time, and the
ratios.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import time
from collections.abc import Callable

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from rnnstudio.engine import random_model  # noqa: E402

#: A teacher's edit: shut the input and hold the forget gate open on a quarter of the
#: units from step 50, and silence eight units of h throughout.
EDITS = {
    "lstm": ["f=1:units=0-63:steps=50-", "i=0:units=0-63:steps=50-", "h*0:units=100-107"],
    "gru": ["z=1:units=0-63:steps=50-", "h*0:units=100-107"],
    "rnn": ["h=0:units=0-63:steps=50-", "h*0.5:units=100-107"],
}


def percentiles(times: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    ordered = np.sort(np.asarray(times)) * 1e3
    return float(np.percentile(ordered, 50)), float(np.percentile(ordered, 95))


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run (CPU time is what the run itself used; on
    a loaded shared machine the wall clock adds the time spent waiting for a core)."""
    gc.disable()
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    gc.enable()
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--cell", choices=tuple(EDITS), default="lstm")
    parser.add_argument("--jacobian", action="store_true", help="include ||dh_T/dh_t||")
    options = parser.parse_args()
    model = random_model(options.cell, options.hidden, input_size=64, seed=0)
    text = [f"w{step % 97}" for step in range(options.steps)]
    tokens = model.tokenize(text)
    edits = model.check_interventions(EDITS[options.cell])
    work = {
        "unedited": lambda: model.trace(tokens, jacobian=options.jacobian),
        "edited": lambda: model.trace(tokens, jacobian=options.jacobian, interventions=edits),
    }
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(options.repeats):
        for name, run in work.items():
            run()
            wall, cpu = timed(run)
            times.setdefault((name, "wall"), []).append(wall)
            times.setdefault((name, "cpu"), []).append(cpu)
    print(f"# {platform.machine()}, numpy {np.__version__}, 1 thread, load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {options.cell.upper()} "
          f"T = {options.steps}, H = {options.hidden}, forward + BPTT"
          f"{' + Jacobian' if options.jacobian else ''}, {options.repeats} repeats")
    print(f"# edits: {'  '.join(edit.spec() for edit in edits)}")
    print("| trace | clock | p50 ms | p95 ms |")
    print("|---|---|---|---|")
    results = {key: percentiles(values) for key, values in times.items()}
    for (name, clock), (p50, p95) in results.items():
        print(f"| {name} | {clock} | {p50:.1f} | {p95:.1f} |")
    for clock in ("wall", "cpu"):
        (base50, base95), (edit50, edit95) = results["unedited", clock], results["edited", clock]
        print(f"| edited / unedited | {clock} | {edit50 / base50:.2f}x | "
              f"{edit95 / base95:.2f}x |")


if __name__ == "__main__":
    main()
