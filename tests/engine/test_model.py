"""Model construction and validation, the trace's flat arrays, and long work."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnnstudio.engine.model import Model, random_model
from rnnstudio.errors import Cancelled, ParameterError, RnnStudioError

from .cases import TEXT, make_config
from .engine_side import bare_model
from .reference import random_params

CFG = make_config("lstm-proj", 2, True)


def params():
    return random_params(CFG, 51)


def test_the_model_holds_a_copy_of_its_weights():
    source = params()
    model = bare_model(CFG, source)
    before = model.trace(TEXT, loss=None).layer(1, "bwd").h.copy()
    source["rnn.weight_hh_l0"][:] = 0.0
    copy = model.state_dict()
    copy["rnn.weight_ih_l1_reverse"][:] = 0.0
    np.testing.assert_array_equal(model.trace(TEXT, loss=None).layer(1, "bwd").h, before)
    with pytest.raises(ValueError):
        model.params["rnn.weight_hh_l1"][0, 0] = 1.0  # read-only views


def missing(p):
    del p["rnn.bias_hh_l1_reverse"]


def unexpected(p):
    p["rnn.weight_hh_l2"] = np.zeros((4, 3))


def misshaped(p):
    p["rnn.weight_hr_l0"] = p["rnn.weight_hr_l0"].T


def not_finite(p):
    p["rnn.weight_ih_l1"][2, 3] = np.nan


def integer(p):
    p["rnn.bias_ih_l0"] = p["rnn.bias_ih_l0"].astype(np.int64)


@pytest.mark.parametrize(
    ("spoil", "named"),
    [
        pytest.param(spoil, named, id=spoil.__name__)
        for spoil, named in [
            (missing, "rnn.bias_hh_l1_reverse"),
            (unexpected, "rnn.weight_hh_l2"),
            (misshaped, "rnn.weight_hr_l0"),
            (not_finite, "rnn.weight_ih_l1"),
            (integer, "rnn.bias_ih_l0"),
        ]
    ],
)
def test_bad_weights_are_refused_by_name(spoil, named):
    config = bare_model(CFG, params()).config
    bad = params()
    spoil(bad)
    with pytest.raises(ParameterError, match=named):
        Model(config, bad)


@pytest.mark.parametrize(
    "states",
    [
        pytest.param({"h0": np.zeros((4, 4))}, id="h0-wrong-width"),
        pytest.param({"h0": np.zeros((2, 3))}, id="h0-too-few-rows"),
        pytest.param({"c0": np.zeros((4, 3))}, id="c0-wrong-width"),
        pytest.param({"h0": np.zeros(3)}, id="h0-one-dimensional"),
    ],
)
def test_misshaped_initial_states_are_refused(states):
    """(L*D, H_out) = (4, 3) and (L*D, H) = (4, 5) here; anything else is a user error."""
    model = bare_model(CFG, params())
    with pytest.raises(RnnStudioError, match=next(iter(states))):
        model.trace(TEXT, loss=None, **states)


def test_trace_arrays_carry_the_trace_file_keys():
    model = bare_model(CFG, params())
    trace = model.trace(TEXT, loss="last-output-sum")
    arrays = trace.arrays()
    np.testing.assert_array_equal(arrays["tokens"], np.array(TEXT.split()))
    np.testing.assert_array_equal(arrays["token_ids"], trace.token_ids)
    assert arrays["token_ids"].dtype == np.int64
    np.testing.assert_array_equal(arrays["x"], trace.x)
    np.testing.assert_array_equal(arrays["grad.x"], trace.grads.x)
    for (layer, direction), record in trace.layers.items():
        prefix = f"l{layer}.{direction}"
        np.testing.assert_array_equal(arrays[f"{prefix}.h"], record.h)
        np.testing.assert_array_equal(arrays[f"{prefix}.c"], record.c)
        for gate in "ifgo":
            np.testing.assert_array_equal(arrays[f"{prefix}.{gate}"], record.gates[gate])
        np.testing.assert_array_equal(arrays[f"grad.{prefix}.h"], trace.grads.h[layer, direction])
        np.testing.assert_array_equal(arrays[f"grad.{prefix}.c"], trace.grads.c[layer, direction])
    meta = json.loads(str(arrays["meta"]))
    assert (meta["cell"], meta["hidden_size"], meta["proj_size"]) == ("lstm", 5, 3)
    assert (meta["num_layers"], meta["bidirectional"]) == (2, True)
    assert (meta["dtype"], meta["loss"]) == ("float64", "last-output-sum")
    assert meta["loss_value"] == trace.grads.loss_value


def test_without_a_loss_there_are_no_gradients():
    trace = bare_model(CFG, params()).trace(TEXT, loss=None)
    assert trace.grads is None
    assert not any(key.startswith("grad.") for key in trace.arrays())


LONG = " ".join(f"w{i}" for i in range(300))


def test_progress_is_reported_up_to_the_total():
    calls = []
    bare_model(CFG, params()).trace(
        LONG, on_progress=lambda done, total: calls.append((done, total))
    )
    assert calls
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert len({t for _, t in calls}) == 1
    assert calls[-1][0] == calls[-1][1]


@pytest.mark.parametrize("after", [0, 3])
def test_should_stop_cancels_the_trace(after):
    asked = []

    def should_stop() -> bool:
        asked.append(1)
        return len(asked) > after

    with pytest.raises(Cancelled):
        bare_model(CFG, params()).trace(LONG, should_stop=should_stop)


@pytest.mark.parametrize("kind", ["rnn-tanh", "lstm", "gru"])
def test_a_jacobian_pass_stops_at_the_next_step(kind):
    """A Jacobian pass carries one adjoint per unit, so each of its steps is costly: it
    asks ``should_stop`` at every step, and a new request never waits for 64 of them."""
    cfg = make_config(kind)
    model = bare_model(cfg, random_params(cfg, 7))
    text = " ".join(f"w{i}" for i in range(40))  # under 64 steps: one forward check
    trace = model.trace(text, loss=None, jacobian=False)
    asked = []

    def should_stop() -> bool:
        asked.append(1)
        return len(asked) == 4  # the forward's one check, then the third backward step

    with pytest.raises(Cancelled):
        model.jacobian_norms(trace, should_stop=should_stop)
    assert len(asked) == 4


def test_the_jacobian_reports_its_steps_over_all_layers_and_directions():
    """Two layers x two directions x 300 steps: (0, 1200) first, then every step once,
    in order, ending at (1200, 1200); the norms equal those computed without progress."""
    model = bare_model(CFG, params())
    trace = model.trace(LONG, loss=None, jacobian=False)
    calls = []
    norms = model.jacobian_norms(trace, on_progress=lambda done, total: calls.append((done, total)))
    total = 2 * 2 * trace.steps
    assert {t for _, t in calls} == {total}
    assert [d for d, _ in calls] == list(range(total + 1))
    quiet = model.jacobian_norms(trace)
    for key, values in quiet.items():
        np.testing.assert_array_equal(norms[key], values)


def test_a_projected_lstm_runs_a_batch_as_its_inputs_one_by_one():
    """With a batch, the projection writes h into a strided block of the record row (np.dot
    refused that); attribution runs its passes in batches. Equal to BLAS rounding: a batch's matrix
    product may sum in another order."""
    model = random_model("lstm", 5, input_size=3, proj_size=2, num_layers=2,
                         bidirectional=True, dtype="float64", seed=3)
    x = np.random.default_rng(0).normal(size=(6, 4, 3))
    together = model.stack.forward(x, np.float64).outputs[-1]
    for column in range(4):
        alone = model.stack.forward(x[:, column : column + 1], np.float64).outputs[-1]
        np.testing.assert_allclose(together[:, column], alone[:, 0], rtol=1e-12, atol=1e-15)
