"""The diff of two traces and the edited cells, against direct numpy computations."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine.interventions import Intervention, parse_intervention
from rnnstudio.engine.model import random_model
from rnnstudio.io.model_source import ModelSource
from rnnstudio.view.interventions import (
    checked_spec,
    cursor_note,
    edited_blocks,
    edited_mask,
    edited_steps,
    intervention_words,
    quantity_choices,
    readout_change,
    trace_diff,
)
from rnnstudio.view.readout import softmax

TEXT = "the movie was not good at all"


def _two_traces(cell: str = "lstm"):  # type: ignore[no-untyped-def]
    """Two ordinary traces of one text, the second from other initial states: the diff
    functions do not care how the second trace was made."""
    model = random_model(cell, hidden_size=6, num_layers=2, seed=3)
    width = model.config.recurrent.num_layers
    h0 = np.full((width, 6), 0.5)
    c0 = np.full((width, 6), -0.3) if cell == "lstm" else None
    return model, model.trace(TEXT, h0=h0, c0=c0), model.trace(TEXT)


def test_the_words_say_what_the_spec_says() -> None:
    assert intervention_words(parse_intervention("f=1.0@l0.fwd:units=3,7:steps=5-")) == \
        "f clamped to 1.00 on units 3, 7 from step 5 (layer 0 fwd)"
    assert intervention_words(parse_intervention("h*0@l1.bwd:units=12")) == \
        "h zeroed on unit 12 at every step (layer 1 bwd)"
    assert intervention_words(parse_intervention("i*0.5:steps=2-4")) == \
        "i scaled by 0.50 on every unit at steps 2 to 4 (layer 0 fwd)"
    assert intervention_words(parse_intervention("c=2:units=0-20:steps=3")).startswith(
        "c clamped to 2.00 on units 0, 1, 2, 3, 4, 5, 6, 7 and 13 more at step 3")


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_diff_equals_a_direct_subtraction(cell: str) -> None:
    _, edited, original = _two_traces(cell)
    edits = (parse_intervention("h=0@l1.fwd:units=2:steps=3-4"),)
    diff = trace_diff(edited, original, edits, 1, "fwd")
    after, before = edited.layer(1, "fwd"), original.layer(1, "fwd")
    np.testing.assert_allclose(diff.hidden, np.linalg.norm(after.h - before.h, axis=1),
                               rtol=1e-6)
    if cell == "lstm":
        np.testing.assert_allclose(diff.cell, np.linalg.norm(after.c - before.c, axis=1),
                                   rtol=1e-6)
    else:
        assert diff.cell is None
    names = [item.name for item in diff.heatmaps]
    assert names == (["h", "c", "i", "f", "g", "o"] if cell == "lstm" else
                     ["h", "r", "z", "n"])
    for item in diff.heatmaps:
        direct = (after.quantities()[item.name] - before.quantities()[item.name]).T
        np.testing.assert_allclose(item.values, direct, atol=1e-6)
        assert item.values.flags.c_contiguous and item.values.dtype == np.float32
        low, high = item.levels
        assert low == -high and high >= np.abs(direct).max()
    np.testing.assert_array_equal(diff.edited, [False] * 3 + [True] * 2 + [False] * 2)


def test_a_zero_difference_keeps_a_tiny_scale() -> None:
    _, edited, _ = _two_traces()
    diff = trace_diff(edited, edited, (), 0, "fwd")
    assert not diff.hidden.any() and diff.heatmap("h").levels == (-1e-6, 1e-6)


def test_the_readout_change_is_the_probability_of_the_original_choice() -> None:
    model = ModelSource.shipped("sentiment-lstm").load()
    original = model.trace("the camera was not good")
    edited = model.trace("the camera was not good",
                         h0=np.ones((model.config.recurrent.num_layers
                                     * model.config.recurrent.num_directions,
                                     model.config.recurrent.output_size)))
    change = readout_change(edited, original)
    before, after = softmax(original.logits), softmax(edited.logits)
    top = before.argmax(axis=1)
    np.testing.assert_allclose(change.delta, after[np.arange(len(top)), top]
                               - before[np.arange(len(top)), top])
    np.testing.assert_array_equal(change.flipped, after.argmax(axis=1) != top)
    bare = random_model("lstm", hidden_size=4).trace("a b")
    assert readout_change(bare, bare) is None


def test_the_marked_cells_are_the_edits_units_times_steps() -> None:
    edits = (parse_intervention("f=1@l0.fwd:units=3,7,8:steps=5-"),
             parse_intervention("f*0@l0.fwd:units=1:steps=2"),
             parse_intervention("f=1@l1.fwd:units=0"),  # another layer
             parse_intervention("i=0@l0.fwd"))  # another quantity
    mask = edited_mask(edits, "f", 0, "fwd", 10, 9)
    direct = np.zeros((10, 9), dtype=bool)
    direct[[3, 7, 8], 5:] = True
    direct[1, 2] = True
    np.testing.assert_array_equal(mask, direct)
    blocks = edited_blocks(edits, "f", 0, "fwd", 10, 9)
    assert sorted(blocks) == [(2, 1, 1, 1), (5, 3, 4, 1), (5, 7, 4, 2)]
    painted = np.zeros_like(direct)
    for step, unit, steps, units in blocks:
        painted[unit : unit + units, step : step + steps] = True
    np.testing.assert_array_equal(painted, direct)
    whole = edited_blocks(edits, "i", 0, "fwd", 10, 9)
    assert whole == [(0, 0, 9, 10)]
    assert edited_blocks((parse_intervention("h=0:steps=20-"),), "h", 0, "fwd", 4, 9) == []
    np.testing.assert_array_equal(edited_steps(edits, 9), np.ones(9, dtype=bool))


def test_the_form_checks_a_spec_against_the_model_in_words() -> None:
    model = random_model("gru", hidden_size=4)
    assert quantity_choices("lstm") == ("h", "c", "i", "f", "g", "o")
    assert quantity_choices("gru") == ("h", "r", "z", "n")
    assert quantity_choices("rnn") == ("h",)
    edit, words = checked_spec("z=1:units=3:steps=2-", model)
    assert edit == Intervention("z", "set", 1.0, units=(3,), start=2)
    assert words == "z clamped to 1.00 on unit 3 from step 2 (layer 0 fwd)"
    assert checked_spec("f=1", model)[0] is None and "has no 'f'" in checked_spec("f=1",
                                                                                 model)[1]
    assert "unit 9" in checked_spec("z=1:units=9", model)[1]
    assert "is not a spec" in checked_spec("z=", None)[1]
    assert checked_spec("q=1", None)[0] is not None  # without a model: the grammar only


def test_this_step_shows_the_original_value_beside_the_edited_one() -> None:
    _, edited, original = _two_traces()
    edits = (parse_intervention("f=1@l0.fwd:units=2:steps=1-"),)
    note = cursor_note(edits, edited, original, 0, "fwd", 3, 2)
    after, before = edited.layer(0, "fwd"), original.layer(0, "fwd")
    assert note.startswith("edited here: f · unit 2: ")
    assert f"h {after.h[3, 2]:.3f} (was {before.h[3, 2]:.3f})" in note
    assert f"f {after.gates['f'][3, 2]:.3f} (was {before.gates['f'][3, 2]:.3f})" in note
    assert cursor_note(edits, edited, original, 0, "fwd", 3, 1).startswith("not edited")
    assert cursor_note(edits, edited, original, 0, "fwd", 0, 2).startswith("not edited")


def test_the_summary_names_the_largest_change_and_the_flips() -> None:
    from rnnstudio.view.interventions import diff_summary, step_runs

    _, edited, original = _two_traces()
    diff = trace_diff(edited, original, (), 0, "fwd")
    direct = np.linalg.norm(edited.layer(0).h - original.layer(0).h, axis=1)
    step = int(direct.argmax())
    assert diff_summary(diff, edited.tokens).startswith(
        f"largest ||Δh|| {direct[step]:.3g} at step {step} “{edited.tokens[step]}” · ||Δc||")
    same = trace_diff(edited, edited, (), 0, "fwd")
    assert diff_summary(same, edited.tokens) == "no change of h or c in layer 0 fwd"
    assert step_runs(np.array([0, 1, 1, 0, 1, 1, 1], dtype=bool)) == [(1, 2), (4, 3)]


def test_the_equations_say_when_they_are_the_unedited_arithmetic() -> None:
    from rnnstudio.view.interventions import equation_caveat

    edits = (parse_intervention("f=1@l0.fwd:units=3:steps=5-"),
             parse_intervention("h*0.5@l0.fwd:steps=6"))
    assert equation_caveat(edits, 0, "fwd", 6, 3).startswith(
        "Edited at this step: f set to 1.00, h scaled by 0.50. Each line is the cell's own")
    assert equation_caveat(edits, 0, "fwd", 5, 4) == ""
    assert equation_caveat(edits, 0, "fwd", 4, 3) == ""
    assert equation_caveat(edits, 1, "fwd", 6, 3) == ""
