"""Edits in session files: they round-trip, bad fields are one line naming the file,
and a file written before there were edits still opens."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rnnstudio.engine.interventions import Intervention, parse_intervention
from rnnstudio.errors import SessionFileError
from rnnstudio.io import ModelSource, SessionFile, load_session, save_session
from rnnstudio.io.session_file import session_from_dict

OLD = {"format": "rnnstudio-session", "version": 1, "model": "sentiment-lstm",
       "text": "the camera was not good", "cursor": 3}
EDITS = (parse_intervention("f=1.0@l0.fwd:units=3,7:steps=5-"),
         Intervention("h", "scale", 0.123456789, 0, "fwd", None, 2, 4))


def test_edits_round_trip_exactly(tmp_path: Path) -> None:
    state = SessionFile(ModelSource.shipped("sentiment-lstm"), "the camera was good",
                        interventions=EDITS, interventions_on=False)
    path = save_session(state, tmp_path / "a.rnnstudio")
    written = json.loads(path.read_text(encoding="utf-8"))
    assert written["interventions"][1] == {
        "quantity": "h", "op": "scale", "value": 0.123456789, "layer": 0,
        "direction": "fwd", "units": None, "start": 2, "stop": 4}
    assert written["interventions_on"] is False
    again = load_session(path)
    assert again.interventions == EDITS and again.interventions_on is False
    assert again == state


def test_a_file_without_edits_opens_with_none() -> None:
    state = session_from_dict(dict(OLD))
    assert state.interventions == () and state.interventions_on is True


def test_an_edit_may_be_written_as_its_spec() -> None:
    state = session_from_dict({**OLD, "interventions": ["i=0:units=0-2:steps=5-9"]})
    assert state.interventions == (Intervention("i", "set", 0.0, units=(0, 1, 2),
                                                start=5, stop=10),)


@pytest.mark.parametrize(("edits", "message"), [
    ("f=1", r'"interventions" must be a list'),
    ([{"quantity": "f", "op": "set"}], r'"interventions\[0\]" must be a spec or an object'),
    ([{"quantity": "f", "op": "set", "value": 1, "colour": 2}], r"interventions\[0\]"),
    ([{"quantity": "x", "op": "set", "value": 1}], r'"interventions\[0\].quantity"'),
    ([{"quantity": "f", "op": "add", "value": 1}], r'"interventions\[0\].op"'),
    ([{"quantity": "f", "op": "set", "value": "1"}], r'"interventions\[0\].value"'),
    ([{"quantity": "f", "op": "set", "value": 1, "layer": 1.5}], r"\.layer"),
    ([{"quantity": "f", "op": "set", "value": 1, "units": [3, -1]}], r"\.units"),
    ([{"quantity": "f", "op": "set", "value": 1, "units": "3"}], r"\.units"),
    ([{"quantity": "f", "op": "set", "value": 1, "start": 5, "stop": 3}],
     "last step not before the first"),
    (["f=1@l0.sideways"], "is not a spec"),
    ([None], r"interventions\[0\]"),
])
def test_bad_edits_name_the_file(tmp_path: Path, edits: Any, message: str) -> None:
    path = tmp_path / "bad.rnnstudio"
    path.write_text(json.dumps({**OLD, "interventions": edits}), encoding="utf-8")
    with pytest.raises(SessionFileError, match=message) as caught:
        load_session(path)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


def test_interventions_on_must_be_a_flag() -> None:
    with pytest.raises(SessionFileError, match='"interventions_on" must be true or false'):
        session_from_dict({**OLD, "interventions_on": "yes"})
