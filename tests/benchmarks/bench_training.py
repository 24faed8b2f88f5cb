"""Training throughput, steps per second, against PyTorch in the same run (a script).

    PYTHONPATH=. python tests/benchmarks/bench_training.py [--steps 30] [--repeats 5]
        [--hidden 64 128] [--cells rnn lstm gru] [--floor]

One training step = forward, backward through time, global-norm clipping at 1.0 and an
Adam update, on a batch of 32 recall sequences with gap 20 (31 tokens, vocabulary 58,
embedding 16, 4 classes read at the last step). Both sides get the same pre-generated
batches, so the figures compare the learning machinery, not the data generator; RNN
Studio's figure includes tokenising the batch (its trainer does that; about 5% of an
LSTM step at H = 64), PyTorch gets tensors of ids; RNN Studio's trainer reuses its
arrays from step to step (one ``Workspace``, as ``training.train`` does). RNN Studio
runs float32 through ``training.batch_loss``; PyTorch runs ``nn.Embedding`` + ``nn.RNN/LSTM/GRU`` +
``nn.Linear`` with ``torch.optim.Adam`` on the CPU with ``torch.set_num_threads(1)``;
NumPy's BLAS is also held to one thread. The two sides take turns (ours, torch, ours, ...),
``--repeats`` timings of ``--steps`` steps each after a warm-up; steps/s are medians and
the ratio is the median of each turn's ratio (above 1: RNN Studio is faster).
``--floor`` adds the time of an LSTM step's matrix products alone, NumPy's and torch's.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from rnnstudio.engine.optimizers import Adam, clip_by_norm  # noqa: E402
from rnnstudio.engine.tasks import Batch, make_task  # noqa: E402
from rnnstudio.engine.training import (  # noqa: E402
    TrainConfig,
    batch_loss,
    initial_params,
    model_config_for,
)
from rnnstudio.engine.workspace import Workspace  # noqa: E402

try:
    import torch
except ImportError:  # the PyTorch column is reported as "n/a"
    torch = None

CELLS = ("rnn", "lstm", "gru")
BATCH = 32
GAP = 20


def make_batches(count: int) -> list[Batch]:
    task = make_task("recall", min_gap=GAP, max_gap=GAP)
    rng = np.random.default_rng(0)
    return [task.sample(rng, BATCH) for _ in range(count)]


def numpy_steps(cell: str, hidden: int, batches: list[Batch]) -> Callable[[int], None]:
    """A closure running ``n`` training steps of the engine's trainer."""
    config = TrainConfig(task="recall", cell=cell, hidden_size=hidden)
    model_config = model_config_for(config, make_task("recall"))
    params = initial_params(model_config, np.random.default_rng(0), config.forget_bias)
    optimizer = Adam(config.learning_rate)
    workspace = Workspace()

    def run(steps: int) -> None:
        for step in range(steps):
            batch = batches[step % len(batches)]
            _, _, grads, _ = batch_loss(model_config, params, batch, True,
                                        workspace=workspace, grad_norms=False)
            clip_by_norm(grads, 1.0)
            optimizer.update(params, grads)

    return run


def torch_steps(cell: str, hidden: int, batches: list[Batch]) -> Callable[[int], None]:
    """The same steps written the usual PyTorch way."""
    assert torch is not None
    task = make_task("recall")
    vocabulary = {token: k for k, token in enumerate(task.vocabulary())}
    data = [(torch.tensor([[vocabulary[t] for t in seq] for seq in b.tokens]).T.contiguous(),
             torch.as_tensor(b.targets)) for b in batches]
    layer = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    torch.manual_seed(0)
    modules = torch.nn.ModuleDict({"embedding": torch.nn.Embedding(len(vocabulary), 16),
                                   "rnn": layer(16, hidden),
                                   "head": torch.nn.Linear(hidden, len(task.labels))})
    optimizer = torch.optim.Adam(modules.parameters(), lr=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()

    def run(steps: int) -> None:
        for step in range(steps):
            ids, targets = data[step % len(data)]
            output, _ = modules["rnn"](modules["embedding"](ids))
            loss = loss_fn(modules["head"](output[-1]), targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(modules.parameters(), 1.0)
            optimizer.step()

    return run


def seconds_in_turns(runs: list[Callable[[int], None]], steps: int,
                     repeats: int) -> list[list[float]]:
    """Seconds of ``steps`` steps of each run, ``repeats`` times, the runs taking turns so
    that a slow spell of the shared machine falls on all of them."""
    for run in runs:
        run(3)  # warm-up: allocations, Adam moments, lazy kernels
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(repeats):
        for run, spent in zip(runs, times, strict=True):
            started = time.perf_counter()
            run(steps)
            spent.append(time.perf_counter() - started)
    return times


def gemm_floor(hidden: int, steps: int = 31, repeats: int = 20) -> tuple[float, float]:
    """Milliseconds of the matrix products of one LSTM training step alone, NumPy's BLAS
    and torch's (best of ``repeats``): the trainer's ``steps`` products
    [W_hh W_ih b] [h; x; 1] forward and [W_hh W_ih]^T da backward, and the one dW
    product over all steps (embedding 16). No NumPy trainer can beat the first figure."""
    rng = np.random.default_rng(0)
    rows, width = 4 * hidden, hidden + 17
    shapes = ([((rows, width), (width, BATCH))] * steps
              + [((width - 1, rows), (rows, BATCH))] * steps)
    shapes.append(((rows, steps * BATCH), (steps * BATCH, width)))
    pairs = [(rng.random(a, dtype=np.float32), rng.random(b, dtype=np.float32)) for a, b in shapes]
    tensors = [(torch.from_numpy(a), torch.from_numpy(b)) for a, b in pairs] if torch else []
    best = []
    for operands, product in ((pairs, np.matmul), (tensors, torch.matmul if torch else None)):
        times = []
        for _ in range(repeats if operands else 0):
            started = time.perf_counter()
            for a, b in operands:
                product(a, b)
            times.append(time.perf_counter() - started)
        best.append(min(times) * 1e3 if times else float("nan"))
    return best[0], best[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--hidden", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--cells", nargs="+", choices=CELLS, default=list(CELLS))
    parser.add_argument("--floor", action="store_true",
                        help="also time an LSTM step's matrix products alone")
    args = parser.parse_args(argv)
    if torch is not None:
        torch.set_num_threads(1)
    batches = make_batches(10)
    versions = f"NumPy {np.__version__}" + (f", torch {torch.__version__}" if torch else "")
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{versions}; batch {BATCH}, {len(batches[0].tokens[0])} tokens, one thread\n")
    print("| cell | H | RNN Studio (steps/s) | PyTorch (steps/s) | RNN Studio / PyTorch |")
    print("|---|---|---|---|---|")
    for cell in args.cells:
        for hidden in args.hidden:
            runs = [numpy_steps(cell, hidden, batches)]
            if torch is not None:
                runs.append(torch_steps(cell, hidden, batches))
            times = seconds_in_turns(runs, args.steps, args.repeats)
            ours = args.steps / statistics.median(times[0])
            theirs, ratio = "n/a", "n/a"
            if torch is not None:
                theirs = f"{args.steps / statistics.median(times[1]):,.0f}"
                # The median of each turn's ratio: both sides of a turn saw the same load.
                ratio = f"{statistics.median(t / o for o, t in zip(*times, strict=True)):.2f}x"
            print(f"| {cell.upper()} | {hidden} | {ours:,.0f} | {theirs} | {ratio} |", flush=True)
    if args.floor:
        print("\n| H | LSTM step's products, NumPy (ms) | the same in torch (ms) |\n|---|---|---|")
        for hidden in args.hidden:
            numpy_ms, torch_ms = gemm_floor(hidden)
            print(f"| {hidden} | {numpy_ms:.2f} | {torch_ms:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
