"""A trace keeps its interventions: in meta (a list of ``to_dict()``), through trace files,
in its repr and notebook facts; files from before interventions load with none, and a
file's edits are checked against its model like any other field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnnstudio.engine import Trace, random_model
from rnnstudio.engine.display import trace_facts
from rnnstudio.errors import ExportError
from rnnstudio.io import load_trace, save_trace

TEXT = "the cat sat on the mat"
SPECS = ("i=0@l0.fwd:units=0-3:steps=2-", "h*0.5@l0.bwd:units=1")


def edited_trace() -> Trace:
    model = random_model("lstm", 6, input_size=3, bidirectional=True, seed=1)
    return model.trace(TEXT, interventions=SPECS)


def decoded(trace: Trace) -> tuple[dict, dict]:
    arrays = trace.arrays()
    return arrays, json.loads(str(arrays.pop("meta")))


def test_meta_lists_the_edits_and_they_come_back() -> None:
    trace = edited_trace()
    arrays, meta = decoded(trace)
    assert meta["interventions"] == [edit.to_dict() for edit in trace.interventions]
    assert meta["interventions"][0] == {"quantity": "i", "op": "set", "value": 0.0,
                                        "layer": 0, "direction": "fwd", "units": [0, 1, 2, 3],
                                        "start": 2, "stop": None}
    rebuilt = Trace.from_arrays(arrays, meta)
    assert rebuilt.interventions == trace.interventions and rebuilt == trace


@pytest.mark.parametrize("extension", [".npz", ".json"])
def test_trace_files_keep_the_edits(tmp_path: Path, extension: str) -> None:
    trace = edited_trace()
    loaded = load_trace(save_trace(trace, tmp_path / f"t{extension}"))
    assert [edit.spec() for edit in loaded.interventions] == list(SPECS)
    assert loaded == trace


def test_a_file_from_before_interventions_loads_with_none() -> None:
    arrays, meta = decoded(random_model("gru", 4, input_size=3).trace(TEXT))
    assert meta.pop("interventions") == []
    assert Trace.from_arrays(arrays, meta).interventions == ()


@pytest.mark.parametrize(("listed", "words"), [
    ("f=1", "meta 'interventions' is 'f=1', not a list"),
    ([3], "meta 'interventions' holds 3, not an object"),
    ([{"quantity": "z", "op": "set", "value": 1}], "this LSTM has no 'z'"),
    ([{"quantity": "h", "op": "set", "value": 1, "units": [6]}], "unit 6 is beyond h's 6"),
    ([{"quantity": "h", "op": "grow", "value": 1}], "operation 'grow' is not"),
    ([{"op": "set"}], "it needs quantity, op and value"),
])
def test_bad_edits_in_a_file_are_one_line_errors(listed: object, words: str) -> None:
    arrays, meta = decoded(edited_trace())
    meta["interventions"] = listed
    with pytest.raises(ExportError, match=words):
        Trace.from_arrays(arrays, meta)


def test_an_edited_trace_says_so() -> None:
    trace = edited_trace()
    assert repr(trace).endswith("; 2 interventions>")
    assert dict(trace_facts(trace))["interventions"] == "; ".join(SPECS)
    assert "intervention" not in repr(random_model().trace(TEXT))
