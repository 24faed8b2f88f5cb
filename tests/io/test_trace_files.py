"""Trace files: every key of DESIGN.md's table survives NPZ, JSON and CSV exactly."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rnnstudio.errors import ExportError
from rnnstudio.io.trace_csv import CSV_HEADER
from rnnstudio.io.trace_export import write_trace_arrays
from rnnstudio.io.trace_read import read_trace_arrays

TOKENS = ["the", ",", 'say "hi"', "naïve", "a\nb"]


class FakeTrace:
    """Just what the writers use: arrays(), meta and tokens (shapes as in DESIGN.md)."""

    def __init__(self, nonfinite: bool = False) -> None:
        rng = np.random.default_rng(1)
        steps = len(TOKENS)
        self.tokens = list(TOKENS)
        self.meta = {"cell": "lstm", "loss": {"name": "last-output-sum", "value": 1.5},
                     "sizes": (3, 4), "dtype": "float32", "score": np.float32(0.25)}
        self._arrays: dict[str, np.ndarray] = {
            "token_ids": np.arange(steps, dtype=np.int64),
            "x": rng.standard_normal((steps, 3)).astype(np.float32),
            "l0.fwd.h": rng.standard_normal((steps, 4)).astype(np.float32),
            "l0.fwd.c": rng.standard_normal((steps, 4)).astype(np.float32),
            "l0.bwd.f": rng.random((steps, 4)).astype(np.float32),
            "grad.l0.fwd.h": rng.standard_normal((steps, 4)),
            "grad.x": rng.standard_normal((steps, 3)),
            "jacobian.l0.fwd": rng.random(steps),
            "logits": rng.standard_normal((steps, 6)).astype(np.float32),
        }
        if nonfinite:
            self._arrays["l0.fwd.h"][2, 1] = np.nan
            self._arrays["grad.x"][3, :] = [np.inf, -np.inf, np.nan]
            self.meta["loss"]["value"] = float("nan")

    def arrays(self) -> dict[str, np.ndarray]:
        return dict(self._arrays)


def _save(trace: FakeTrace, path: Path) -> Path:
    from rnnstudio.io.trace_export import trace_file_arrays

    return write_trace_arrays(trace_file_arrays(trace), path)  # type: ignore[arg-type]


def _assert_same(expected: np.ndarray, actual: Any, exact_dtype: bool = True) -> None:
    actual = np.asarray(actual)
    if exact_dtype:
        assert actual.dtype == expected.dtype
        assert actual.shape == expected.shape
        assert actual.tobytes() == expected.tobytes()
    else:
        np.testing.assert_array_equal(actual, expected.astype(np.float64))


@pytest.mark.parametrize("nonfinite", [False, True])
@pytest.mark.parametrize("extension", [".npz", ".json"])
def test_npz_and_json_round_trip_bit_exact(tmp_path: Path, extension: str, nonfinite: bool) -> None:
    trace = FakeTrace(nonfinite)
    path = _save(trace, tmp_path / f"t{extension}")
    loaded = read_trace_arrays(path)
    assert loaded["tokens"].tolist() == TOKENS
    assert loaded["tokens"].dtype.kind == "U"
    for key, value in trace.arrays().items():
        _assert_same(value, loaded[key])
    assert loaded["meta"]["cell"] == "lstm"
    assert loaded["meta"]["sizes"] == [3, 4]
    assert loaded["meta"]["score"] == 0.25
    assert loaded["meta"]["loss"]["value"] == ("NaN" if nonfinite else 1.5)


def test_npz_loads_without_pickle(tmp_path: Path) -> None:
    path = _save(FakeTrace(), tmp_path / "t.npz")
    with np.load(path, allow_pickle=False) as archive:
        assert set(archive.files) == {*FakeTrace().arrays(), "tokens", "meta"}
        assert archive["meta"].dtype.kind == "U" and archive["meta"].shape == ()
        assert json.loads(str(archive["meta"]))["dtype"] == "float32"
    assert read_trace_arrays(path)["meta"]["cell"] == "lstm"


def test_json_is_standard_json(tmp_path: Path) -> None:
    path = _save(FakeTrace(nonfinite=True), tmp_path / "t.json")

    def refuse(name: str) -> None:
        raise AssertionError(f"non-standard JSON constant {name}")

    document = json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)
    assert document["format"] == "rnnstudio-trace" and document["format_version"] == 1
    assert document["arrays"]["grad.x"][3] == ["Infinity", "-Infinity", "NaN"]
    assert document["arrays"]["tokens"] == TOKENS
    assert document["dtypes"]["l0.fwd.h"] == "<f4" and document["shapes"]["x"] == [5, 3]
    # float32 numbers are written as their shortest text, not as float64 expansions
    first = document["arrays"]["x"][0][0]
    assert np.float32(first) == FakeTrace().arrays()["x"][0, 0]


@pytest.mark.parametrize("nonfinite", [False, True])
def test_csv_round_trip_and_layout(tmp_path: Path, nonfinite: bool) -> None:
    trace = FakeTrace(nonfinite)
    path = _save(trace, tmp_path / "t.csv")
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    assert tuple(rows[0]) == CSV_HEADER
    body = rows[1:]
    per_step = {k: v for k, v in trace.arrays().items() if k != "token_ids"}
    assert len(body) == sum(v.size for v in per_step.values())
    assert body[0] == ["", "", "0", "the", "x", "0", str(per_step["x"][0, 0])]
    h_rows = [row for row in body if row[:2] == ["0", "fwd"] and row[4] == "h"]
    assert h_rows[4 * 3 + 2][2:6] == ["3", "naïve", "h", "2"]
    grad_rows = [row for row in body if row[4] == "grad.h"]
    assert grad_rows[0][:2] == ["0", "fwd"]
    jacobian = [row for row in body if row[4] == "jacobian"]
    assert [row[:2] for row in jacobian] == [["0", "fwd"]] * 5
    assert [row[5] for row in jacobian] == [""] * 5
    loaded = read_trace_arrays(path)
    assert loaded["tokens"].tolist() == TOKENS
    for key, value in per_step.items():
        if value.dtype == np.float32:
            _assert_same(value, loaded[key].astype(np.float32))
        else:
            _assert_same(value, loaded[key], exact_dtype=False)


def test_unknown_extension_and_unwritable(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"t\.txt.*use \.npz, \.csv or \.json"):
        _save(FakeTrace(), tmp_path / "t.txt")
    with pytest.raises(ExportError, match="does not exist"):
        _save(FakeTrace(), tmp_path / "no" / "t.csv")
    with pytest.raises(ExportError, match=r"bad\.json: the file is not valid JSON"):
        (tmp_path / "bad.json").write_text("{")
        read_trace_arrays(tmp_path / "bad.json")


@pytest.mark.parametrize("extension", [".npz", ".json", ".csv"])
def test_real_trace_round_trip(tmp_path: Path, model, extension: str) -> None:
    """Every model case: each array of trace.arrays() comes back with the same numbers."""
    from model_cases import TEXT

    from rnnstudio.io.trace_export import save_trace

    trace = model.trace(TEXT + " zebra")
    path = save_trace(trace, tmp_path / f"t{extension}")
    loaded = read_trace_arrays(path)
    expected = trace.arrays()
    assert loaded["tokens"].tolist() == trace.tokens
    for key, value in expected.items():
        if key in ("meta", "tokens") or (extension == ".csv" and key == "token_ids"):
            continue
        if extension == ".csv":  # CSV text is the shortest that reads back to the same value
            _assert_same(value, loaded[key].astype(value.dtype))
        else:
            _assert_same(value, loaded[key])
    if extension != ".csv":
        meta = loaded["meta"]
        assert meta["cell"] == model.config.recurrent.cell
        assert meta["unknown"] == trace.unknown and meta["loss"] == trace.grads.loss_name
        assert meta["loss_value"] == trace.grads.loss_value
