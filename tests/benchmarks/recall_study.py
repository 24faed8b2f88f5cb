"""Recall across a gap: held-out accuracy against gap length for RNN, LSTM and GRU,
under several training recipes (a script, not a test).

    PYTHONPATH=. python tests/benchmarks/recall_study.py [--recipes all] [--seeds 0 1 2]

Every cell gets the same budget (``--steps`` steps of 32 sequences, H = ``--hidden``,
Adam, clipping at 1.0, forget bias 1.0) and is trained by the project's own trainer on
the ``recall`` task. A recipe changes only the learning rate, the curriculum and how the
training gaps are drawn; see ``RECIPES``. Each model is then measured on freshly generated
examples at one fixed gap each (``--examples`` per gap, eval seed ``--eval-seed`` + gap,
never a training seed). Several seeds are reported because a vanilla RNN's outcome
depends on its seed far more than an LSTM's or a GRU's.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from rnnstudio.engine.model import Model  # noqa: E402
from rnnstudio.engine.tasks import make_task  # noqa: E402
from rnnstudio.engine.training import TrainConfig, evaluate, train  # noqa: E402

CELLS = ("rnn", "lstm", "gru")
#: name -> (description, TrainConfig fields, recall task options)
RECIPES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "lr-0.01": ("the trainer's former default lr 0.01, gap 1-40 drawn per batch, curriculum 0.5",
                {"learning_rate": 0.01}, {}),
    "lr-0.003": ("lr 0.003, gap 1-40 drawn per batch, curriculum 0.5",
                 {"learning_rate": 0.003}, {}),
    "no-curriculum": ("lr 0.003, gap 1-40 drawn per batch, no curriculum",
                      {"learning_rate": 0.003, "curriculum": 0.0}, {}),
    "mixed": ("lr 0.003, gap 1-40 drawn per example, curriculum 0.5",
              {"learning_rate": 0.003}, {"mixed": True}),
    "mixed-no-curriculum": ("lr 0.003, gap 1-40 drawn per example, no curriculum",
                            {"learning_rate": 0.003, "curriculum": 0.0}, {"mixed": True}),
    "short-gaps": ("lr 0.003, trained on gaps 1-10 only (per example), no curriculum",
                   {"learning_rate": 0.003, "curriculum": 0.0}, {"mixed": True, "max_gap": 10}),
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipes", nargs="+", default=["all"], choices=["all", *RECIPES])
    parser.add_argument("--cells", nargs="+", default=list(CELLS), choices=CELLS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--lr", type=float, default=None,
                        help="learning rate for every recipe (default: each recipe's own)")
    parser.add_argument("--mentions", type=int, default=0,
                        help="allergen words put among the distractors (training and test)")
    parser.add_argument("--gaps", nargs="+", type=int, default=[5, 10, 20, 40, 80])
    parser.add_argument("--examples", type=int, default=512)
    parser.add_argument("--eval-seed", type=int, default=20_261_125)
    args = parser.parse_args(argv)
    if "all" in args.recipes:
        args.recipes = list(RECIPES)
    return args


def train_recall(args: argparse.Namespace, recipe: str, cell: str, seed: int) -> Model:
    """One model; everything but the recipe's fields is shared by all cells."""
    _, fields, options = RECIPES[recipe]
    if args.lr is not None:
        fields = {**fields, "learning_rate": args.lr}
    config = TrainConfig(task="recall", cell=cell, hidden_size=args.hidden, steps=args.steps,
                         seed=seed, eval_every=args.steps,
                         task_options={**options, "mentions": args.mentions}, **fields)
    return train(config).model


def measure(args: argparse.Namespace, model: Model) -> list[float]:
    """Accuracy at each gap on fresh examples whose gap is exactly that gap."""
    return [evaluate(model, make_task("recall", min_gap=gap, max_gap=gap,
                                      mentions=args.mentions),
                     args.examples, args.eval_seed + gap) for gap in args.gaps]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rows: list[str] = []
    for recipe in args.recipes:
        for cell in args.cells:
            results = []
            for seed in args.seeds:
                started = time.perf_counter()
                results.append(measure(args, train_recall(args, recipe, cell, seed)))
                print(f"# {recipe} {cell} seed {seed}: "
                      + " ".join(f"{a:.3f}" for a in results[-1])
                      + f"  ({time.perf_counter() - started:.0f} s)", file=sys.stderr,
                      flush=True)
            table = np.array(results)
            cells = [f"{m:.2f} ({lo:.2f}-{hi:.2f})" if len(results) > 1 else f"{m:.2f}"
                     for m, lo, hi in zip(table.mean(0), table.min(0), table.max(0),
                                          strict=True)]
            rows.append(f"| {recipe} | {cell.upper()} | " + " | ".join(cells) + " |")
    command = " ".join(argv if argv is not None else sys.argv[1:])
    print(f"\n`PYTHONPATH=. python tests/benchmarks/recall_study.py {command}`".replace(" `", "`"))
    rate = f"lr {args.lr} for every recipe, " if args.lr is not None else ""
    print(f"\nHeld-out accuracy at each gap ({args.examples} fresh examples per gap), mean "
          f"over seeds {', '.join(map(str, args.seeds))} (min-max); {args.steps} steps of 32, "
          f"{rate}H = {args.hidden}, {args.mentions} allergen mentions among the distractors; "
          f"chance is {1 / len(make_task('recall').labels):.2f}.\n")
    for recipe in args.recipes:
        print(f"* `{recipe}`: {RECIPES[recipe][0]}")
    print("\n| recipe | cell | " + " | ".join(f"gap {g}" for g in args.gaps) + " |")
    print("|---|---" + "|---" * len(args.gaps) + "|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
