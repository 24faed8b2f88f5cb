"""``rnnstudio attribute --score``: the log-odds reaches the engine and the output says so;
a bare stack refuses it in one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from rnnstudio.cli import main
from rnnstudio.engine.model import random_model
from rnnstudio.io.model_files import load_model, save_model
from rnnstudio.models_index import find_model

CEREAL = ("Amazing! This box of cereal gave me a perfectly balanced breakfast, as all "
          "things should be. I only ate half of it but will definitely be buying again!")


def test_log_odds_reaches_the_engine_and_the_definition_says_so(capsys):
    path = str(find_model("reviews-lstm").path)
    expected = load_model(Path(path)).attribute(CEREAL, "occlusion", score="log-odds")
    assert main(["attribute", path, "--text", CEREAL, "--method", "occlusion", "--score",
                 "log-odds", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["score_kind"] == "log-odds" and "log-odds" in data["definition"]
    assert data["scores"] == expected.scores.tolist()
    # log p on the same review: p = 0.999, so every score is below 0.05, the log-odds' ten
    # times that and more
    assert main(["attribute", path, "--text", CEREAL, "--method", "occlusion", "--json"]) == 0
    log_p = json.loads(capsys.readouterr().out)
    assert log_p["score_kind"] == "log-p"
    assert np.max(np.abs(log_p["scores"])) < 0.05 < 1.0 < np.max(expected.scores)


def test_a_bare_stack_refuses_a_score_in_one_line(capsys, tmp_path):
    path = save_model(random_model("gru", 4, input_size=3, seed=1), tmp_path / "m.safetensors")
    assert main(["attribute", str(path), "--text", "a b", "--score", "log-odds"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and "no score" in lines[0] and captured.out == ""
