"""What the Training dock offers: tasks, cells and the recipe a run uses (no Qt)."""

from __future__ import annotations

from typing import Any

from ..engine.tasks import TASKS
from ..engine.training import TrainConfig, TrainReport, TrainResult

__all__ = ["BIDIRECTIONAL_TASKS", "CELLS", "TASKS", "TASK_OPTIONS", "TrainConfig",
           "TrainReport", "TrainResult", "train_config"]

#: Task options the GUI trains with: recall on mixed gaps of 1-10 words is the recipe
#: that worked for every seed and cell measured (docs/models.md, "short-gaps").
TASK_OPTIONS: dict[str, dict[str, Any]] = {"recall": {"max_gap": 10, "mixed": True}}
CELLS = ("lstm", "gru", "rnn")
#: Tasks whose answer at a word depends on later words: Bidirectional starts on for them
#: (a forward-only tagger is at chance on "under" in "under the weather", docs/models.md).
BIDIRECTIONAL_TASKS = ("idioms",)


def train_config(task: str, cell: str, hidden: int, steps: int, learning_rate: float,
                 clip: float, bidirectional: bool = False) -> TrainConfig:
    """The engine's ``TrainConfig`` for the dock's choices (``clip`` 0 = no clipping);
    evaluations about 20 times a run so the curves move as training goes."""
    return TrainConfig(task=task, cell=cell, hidden_size=hidden, steps=steps,
                       bidirectional=bidirectional,
                       learning_rate=learning_rate, clip_norm=clip or None,
                       eval_every=max(5, steps // 20), eval_size=128,
                       curriculum=0.0 if task == "recall" else 0.5,
                       task_options=dict(TASK_OPTIONS.get(task, {})))
