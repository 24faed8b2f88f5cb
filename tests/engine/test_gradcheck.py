"""Every gradient the engine returns, against float64 central differences.

The finite differences run on ``reference.py`` (PyTorch's equations, one per line); each
test first checks that the reference computes the engine's loss and states, so the
differences describe the very function the engine differentiated.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from . import checks
from .cases import TEXT, all_configs, cell_configs, drawn_cases
from .checks import assert_no_mismatch
from .engine_side import Case, bare_case, vocab_case
from .reference import LossSpec, numerical_gradient, state_jacobian_norms

EPS = 1e-6
TOL = 1e-6  # |engine - central difference| <= TOL + TOL * |central difference|
FORWARD_TOL = 1e-12  # engine against the reference, both float64


def mismatch(label: str, engine, numeric) -> str | None:
    return checks.mismatch(label, engine, numeric, TOL)


def gradient_mismatches(case: Case) -> list[str | None]:
    """Compare the loss, then every gradient of ``case.trace.grads``, with the reference."""
    problem, grads = case.problem, case.trace.grads
    cfg = problem.cfg
    reference_loss = problem.loss_batch()[0]
    errors = [mismatch("loss_value", np.float64(grads.loss_value), np.float64(reference_loss))]
    assert set(grads.params) == set(problem.params), "a gradient for every parameter, no other"
    for name in problem.params:
        numeric = numerical_gradient(problem, name, EPS)
        errors.append(mismatch(f"params[{name!r}]", grads.params[name], numeric))
    errors.append(mismatch("x", grads.x, numerical_gradient(problem, "x", EPS)))
    errors.append(mismatch("h0", grads.h0, numerical_gradient(problem, "h0", EPS)))
    if cfg.cell == "lstm":
        errors.append(mismatch("c0", grads.c0, numerical_gradient(problem, "c0", EPS)))
    else:
        assert grads.c0 is None
    for layer in range(cfg.num_layers):
        for direction in cfg.directions:
            key = (layer, direction)
            numeric = numerical_gradient(problem, f"dh:{layer}:{direction}", EPS)
            errors.append(mismatch(f"h[{key}]", grads.h[key], numeric))
            if cfg.cell == "lstm":
                numeric = numerical_gradient(problem, f"dc:{layer}:{direction}", EPS)
                errors.append(mismatch(f"c[{key}]", grads.c[key], numeric))
    return errors


def assert_forward_agrees(case: Case) -> None:
    """The reference and the engine compute the same states, gates and logits (else the
    central differences would describe another function); this also proves the forward
    pass where torch is not installed."""
    assert case.trace.nonfinite is None
    result = case.problem.forward()
    errors = []
    for key, hidden in result.h.items():
        recorded = case.trace.layer(*key)
        errors.append(checks.mismatch(f"h{key}", recorded.h, hidden[0], FORWARD_TOL))
        if key in result.c:
            errors.append(checks.mismatch(f"c{key}", recorded.c, result.c[key][0], FORWARD_TOL))
        assert set(recorded.gates) == set(result.gates[key])
        for name, values in result.gates[key].items():
            errors.append(
                checks.mismatch(f"{name}{key}", recorded.gates[name], values[0], FORWARD_TOL)
            )
    if result.logits is not None:
        errors.append(checks.mismatch("logits", case.trace.logits, result.logits[0], FORWARD_TOL))
    assert_no_mismatch(errors)


def bare_losses(cfg) -> list[LossSpec]:
    """last-output-sum, plus probes that start the gradient mid-sequence in the first layer
    (backward direction when there is one) and, for an LSTM, on a cell state."""
    specs = [
        LossSpec("last-output-sum"),
        LossSpec("probe", step=2, unit=1, layer=0, direction=cfg.directions[-1]),
    ]
    if cfg.cell == "lstm":
        specs.append(LossSpec("probe", step=-3, unit=2, layer=-1, direction="fwd", quantity="c"))
    return specs


def bare_params() -> list:
    return [
        pytest.param(param.values[0], spec, id=f"{param.id}-{spec.label}")
        for param in all_configs()
        for spec in bare_losses(param.values[0])
    ]


@pytest.mark.parametrize(("cfg", "spec"), bare_params())
def test_every_gradient_matches_central_differences(cfg, spec):
    case = bare_case(cfg, spec, seed=3)
    assert_forward_agrees(case)
    assert_no_mismatch(gradient_mismatches(case))


@pytest.mark.parametrize("cfg", cell_configs(2, True) + cell_configs(1, False))
@pytest.mark.parametrize(
    "spec",
    [LossSpec("class", target=1), LossSpec("tag", step=-2, target=2),
     LossSpec("tag-all", target=1), LossSpec("next-token")],
    ids=lambda s: s.label,
)
def test_task_losses_with_embedding_and_head(cfg, spec):
    """Cross-entropy losses of a model with an embedding table and a readout head: the
    gradients of embedding.weight and head.* are checked with all the others."""
    case = vocab_case(cfg, spec, seed=5)
    assert_forward_agrees(case)
    assert_no_mismatch(gradient_mismatches(case))


@pytest.mark.parametrize("cfg", all_configs(biases=(True,)))
def test_state_jacobian_norms(cfg):
    """grads.jacobian[(k, dir)][t] = ||d h_last / d h_t||_F within that layer and direction,
    where h_last is the direction's final state (step T-1 forward, step 0 backward); the
    same from ``model.jacobian_norms`` for a trace made without them."""
    case = bare_case(cfg, LossSpec("last-output-sum"), seed=7)
    problem = case.problem
    later = case.model.trace(TEXT, loss=None, jacobian=False, h0=problem.h0, c0=problem.c0)
    separate = case.model.jacobian_norms(later)
    errors = []
    for layer in range(cfg.num_layers):
        for direction in cfg.directions:
            key = (layer, direction)
            numeric = state_jacobian_norms(problem, key, EPS)
            errors.append(mismatch(f"jacobian[{key}]", case.trace.grads.jacobian[key], numeric))
            errors.append(mismatch(f"jacobian_norms()[{key}]", separate[key], numeric))
    assert_no_mismatch(errors)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(drawn_cases())
def test_every_gradient_for_drawn_shapes(drawn):
    cfg, spec, text, seed = drawn
    case = bare_case(cfg, spec, seed=seed, text=text)
    assert_forward_agrees(case)
    assert_no_mismatch(gradient_mismatches(case))
