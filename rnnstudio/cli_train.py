"""``rnnstudio train`` and ``rnnstudio models``: train a model on a generated task, list
the shipped ones. Kept beside ``cli.py`` so that module stays about tracing files."""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from .engine.training import HELD_OUT_BATCH as EVAL_BATCH
from .engine.training import HELD_OUT_SEED as EVAL_SEED
from .errors import ConfigError, ExportError, TrainingDiverged, shown
from .terminal import printable

EVAL_EXAMPLES = 2048

TRAIN_HELP = "train a model on a generated task and save it with a model card"
MODELS_HELP = "list the trained models that ship with RNN Studio"


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    from .engine.tasks import TASKS

    parser.add_argument("--task", required=True, choices=sorted(TASKS))
    parser.add_argument("--cell", choices=("rnn", "lstm", "gru"), default="lstm")
    parser.add_argument("--hidden", type=int, default=32, dest="hidden_size", metavar="H")
    parser.add_argument("--input-size", type=int, default=16, metavar="I",
                        help="embedding size (default 16)")
    parser.add_argument("--layers", type=int, default=1, dest="num_layers", metavar="N")
    parser.add_argument("--nonlinearity", choices=("tanh", "relu"), default="tanh")
    parser.add_argument("--bidirectional", action="store_true")
    parser.add_argument("--steps", type=int, default=1500, help="updates (default 1500)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    parser.add_argument("--lr", type=float, default=0.003, dest="learning_rate",
                        help="learning rate (default 0.003)")
    parser.add_argument("--clip", type=float, default=1.0, metavar="NORM", dest="clip_norm",
                        help="clip the update's gradient norm (training only; 0 = off)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="a task option, e.g. max_gap=10 or mixed=true (repeatable)")
    parser.add_argument("--out", required=True, help="model file (.safetensors or .npz)")


def _option_value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def parse_task_options(pairs: list[str]) -> dict[str, Any]:
    """``--option KEY=VALUE`` pairs as typed values (``make_task`` checks them)."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--option {shown(pair)}: write KEY=VALUE, e.g. max_gap=10")
        if key in options:
            raise ConfigError(f"--option {key} is given twice; give it once")
        options[key] = _option_value(value.strip())
    return options


def task_option_flags() -> dict[str, str]:
    """Task option -> how ``rnnstudio train`` sets it (``max_gap`` -> ``--option
    max_gap``), so an error about an option names it as the user typed it."""
    from dataclasses import fields

    from .engine.tasks import TASKS

    return {spec.name: f"--option {spec.name}" for task in TASKS.values()
            for spec in fields(task) if spec.name not in ("name", "kind", "tokenizer")}


def run_train(options: argparse.Namespace) -> int:
    from .engine.model import Model
    from .engine.tasks import make_task
    from .engine.training import TrainConfig, TrainReport, divergence_story, evaluate, train
    from .io.atomic import check_writable
    from .io.model_files import SAVE_EXTENSIONS, save_model
    from .view.training import speed_text

    out = Path(options.out)
    if out.suffix.lower() not in SAVE_EXTENSIONS:  # before minutes of training, not after
        raise ExportError(f"--out {printable(str(out))}: models are saved as .safetensors "
                          "(native) or .npz; give one of those extensions")
    check_writable(out)
    if not 0 <= options.clip_norm < float("inf"):  # NaN fails too
        raise ConfigError(f"--clip must be 0 (no clipping) or a finite number above 0, got "
                          f"{options.clip_norm}; use e.g. --clip 1")
    config = TrainConfig(
        task=options.task, cell=options.cell, hidden_size=options.hidden_size,
        input_size=options.input_size, num_layers=options.num_layers,
        nonlinearity=options.nonlinearity, bidirectional=options.bidirectional,
        steps=options.steps, batch_size=options.batch_size, optimizer=options.optimizer,
        learning_rate=options.learning_rate, clip_norm=options.clip_norm or None,
        seed=options.seed, task_options=parse_task_options(options.option),
    )
    started = time.perf_counter()

    def report(point: TrainReport) -> None:
        print(f"step {point.step:5d}/{config.steps}  loss {point.train_loss:.4f}  held-out "
              f"loss {point.eval_loss:.4f}  accuracy {point.eval_accuracy:.3f}  "
              f"{point.seconds:6.1f} s  ({speed_text(point)})", flush=True)

    try:
        result = train(config, on_report=report)
    except TrainingDiverged as exc:  # the engine's words name learning_rate, clip_norm
        clipping = f"(--clip {config.clip_norm:g})" if config.clip_norm else "or --clip 1"
        raise ConfigError(
            f"--lr {config.learning_rate:g}: the {exc.what} became {exc.value} at step "
            f"{exc.step} of {config.steps}, so training stopped and nothing was written; "
            f"use a smaller --lr (e.g. {config.learning_rate / 10:g}) {clipping}. "
            f"{divergence_story(exc)}") from None
    task = make_task(config.task, **config.task_options)
    accuracy = evaluate(result.model, task, EVAL_EXAMPLES, EVAL_SEED, EVAL_BATCH)
    model = result.model
    card = {
        **model.config.card,
        "task": config.task, "cell": config.cell, "seed": config.seed,
        "held_out_accuracy": round(accuracy, 4),
        "eval": {"seed": EVAL_SEED, "examples": EVAL_EXAMPLES, "batch_size": EVAL_BATCH},
        "parameters": model.num_parameters,
        "command": shlex.join(["rnnstudio", *sys.argv[1:]]) if sys.argv[1:] else "",
    }
    model = Model(replace(model.config, card=card), model.params, source=model.source)
    path = save_model(model, out)
    print(f"held-out accuracy: {accuracy:.4f} on {EVAL_EXAMPLES} new examples "
          f"(trained in {time.perf_counter() - started:.1f} s)")
    print(f"wrote: {path}")
    return 0


def add_models_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--paths", action="store_true", help="print each model's file path")


def run_models(options: argparse.Namespace) -> int:
    from .models_index import shipped_models

    for entry in shipped_models():
        default = "  (default)" if entry.default else ""
        where = f"  {entry.path}" if options.paths else ""
        print(f"{entry.key:16s} {entry.task_title} ({entry.cell.upper()}), "
              f"held-out {entry.accuracy:.3f}, {entry.parameters:,} parameters{default}{where}")
    return 0
