"""rnnstudio.limits: the documented table equals the module, the checks behave, and the
sizes the engine counts before allocating are the sizes it then allocates."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from test_api_hostile import FLAT as API_CASES
from test_cli_hostile import FLAT as CLI_CASES

import rnnstudio
from rnnstudio import limits
from rnnstudio.engine import model as model_module
from rnnstudio.engine.config import RecurrentConfig
from rnnstudio.engine.model import ModelConfig, random_model
from rnnstudio.engine.params import recurrent_shapes
from rnnstudio.engine.tasks import TASKS, make_task
from rnnstudio.engine.tokenizers import Tokenizer
from rnnstudio.errors import ConfigError, TextError
from rnnstudio.io import model_source

FORMATS = (Path(__file__).resolve().parents[1] / "docs" / "formats.md").read_text("utf-8")
LIMITS_SECTION = FORMATS[FORMATS.index("\n## Limits"):]


def _shown(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def test_the_documented_table_is_the_module() -> None:
    documented = dict(re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \|", LIMITS_SECTION, re.M))
    constants = {name: _shown(value) for name, value in vars(limits).items()
                 if name.isupper() and isinstance(value, (int, float))}
    assert {name: text.strip() for name, text in documented.items()} == constants


def test_the_documented_task_options_are_the_module() -> None:
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \| (\d+) to ([\d,]+) \|$", LIMITS_SECTION, re.M)
    documented = {(task, option.strip("` ")): (int(low), int(high.replace(",", "")))
                  for task, options, low, high in rows for option in options.split(",")}
    ranges = {(task, option): span for task, options in limits.TASK_OPTION_RANGES.items()
              for option, span in options.items()}
    assert documented == ranges


def test_the_documented_counts_and_examples_hold() -> None:
    assert f"holds {len(CLI_CASES)} bad command lines" in LIMITS_SECTION
    assert f"and `tests/test_api_hostile.py`\n{len(API_CASES)} bad API calls" in LIMITS_SECTION
    reads = random_model("lstm", 1024).config.max_tokens()
    assert f"an LSTM with 1024\nunits reads {reads:,} tokens" in LIMITS_SECTION


def test_every_whole_number_task_option_has_a_range() -> None:
    from dataclasses import fields

    for name, task in TASKS.items():
        numbers = {spec.name for spec in fields(task)
                   if type(spec.default) is int and spec.name not in ("name", "kind")}
        assert numbers == set(limits.TASK_OPTION_RANGES.get(name, {})), name


def test_the_names_exported_before_are_the_limits() -> None:
    assert rnnstudio.limits is limits  # rs.limits, loaded on first use
    assert rnnstudio.engine.MAX_TOKENS == model_module.MAX_TOKENS == limits.MAX_TOKENS
    assert model_source.MAX_HIDDEN_SIZE == limits.RANDOM_MAX_HIDDEN_SIZE
    assert model_source.MAX_INPUT_SIZE == limits.RANDOM_MAX_INPUT_SIZE
    assert model_source.MAX_LAYERS == limits.RANDOM_MAX_LAYERS
    assert model_source.MAX_RANDOM_PARAMETERS == limits.MAX_RANDOM_PARAMETERS
    assert model_source.MAX_SEED == limits.MAX_SEED


def test_check_whole_takes_whole_numbers_only() -> None:
    assert limits.check_whole("n", np.int64(7), 1, 9, "fix") == 7
    assert type(limits.check_whole("n", np.int64(7), 1, 9, "fix")) is int
    for bad in (True, np.bool_(True), 7.0, "7", None, 0, 10, 10**400, [7]):
        with pytest.raises(ConfigError) as info:
            limits.check_whole("n", bad, 1, 9, "give n in that range")
        assert str(info.value).startswith("n must be a whole number from 1 to 9, got ")
        assert str(info.value).endswith("; give n in that range") and info.value.argument == "n"


def test_check_number_takes_finite_numbers_in_range() -> None:
    assert limits.check_number("x", np.float32(0.5), "fix", low=0, high=1) == 0.5
    assert limits.check_number("x", 3, "fix", positive=True) == 3.0
    for bad, expected in ((math.nan, "a finite number"), (math.inf, "a finite number"),
                          (10**400, "a finite number"), ("1", "a finite number"),
                          (False, "a finite number")):
        with pytest.raises(ConfigError, match=f"x must be {expected}, got "):
            limits.check_number("x", bad, "fix")
    with pytest.raises(ConfigError, match="must be a finite number above 0, got 0"):
        limits.check_number("x", 0, "fix", positive=True)
    with pytest.raises(ConfigError, match="must be a finite number from 0 to 1, got 2"):
        limits.check_number("x", 2, "fix", low=0, high=1)


def test_parameter_count_is_what_gets_allocated() -> None:
    for args in [("lstm", 3, 5, 2, "tanh", True, True, 2), ("gru", 7, 4, 3, "tanh", False),
                 ("rnn", 1, 1, 1, "relu"), ("lstm", 4, 6, 1, "tanh", False, False, 5)]:
        config = RecurrentConfig(*args)
        sizes = [math.prod(shape) for shape in recurrent_shapes(config).values()]
        assert config.parameter_count == sum(sizes), args


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_values_per_token_is_what_a_trace_records(cell: str) -> None:
    proj = 2 if cell == "lstm" else 0
    base = random_model(cell, 5, input_size=3, num_layers=2, bidirectional=True, proj_size=proj)
    vocabulary = ("<unk>", "a", "b")
    config = ModelConfig(base.config.recurrent, Tokenizer("word", vocabulary), "table",
                         task="next-token")
    params = {**base.state_dict(), "embedding.weight": np.ones((3, 3)),
              "head.weight": np.ones((3, 2 * (proj or 5))), "head.bias": np.zeros(3)}
    trace = model_module.Model(config, params).trace("a b a", loss=None)
    recorded = sum(array.size for key, array in trace.arrays().items()
                   if key not in ("tokens", "token_ids", "meta"))
    assert config.values_per_token() * 3 == recorded


def test_a_wide_model_reads_fewer_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    model = random_model("gru", 4, input_size=2)  # x 2 + h 4 + gates 3 * 4 = 18 a token
    monkeypatch.setattr(model_module, "MAX_TRACE_VALUES", 18 * 5)
    assert model.config.max_tokens() == 5
    assert len(model.trace("a b c d e", loss=None).tokens) == 5
    with pytest.raises(TextError, match="the text has 6 tokens; a trace of this model keeps "
                                        "18 values a token and at most 90 in all, so it "
                                        "reads at most 5 tokens"):
        model.trace("a b c d e f")


@pytest.mark.parametrize("name", sorted(limits.TASK_OPTION_RANGES))
def test_longest_bounds_every_sampled_sequence(name: str) -> None:
    options = {key: high if "max" in key or key == "length" else low
               for key, (low, high) in limits.TASK_OPTION_RANGES[name].items()}
    options = {key: min(value, 60) for key, value in options.items()}  # keep it quick
    for task in (make_task(name), make_task(name, **options)):
        rng = np.random.default_rng(0)
        longest = max(len(task.sample(rng, 4).tokens[0]) for _ in range(200))
        # sentiment, recall and overwrite reach it only with their longest templates drawn
        # together (tests/training/test_tasks.py checks recall's with a fixed gap); reviews:
        # a cap its generator redraws above, rarely reached
        assert longest == task.longest or name in ("sentiment", "recall", "overwrite",
                                                   "reviews"), (name, options)
        assert longest <= task.longest
