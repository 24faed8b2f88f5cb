"""LSTM vs GRU vs RNN training speed through the engine's trainer, as the Training dock
measures it (primer claim l: "GRUs ... a little speedier to train than LSTMs"). A script.

    PYTHONPATH=. python tests/benchmarks/cell_speed.py [--steps 60] [--repeats 5] [--hidden 32 64]

Each run is ``training.train`` on recall with a fixed gap of 20 (31 tokens a sequence,
batch 32, Adam, clipping at 1, one evaluation at the end), the three cells with the same
settings and seed, interleaved (RNN, LSTM, GRU, RNN, ...) so a load change on the shared
machine hits all three. The time is the report's ``train_seconds``: training steps only,
evaluation excluded, as the dock's steps/s. Each figure is the median over ``--repeats``
runs; the ratios are against the RNN timed in the same run. PyTorch's modules (one thread,
same batches, ``bench_training.torch_steps``) are timed for reference when installed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from bench_training import make_batches, torch, torch_steps  # noqa: E402

from rnnstudio.engine.training import TrainConfig, train  # noqa: E402

CELLS = ("rnn", "lstm", "gru")
GAP = 20


def recurrent_parameters(cell: str, inputs: int, hidden: int) -> int:
    """One layer's weights and both biases: G * H * (I + H + 2), G = 1, 4, 3 rows."""
    return {"rnn": 1, "lstm": 4, "gru": 3}[cell] * hidden * (inputs + hidden + 2)


def engine_seconds_per_step(cell: str, hidden: int, steps: int) -> float:
    config = TrainConfig(task="recall", cell=cell, hidden_size=hidden, steps=steps,
                         eval_every=steps, eval_size=32, curriculum=0.0,
                         task_options={"min_gap": GAP, "max_gap": GAP})
    return train(config).reports[-1].train_seconds / steps


def torch_seconds_per_step(cell: str, hidden: int, steps: int) -> float:
    run = torch_steps(cell, hidden, make_batches(10))
    run(3)  # warm-up
    started = time.perf_counter()
    run(steps)
    return (time.perf_counter() - started) / steps


def medians(timer, hidden: int, steps: int, repeats: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Median seconds a step per cell, the cells interleaved within each repeat."""
    times: dict[str, list[float]] = {cell: [] for cell in CELLS}
    for _ in range(repeats):
        for cell in CELLS:
            times[cell].append(timer(cell, hidden, steps))
    return {cell: statistics.median(values) for cell, values in times.items()}


def table(name: str, seconds: dict[str, float], hidden: int) -> None:
    for cell in CELLS:
        rate = 1 / seconds[cell]
        print(f"| {name} | {cell.upper()} | {hidden} | {rate:,.0f} | "
              f"{1000 * seconds[cell]:.2f} | {seconds[cell] / seconds['rnn']:.2f} | "
              f"{recurrent_parameters(cell, 16, hidden):,} |", flush=True)
    print(f"| {name} | LSTM / GRU | {hidden} | | | "
          f"{seconds['lstm'] / seconds['gru']:.2f} | 4/3 = 1.33 |", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--hidden", type=int, nargs="+", default=[32, 64])
    args = parser.parse_args(argv)
    if torch is not None:
        torch.set_num_threads(1)
    versions = f"NumPy {np.__version__}" + (f", torch {torch.__version__}" if torch else "")
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{versions}; recall gap {GAP}, batch 32, one thread\n")
    print("| trainer | cell | H | steps/s | ms a step | time / RNN's | recurrent weights |")
    print("|---|---|---|---|---|---|---|")
    for hidden in args.hidden:
        table("RNN Studio", medians(engine_seconds_per_step, hidden, args.steps,
                                    args.repeats), hidden)
        if torch is not None:
            table("PyTorch", medians(torch_seconds_per_step, hidden, args.steps,
                                     args.repeats), hidden)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
