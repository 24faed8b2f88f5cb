"""Attribution files (.csv, .json): the values read back exactly, with what they explain."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from rnnstudio.engine.model import random_model
from rnnstudio.errors import ExportError
from rnnstudio.io.attribution_export import ATTRIBUTION_CSV_HEADER, save_attribution


@pytest.fixture(scope="module")
def result():
    model = random_model("gru", 6, input_size=4, seed=2, dtype="float64")
    return model.attribute("the “quoted”, word, here", "integrated-gradients", steps=16)


def test_json_is_the_dict_of_the_result(tmp_path: Path, result) -> None:
    path = save_attribution(result, tmp_path / "a.json")
    data = json.loads(path.read_text("utf-8"))
    assert data == json.loads(json.dumps(result.to_dict()))
    assert data["scores"] == result.scores.tolist() and data["steps"] == 16
    assert data["completeness_gap"] == result.completeness_gap


def test_csv_has_a_row_a_token_with_exact_scores(tmp_path: Path, result) -> None:
    path = save_attribution(result, tmp_path / "a.csv")
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    assert tuple(rows[0]) == ATTRIBUTION_CSV_HEADER
    assert [row[1] for row in rows[1:]] == list(result.tokens)  # commas and quotes survive
    assert [float(row[2]) for row in rows[1:]] == result.scores.tolist()
    assert {(row[3], row[4]) for row in rows[1:]} == {(result.method, result.definition)}


def test_other_extensions_and_missing_folders_are_refused(tmp_path: Path, result) -> None:
    with pytest.raises(ExportError, match="unknown attribution extension '.npz'"):
        save_attribution(result, tmp_path / "a.npz")
    with pytest.raises(ExportError, match="does not exist"):
        save_attribution(result, tmp_path / "none" / "a.csv")
    assert list(tmp_path.iterdir()) == []
