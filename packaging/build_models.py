"""Train the shipped demo models and write ``resources/models`` (a script).

    PYTHONPATH=. python packaging/build_models.py --out resources/models [--only recall-gru ...]

For every task and cell (RNN, LSTM, GRU) this trains a small model with the project's own
trainer, measures its held-out accuracy on freshly generated examples (``EVAL_SEED``, never
a training seed), writes ``<task>-<cell>.safetensors`` in the native format with a model
card in ``config.card``, and rewrites ``index.json``. Everything follows from the seeds
below, so the same command gives the same files on the same NumPy.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread: reproducible sums, fair on shared CPUs

from rnnstudio.engine.model import Model  # noqa: E402
from rnnstudio.engine.tasks import TASKS, make_task, span_starts  # noqa: E402
from rnnstudio.engine.training import (  # noqa: E402
    HELD_OUT_BATCH,
    HELD_OUT_SEED,
    TrainConfig,
    TrainReport,
    evaluate,
    train,
)
from rnnstudio.models_index import INDEX_FORMAT, INDEX_NAME  # noqa: E402

CELLS = ("rnn", "lstm", "gru")
#: Held-out data for the cards; tests/training re-measure with another seed.
EVAL_SEED = HELD_OUT_SEED
EVAL_EXAMPLES = 4096
EVAL_BATCH = HELD_OUT_BATCH
DEFAULT = ("sentiment", "lstm")
SEED = 0  # one training seed for every model: no cell gets a hand-picked run
RECALL_GAPS = (5, 10, 20, 40, 80)

#: Per task: training settings shared by the three cells (one budget per task, so the
#: cells are comparable), a title, a sample text for the app and what "accuracy" means.
TASK_SETTINGS: dict[str, dict[str, Any]] = {
    "recall": {
        # The study's "short-gaps" recipe: trained on gaps up to 10, so the app shows the
        # RNN losing the fact at longer gaps while the gated cells keep it (the card
        # holds the accuracy at gaps 5-80; docs/models.md has the other recipes).
        "train": {"steps": 2000, "curriculum": 0.0,
                  "task_options": {"max_gap": 10, "mixed": True}},
        "title": "Recall across a gap",
        "sample": "alice is allergic to nuts . the weather was nice and we walked to the "
                  "park . her brother called in the evening and they talked about the game "
                  ". later it started to rain so everyone went home early . the bus was late "
                  "again this morning so she cannot eat the",
        "metric": "accuracy of the dish at the last word, gaps 1-10 as trained",
    },
    "sentiment": {
        "train": {"steps": 600},
        "title": "Review sentiment with negation",
        "sample": "i bought it last week and the camera was not very good .",
        "metric": "accuracy of the verdict at the last word",
    },
    "brackets": {
        "train": {"steps": 1500},
        "title": "Balanced brackets",
        "sample": "(()(()))()",
        "metric": "accuracy of balanced/unbalanced at the last bracket, lengths 4-24",
    },
    "adding": {
        "train": {"steps": 3000},
        "title": "Adding problem",
        "sample": "3 + 7 1 4 0 2 + 5 9 6",
        "metric": "accuracy of the sum (0-18) of the two marked digits",
    },
    "charlm": {
        "train": {"steps": 800, "hidden_size": 48},
        "title": "Next character",
        "sample": "the cat sat on the mat . a bird ran to the park .",
        "metric": "next-character accuracy",
    },
    "idioms": {
        # Bidirectional: the word that decides "under" comes two words later, so a
        # forward-only tagger is at chance there (card: held_out_at_phrase_start).
        "train": {"steps": 400, "bidirectional": True},
        "title": "Bidirectional idiom tagger",
        "sample": "i was feeling under the weather today",
        "metric": "tagging accuracy over every word (idiom, literal, other)",
    },
    "reviews": {
        # 2,245 words and pieces: an embedding of 32 keeps a file at 0.34-0.42 MB.
        "train": {"steps": 4000, "input_size": 32, "hidden_size": 64},
        "title": "Product reviews in everyday English",
        "sample": "Amazing! This box of cereal gave me a perfectly balanced breakfast, as "
                  "all things should be. I only ate half of it but will definitely be "
                  "buying again!",
        "metric": "accuracy of the verdict at the last word on generated reviews",
    },
}
#: Hand-written reviews the grammar did not write (label TAB text): their accuracy goes
#: on the reviews models' cards beside the held-out one.
CHALLENGE = Path(__file__).resolve().parent.parent / "resources/samples/reviews_challenge.txt"


def command_for(task: str, cell: str) -> str:
    return ("PYTHONPATH=. python packaging/build_models.py --out resources/models "
            f"--only {task}-{cell}")


def train_config(task: str, cell: str) -> TrainConfig:
    settings = {"eval_every": 100, "eval_size": 256, **TASK_SETTINGS[task]["train"]}
    return TrainConfig(task=task, cell=cell, seed=SEED, **settings)


def accuracy_by_gap(model: Model) -> dict[str, float]:
    """Recall accuracy at single gaps, the figure the recall lessons are about."""
    return {str(gap): round(evaluate(model, make_task("recall", min_gap=gap, max_gap=gap),
                                     1024, EVAL_SEED + gap, EVAL_BATCH), 4)
            for gap in RECALL_GAPS}


def challenge_reviews(path: Path = CHALLENGE) -> list[tuple[str, str]]:
    """(label, text) for each line of the challenge file; ``#`` lines are comments."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(label, text) for label, text in
            (line.split("\t", 1) for line in lines if line and not line.startswith("#"))]


def challenge_accuracy(model: Model, reviews: list[tuple[str, str]]) -> float:
    """The share of ``reviews`` whose verdict after the last word is their label."""
    labels = model.config.labels
    right = 0
    for label, text in reviews:
        logits = model.trace(text, loss=None, jacobian=False).logits
        assert logits is not None  # a classifier has a head
        right += labels[int(logits[-1].argmax())] == label
    return right / len(reviews)


def carded(model: Model, config: TrainConfig, accuracy: float) -> Model:
    """The trained model with its card: what it is, how good, how to make it again
    (no timings, so the same command writes the same bytes)."""
    rec = model.config.recurrent
    card = {
        **model.config.card,
        "task": config.task, "cell": config.cell,
        "title": f"{TASK_SETTINGS[config.task]['title']} ({config.cell.upper()})",
        "sizes": {"input_size": rec.input_size, "hidden_size": rec.hidden_size,
                  "num_layers": rec.num_layers, "vocabulary": len(model.tokenizer.vocabulary or ()),
                  "parameters": model.num_parameters},
        "held_out_accuracy": round(accuracy, 4),
        "metric": TASK_SETTINGS[config.task]["metric"],
        "eval": {"seed": EVAL_SEED, "examples": EVAL_EXAMPLES, "batch_size": EVAL_BATCH},
        "seed": config.seed,
        **({"held_out_by_gap": accuracy_by_gap(model)} if config.task == "recall" else {}),
        **({"held_out_at_phrase_start": round(evaluate(
            model, make_task("idioms"), EVAL_EXAMPLES, EVAL_SEED, EVAL_BATCH, span_starts), 4)}
           if config.task == "idioms" else {}),
        **({"challenge_accuracy": round(challenge_accuracy(model, challenge_reviews()), 4),
            "challenge": {"file": f"resources/samples/{CHALLENGE.name}",
                          "reviews": len(challenge_reviews())}}
           if config.task == "reviews" else {}),
        "command": command_for(config.task, config.cell),
    }
    return Model(replace(model.config, card=card), model.params, source=model.source)


def build_one(task: str, cell: str, out: Path) -> dict[str, Any]:
    """Train, measure, save; return the index entry."""
    from rnnstudio.io import save_model  # the io layer writes the native format

    config = train_config(task, cell)
    started = time.perf_counter()

    def report(point: TrainReport) -> None:
        print(f"  {task}-{cell} step {point.step:5d}/{config.steps}  loss {point.train_loss:.3f}"
              f"  held-out acc {point.eval_accuracy:.3f}  {point.seconds:5.1f} s", flush=True)

    result = train(config, on_report=report)
    seconds = time.perf_counter() - started
    held_out = make_task(task, **config.task_options)
    accuracy = evaluate(result.model, held_out, EVAL_EXAMPLES, EVAL_SEED, EVAL_BATCH)
    model = carded(result.model, config, accuracy)
    path = save_model(model, out / f"{task}-{cell}.safetensors")
    print(f"{task}-{cell}: held-out accuracy {accuracy:.4f}, {model.num_parameters} parameters,"
          f" {path.stat().st_size} bytes, {seconds:.1f} s", flush=True)
    card = model.config.card
    entry = {"file": path.name, "title": card["title"], "accuracy": round(accuracy, 4),
             "parameters": model.num_parameters, "bytes": path.stat().st_size}
    if "held_out_by_gap" in card:
        entry["by_gap"] = card["held_out_by_gap"]
        print(f"  accuracy by gap: {card['held_out_by_gap']}", flush=True)
    if "held_out_at_phrase_start" in card:
        entry["at_phrase_start"] = card["held_out_at_phrase_start"]
        print(f"  at the first word of a phrase: {entry['at_phrase_start']}", flush=True)
    if "challenge_accuracy" in card:
        entry["challenge"] = card["challenge_accuracy"]
        print(f"  hand-written challenge reviews: {entry['challenge']}", flush=True)
    return entry


def write_index(out: Path, entries: dict[tuple[str, str], dict[str, Any]]) -> Path:
    """index.json from the freshly built entries plus those already listed (``--only``)."""
    target = out / INDEX_NAME
    old = json.loads(target.read_text()) if target.exists() else {"tasks": {}}
    tasks: dict[str, Any] = {}
    for task in TASKS:
        settings = TASK_SETTINGS[task]
        models = {}
        for cell in CELLS:
            listed = old["tasks"].get(task, {}).get("models", {})
            entry = entries.get((task, cell)) or listed.get(cell)
            if entry is not None:
                models[cell] = entry
        if models:
            tasks[task] = {"title": settings["title"], "sample": settings["sample"],
                           "metric": settings["metric"], "models": models}
    index = {"format": INDEX_FORMAT, "default": {"task": DEFAULT[0], "cell": DEFAULT[1]},
             "tasks": tasks}
    target.write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("resources/models"))
    parser.add_argument("--only", nargs="+", metavar="TASK-CELL", default=None,
                        help="build only these models (the index keeps the others)")
    args = parser.parse_args(argv)
    wanted = [(task, cell) for task in TASKS for cell in CELLS]
    if args.only:
        unknown = set(args.only) - {f"{t}-{c}" for t, c in wanted}
        if unknown:
            parser.error(f"unknown model(s) {', '.join(sorted(unknown))}")
        wanted = [(t, c) for t, c in wanted if f"{t}-{c}" in args.only]
    args.out.mkdir(parents=True, exist_ok=True)
    entries = {}
    for number, (task, cell) in enumerate(wanted, 1):
        print(f"[{number}/{len(wanted)}] training {task}-{cell}", flush=True)
        entries[task, cell] = build_one(task, cell, args.out)
    print(f"wrote {write_index(args.out, entries)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
