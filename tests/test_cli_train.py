"""``rnnstudio train`` and ``rnnstudio models``, and shipped model names as MODEL."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_cli import assert_refused, run_cli

from rnnstudio.cli import main
from rnnstudio.cli_train import EVAL_BATCH, EVAL_EXAMPLES, EVAL_SEED, parse_task_options
from rnnstudio.engine.tasks import make_task
from rnnstudio.engine.training import evaluate
from rnnstudio.errors import ConfigError
from rnnstudio.io.model_files import load_model
from rnnstudio.io.trace_read import read_trace_arrays
from rnnstudio.models_index import find_model, shipped_models


def test_train_writes_a_carded_model_whose_accuracy_is_reproducible(tmp_path: Path, capsys) -> None:
    out = tmp_path / "adding.safetensors"
    args = ["train", "--task", "adding", "--cell", "gru", "--hidden", "8", "--steps", "30",
            "--option", "max_length=12", "--seed", "3", "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert f"wrote: {out}" in printed and "step    30/30" in printed
    model = load_model(out)
    card = model.config.card
    assert (card["task"], card["cell"], card["seed"]) == ("adding", "gru", 3)
    assert card["train"]["task_options"] == {"max_length": 12}
    assert model.config.recurrent.hidden_size == 8
    task = make_task("adding", max_length=12)
    measured = evaluate(model, task, EVAL_EXAMPLES, EVAL_SEED, EVAL_BATCH)
    assert card["held_out_accuracy"] == pytest.approx(measured, abs=1e-4)
    assert f"held-out accuracy: {measured:.4f}" in printed


def test_train_refuses_bad_options_before_training(tmp_path: Path) -> None:
    assert_refused(run_cli("train", "--task", "recall", "--option", "gap", "--out",
                           str(tmp_path / "m.safetensors")), "KEY=VALUE")
    assert_refused(run_cli("train", "--task", "recall", "--option", "nope=1", "--out",
                           str(tmp_path / "m.safetensors")), "nope")
    assert_refused(run_cli("train", "--task", "recall", "--out", "/proc/m.safetensors"),
                   "/proc/m.safetensors")


def test_task_option_values_are_typed() -> None:
    assert parse_task_options(["max_gap=10", "mixed=true", "rate=0.5", "name=x"]) == {
        "max_gap": 10, "mixed": True, "rate": 0.5, "name": "x"}
    with pytest.raises(ConfigError):
        parse_task_options(["=3"])


def test_models_lists_every_shipped_model(capsys) -> None:
    assert main(["models"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    entries = shipped_models()
    assert [line.split()[0] for line in lines] == [entry.key for entry in entries]
    assert sum("(default)" in line for line in lines) == 1


def test_a_shipped_name_works_as_model(tmp_path: Path, capsys) -> None:
    out = tmp_path / "t.npz"
    text = "alice is allergic to nuts . so she cannot eat the"
    assert main(["trace", "recall-gru", "--text", text, "--out", str(out)]) == 0
    arrays = read_trace_arrays(out)
    direct = load_model(str(find_model("recall-gru").path)).trace(text)
    np.testing.assert_array_equal(arrays["l0.fwd.h"], direct.layer(0).h)
    assert_refused(run_cli("trace", "recall-nope", "--text", "a", "--out", str(out)),
                   "recall-nope", "recall-gru")


def test_train_says_its_speed_and_how_a_run_diverged(tmp_path: Path, capsys) -> None:
    """The Training dock's words, on the command line: steps/s on every report line,
    and lesson 05's run stopped at step 9 with the record of how it got there."""
    out = tmp_path / "m.safetensors"
    assert main(["train", "--task", "sentiment", "--cell", "gru", "--hidden", "8", "--steps",
                 "10", "--out", str(out)]) == 0
    line = next(text for text in capsys.readouterr().out.splitlines()
                if text.startswith("step    10/10"))
    assert line.endswith(" ms a step)") and " steps/s, " in line
    assert main(["train", "--task", "sentiment", "--cell", "rnn", "--nonlinearity", "relu",
                 "--hidden", "16", "--steps", "60", "--optimizer", "sgd", "--lr", "3",
                 "--clip", "0", "--seed", "2", "--out", str(tmp_path / "x.safetensors")]) == 2
    message = capsys.readouterr().err.strip()
    assert "became nan at step 9 of 60" in message and "or --clip 1" in message
    assert message.endswith("(rnn.weight_hh_l0 had grown to 6e+14). Last finite loss 1.1e+14 "
                            "at step 8; gradient norm 0.33 at step 1, 2e+14 at step 8.")
