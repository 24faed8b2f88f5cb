"""Bad input to the Python API: each call raises RNN Studio's own error (or a
``TypeError`` naming the argument) with one line naming the argument, the value and
the limit, before anything large is allocated or any work is done."""

from __future__ import annotations

import itertools
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import rnnstudio as rs
from rnnstudio.engine.config import RecurrentConfig
from rnnstudio.engine.model import Model, ModelConfig
from rnnstudio.engine.tasks import make_task
from rnnstudio.engine.tokenizers import Tokenizer
from rnnstudio.engine.training import TrainConfig, train
from rnnstudio.errors import ConfigError, ParameterError, TextError, TrainingDiverged
from rnnstudio.limits import MAX_TOKENS, MAX_VOCABULARY

NAN, INF = float("nan"), float("inf")
MODEL = rs.random_model("gru", 4, input_size=3, seed=0)
LSTM = RecurrentConfig("lstm", 3, 4)

Call = Callable[[], Any]
#: kind -> [(call, error type, words in the message)]; ``argument`` is checked too when
#: the error is a ConfigError whose message starts with an argument name.
API_CASES: dict[str, list[tuple[Call, type[Exception], tuple[str, ...]]]] = {
    "random_model": [
        (lambda: rs.random_model("lstm", hidden_size=10**9), ConfigError,
         ("hidden_size", "4,096", "got 1000000000")),
        (lambda: rs.random_model("lstm", hidden_size=1e9), ConfigError,
         ("hidden_size", "got 1000000000.0")),
        (lambda: rs.random_model("lstm", hidden_size=32.0), ConfigError, ("hidden_size", "32.0")),
        (lambda: rs.random_model("lstm", hidden_size=True), ConfigError, ("hidden_size", "True")),
        (lambda: rs.random_model("lstm", hidden_size="32"), ConfigError, ("hidden_size", "'32'")),
        (lambda: rs.random_model("lstm", hidden_size=None), ConfigError, ("hidden_size", "None")),
        (lambda: rs.random_model("lstm", hidden_size=0), ConfigError, ("hidden_size", "from 1")),
        (lambda: rs.random_model("lstm", num_layers=100_000), ConfigError,
         ("num_layers", "16", "got 100000")),
        (lambda: rs.random_model("lstm", input_size=0), ConfigError, ("input_size", "got 0")),
        (lambda: rs.random_model("lstm", input_size=10**6), ConfigError, ("input_size",)),
        (lambda: rs.random_model("lstm", proj_size=32), ConfigError,
         ("proj_size 32", "smaller than hidden_size")),
        (lambda: rs.random_model("gru", proj_size=2), ConfigError, ("proj_size 2", "LSTM only")),
        (lambda: rs.random_model("lstm", proj_size=-1), ConfigError, ("proj_size", "got -1")),
        (lambda: rs.random_model("lstm", hidden_size=2048, num_layers=2), ConfigError,
         ("hidden_size 2048", "20,000,000 a random model")),
        (lambda: rs.random_model("lstm", seed=-1), ConfigError, ("seed", "got -1")),
        (lambda: rs.random_model("lstm", seed=2.5), ConfigError, ("seed", "got 2.5")),
        (lambda: rs.random_model("lstm", seed=2**40), ConfigError, ("seed", "2,147,483,647")),
        (lambda: rs.random_model("lstm", gain=NAN), ConfigError, ("gain", "got nan")),
        (lambda: rs.random_model("lstm", gain=INF), ConfigError, ("gain", "got inf")),
        (lambda: rs.random_model("lstm", gain=10**400), ConfigError, ("gain", "1e+06")),
        (lambda: rs.random_model("lstm", gain="2"), ConfigError, ("gain", "'2'")),
        (lambda: rs.random_model("lstm", dtype="float16"), ConfigError, ("dtype", "float16")),
        (lambda: rs.random_model("transformer"), ConfigError, ("unknown cell 'transformer'",)),
        (lambda: rs.random_model("rnn", nonlinearity="gelu"), ConfigError, ("'gelu'",)),
        (lambda: rs.random_model("lstm", bidirectional="yes"), ConfigError,
         ("bidirectional", "True or False", "'yes'")),
        (lambda: rs.random_model("lstm", bias=None), ConfigError, ("bias", "None")),
        (lambda: rs.random_model("lstm", tokenizer="word"), TypeError, ("tokenizer", "'word'")),
    ],
    "configs and tokenizers": [
        (lambda: RecurrentConfig("lstm", 3, np.int64(10**9)), ConfigError, ("hidden_size",)),
        (lambda: RecurrentConfig("lstm", 3, 4, num_layers=np.float64(2)), ConfigError,
         ("num_layers",)),
        (lambda: RecurrentConfig.from_dict({"cell": "gru", "input_size": 1, "hidden_size": 2,
                                            "dropout": 0.5}), ConfigError, ("dropout",)),
        (lambda: RecurrentConfig("lstm", 4096, 4096, num_layers=4), ConfigError,
         ("recurrent parameters", "100,000,000")),
        (lambda: Tokenizer("bpe"), ConfigError, ("unknown tokenizer 'bpe'",)),
        (lambda: Tokenizer("word", ("a", "b")), ConfigError, ("'<unk>'",)),
        (lambda: Tokenizer("word", ("<unk>", "cat", "cat")), ConfigError, ("'cat' twice",)),
        (lambda: Tokenizer("word", 5), ConfigError, ("list of tokens", "got 5")),
        (lambda: Tokenizer("word", "<unk>"), ConfigError, ("list of tokens",)),
        (lambda: Tokenizer("word", ("<unk>", 1)), ConfigError, ("vocabulary entry 1", "not text")),
        (lambda: Tokenizer("word", itertools.count()), ConfigError,
         (f"more than {MAX_VOCABULARY:,} tokens",)),
        (lambda: Tokenizer("word", lowercase="false"), ConfigError, ("lowercase", "'false'")),
        (lambda: Tokenizer.from_dict({"vocabulary": 5}), ConfigError, ("got 5",)),
        (lambda: ModelConfig(LSTM, labels=5), ConfigError, ("labels", "got 5")),
        (lambda: ModelConfig(LSTM, task="classify", labels=(1, 2)), ConfigError,
         ("labels entry 0 is 1",)),
        (lambda: ModelConfig(LSTM, task="classify", labels=map(str, itertools.count())),
         ConfigError, ("more than 10,000 labels",)),
        (lambda: ModelConfig(RecurrentConfig("gru", 4096, 8),
                             Tokenizer("word", ("<unk>", *map(str, range(30_000)))), "table"),
         ConfigError, ("100,000,000",)),
        (lambda: ModelConfig.from_dict({"recurrent": {"cell": "gru", "input_size": 2,
                                                      "hidden_size": 10**9}}),
         ConfigError, ("hidden_size", "got 1000000000")),
    ],
    "Model.trace and tokenize": [
        (lambda: MODEL.trace(None), TypeError, ("text", "None")),
        (lambda: MODEL.trace(5), TypeError, ("text", "5")),
        (lambda: MODEL.trace(b"bytes"), TypeError, ("text", "b'bytes'")),
        (lambda: MODEL.trace(itertools.repeat("a")), TextError, (f"more than {MAX_TOKENS}",)),
        (lambda: MODEL.trace(["a"] * (MAX_TOKENS + 1)), TextError, (str(MAX_TOKENS),)),
        (lambda: MODEL.trace("a" * 1_000_001), TextError, ("1,000,001 characters",)),
        (lambda: MODEL.trace(""), TextError, ("empty",)),
        (lambda: MODEL.trace("\x00\x1b"), TextError, ("empty",)),
        (lambda: MODEL.trace(["ok", "\udcff"]), TextError, ("token 1", "surrogate")),
        (lambda: MODEL.trace("hi", loss=5), TypeError, ("loss", "5")),
        (lambda: MODEL.trace("hi", loss="bogus"), ConfigError, ("unknown loss 'bogus'",)),
        (lambda: MODEL.trace("hi", loss="class"), ConfigError, ("readout head",)),
        (lambda: MODEL.trace("hi", grad_dtype="float16"), ConfigError, ("grad_dtype",)),
        (lambda: MODEL.trace("hi", grad_dtype=np.int32), ConfigError, ("grad_dtype",)),
        (lambda: MODEL.trace("hi", h0=np.zeros((2, 4))), ConfigError, ("h0", "(2, 4)")),
        (lambda: MODEL.trace("hi", h0=np.full((1, 4), NAN)), ConfigError, ("h0", "NaN")),
        (lambda: Model(MODEL.config, {**MODEL.state_dict(),
                                      "rnn.bias_hh_l0": np.full(12, 1e300)}), ParameterError,
         ("bias_hh_l0", "float32's range")),
    ],
    "training": [
        (lambda: TrainConfig(steps=0), ConfigError, ("steps", "got 0")),
        (lambda: TrainConfig(steps=10**9), ConfigError, ("steps", "1,000,000")),
        (lambda: TrainConfig(batch_size=10**9), ConfigError, ("batch_size", "4,096")),
        (lambda: TrainConfig(batch_size=2.0), ConfigError, ("batch_size", "2.0")),
        (lambda: TrainConfig(eval_size=10**6), ConfigError, ("eval_size",)),
        (lambda: TrainConfig(eval_every=0), ConfigError, ("eval_every",)),
        (lambda: TrainConfig(learning_rate=NAN), ConfigError, ("learning_rate", "nan")),
        (lambda: TrainConfig(learning_rate=0), ConfigError, ("learning_rate", "above 0")),
        (lambda: TrainConfig(learning_rate=-INF), ConfigError, ("learning_rate", "-inf")),
        (lambda: TrainConfig(clip_norm=-1.0), ConfigError, ("clip_norm", "got -1.0")),
        (lambda: TrainConfig(clip_norm=NAN), ConfigError, ("clip_norm", "nan")),
        (lambda: TrainConfig(seed=-3), ConfigError, ("seed", "got -3")),
        (lambda: TrainConfig(curriculum=2.0), ConfigError, ("curriculum", "from 0 to 1")),
        (lambda: TrainConfig(forget_bias=INF), ConfigError, ("forget_bias",)),
        (lambda: TrainConfig(optimizer="rmsprop"), ConfigError, ("optimizer", "'rmsprop'")),
        (lambda: TrainConfig(task="chess"), ConfigError, ("unknown task 'chess'",)),
        (lambda: TrainConfig(task_options="max_gap=3"), ConfigError, ("task_options",)),
        (lambda: TrainConfig(task_options={"max_gap": "abc"}), ConfigError,
         ("max_gap", "'abc'")),
        (lambda: TrainConfig(task_options={"min_gap": 9, "max_gap": 3}), ConfigError,
         ("min_gap 9 is more than max_gap 3",)),
        (lambda: TrainConfig(hidden_size=10**9), ConfigError, ("hidden_size",)),
        (lambda: TrainConfig(cell="rnn", nonlinearity="x"), ConfigError, ("'x'",)),
        (lambda: TrainConfig(hidden_size=1024, batch_size=4096), ConfigError,
         ("batch_size 4096", "32,000,000")),
        (lambda: make_task(5), ConfigError, ("unknown task 5",)),
        (lambda: make_task("recall", max_gap=True), ConfigError, ("max_gap", "True")),
        (lambda: make_task("recall", mixed=1), ConfigError, ("mixed", "True or False")),
        (lambda: make_task("recall", name="x"), ConfigError, ("no option name",)),
        (lambda: make_task("charlm", length=1), ConfigError, ("length", "from 2")),
        (lambda: make_task("adding", max_length=10**6), ConfigError, ("max_length", "1,000")),
    ],
}

FLAT = [(kind, call, error, words) for kind, cases in API_CASES.items()
        for call, error, words in cases]


@pytest.mark.parametrize(("kind", "call", "error", "words"), FLAT,
                         ids=[f"{kind.split()[0]}-{i}" for i, (kind, *_) in enumerate(FLAT)])
def test_bad_arguments_raise_one_line_naming_them(kind: str, call: Call,
                                                  error: type[Exception],
                                                  words: tuple[str, ...]) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(error) as info:
            call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(info.value)
    assert "\n" not in message and len(message) < 400, message
    for word in words:
        assert word in message, (word, message)
    argument = getattr(info.value, "argument", None)
    if argument is not None and message.split()[0] in ("hidden_size", "num_layers", "seed"):
        assert message.startswith(argument)  # the CLI swaps it for the flag
    assert peak < 50_000_000, peak  # refused before anything large was allocated


def test_api_case_count() -> None:
    counts = {kind: len(cases) for kind, cases in API_CASES.items()}
    assert sum(counts.values()) == len(FLAT) >= 90, counts


def test_a_diverging_run_stops_at_the_step_it_diverged() -> None:
    config = TrainConfig(task="adding", cell="rnn", nonlinearity="relu", hidden_size=8,
                         steps=200, learning_rate=1e36, optimizer="sgd", clip_norm=None)
    reports: list[Any] = []
    with pytest.raises(TrainingDiverged) as info:
        train(config, on_report=reports.append)
    assert (info.value.step, info.value.what) == (2, "training loss")
    assert np.isnan(info.value.value) and reports == []  # stopped at once, not at step 200
    assert info.value.argument == "learning_rate"
    assert str(info.value).startswith("learning_rate 1e+36: the training loss became nan at "
                                      "step 2 of 200")
    assert "clip the update (clip_norm, e.g. 1.0)" in str(info.value)
