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

import numpy as np  # noqa: E402

from rnnstudio.engine.model import Model  # noqa: E402
from rnnstudio.engine.tasks import ALLERGIES, Batch, Task, make_task, span_starts  # noqa: E402
from rnnstudio.engine.training import (  # noqa: E402
    HELD_OUT_BATCH,
    HELD_OUT_SEED,
    TrainConfig,
    TrainReport,
    batch_loss,
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
RECALL_GAPS = (0, 5, 10, 20, 40, 80, 160)
#: Gaps the cards measure per allergen: a model keeps some facts longer than others.
ALLERGEN_GAPS = (0, 20, 80, 160)

#: Per task: training settings shared by the three cells (one budget per task, so the
#: cells are comparable), a title, a sample text for the app and what "accuracy" means.
TASK_SETTINGS: dict[str, dict[str, Any]] = {
    "recall": {
        # Trained on gaps of 0-20 words, one gap per batch, no curriculum, the same for
        # the three cells. On these varied templates no recipe tried made the RNN lose the
        # fact along the gap while the gated cells kept it (docs/models.md, "The recall
        # recipes"): here the difference is what each cell learns across 20 words, per
        # allergen (the card holds the accuracy by gap and by allergen).
        "train": {"steps": 2000, "curriculum": 0.0, "task_options": {"max_gap": 20}},
        "title": "Recall across a gap",
        "sample": "alice is allergic to nuts . the weather was nice and we walked to the "
                  "park . her brother called in the evening and they talked about the game "
                  ". later it started to rain so everyone went home early . the bus was late "
                  "again this morning . she can't eat",
        "metric": "accuracy of the dish at the last word, gaps 0-20 as trained",
    },
    "overwrite": {
        # One budget for the three cells, as recall: two facts, the answer is the second.
        "train": {"steps": 2000, "curriculum": 0.0,
                  "task_options": {"max_gap": 10, "mixed": True}},
        "title": "Recall the newer fact",
        "sample": "alice is allergic to nuts . the weather was nice and we walked to the "
                  "park . bob is allergic to milk . later it started to rain so he cannot "
                  "eat the",
        "metric": "accuracy of the second fact's dish at the last word, gaps 0-10",
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
    "idioms-forward": {
        # The same task, budget and seed read left to right only: the control for the
        # bidirectional taggers (near chance at the first word of a phrase).
        "task": "idioms",
        "train": {"steps": 400},
        "title": "Forward-only idiom tagger",
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


def command_for(name: str, cell: str) -> str:
    return ("PYTHONPATH=. python packaging/build_models.py --out resources/models "
            f"--only {name}-{cell}")


def engine_task(name: str) -> str:
    """The generated task a shipped model set is trained on (``idioms-forward`` is the
    ``idioms`` task read one way)."""
    return str(TASK_SETTINGS[name].get("task", name))


def train_config(name: str, cell: str) -> TrainConfig:
    settings = {"eval_every": 100, "eval_size": 256, **TASK_SETTINGS[name]["train"]}
    return TrainConfig(task=engine_task(name), cell=cell, seed=SEED, **settings)


def accuracy_by_gap(model: Model, task: str = "recall") -> dict[str, float]:
    """Recall accuracy at single gaps, the figure the recall lessons are about."""
    return {str(gap): round(evaluate(model, make_task(task, min_gap=gap, max_gap=gap),
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


def accuracy_by_class(model: Model, task: Task, examples: int, seed: int,
                      batch_size: int = EVAL_BATCH) -> dict[str, float]:
    """Held-out accuracy of a classifier per true class (label -> accuracy): a model
    can keep one fact and lose another, and an average hides it."""
    rng = np.random.default_rng(seed)
    correct, counted = np.zeros(len(task.labels)), np.zeros(len(task.labels))
    params = dict(model.params)
    for done in range(0, examples, batch_size):
        batch = task.sample(rng, min(batch_size, examples - done))
        targets = np.asarray(batch.targets)
        for label in np.unique(targets):
            rows = np.flatnonzero(targets == label)
            part = Batch([batch.tokens[k] for k in rows], targets[rows])
            _, accuracy, _, _ = batch_loss(model.config, params, part, False)
            correct[label] += accuracy * len(rows)
            counted[label] += len(rows)
    return {label: round(float(correct[k] / counted[k]), 4)
            for k, label in enumerate(task.labels)}


def by_allergen(model: Model, task: str) -> dict[str, dict[str, float]]:
    """Per-allergen accuracy at the long gaps (gap -> allergen -> accuracy)."""
    dishes = dict(zip(ALLERGIES.values(), ALLERGIES, strict=True))
    return {str(gap): {dishes[dish]: value for dish, value in accuracy_by_class(
                model, make_task(task, min_gap=gap, max_gap=gap), 1024,
                EVAL_SEED + gap).items()}
            for gap in ALLERGEN_GAPS}


def task_figures(model: Model, name: str) -> dict[str, Any]:
    """The card's task-specific figures: by gap and allergen for recall, at the ambiguous
    word for the idiom taggers, on the hand-written reviews for the reviews models."""
    task = engine_task(name)
    if task in ("recall", "overwrite"):
        return {"held_out_by_gap": accuracy_by_gap(model, task),
                "held_out_by_allergen": by_allergen(model, task)}
    if task == "idioms":
        return {"held_out_at_phrase_start": round(evaluate(
            model, make_task("idioms"), EVAL_EXAMPLES, EVAL_SEED, EVAL_BATCH, span_starts), 4)}
    if task == "reviews":
        reviews = challenge_reviews()
        return {"challenge_accuracy": round(challenge_accuracy(model, reviews), 4),
                "challenge": {"file": f"resources/samples/{CHALLENGE.name}",
                              "reviews": len(reviews)}}
    return {}


def carded(model: Model, name: str, config: TrainConfig, accuracy: float) -> Model:
    """The trained model with its card: what it is, how good, how to make it again
    (no timings, so the same command writes the same bytes)."""
    rec = model.config.recurrent
    card = {
        **model.config.card,
        "model": f"{name}-{config.cell}", "task": config.task, "cell": config.cell,
        "title": f"{TASK_SETTINGS[name]['title']} ({config.cell.upper()})",
        "sizes": {"input_size": rec.input_size, "hidden_size": rec.hidden_size,
                  "num_layers": rec.num_layers, "vocabulary": len(model.tokenizer.vocabulary or ()),
                  "parameters": model.num_parameters},
        "held_out_accuracy": round(accuracy, 4),
        "metric": TASK_SETTINGS[name]["metric"],
        "eval": {"seed": EVAL_SEED, "examples": EVAL_EXAMPLES, "batch_size": EVAL_BATCH},
        "seed": config.seed,
        **task_figures(model, name),
        "command": command_for(name, config.cell),
    }
    return Model(replace(model.config, card=card), model.params, source=model.source)


def build_one(name: str, cell: str, out: Path) -> dict[str, Any]:
    """Train, measure, save; return the index entry."""
    from rnnstudio.io import save_model  # the io layer writes the native format

    config = train_config(name, cell)
    started = time.perf_counter()

    def report(point: TrainReport) -> None:
        print(f"  {name}-{cell} step {point.step:5d}/{config.steps}  loss {point.train_loss:.3f}"
              f"  held-out acc {point.eval_accuracy:.3f}  {point.seconds:5.1f} s", flush=True)

    result = train(config, on_report=report)
    seconds = time.perf_counter() - started
    held_out = make_task(config.task, **config.task_options)
    accuracy = evaluate(result.model, held_out, EVAL_EXAMPLES, EVAL_SEED, EVAL_BATCH)
    model = carded(result.model, name, config, accuracy)
    path = save_model(model, out / f"{name}-{cell}.safetensors")
    print(f"{name}-{cell}: held-out accuracy {accuracy:.4f}, {model.num_parameters} parameters,"
          f" {path.stat().st_size} bytes, {seconds:.1f} s", flush=True)
    card = model.config.card
    entry = {"file": path.name, "title": card["title"], "accuracy": round(accuracy, 4),
             "parameters": model.num_parameters, "bytes": path.stat().st_size}
    for key, short in (("held_out_by_gap", "by_gap"), ("held_out_at_phrase_start",
                                                        "at_phrase_start")):
        if key in card:
            entry[short] = card[key]
            print(f"  {key}: {card[key]}", flush=True)
    if "held_out_by_allergen" in card:
        print(f"  held_out_by_allergen: {card['held_out_by_allergen']}", flush=True)
    if "challenge_accuracy" in card:
        entry["challenge"] = card["challenge_accuracy"]
        print(f"  hand-written challenge reviews: {entry['challenge']}", flush=True)
    return entry


def write_index(out: Path, entries: dict[tuple[str, str], dict[str, Any]]) -> Path:
    """index.json from the freshly built entries plus those already listed (``--only``)."""
    target = out / INDEX_NAME
    old = json.loads(target.read_text()) if target.exists() else {"tasks": {}}
    tasks: dict[str, Any] = {}
    for task, settings in TASK_SETTINGS.items():
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
    wanted = [(name, cell) for name in TASK_SETTINGS for cell in CELLS]
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
