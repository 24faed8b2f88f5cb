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


def test_decomposition_keys_parse_and_hostile_ones_are_refused_or_ignored(tmp_path: Path) -> None:
    from rnnstudio.engine.trace_keys import (
        DECOMPOSITION,
        LayerKey,
        decomposition_key,
        layer_key,
        parse_layer_key,
    )

    key = decomposition_key(1, "bwd", "log10_bound_max")
    assert parse_layer_key(key) == LayerKey(DECOMPOSITION, 1, "bwd", "log10_bound_max")
    assert layer_key(parse_layer_key(key)) == key
    for hostile in ("decomposition.l01.fwd.x", "decomposition.l0.fwd.", "decomposition.l0.up.x",
                    "decomposition.l0.fwd.Log10", "decomposition.l0.fwd." + "x" * 41,
                    "decomposition.l" + "9" * 10 + ".fwd.x", "decomposition.l0.fwd.x.y"):
        assert parse_layer_key(hostile) is None, hostile
    assert parse_layer_key("l0.fwd.h") == LayerKey("state", 0, "fwd", "h")  # unchanged
    out = tmp_path / "t.npz"
    assert main(["trace", "--text", TEXT, "--out", str(out), "--hidden", "3"]) == 0
    arrays = dict(np.load(out, allow_pickle=False))
    arrays["decomposition.l7.fwd.log10_retention"] = np.zeros((2, 2))  # no such layer
    arrays["decomposition.l0.fwd.log10_full_norm"] = np.zeros(999)  # wrong shape
    np.savez(tmp_path / "odd.npz", **arrays)
    assert load_trace(tmp_path / "odd.npz").tokens == TEXT.split()  # derived keys: skipped
