"""Intervention specs: the grammar of ``--intervene`` parsed, written back, and checked
against a model's shape before anything is computed."""

from __future__ import annotations

import pytest

from rnnstudio.engine.interventions import Intervention, check_interventions, parse_intervention
from rnnstudio.errors import ConfigError


def test_the_issues_examples_parse_to_their_fields() -> None:
    edit = parse_intervention("f=1.0@l0.fwd:units=3,7:steps=5-")
    assert edit == Intervention("f", "set", 1.0, 0, "fwd", (3, 7), 5, None)
    zero = parse_intervention("h*0@l1.bwd:units=12")
    assert zero == Intervention("h", "scale", 0.0, 1, "bwd", (12,), 0, None)
    shut = parse_intervention("i=0:units=0-3,9:steps=5-9")
    assert (shut.units, shut.start, shut.stop, shut.layer, shut.direction) == (
        (0, 1, 2, 3, 9), 5, 10, 0, "fwd")
    assert parse_intervention("c*0.5:steps=4").stop == 5
    assert parse_intervention("o=1:steps=-3") == Intervention("o", "set", 1.0, stop=4)


@pytest.mark.parametrize("spec", ["f=1@l0.fwd:units=3,7:steps=5-", "h*0@l1.bwd:units=12",
                                  "i=0@l0.fwd:units=0-3,9:steps=5-9", "c*0.5@l0.fwd:steps=4",
                                  "z=0.25@l2.fwd:units=1-2"])
def test_spec_round_trips(spec: str) -> None:
    edit = parse_intervention(spec)
    assert edit.spec() == spec
    assert parse_intervention(edit.spec()) == edit
    assert Intervention.from_dict(edit.to_dict()) == edit


def test_step_mask_and_covers_agree() -> None:
    edit = parse_intervention("f=1:steps=2-4")
    mask = edit.step_mask(7)
    assert mask.tolist() == [False, False, True, True, True, False, False]
    assert [edit.covers(t) for t in range(7)] == mask.tolist()


@pytest.mark.parametrize(("spec", "words"), [
    ("f~1", "is not a spec"), ("f=abc", "is not a number"), ("f=nan", "not finite"),
    ("f=1:steps=9-5", "end before they start"), ("f=1:units=5-2", "empty"),
    ("f=1@l01", "is not a spec"), ("f=1:units=0-99999999", "lists more than"),
])
def test_malformed_specs_say_what_is_wrong(spec: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        parse_intervention(spec)


@pytest.mark.parametrize(("spec", "cell", "words"), [
    ("f=1", "gru", "this GRU has no 'f'"), ("c=0", "rnn", "this RNN has no 'c'"),
    ("h=0@l2", "lstm", "has 2 layer"), ("h=0@l0.bwd", "lstm", "forward only"),
    ("h=0:units=8", "lstm", "unit 8 is beyond h's 8 units"),
    ("g=0:units=15", "lstm", "beyond g's 12 units"),
])
def test_checked_against_the_model(spec: str, cell: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        check_interventions([parse_intervention(spec)], cell, num_layers=2,
                            bidirectional=False, hidden_size=12, output_size=8)


def test_valid_interventions_pass_the_check() -> None:
    edits = [parse_intervention("z=1:units=0-11"), parse_intervention("h*0@l1.bwd")]
    assert check_interventions(edits, "gru", 2, True, 12, 12) == tuple(edits)
