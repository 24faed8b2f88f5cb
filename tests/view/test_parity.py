"""The PyTorch parity check without Qt: stored references, a corrupted weight, broken
reference files, the live torch recompute and the Model dock's badge line."""

from __future__ import annotations

import base64
import datetime
import json
from pathlib import Path

import numpy as np
import pytest

import rnnstudio
from rnnstudio.engine.model import Model
from rnnstudio.errors import ModelFileError
from rnnstudio.io.model_files import load_model, save_model
from rnnstudio.io.parity_file import read_references, write_references
from rnnstudio.limits import MAX_PARITY_BYTES
from rnnstudio.models_index import find_model, shipped_models
from rnnstudio.view.parity import (
    FLOAT32_TOLERANCE,
    FLOAT64_TOLERANCE,
    ParityReport,
    QuantityDiff,
    badge_text,
    check_live,
    check_references,
    check_shipped,
    quantity_words,
    verdict_text,
)

KEYS = [entry.key for entry in shipped_models()]


@pytest.mark.parametrize("key", KEYS)
def test_every_shipped_model_matches_its_references(key: str) -> None:
    report = check_shipped(key)
    assert report.passed, verdict_text(report)
    assert report.note == ""  # the weights file is the one the references came from
    assert report.largest() <= FLOAT64_TOLERANCE
    assert report.largest(as_opened=True) <= FLOAT32_TOLERANCE
    keys = {row.key for row in report.rows}
    cell = key.rsplit("-", 1)[1]
    gates = {"rnn": set(), "lstm": {"i", "f", "g", "o", "c"}, "gru": {"r", "z", "n"}}[cell]
    assert {"loss", "logits", "grad.x", "l0.fwd.h", "grad.l0.fwd.h"} <= keys
    assert {f"l0.fwd.{gate}" for gate in gates} <= keys
    assert report.steps == 4 and all(row.shape[:1] in ((4,), ()) for row in report.rows)


def _corrupted_copy(tmp_path: Path, key: str, name: str, index: tuple[int, ...]) -> Path:
    """The shipped model ``key`` saved to ``tmp_path`` with one weight moved by 1e-3."""
    model = load_model(find_model(key).path)
    params = {param: np.array(value) for param, value in model.params.items()}
    params[name][index] += 1e-3
    return save_model(Model(model.config, params, "corrupted"), tmp_path / f"{key}.safetensors")


@pytest.mark.parametrize(("key", "name", "first"), [
    ("recall-lstm", "rnn.weight_hh_l0", "l0.fwd.h"),   # a recurrent weight: from step 1
    ("idioms-gru", "rnn.bias_ih_l0_reverse", "l0.bwd.h"),  # the backward direction only
    ("sentiment-rnn", "head.weight", "logits"),        # the head: states are untouched
])
def test_a_corrupted_weight_is_detected(tmp_path: Path, key: str, name: str,
                                        first: str) -> None:
    entry = find_model(key)
    path = _corrupted_copy(tmp_path, key, name, (0, 0) if name.endswith("weight")
                           else (0,))
    references = read_references(entry.parity_path)
    report = check_references(load_model(path), references, entry.title, same_file=False)
    assert not report.passed
    failed = {row.key for row in report.failures}
    assert first in failed and "loss" in failed
    if first == "logits":  # the head's weights change no state
        assert not any(key.startswith("l0.") for key in failed)
    if first == "l0.bwd.h":
        assert "l0.fwd.h" not in failed
    assert 1e-7 < report.largest() < 1e-1
    text = verdict_text(report)
    assert text.startswith("Does NOT match PyTorch on ") and quantity_words(first) in text
    assert "not the one the references were computed from" in text


def _references_file(tmp_path: Path, edit) -> Path:
    raw = json.loads(find_model("recall-gru").parity_path.read_text(encoding="utf-8"))
    edit(raw)
    target = tmp_path / "recall-gru.json"
    target.write_text(json.dumps(raw), encoding="utf-8")
    return target


def _shape(raw: dict) -> None:
    raw["values"]["l0.fwd.h"]["shape"] = [4, 31]


def _base64(raw: dict) -> None:
    raw["values"]["logits"]["float64"] = "%%%"


def _nan(raw: dict) -> None:
    raw["values"]["loss"]["float64"] = base64.b64encode(np.array(np.nan).tobytes()).decode()


def _unknown_key(raw: dict) -> None:
    raw["values"]["weights.secret"] = raw["values"]["loss"]


def _ids(raw: dict) -> None:
    raw["token_ids"] = raw["token_ids"][:2]


@pytest.mark.parametrize(("edit", "reason"), [
    (_shape, "l0.fwd.h: 1024 bytes for shape [4, 31]"),
    (_base64, "logits: not base64"),
    (_nan, "loss: holds NaN or infinite values"),
    (_unknown_key, "unknown quantity 'weights.secret'"),
    (_ids, "token_ids must be one index >= 0 per token"),
    (lambda raw: raw.update(version=9), "version 9 is not 1"),
    (lambda raw: raw.pop("tokens"), "missing 'tokens'"),
])
def test_a_corrupted_references_file_says_what_and_how_to_fix(tmp_path: Path, edit,
                                                               reason: str) -> None:
    path = _references_file(tmp_path, edit)
    with pytest.raises(ModelFileError) as caught:
        read_references(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: malformed PyTorch references (")
    assert reason in message and "packaging/parity_references.py" in message


def test_oversized_or_truncated_references_are_refused(tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    huge.write_bytes(b" " * (MAX_PARITY_BYTES + 1))
    with pytest.raises(ModelFileError, match=r"larger than 200,000 bytes"):
        read_references(huge)
    text = find_model("recall-gru").parity_path.read_text(encoding="utf-8")
    cut = tmp_path / "cut.json"
    cut.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(ModelFileError, match=r"cut.json: not valid JSON"):
        read_references(cut)
    with pytest.raises(ModelFileError, match=r"missing.json: cannot read"):
        read_references(tmp_path / "missing.json")


def test_references_round_trip_exactly(tmp_path: Path) -> None:
    stored = read_references(find_model("idioms-lstm").parity_path)
    again = read_references(write_references(stored, tmp_path / "copy.json"))
    assert again.tokens == stored.tokens and again.loss == "tag"
    assert set(again.values) == set(stored.values)
    for key, value in stored.values.items():
        assert np.array_equal(again.values[key], value)  # bit for bit


def test_references_of_another_model_are_refused() -> None:
    references = read_references(find_model("recall-lstm").parity_path)
    gru = load_model(find_model("recall-gru").path)
    with pytest.raises(ModelFileError, match=r"l0.fwd.c \[4, 32\], which this model does not"):
        check_references(gru, references, "Recall (GRU)")


def _report(passed: bool, kind: str = "references") -> ParityReport:
    row = QuantityDiff("l0.fwd.h", (4, 32), 1.0, 3e-16 if passed else 2e-4, 1e-7)
    return ParityReport(kind, "Recall (LSTM)", "alice is allergic to", 4, "class", "float32",
                        "PyTorch 2.13 references", (row,),
                        datetime.datetime(2026, 11, 30, 16, 40))


def test_badge_says_what_was_checked_and_when() -> None:
    assert badge_text(_report(True), "shipped") == (
        "✓ matches PyTorch: max diff 3e-16 (float64), 1e-07 (float32 as opened); checked "
        "2026-11-30 16:40 on reference text")
    assert badge_text(_report(True, "live"), "file").endswith("on current text, live")
    assert badge_text(None, "file") == ("PyTorch parity: not checked (user file); "
                                        "Help › Check against PyTorch")
    assert badge_text(None, "random").startswith("PyTorch parity: not checked (random model)")
    assert badge_text(_report(False), "shipped") == (
        "✗ differs from PyTorch on h (hidden state), layer 0 forward (max diff 2e-04), "
        "checked 2026-11-30 16:40 on reference text")


# --- live: torch recomputes now -------------------------------------------------------

torch_needed = pytest.mark.skipif(not __import__("importlib").util.find_spec("torch"),
                                  reason="torch is not installed")


@torch_needed
@pytest.mark.parametrize("key", ["charlm-lstm", "idioms-gru", "adding-rnn"])
def test_live_torch_gives_the_stored_references(key: str) -> None:
    """torch recomputing now agrees with what it stored: the references are torch's."""
    from rnnstudio.engine.losses import parse_loss
    from rnnstudio.engine.tokenizers import Tokens
    from rnnstudio.io.torch_parity import torch_values

    entry = find_model(key)
    stored = read_references(entry.parity_path)
    tokens = Tokens(list(stored.tokens), np.array(stored.token_ids), [])
    now = torch_values(load_model(entry.path), tokens, parse_loss(stored.loss))
    assert set(now) == set(stored.values)
    for name, value in stored.values.items():
        np.testing.assert_allclose(now[name], value, rtol=0, atol=1e-13, err_msg=name)


@torch_needed
@pytest.mark.parametrize("options", [
    {"cell": "lstm", "num_layers": 2, "bidirectional": True, "proj_size": 5},
    {"cell": "gru", "num_layers": 2, "dtype": "float64"},
    {"cell": "rnn", "nonlinearity": "relu", "bidirectional": True},
])
def test_live_check_of_any_model_on_any_text(options: dict) -> None:
    model = rnnstudio.random_model(hidden_size=12, seed=3, **options)
    tokens = model.tokenize("the cat sat on the mat and then the dog ran after it")
    report = check_live(model, tokens, model.default_loss(), "random")
    assert report.passed, verdict_text(report)
    assert report.steps == 13 and report.kind == "live"
    layers = 2 if options.get("num_layers") == 2 else 1
    directions = 2 if options.get("bidirectional") else 1
    hidden = [row for row in report.rows if row.key.endswith(".h") and
              not row.key.startswith("grad")]
    assert len(hidden) == layers * directions
    width = options.get("proj_size") or 12
    assert all(row.shape == (13, width) for row in hidden)
    if options.get("dtype") == "float64":
        assert all(row.diff_as_opened is None for row in report.rows)


@torch_needed
def test_live_check_detects_a_corrupted_weight(tmp_path: Path) -> None:
    """Live, the engine reads the corrupted file and torch the same file: they agree
    (parity is about the equations); the stored references are what catch the file."""
    path = _corrupted_copy(tmp_path, "charlm-gru", "rnn.weight_ih_l0", (2, 1))
    model = load_model(path)
    live = check_live(model, model.tokenize("alice "), model.default_loss(), "copy")
    assert live.passed
    stored = check_references(model, read_references(find_model("charlm-gru").parity_path),
                              "copy", same_file=False)
    assert not stored.passed
