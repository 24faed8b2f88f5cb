"""What an LSTM and a GRU step cost in weights and multiply-adds (primer claim l,
lesson 12-lstm-vs-gru): exact counts, on the shipped recall models and on the runs the
lesson offers the Training dock. The clock is not tested: the dock measures it."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine.tasks import make_task
from rnnstudio.engine.training import initial_params, model_config_for
from rnnstudio.io import load_model
from rnnstudio.models_index import find_model
from rnnstudio.view.lessons import load_lessons

LESSON = next(item for item in load_lessons() if item.name == "12-lstm-vs-gru")
#: cell -> (blocks of rows G, recurrent weights G*H*(I+H+2), model parameters,
#: forward multiply-adds a token G*H*(I+H)), for I = 16, H = 32.
COUNTS = {"lstm": (4, 6_400, 7_764, 6_144), "gru": (3, 4_800, 6_164, 4_608),
          "rnn": (1, 1_600, 2_964, 1_536)}


def _recurrent(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: value for name, value in params.items() if name.startswith("rnn.")}


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_the_shipped_recall_models_have_the_counted_weights(cell: str) -> None:
    blocks, recurrent, total, multiply_adds = COUNTS[cell]
    with find_model(f"recall-{cell}").as_file() as path:
        model = load_model(path)
    rec = model.config.recurrent
    assert (rec.input_size, rec.hidden_size, rec.num_layers) == (16, 32, 1)
    weights = _recurrent(model.params)
    assert sum(value.size for value in weights.values()) == recurrent
    assert recurrent == blocks * 32 * (16 + 32 + 2)
    assert model.num_parameters == total
    # A token's forward pass uses each entry of W_ih and W_hh once: one multiply-add.
    matrices = weights["rnn.weight_ih_l0"].size + weights["rnn.weight_hh_l0"].size
    assert matrices == multiply_adds == blocks * 32 * (16 + 32)


def test_the_lesson_trains_the_shipped_shape_and_quotes_the_counts() -> None:
    for stage, cell in zip(LESSON.stages, ("lstm", "gru"), strict=True):
        config = stage.training
        assert stage.source.key == f"recall-{cell}" and config.cell == cell
        model_config = model_config_for(config, make_task(config.task, **config.task_options))
        params = initial_params(model_config, np.random.default_rng(0))
        assert sum(value.size for value in _recurrent(params).values()) == COUNTS[cell][1]
        assert sum(value.size for value in params.values()) == COUNTS[cell][2]
        words = " ".join(stage.notice)
        for count in COUNTS[cell][1:]:
            assert f"{count:,}" in words
    lstm, gru = LESSON.stages
    assert {name: value for name, value in lstm.training.to_dict().items() if name != "cell"} \
        == {name: value for name, value in gru.training.to_dict().items() if name != "cell"}
    assert COUNTS["gru"][1] * 4 == COUNTS["lstm"][1] * 3  # "exactly 3/4"
