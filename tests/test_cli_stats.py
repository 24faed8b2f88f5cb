"""``rnnstudio stats``: the table and the JSON hold the API's values; bad input is one
line and exit 2, checked before the file is read."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from rnnstudio.cli import main
from rnnstudio.engine.model import random_model
from rnnstudio.engine.saturation import GATE_NAMES, saturation
from rnnstudio.io import text_stream
from rnnstudio.io.model_files import load_model, save_model
from rnnstudio.io.text_stream import read_paragraphs
from rnnstudio.models_index import find_model

CORPUS = "the cat sat on the mat.\nit purred.\n\nthe dog barked at the moon\n\n\nand slept."


@pytest.fixture(scope="module")
def charlm() -> Path:
    return Path(str(find_model("charlm-lstm").path))


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["stats", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_json_holds_the_apis_values(capsys, charlm, tmp_path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS)
    expected = saturation(load_model(charlm), read_paragraphs(corpus), 0.2, 0.85)
    code, out, _ = run(capsys, str(charlm), "--text-file", str(corpus), "--json",
                       "--left", "0.2", "--right", "0.85")
    assert code == 0
    data = json.loads(out)
    assert {key: data[key] for key in expected.to_dict()} == expected.to_dict()
    paragraphs = ["the cat sat on the mat.\nit purred.", "the dog barked at the moon",
                  "and slept."]
    steps = sum(len(load_model(charlm).tokenizer.split(text)) for text in paragraphs)
    assert (data["texts"], data["steps"]) == (3, steps)
    assert "paragraphs of" in data["texts_from"]


def test_the_table_holds_the_means_and_top_units(capsys, charlm) -> None:
    text = "the cat sat on the mat and the dog barked"
    expected = saturation(load_model(charlm), text)
    code, out, _ = run(capsys, str(charlm), "--text", text)
    assert code == 0
    rows = [line for line in out.splitlines() if line.startswith("0 fwd ")]
    assert len(rows) == len(expected.keys) == 3
    for row, key in zip(rows, expected.keys, strict=True):
        assert GATE_NAMES[key[2]] in row
        words = row.split()
        np.testing.assert_allclose([float(words[5]), float(words[6])], expected.means(key),
                                   atol=5e-4)
        unit, fraction = expected.top_units(key, "right", 1)[0]
        assert f"u{unit} {fraction:.2f}" in row
    assert f"{expected.steps} steps" in out and "gate < 0.1" in out


def test_standard_input_is_streamed(capsys, charlm, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(CORPUS.encode())))
    code, out, _ = run(capsys, str(charlm), "--text-file", "-", "--json")
    assert code == 0 and json.loads(out)["texts"] == 3


def test_bad_input_is_one_line_and_exit_2(capsys, charlm, tmp_path, monkeypatch) -> None:
    relu = tmp_path / "relu.safetensors"
    save_model(random_model("rnn", 4, nonlinearity="relu"), relu)
    big = tmp_path / "big.txt"
    big.write_text("word " * 50)
    monkeypatch.setattr(text_stream, "MAX_STATS_FILE_BYTES", 100)
    cases = [
        ((str(charlm), "--text", "a", "--left", "0.9", "--right", "0.1"),
         "--left 0.9 must be below right 0.1"),
        ((str(charlm), "--text", "a", "--right", "nan"), "--right must be a finite number"),
        ((str(charlm), "--text-file", str(tmp_path / "none.txt")), "cannot read text file"),
        ((str(charlm), "--text-file", str(big)), "big.txt: 250 bytes, more than the 100"),
        ((str(relu), "--text", "a b"), "ReLU RNN has no gates"),
        ((str(charlm), "--text", "  "), "no tokens"),
        ((str(tmp_path / "missing.safetensors"), "--text", "a"), "missing.safetensors"),
    ]
    for args, message in cases:
        code, out, err = run(capsys, *args)
        assert (code, out) == (2, ""), args
        assert len(err.strip().splitlines()) == 1 and message in err, err
        assert "Traceback" not in err


def test_the_numbers_docs_api_quotes(charlm) -> None:
    """docs/api.md's example: charlm-lstm on one sentence."""
    result = saturation(load_model(charlm), "the cat sat on the mat. a bird ran to the park.")
    mean_left, mean_right = result.means((0, "fwd", "i"))
    top = [(unit, round(fraction, 3)) for unit, fraction
           in result.top_units((0, "fwd", "f"), "left", 3)]
    docs = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text()
    assert result.steps == 47 and "result.steps                                   # 47" in docs
    assert (f"{mean_left:.4f}", f"{mean_right:.3f}") == ("0.0124", "0.800")
    assert "# (0.0124, 0.800): mean left, mean right" in docs
    assert top == [(23, 0.404), (27, 0.340), (10, 0.319)]
    assert "# [(23, 0.404), (27, 0.340), (10, 0.319)]" in docs
