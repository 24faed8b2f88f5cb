"""Idioms: what reading backwards buys a tagger (a script, not a test).

    PYTHONPATH=. python tests/benchmarks/idioms_study.py [--seeds 0 1 2] [--steps 400]

Each cell (RNN, LSTM, GRU) is trained by the project's own trainer on the ``idioms`` task
twice with the same budget and seed, forward-only and bidirectional, then measured on
freshly generated sentences (eval seed ``--eval-seed``, never a training seed): tagging
accuracy over every word, and at the first word of each phrase ("under" in "under the
weather"), where the deciding word is still two words ahead. The expected picture: a
forward-only tagger is at chance (0.5) there whatever its cell; a bidirectional one is not.
"""

from __future__ import annotations

import argparse
import os
import statistics

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from rnnstudio.engine.tasks import make_task, span_starts  # noqa: E402
from rnnstudio.engine.training import (  # noqa: E402
    HELD_OUT_BATCH,
    HELD_OUT_SEED,
    TrainConfig,
    evaluate,
    train,
)

CELLS = ("rnn", "lstm", "gru")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--examples", type=int, default=2048)
    parser.add_argument("--eval-seed", type=int, default=HELD_OUT_SEED)
    args = parser.parse_args()
    task = make_task("idioms")
    print(f"idioms, {args.steps} steps of 32, H = 32, seeds {args.seeds}; held-out "
          f"accuracy on {args.examples} sentences (mean over seeds, min-max)")
    print("| cell | reads | every word | first word of a phrase |")
    print("|---|---|---|---|")
    for cell in CELLS:
        for bidirectional in (False, True):
            every, starts = [], []
            for seed in args.seeds:
                config = TrainConfig(task="idioms", cell=cell, steps=args.steps, seed=seed,
                                     bidirectional=bidirectional)
                model = train(config).model
                every.append(evaluate(model, task, args.examples, args.eval_seed,
                                      HELD_OUT_BATCH))
                starts.append(evaluate(model, task, args.examples, args.eval_seed,
                                       HELD_OUT_BATCH, span_starts))
            reads = "both ways" if bidirectional else "forward"
            print(f"| {cell.upper()} | {reads} | {_summary(every)} | {_summary(starts)} |",
                  flush=True)


def _summary(values: list[float]) -> str:
    return f"{statistics.mean(values):.3f} ({min(values):.3f}-{max(values):.3f})"


if __name__ == "__main__":
    main()
