"""``rnnstudio trace --decompose``: the file holds what the Python API computes, in every
format, and still opens as a trace."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnstudio.cli import main
from rnnstudio.engine.decomposition import decompose_all, decomposition_arrays
from rnnstudio.engine.model import random_model
from rnnstudio.io.trace_read import load_trace, read_trace_arrays

TEXT = "the cat sat on the mat"


@pytest.mark.parametrize("extension", [".npz", ".csv", ".json"])
@pytest.mark.parametrize("cell", ["lstm", "rnn"])
def test_trace_decompose_writes_the_api_arrays(tmp_path: Path, extension, cell, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / f"t{extension}"
    options = {"nonlinearity": "relu"} if cell == "rnn" else {}
    extra = ["--nonlinearity", "relu"] if options else []
    code = main(["trace", "--text", TEXT, "--out", str(out), "--cell", cell, "--hidden", "4",
                 "--bidirectional", "--seed", "2", "--input-size", "3", "--decompose", *extra])
    assert code == 0
    printed = capsys.readouterr().out
    assert "decomposition: 2 layer/direction(s)" in printed
    model = random_model(cell, 4, bidirectional=True, seed=2, input_size=3, **options)
    expected = decomposition_arrays(decompose_all(model, model.trace(TEXT)))
    assert expected and all(key.startswith("decomposition.l0.") for key in expected)
    loaded = read_trace_arrays(out)
    for key, value in expected.items():
        got = np.asarray(loaded[key], dtype=np.float64)
        np.testing.assert_array_equal(got.reshape(value.shape), value, err_msg=key)
    if cell == "rnn":  # a dead ReLU unit's smallest singular value is an exact zero
        assert np.isneginf(expected["decomposition.l0.fwd.log10_bound_min"]).any()
    if extension != ".csv":
        trace = load_trace(out)  # the decomposition keys do not stop it opening
        assert trace.tokens == TEXT.split()


def test_without_the_flag_no_decomposition_is_written(tmp_path: Path) -> None:
    out = tmp_path / "t.npz"
    assert main(["trace", "--text", TEXT, "--out", str(out), "--hidden", "3"]) == 0
    assert not [key for key in read_trace_arrays(out) if key.startswith("decomposition.")]
