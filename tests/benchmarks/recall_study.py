"""Recall across a gap: held-out accuracy against gap length for RNN, LSTM and GRU
(a script, not a test).

    PYTHONPATH=. python tests/benchmarks/recall_study.py [--steps 2000] [--seeds 0 1 2]

Every cell gets the same budget and the same settings (``TrainConfig`` defaults unless an
option says otherwise) and is trained by the project's own trainer on the ``recall`` task
(gaps ``--min-gap``..``--max-gap``, grown by the curriculum). Each trained model is then
measured on freshly generated examples at one fixed gap each (``--examples`` per gap, eval
seed ``--eval-seed``, never used for training). Several seeds are reported because a
vanilla RNN's outcome depends on its seed far more than an LSTM's or a GRU's.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from rnnstudio.engine import training  # noqa: E402
from rnnstudio.engine.tasks import RecallTask  # noqa: E402
from rnnstudio.engine.training import TrainConfig, evaluate  # noqa: E402

CELLS = ("rnn", "lstm", "gru")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cells", nargs="+", default=list(CELLS), choices=CELLS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--lr", type=float, default=TrainConfig.learning_rate)
    parser.add_argument("--curriculum", type=float, default=TrainConfig.curriculum)
    parser.add_argument("--min-gap", type=int, default=RecallTask.min_gap)
    parser.add_argument("--max-gap", type=int, default=RecallTask.max_gap)
    parser.add_argument("--mixed", action="store_true", default=RecallTask.mixed,
                        help="gaps drawn per example within a batch (default: per batch)")
    parser.add_argument("--mentions", type=int, default=RecallTask.mentions,
                        help="allergen words placed among the distractors")
    parser.add_argument("--gaps", nargs="+", type=int, default=[5, 10, 20, 40])
    parser.add_argument("--examples", type=int, default=512)
    parser.add_argument("--eval-seed", type=int, default=20_261_125)
    return parser.parse_args(argv)


def train_recall(args: argparse.Namespace, cell: str, seed: int) -> training.TrainResult:
    """Train on the recall task as configured by ``args`` (the task object is swapped in
    for ``make_task`` because its gap range and distractors are study parameters)."""
    task = RecallTask(args.min_gap, args.max_gap, args.mentions, args.mixed)
    config = TrainConfig(task="recall", cell=cell, hidden_size=args.hidden, steps=args.steps,
                         learning_rate=args.lr, curriculum=args.curriculum, seed=seed,
                         eval_every=args.steps)
    original = training.make_task
    training.make_task = lambda name: task  # type: ignore[assignment]
    try:
        return training.train(config)
    finally:
        training.make_task = original


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    eval_task = RecallTask(mentions=args.mentions)
    results: dict[str, list[list[float]]] = {}
    for cell in args.cells:
        for seed in args.seeds:
            started = time.perf_counter()
            model = train_recall(args, cell, seed).model
            row = [evaluate(model, replace(eval_task, min_gap=gap, max_gap=gap), args.examples,
                            args.eval_seed + gap) for gap in args.gaps]
            results.setdefault(cell, []).append(row)
            print(f"# {cell} seed {seed}: " + " ".join(f"{a:.3f}" for a in row)
                  + f"  ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    print(f"\nCommand: `PYTHONPATH=. python tests/benchmarks/recall_study.py "
          f"{' '.join(argv if argv is not None else sys.argv[1:])}`".replace(" `", " `", 1))
    print(f"\nHeld-out accuracy ({args.examples} examples per gap, mean over seeds "
          f"{', '.join(map(str, args.seeds))}; min..max in brackets)\n")
    print("| cell | " + " | ".join(f"gap {g}" for g in args.gaps) + " |")
    print("|---" * (len(args.gaps) + 1) + "|")
    for cell, rows in results.items():
        table = np.array(rows)
        cells = [f"{m:.2f} ({lo:.2f}..{hi:.2f})" if len(rows) > 1 else f"{m:.2f}"
                 for m, lo, hi in zip(table.mean(0), table.min(0), table.max(0), strict=True)]
        print(f"| {cell.upper()} | " + " | ".join(cells) + " |")
    chance = 1 / len(eval_task.labels)
    print("| chance | " + " | ".join(f"{chance:.2f}" for _ in args.gaps) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
