"""BPTT through the edited computation, against central differences of the edited
forward pass (``reference.py`` with the same edits, see ``edit_reference.py``).

A set quantity is a constant: no gradient reaches what made it. A scaled one passes the
constant times its gradient. Both are what differentiating the edited forward gives, so
the checks of test_gradcheck.py apply unchanged: the loss, every parameter, x, h0, c0,
dL/dh_t and dL/dc_t (the total derivative of the loss with respect to the value the
trace records, the edited one) and the Jacobian norms.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine.interventions import parse_intervention

from .cases import all_configs, make_config
from .checks import assert_no_mismatch
from .edit_reference import mixed_edits, reference_edit
from .engine_side import bare_case
from .reference import LossSpec, numerical_gradient, state_jacobian_norms
from .test_gradcheck import EPS, assert_forward_agrees, gradient_mismatches, mismatch

KINDS = ("rnn-tanh", "rnn-relu", "lstm", "lstm-proj", "gru", "gru-before")


def edited_case(cfg, spec: LossSpec, edits=None, seed: int = 3):
    """A traced float64 model and its reference problem, both with ``edits`` (default:
    every quantity of the cell set and scaled somewhere, :func:`mixed_edits`)."""
    edits = [edit for edit in (edits or mixed_edits(cfg)) if edit.layer < cfg.num_layers]
    return bare_case(cfg, spec, seed=seed, interventions=edits, edit=reference_edit(edits))


def losses(cfg) -> list[LossSpec]:
    """The top layer's last output, and a probe early in layer 0 (reverse direction when
    there is one), so gradients start before, inside and after the edited steps."""
    specs = [LossSpec("last-output-sum"),
             LossSpec("probe", step=3, unit=1, layer=0, direction=cfg.directions[-1])]
    if cfg.cell == "lstm":
        specs.append(LossSpec("probe", step=-2, unit=2, layer=-1, quantity="c"))
    return specs


def edited_params() -> list:
    return [pytest.param(param.values[0], spec, id=f"{param.id}-{spec.label}")
            for param in all_configs(biases=(True,), kinds=KINDS)
            for spec in losses(param.values[0])]


@pytest.mark.parametrize(("cfg", "spec"), edited_params())
def test_edited_gradients_match_central_differences(cfg, spec) -> None:
    case = edited_case(cfg, spec)
    assert_forward_agrees(case)
    assert_no_mismatch(gradient_mismatches(case))


@pytest.mark.parametrize("cfg", all_configs(biases=(True,), kinds=KINDS))
def test_edited_jacobian_norms_match_central_differences(cfg) -> None:
    """||dh_last/dh_t|| of the edited computation, from the trace and from
    ``Model.jacobian_norms`` of a trace made without them."""
    case = edited_case(cfg, LossSpec("last-output-sum"), seed=7)
    problem = case.problem
    later = case.model.trace(case.trace.tokens, loss=None, jacobian=False, h0=problem.h0,
                             c0=problem.c0, interventions=case.trace.interventions)
    separate = case.model.jacobian_norms(later)
    errors = []
    for key in case.trace.grads.jacobian:
        numeric = state_jacobian_norms(problem, key, EPS)
        errors.append(mismatch(f"jacobian[{key}]", case.trace.grads.jacobian[key], numeric))
        errors.append(mismatch(f"jacobian_norms()[{key}]", separate[key], numeric))
    assert_no_mismatch(errors)


@pytest.mark.parametrize(("kind", "spec", "blocked"), [
    ("lstm", "h=0.5@l0.fwd:steps=3", "h"), ("lstm", "c=0@l0.fwd:steps=3", "c"),
    ("gru", "h*0@l0.fwd:steps=3", "h"), ("rnn-tanh", "h=1@l0.fwd:steps=3", "h"),
])
def test_a_clamp_on_every_unit_cuts_the_gradient(kind: str, spec: str, blocked: str) -> None:
    """Clamping every unit of h (or c) at step 3 makes the last output independent of
    everything before step 3 through that path: dL/dx_t is 0 for t < 3 when nothing else
    carries it (an LSTM's c still does when only h is clamped, so it is not 0 there), and
    dL/dh_t at the clamped step itself is the loss's sensitivity to the constant."""
    cfg = make_config(kind, 1, False)
    edit = parse_intervention(spec)
    case = edited_case(cfg, LossSpec("last-output-sum"), [edit])
    grads = case.trace.grads
    early = np.abs(grads.x[:3]).max()
    if kind == "lstm" and blocked == "h":
        assert early > 0  # the cell state still carries it
    else:
        assert early == 0.0
    assert np.abs(grads.h[0, "fwd"][3]).max() > 0
    numeric = numerical_gradient(case.problem, "x", EPS)
    assert_no_mismatch([mismatch("x", grads.x, numeric)])


def test_float32_model_edited_gradients_agree_with_float64() -> None:
    """A float32 model's float64 gradients run the scaled float32 loop
    (``StepScale``) through the same edits: they agree with the float64 model's."""
    cfg = make_config("lstm-proj", 2, True)
    edits = mixed_edits(cfg)
    spec = LossSpec("last-output-sum")
    wide = bare_case(cfg, spec, interventions=edits, dtype="float64")
    narrow = bare_case(cfg, spec, interventions=edits, dtype="float32")
    for key, values in wide.trace.grads.h.items():
        np.testing.assert_allclose(narrow.trace.grads.h[key], values, rtol=2e-3, atol=1e-5)
    np.testing.assert_allclose(narrow.trace.grads.x, wide.trace.grads.x, rtol=2e-3, atol=1e-5)
