"""The status bar's line after a trace names its edits, so a trace file recorded with
interventions cannot pass for an ordinary reading."""

from __future__ import annotations

import rnnstudio as rs
from rnnstudio.view.position import status_line


def test_an_edited_trace_names_its_edits_and_an_unedited_one_does_not() -> None:
    model = rs.random_model("lstm", hidden_size=4, input_size=3, seed=1, dtype="float64")
    text = "a b c d"
    plain = status_line(model.trace(text), "m", 0.002)
    assert "edited" not in plain and plain.startswith("4 tokens · m · loss")
    one = status_line(model.trace(text, interventions=["f=1:steps=2-"]), "m", 0.002)
    assert one.endswith("edited (f=1@l0.fwd:steps=2-)")
    many = model.trace(text, interventions=["f=1", "i=0", "h*0.5:units=1"])
    assert status_line(many, "m", 0.0).endswith(
        "edited (f=1@l0.fwd, i=0@l0.fwd and 1 more)")
