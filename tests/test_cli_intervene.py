"""``rnnstudio trace --intervene SPEC``: the replayed trace is the Python API's, the
file records the edits, and a bad spec is one line naming the flag, before any work."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnstudio.cli import main
from rnnstudio.engine import random_model
from rnnstudio.io import load_trace

TEXT = "the cat sat on the mat"
RANDOM = ["--cell", "lstm", "--hidden", "8", "--layers", "2", "--bidirectional",
          "--seed", "2", "--input-size", "4"]
SPECS = ["f=1.0@l0.fwd:units=3,7:steps=2-", "h*0@l1.bwd:units=5"]


@pytest.mark.parametrize("extension", [".npz", ".json"])
def test_intervene_replays_as_the_python_api_does(tmp_path: Path, extension: str,
                                                  capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / f"t{extension}"
    argv = ["trace", "--text", TEXT, "--out", str(out), *RANDOM]
    assert main([*argv, *(word for spec in SPECS for word in ("--intervene", spec))]) == 0
    printed = capsys.readouterr().out
    assert ("interventions: f=1@l0.fwd:units=3,7:steps=2-; h*0@l1.bwd:units=5"
            in printed.splitlines())
    model = random_model("lstm", 8, num_layers=2, bidirectional=True, seed=2, input_size=4)
    expected = model.trace(TEXT, interventions=SPECS)
    loaded = load_trace(out)
    assert loaded.interventions == expected.interventions == model.check_interventions(SPECS)
    assert loaded == expected  # every array, bit for bit, and the edits
    assert (loaded.layer(1, "bwd").h[:, 5] == 0).all()
    assert (loaded.layer(0).gates["f"][2:, [3, 7]] == 1).all()
    assert not np.array_equal(loaded.layer(0).c, model.trace(TEXT).layer(0).c)


@pytest.mark.parametrize(("spec", "words"), [
    ("f~1", "--intervene: intervention 'f~1' is not a spec; write QUANTITY"),
    ("f=1:steps=9-5", "--intervene: intervention 'f=1:steps=9-5': the steps 9-5 end before"),
    ("z=1", "--intervene: intervention z=1@l0.fwd: this LSTM has no 'z'; it has h, c, i, f,"),
    ("h=0@l5", "--intervene: intervention h=0@l5.fwd: the model has 2 layer(s)"),
    ("c*2:units=8", "--intervene: intervention c*2@l0.fwd:units=8: unit 8 is beyond c's 8"),
])
def test_a_bad_spec_is_one_line_and_writes_nothing(tmp_path: Path, spec: str, words: str,
                                                   capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "t.npz"
    code = main(["trace", "--text", TEXT, "--out", str(out), *RANDOM, "--intervene", spec])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"rnnstudio: error: {words}")
    assert not out.exists()


def test_a_malformed_spec_is_refused_before_the_model_is_read(tmp_path: Path,
                                                              capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["trace", str(tmp_path / "no-such-model.safetensors"), "--text", "a b",
                 "--intervene", "f=abc", "--out", str(tmp_path / "t.npz")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("rnnstudio: error: --intervene: intervention 'f=abc': the value")
