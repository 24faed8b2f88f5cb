"""What the Training dock offers: tasks, cells, the recipe a run uses, and the words it
says about a run's speed and divergence (no Qt)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from ..engine.tasks import TASKS
from ..engine.training import (
    OPTIMIZERS,
    TrainConfig,
    TrainReport,
    TrainResult,
    divergence_story,
)
from ..errors import ConfigError, TrainingDiverged

__all__ = ["BIDIRECTIONAL_TASKS", "CELL_CHOICES", "FIELD_LABELS", "OPTIMIZERS",
           "RATE_RANGE", "TASKS", "TASK_OPTIONS", "TrainConfig", "TrainReport",
           "TrainResult", "TrainingDiverged", "config_problem", "config_summary",
           "divergence_message", "next_rate", "speed_text", "train_config"]

#: Task options the GUI trains with: recall on mixed gaps of 1-10 words is the recipe
#: that worked for every seed and cell measured (docs/models.md, "short-gaps").
TASK_OPTIONS: dict[str, dict[str, Any]] = {"recall": {"max_gap": 10, "mixed": True}}
#: The Cell box: (cell, nonlinearity) with its label. The ReLU RNN is there because it is
#: the cell that explodes: tanh caps h at +-1, so a tanh RNN or a gated cell saturates
#: instead (SGD at learning rate 10 stayed finite for 100 steps, docs/models.md).
CELL_CHOICES = (("lstm", "tanh", "LSTM"), ("gru", "tanh", "GRU"), ("rnn", "tanh", "RNN (tanh)"),
                ("rnn", "relu", "RNN (ReLU)"))
#: Tasks whose answer at a word depends on later words: Bidirectional starts on for them
#: (a forward-only tagger is at chance on "under" in "under the weather", docs/models.md).
BIDIRECTIONAL_TASKS = ("idioms",)
#: The learning rates the dock offers: wide enough to train gently or to blow up.
RATE_RANGE = (1e-5, 10.0)
#: The dock's name for each TrainConfig field it shows, for errors that name the field.
FIELD_LABELS = {"task": "Task", "cell": "Cell", "hidden_size": "Hidden size",
                "steps": "Steps", "optimizer": "Optimizer", "learning_rate": "Learning rate",
                "clip_norm": "Clip norm", "seed": "Seed"}


def train_config(task: str, cell: str, hidden: int, steps: int, learning_rate: float,
                 clip: float | None, bidirectional: bool = False, *,
                 nonlinearity: str = "tanh", optimizer: str = "adam", seed: int = 0,
                 base: TrainConfig | None = None) -> TrainConfig:
    """The engine's ``TrainConfig`` for the dock's choices (``clip`` None or 0 = no
    clipping). With ``base`` (a lesson's config) on the same task, its other fields
    (batch size, evaluations, task options ...) are kept; otherwise the dock's recipe:
    evaluations about 20 times a run, so the curves move as training goes."""
    chosen: dict[str, Any] = dict(task=task, cell=cell, hidden_size=hidden, steps=steps,
                  bidirectional=bidirectional, nonlinearity=nonlinearity, optimizer=optimizer,
                  learning_rate=learning_rate, clip_norm=clip or None, seed=seed)
    if base is not None and base.task == task:
        return replace(base, **chosen)
    return TrainConfig(**chosen, eval_every=max(5, steps // 20), eval_size=128,
                       curriculum=0.0 if task == "recall" else 0.5,
                       task_options=dict(TASK_OPTIONS.get(task, {})))


def config_summary(config: TrainConfig) -> str:
    """One line naming what a run will do, for the settings a short dock scrolls away:
    "RNN (ReLU), 16 units, on sentiment; SGD at learning rate 3, clipping off; 60 steps,
    seed 2"."""
    choice = (config.cell, config.nonlinearity if config.cell == "rnn" else "tanh")
    cell = next(label for *key, label in CELL_CHOICES if tuple(key) == choice)
    optimizer = "SGD" if config.optimizer == "sgd" else "Adam"
    clipping = ("clipping off" if config.clip_norm is None
                else f"clipping at max norm {config.clip_norm:g}")
    both = ", both ways" if config.bidirectional else ""
    return (f"{cell}, {config.hidden_size} units{both}, on {config.task}; {optimizer} at "
            f"learning rate {config.learning_rate:g}, {clipping}; {config.steps} steps, "
            f"seed {config.seed}")


def config_problem(error: ConfigError) -> str:
    """A TrainConfig error as the dock says it: the form's field first."""
    label = FIELD_LABELS.get(error.argument or "")
    return f"{label}: {error}" if label else str(error)


def next_rate(value: float, steps: int) -> float:
    """``value`` moved ``steps`` rungs along the 1-2-5 ladder (..., 0.1, 0.2, 0.5, 1, ...),
    kept within :data:`RATE_RANGE`: a learning rate is chosen by its order of magnitude.
    A value between rungs (a typed 0.003) goes to the next rung up or down."""
    low, high = RATE_RANGE
    exponent = math.floor(math.log10(value) + 1e-9)
    mantissa = value / 10.0**exponent
    place = max(k for k, rung in enumerate((1, 2, 5)) if rung <= mantissa * (1 + 1e-9))
    rung = 3 * exponent + place  # the rung at or below the value
    on_rung = math.isclose((1, 2, 5)[place] * 10.0**exponent, value, rel_tol=1e-6)
    target = rung + steps + (1 if steps < 0 and not on_rung else 0)
    power, place = divmod(target, 3)
    rate = (1, 2, 5)[place] * 10.0**power
    return float(f"{min(max(rate, low), high):.6g}")


def speed_text(report: TrainReport | None, steps: int = 0, seconds: float = 0.0) -> str:
    """Training speed measured on the worker, evaluations excluded: "95 steps/s, 10.5 ms
    a step"; from a report, or from ``steps`` done in ``seconds`` of training."""
    if report is not None:
        steps, seconds = report.step, report.train_seconds
    if steps <= 0 or seconds <= 0:
        return ""
    return f"{steps / seconds:,.0f} steps/s, {1000 * seconds / steps:.3g} ms a step"


def divergence_message(error: TrainingDiverged, config: TrainConfig) -> str:
    """The dock's words for a run that diverged: what overflowed at which step, the last
    finite loss and gradient norm, and the cure (a smaller rate, or clipping)."""
    clipping = ("turn clipping on" if config.clip_norm is None
                else f"clip harder (max norm now {config.clip_norm:g})")
    return (f"Diverged. {divergence_story(error)} Cure: a lower learning rate (e.g. "
            f"{config.learning_rate / 10:g}) or {clipping}.")
