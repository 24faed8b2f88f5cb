"""The shipped demo models: the index lists exactly the files, every file loads with its
model card, and every model still reaches the accuracy its card states on data it has
never seen (another seed than the card's)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from rnnstudio.engine.tasks import TASKS, make_task
from rnnstudio.engine.training import evaluate
from rnnstudio.io import load_model
from rnnstudio.models_index import ShippedModel, default_model, models_folder, shipped_models

#: How far a re-measured accuracy may fall below the card. The card is measured on 4096
#: examples and this test on 2048 (batches of 32): the sampling spread of the difference
#: is at most ~0.02 (binomial at p = 0.5 plus the per-batch shapes), so 0.03 only fails on
#: a real change (weights, task generator or engine numerics).
MARGIN = 0.03
RECHECK_SEED = 424_242
RECHECK_EXAMPLES = 2048
CELLS = ("rnn", "lstm", "gru")
CARD_KEYS = {"task", "cell", "sizes", "held_out_accuracy", "eval", "seed", "command",
             "train"}

MODELS = shipped_models()


def test_index_lists_every_task_and_cell_and_nothing_else() -> None:
    folder = Path(str(models_folder()))
    listed = {entry.file for entry in MODELS}
    on_disk = {path.name for path in folder.glob("*.safetensors")}
    assert listed == on_disk
    tasks = {entry.task for entry in MODELS}
    assert set(TASKS) <= tasks and tasks - set(TASKS) == {"idioms-forward"}
    assert {(entry.task, entry.cell) for entry in MODELS} == {(t, c) for t in tasks
                                                              for c in CELLS}
    total = sum(path.stat().st_size for path in folder.iterdir())
    assert total < 5_000_000, f"shipped models take {total} bytes"


def test_default_is_a_trained_model() -> None:
    entry = default_model()
    assert (entry.task, entry.cell) == ("sentiment", "lstm")
    with entry.as_file() as path:
        model = load_model(path)
    assert model.config.card["train"]["steps"] > 0
    assert model.config.card["held_out_accuracy"] > 0.9


@pytest.mark.parametrize("entry", MODELS, ids=[entry.key for entry in MODELS])
def test_every_file_loads_with_its_card(entry: ShippedModel) -> None:
    with entry.as_file() as path:
        model = load_model(path)
    card = model.config.card
    assert set(card) >= CARD_KEYS
    # "model" names the shipped set when it is not the task (idioms-forward-lstm)
    assert card.get("model", f"{card['task']}-{card['cell']}") == entry.key
    assert card["task"] in TASKS  # the generated task (idioms-forward reads idioms)
    assert model.config.recurrent.cell == entry.cell
    assert card["held_out_accuracy"] == pytest.approx(entry.accuracy)
    assert card["sizes"]["parameters"] == model.num_parameters == entry.parameters
    assert card["eval"]["seed"] != RECHECK_SEED
    assert card["eval"]["seed"] != card["train"]["seed"]
    assert f"--only {entry.key}" in card["command"]
    assert model.tokenize(entry.sample).unknown == []


def test_shipped_models_meet_their_cards() -> None:
    """Re-measure all models in one test so the time limit covers the whole check."""
    started = time.perf_counter()
    shortfalls = []
    for entry in MODELS:
        with entry.as_file() as path:
            model = load_model(path)
        card = model.config.card
        task = make_task(card["task"], **card["train"].get("task_options", {}))
        accuracy = evaluate(model, task, RECHECK_EXAMPLES, RECHECK_SEED,
                            card["eval"]["batch_size"])
        if accuracy < card["held_out_accuracy"] - MARGIN:
            shortfalls.append(f"{entry.key}: {accuracy:.4f} < card "
                              f"{card['held_out_accuracy']:.4f} - {MARGIN}")
    assert not shortfalls, "; ".join(shortfalls)
    # 21 models: the three reviews models read longer texts with H = 64, measured 4.2 s
    # each (1.0 s for sentiment-lstm) on two cores shared with other jobs (load 9).
    assert time.perf_counter() - started < 40.0
