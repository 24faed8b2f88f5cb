"""packaging/build_models.py end to end on a tiny budget: files in the native format with
full cards, and an index that keeps the models a partial rebuild did not touch."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from rnnstudio.io import load_model
from rnnstudio.models_index import shipped_models

SCRIPT = Path(__file__).resolve().parents[2] / "packaging" / "build_models.py"


@pytest.fixture
def builder(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_models", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for settings in module.TASK_SETTINGS.values():  # a few steps: this checks the plumbing
        monkeypatch.setitem(settings, "train", {**settings["train"], "steps": 20})
    monkeypatch.setattr(module, "EVAL_EXAMPLES", 64)
    return module


def test_partial_builds_write_cards_and_merge_the_index(builder: ModuleType, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture) -> None:
    assert builder.main(["--out", str(tmp_path), "--only", "recall-gru"]) == 0
    assert builder.main(["--out", str(tmp_path), "--only", "adding-rnn"]) == 0
    assert "adding-rnn step    20/20" in capsys.readouterr().out
    entries = {entry.key: entry for entry in shipped_models(tmp_path)}
    assert list(entries) == ["recall-gru", "adding-rnn"]  # the index's order: tasks
    card = load_model(tmp_path / "recall-gru.safetensors").config.card
    assert card["command"].endswith("--only recall-gru")
    assert card["train"]["task_options"] == {"max_gap": 20}
    assert card["held_out_accuracy"] == entries["recall-gru"].accuracy
    assert set(card["held_out_by_gap"]) == {"0", "5", "10", "20", "40", "80", "160"}
    by_allergen = card["held_out_by_allergen"]
    assert set(by_allergen) == {"0", "20", "80", "160"}
    assert set(by_allergen["80"]) == {"nuts", "milk", "eggs", "fish"}
    assert card["eval"] == {"seed": builder.EVAL_SEED, "examples": 64, "batch_size": 32}
    assert builder.main(["--out", str(tmp_path), "--only", "idioms-forward-rnn"]) == 0
    forward = load_model(tmp_path / "idioms-forward-rnn.safetensors")
    assert (forward.config.card["task"], forward.config.card["model"]) == (
        "idioms", "idioms-forward-rnn")
    assert not forward.config.recurrent.bidirectional
    assert 0.0 <= forward.config.card["held_out_at_phrase_start"] <= 1.0
    index = json.loads((tmp_path / "index.json").read_text())
    assert list(index["tasks"]) == ["recall", "adding", "idioms-forward"]
    assert index["default"] == {"task": "sentiment", "cell": "lstm"}


def test_unknown_model_names_are_refused(builder: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        builder.main(["--out", str(tmp_path), "--only", "recall-transformer"])


def test_reviews_cards_hold_the_challenge_accuracy(builder: ModuleType, tmp_path: Path) -> None:
    assert builder.main(["--out", str(tmp_path), "--only", "reviews-rnn"]) == 0
    model = load_model(tmp_path / "reviews-rnn.safetensors")
    card = model.config.card
    assert card["challenge"] == {"file": "resources/samples/reviews_challenge.txt",
                                 "reviews": 50}
    reviews = builder.challenge_reviews()
    assert card["challenge_accuracy"] == round(builder.challenge_accuracy(model, reviews), 4)
    assert model.tokenizer.subwords  # saved and read back in the native format
    entry = json.loads((tmp_path / "index.json").read_text())["tasks"]["reviews"]
    assert entry["models"]["rnn"]["challenge"] == card["challenge_accuracy"]
