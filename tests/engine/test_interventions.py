"""Interventions replayed by the engine: the edited forward pass obeys the equations
exactly (a frozen cell, a zeroed unit read as 0 by the next step and the next layer),
matches an independent reference, and leaves what precedes the edit bit for bit alone."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine import random_model
from rnnstudio.engine.interventions import Intervention, parse_intervention
from rnnstudio.errors import ConfigError

from . import checks
from .cases import all_configs
from .edit_reference import mixed_edits, reference_edit
from .engine_side import bare_case
from .reference import LossSpec

TEXT = "the cat sat on the mat and the dog ran off at once"
KINDS = ("rnn-tanh", "rnn-relu", "lstm", "lstm-proj", "gru", "gru-before")
MODELS = {
    "lstm": {"cell": "lstm"}, "lstm-proj": {"cell": "lstm", "proj_size": 5},
    "gru": {"cell": "gru"}, "gru-before": {"cell": "gru", "reset_after": False},
    "rnn": {"cell": "rnn"}, "rnn-relu": {"cell": "rnn", "nonlinearity": "relu"},
}


def model(kind: str, **options):
    """A random float32 model of 16 units, 2 layers, bidirectional unless told."""
    settings = {"hidden_size": 16, "num_layers": 2, "bidirectional": True, "seed": 3,
                **MODELS[kind], **options}
    return random_model(**settings)


@pytest.mark.parametrize("cfg", all_configs(biases=(True,), kinds=KINDS))
def test_the_edited_forward_is_the_references(cfg) -> None:
    """Every state and gate of the edited trace equals the reference computed with the
    same edits (float64, 1e-12): each edit acts where its quantity is made, and the rest
    of the step, the next step and the next layer read the edited value."""
    edits = [edit for edit in mixed_edits(cfg) if edit.layer < cfg.num_layers]
    case = bare_case(cfg, LossSpec("last-output-sum"), interventions=edits,
                     edit=reference_edit(edits))
    result = case.problem.forward()
    errors = []
    for key, hidden in result.h.items():
        recorded = case.trace.layer(*key)
        errors.append(checks.mismatch(f"h{key}", recorded.h, hidden[0], 1e-12))
        if key in result.c:
            errors.append(checks.mismatch(f"c{key}", recorded.c, result.c[key][0], 1e-12))
        for name, values in result.gates[key].items():
            errors.append(checks.mismatch(f"{name}{key}", recorded.gates[name], values[0],
                                          1e-12))
    checks.assert_no_mismatch(errors)
    assert case.trace.interventions == tuple(edits)


@pytest.mark.parametrize(("kind", "direction"), [("lstm", "fwd"), ("lstm", "bwd"),
                                                 ("lstm-proj", "fwd")])
def test_forget_one_input_zero_freezes_the_cell_bit_for_bit(kind: str, direction: str) -> None:
    """f = 1 and i = 0 on every unit from step s: c_t == c_{s-1} exactly for t >= s (a
    reverse direction reads from the last token: steps up to s freeze at c_{s+1})."""
    start = 4
    steps = f"{start}-" if direction == "fwd" else f"-{start}"
    lstm = model(kind)
    trace = lstm.trace(TEXT, interventions=[f"f=1@l0.{direction}:steps={steps}",
                                            f"i=0@l0.{direction}:steps={steps}"])
    cell = trace.layer(0, direction).c
    if direction == "fwd":
        frozen, before, earlier = cell[start:], cell[start - 1], cell[start - 2]
    else:
        frozen, before, earlier = cell[: start + 1], cell[start + 1], cell[start + 2]
    assert len(frozen) >= 5 and not np.array_equal(before, earlier)  # it moved before
    assert (frozen == before).all()
    assert (trace.layer(0, direction).gates["f"][start] == 1.0).all()


@pytest.mark.parametrize("kind", ["lstm", "lstm-proj", "gru", "gru-before", "rnn"])
def test_a_zeroed_unit_is_zero_and_read_as_zero(kind: str) -> None:
    """h*0 on unit u of layer 0 forward: h[:, u] is exactly 0, and every other number
    equals a model whose next step and next layer cannot read unit u (its columns of
    W_hh and of layer 1's W_ih zeroed): reading 0 is reading nothing."""
    unit = 2
    edited_model = model(kind, dtype="float64")
    edited = edited_model.trace(TEXT, interventions=[f"h*0@l0.fwd:units={unit}"])
    params = edited_model.state_dict()
    params["rnn.weight_hh_l0"][:, unit] = 0.0
    params["rnn.weight_ih_l1"][:, unit] = 0.0
    params["rnn.weight_ih_l1_reverse"][:, unit] = 0.0
    blind = type(edited_model)(edited_model.config, params).trace(TEXT)
    assert (edited.layer(0).h[:, unit] == 0.0).all()
    assert np.abs(blind.layer(0).h[:, unit]).min() > 0  # it was not 0 to begin with
    edited_arrays, blind_arrays = edited.arrays(), blind.arrays()
    for key in [key for key in edited_arrays if key.startswith(("l0.", "l1."))]:
        expected = blind_arrays[key].copy()
        if key == "l0.fwd.h":
            expected[:, unit] = 0.0
        np.testing.assert_allclose(edited_arrays[key], expected, rtol=1e-12, atol=1e-14,
                                   err_msg=key)


@pytest.mark.parametrize("kind", list(MODELS))
def test_what_precedes_an_edit_is_untouched_bit_for_bit(kind: str) -> None:
    """An edit of layer 0 forward from step s: layer 0 reverse is unchanged, and both
    layers' forward directions are unchanged before s, bit for bit (the edited loop
    computes exactly what the fast loop does); an edit that changes nothing (scale by 1)
    changes no number at all, gradients and Jacobian norms included."""
    start = 5
    edited_model = model(kind)
    base = edited_model.trace(TEXT)
    quantity = "h" if kind.startswith("rnn") else edited_model.config.recurrent.gates[1]
    edited = edited_model.trace(TEXT, interventions=[f"{quantity}=0.5@l0.fwd:steps={start}-"])
    for name, values in base.layer(0, "bwd").quantities().items():
        assert np.array_equal(edited.layer(0, "bwd").quantities()[name], values), name
    for layer in (0, 1):
        for name, values in base.layer(layer).quantities().items():
            after = edited.layer(layer).quantities()[name]
            assert np.array_equal(after[:start], values[:start]), (layer, name)
    assert not np.array_equal(edited.layer(1).h[start:], base.layer(1).h[start:])
    identity = [f"{quantity}*1@l{layer}.{d}" for layer in (0, 1) for d in ("fwd", "bwd")]
    same = edited_model.trace(TEXT, interventions=identity)
    assert same.interventions != base.interventions
    for key, values in base.arrays().items():
        if key != "meta":
            assert np.array_equal(same.arrays()[key], values), key


def test_edits_compose_in_order_and_steps_beyond_the_text_do_nothing() -> None:
    """Scale then set is a set; set then scale sets the product; an edit after the last
    token changes nothing."""
    lstm = model("lstm", bidirectional=False, num_layers=1)
    trace = lstm.trace(TEXT, interventions=["o*3:units=0", "o=0.2:units=0,1",
                                            "o*0.5:units=1", "o=0.9:steps=99-"])
    gate = trace.layer(0).gates["o"]
    assert (gate[:, 0] == np.float32(0.2)).all()
    assert (gate[:, 1] == np.float32(0.2) * np.float32(0.5)).all()
    plain = lstm.trace(TEXT)
    assert np.array_equal(gate[0, 2:], plain.layer(0).gates["o"][0, 2:])
    beyond = lstm.trace(TEXT, interventions=["o=0.9:steps=99-"])
    assert beyond.interventions and all(
        np.array_equal(values, plain.arrays()[key])
        for key, values in beyond.arrays().items() if key != "meta")


@pytest.mark.parametrize(("edits", "words"), [
    (["f=1@l2"], "has 2 layer"), (["z=1"], "this LSTM has no 'z'"),
    (["h=0:units=16"], "unit 16 is beyond h's 16 units"), (["f~1"], "is not a spec"),
    ([3], "must be Intervention objects or specs"),
    (["g=1e39"], "beyond this float32 model's range"),
])
def test_bad_interventions_are_refused_before_any_work(edits: list, words: str) -> None:
    calls = []
    with pytest.raises(ConfigError, match=words):
        model("lstm").trace(TEXT, interventions=edits,
                            on_progress=lambda done, total: calls.append(done))
    assert calls == []


def test_one_spec_or_object_is_accepted_alone() -> None:
    lstm = model("lstm")
    edit = parse_intervention("h*0:units=1")
    assert lstm.check_interventions("h*0:units=1") == (edit,)
    assert lstm.check_interventions(edit) == (edit,)
    assert lstm.trace(TEXT, interventions=[edit]).interventions == (edit,)
    assert isinstance(lstm.trace(TEXT).interventions, tuple)
    assert lstm.trace(TEXT).interventions == ()


def test_the_jacobian_of_a_trace_is_its_edited_computations() -> None:
    """``Model.jacobian_norms(trace)`` re-runs the forward pass with the trace's edits, so
    it gives what ``trace(jacobian=True)`` gave, not the unedited norms."""
    lstm = model("lstm")
    edits = [Intervention("f", "set", 1.0, start=3), Intervention("h", "scale", 0.0, 1,
                                                                   "bwd", (0, 1, 2))]
    full = lstm.trace(TEXT, interventions=edits)
    later = lstm.jacobian_norms(lstm.trace(TEXT, interventions=edits, jacobian=False))
    plain = lstm.trace(TEXT).grads.jacobian
    for key, norms in full.grads.jacobian.items():
        assert np.array_equal(later[key], norms), key
    assert not np.allclose(full.grads.jacobian[0, "fwd"], plain[0, "fwd"])

