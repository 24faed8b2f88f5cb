"""``rnnstudio attribute``: the table and the JSON hold the API's values; bad input is one
line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rnnstudio.cli import main
from rnnstudio.cli_attribute import GAP_WARNING
from rnnstudio.engine.model import random_model
from rnnstudio.io.model_files import load_model, save_model
from rnnstudio.models_index import find_model

REVIEW = "not very good , but the camera is great"


@pytest.fixture(scope="module")
def sentiment() -> Path:
    return Path(str(find_model("sentiment-gru").path))


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["attribute", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def table_rows(out: str) -> list[tuple[int, str, float]]:
    """(position, token, score) of each row after the ``pos token score`` header."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split() == ["pos", "token", "score"])
    rows = []
    for line in lines[start + 1:]:
        position, token, score = line.split()
        rows.append((int(position), token, float(score)))
    return rows


@pytest.mark.parametrize("method", ["gradient-norm", "gradient-x-input", "occlusion",
                                    "integrated-gradients"])
def test_the_table_and_the_json_hold_the_apis_scores(capsys, sentiment, method):
    expected = load_model(sentiment).attribute(REVIEW, method)
    code, out, _ = run(capsys, str(sentiment), "--text", REVIEW, "--method", method)
    assert code == 0
    rows = table_rows(out)
    assert [token for _, token, _ in rows] == list(expected.tokens)
    assert [position for position, _, _ in rows] == list(range(len(expected.tokens)))
    np.testing.assert_allclose([score for _, _, score in rows], expected.scores, rtol=1e-5,
                               atol=1e-12)  # printed with 6 significant digits
    assert f"score s: {expected.definition}" in out
    assert ("completeness: " in out) == (method == "integrated-gradients")
    code, out, _ = run(capsys, str(sentiment), "--text", REVIEW, "--method", method, "--json")
    data = json.loads(out)
    assert data["scores"] == expected.scores.tolist()  # exact: JSON floats round-trip
    assert data["tokens"] == list(expected.tokens)
    assert data["completeness_gap"] == expected.completeness_gap
    assert (data["method"], data["target"], data["definition"]) == (
        method, expected.target, expected.definition)


def test_target_baseline_and_steps_reach_the_engine(capsys, sentiment):
    model = load_model(sentiment)
    expected = model.attribute(REVIEW, "integrated-gradients", target="negative", steps=8,
                               baseline="zeros")
    for target in ("negative", "0"):
        code, out, _ = run(capsys, str(sentiment), "--text", REVIEW, "--json", "--method",
                           "integrated-gradients", "--target", target, "--steps", "8",
                           "--baseline", "zeros")
        assert code == 0
        data = json.loads(out)
        assert data["scores"] == expected.scores.tolist()
        assert (data["target"], data["steps"], data["baseline"]) == ("negative", 8, "zeros")


def test_a_large_completeness_gap_is_called_out(capsys, sentiment):
    result = load_model(sentiment).attribute(REVIEW, "integrated-gradients", steps=1)
    change = result.score - result.baseline_score
    assert abs(result.completeness_gap) > GAP_WARNING * abs(change)  # one step is not enough
    _, out, _ = run(capsys, str(sentiment), "--text", REVIEW, "--method",
                    "integrated-gradients", "--steps", "1")
    assert "warning: the gap is more than 1% of the change" in out
    assert f"gap {result.completeness_gap:.2g}" in out


@pytest.fixture
def bare_file(tmp_path: Path) -> Path:
    return save_model(random_model("gru", 4, input_size=3, seed=1), tmp_path / "m.safetensors")


@pytest.mark.parametrize(("args", "words"), [
    (("--text", ""), ("empty",)),
    (("--text", "a b", "--method", "saliency"), ("--method", "'saliency'")),
    (("--text", "a b", "--method", "integrated-gradients", "--steps", "0"),
     ("--steps", "from 1 to 10,000", "got 0")),
    (("--text", "a b", "--method", "integrated-gradients", "--steps", "1e3"), ("--steps",)),
    (("--text", "a b", "--method", "integrated-gradients", "--steps", "20000"),
     ("--steps", "got 20000")),
    (("--text", "a b", "--target", "3"), ("target", "no target")),
    (("--text", "a b", "--step", "9"), ("--step", "got 9")),
    (("--text", "a b", "--baseline", "unk", "--method", "occlusion"), ("unk", "use zeros")),
    (("--text", "a b", "--baseline", "zeros"), ("baseline 'zeros'", "takes none")),
    (("--text", "a b", "--baseline", "nothing"), ("--baseline", "'nothing'")),
    (("--text", "a", "--baseline", "delete", "--method", "occlusion"), ("two tokens",)),
    (("--text", "a " * 3000, "--method", "occlusion"), ("5,000,000", "shorten")),
])
def test_bad_input_is_one_line_and_exit_2(capsys, bare_file, args, words):
    code, out, err = run(capsys, str(bare_file), *args)
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnnstudio: error: "), err
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert out == "" and "Traceback" not in err


def test_an_unknown_label_names_the_models_labels(capsys, sentiment):
    code, out, err = run(capsys, str(sentiment), "--text", "good", "--target", "happy")
    assert code == 2 and out == ""
    assert err.splitlines()[-1] == ("rnnstudio: error: unknown target 'happy': the model's "
                                    "labels are negative, positive")


def test_out_writes_the_scores_beside_the_table(capsys, sentiment, tmp_path):
    expected = load_model(sentiment).attribute(REVIEW, "occlusion")
    out = tmp_path / "scores.json"
    code, printed, _ = run(capsys, str(sentiment), "--text", REVIEW, "--method", "occlusion",
                           "--out", str(out))
    assert code == 0 and printed.endswith(f"wrote: {out}\n")
    assert json.loads(out.read_text("utf-8"))["scores"] == expected.scores.tolist()
    code, _, err = run(capsys, str(sentiment), "--text", REVIEW, "--out", str(tmp_path / "a.npz"))
    assert code == 2 and "--out" in err and "use .csv or .json" in err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["scores.json"]
