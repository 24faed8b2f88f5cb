"""Parity with PyTorch of every recorded quantity and every gradient.

The gold values come from ``torch.nn.RNN/LSTM/GRU`` (forward, ``h_n``/``c_n`` and autograd
of parameters, inputs and initial states) and, for what ``nn.LSTM`` does not expose
(gates, per-layer states, the total derivatives dL/dh_t and dL/dc_t), from a cell-by-cell
loop written with torch ops whose outputs and parameter gradients are first checked
against the ``nn`` module itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings

from rnnstudio.engine.config import RecurrentConfig

from .cases import TORCH_KINDS, all_configs, cell_configs, drawn_cases, make_config
from .checks import assert_no_mismatch, mismatch
from .engine_side import Case, bare_case, vocab_case
from .reference import LossSpec, suffix

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")
F = torch.nn.functional

EXACT = 1e-10  # float64 against float64
SINGLE = 1e-5  # float32 forward against float32, float64 gradients of a float32 model
STACKED_AND_SINGLE = cell_configs(2, True, TORCH_KINDS) + cell_configs(1, False, TORCH_KINDS)


@dataclass
class TorchRun:
    """Gold values, as float64 NumPy arrays."""

    x: np.ndarray
    output: np.ndarray
    h_n: np.ndarray
    c_n: np.ndarray | None
    logits: np.ndarray | None
    loss: float
    grads: dict[str, np.ndarray]  # parameter name, "x", "h0", "c0" -> gradient
    h: dict = field(default_factory=dict)  # (layer, dir) -> (T, H_out)
    c: dict = field(default_factory=dict)
    gates: dict = field(default_factory=dict)  # (layer, dir) -> {name: (T, H)}
    grad_h: dict = field(default_factory=dict)
    grad_c: dict = field(default_factory=dict)


class Net(torch.nn.Module):
    """The convention for importing a PyTorch model: ``embedding``, ``rnn``, ``head``."""

    def __init__(self, cfg, params: dict, dtype):
        super().__init__()
        kind = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cfg.cell]
        extra = {"nonlinearity": cfg.nonlinearity} if cfg.cell == "rnn" else {}
        if cfg.proj_size:
            extra["proj_size"] = cfg.proj_size
        if "embedding.weight" in params:
            self.embedding = torch.nn.Embedding(*params["embedding.weight"].shape)
        self.rnn = kind(
            cfg.input_size,
            cfg.hidden_size,
            num_layers=cfg.num_layers,
            bias=cfg.bias,
            bidirectional=cfg.bidirectional,
            **extra,
        )
        if "head.weight" in params:
            self.head = torch.nn.Linear(*params["head.weight"].shape[::-1])
        self.to(dtype)  # before loading: a float32 module would round float64 weights
        self.load_state_dict({name: torch.tensor(value) for name, value in params.items()})


def torch_loss(spec: LossSpec, cfg, output, logits, ids):
    """The loss on ``nn`` outputs; probes are of the top layer's h (what ``nn`` returns)."""
    if spec.kind == "last-output-sum":
        return output[-1].sum()
    if spec.kind == "probe":
        assert spec.quantity == "h" and spec.layer in (-1, cfg.num_layers - 1)
        offset = cfg.directions.index(spec.direction) * cfg.output_size
        return output[spec.step, offset + spec.unit]
    if spec.kind == "class":
        return F.cross_entropy(logits[-1:], torch.tensor([spec.target]))
    if spec.kind == "tag":
        return F.cross_entropy(logits[spec.step][None], torch.tensor([spec.target]))
    if spec.kind == "tag-all":
        return F.cross_entropy(logits, torch.full((len(logits),), spec.target))
    return F.cross_entropy(logits[:-1], torch.as_tensor(ids[1:]))


def cell_loop(cfg, weights: dict, x, h0, c0) -> tuple:
    """Cell-by-cell forward with torch ops, every state a graph node that keeps its grad."""
    H = cfg.hidden_size
    states: dict = {"h": {}, "c": {}, "gates": {}}
    layer_input = x
    for layer in range(cfg.num_layers):
        outputs = []
        for d, direction in enumerate(cfg.directions):
            s = suffix(layer, direction)
            w_ih, w_hh = weights[f"rnn.weight_ih_{s}"], weights[f"rnn.weight_hh_{s}"]
            b_ih, b_hh = weights.get(f"rnn.bias_ih_{s}"), weights.get(f"rnn.bias_hh_{s}")
            h = h0[layer * cfg.num_directions + d]
            c = c0[layer * cfg.num_directions + d] if c0 is not None else None
            steps = range(len(x)) if direction == "fwd" else range(len(x) - 1, -1, -1)
            hs, cs, gates = {}, {}, {}
            for t in steps:
                gi, gh = F.linear(layer_input[t], w_ih, b_ih), F.linear(h, w_hh, b_hh)
                if cfg.cell == "rnn":
                    act = torch.tanh if cfg.nonlinearity == "tanh" else torch.relu
                    h, gates[t] = act(gi + gh), {}
                elif cfg.cell == "lstm":
                    i, f, g, o = (gi + gh).split(H)
                    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
                    c = f * c + i * g
                    c.retain_grad()
                    h = o * torch.tanh(c)
                    if cfg.proj_size:
                        h = F.linear(h, weights[f"rnn.weight_hr_{s}"])
                    cs[t], gates[t] = c, {"i": i, "f": f, "g": g, "o": o}
                else:
                    (ri, zi, ni), (rh, zh, nh) = gi.split(H), gh.split(H)
                    r, z = torch.sigmoid(ri + rh), torch.sigmoid(zi + zh)
                    n = torch.tanh(ni + r * nh)
                    h, gates[t] = (1 - z) * n + z * h, {"r": r, "z": z, "n": n}
                h.retain_grad()
                hs[t] = h
            key = (layer, direction)
            states["h"][key] = [hs[t] for t in range(len(x))]
            if cs:
                states["c"][key] = [cs[t] for t in range(len(x))]
            states["gates"][key] = {
                n: torch.stack([gates[t][n] for t in range(len(x))]) for n in cfg.gates
            }
            outputs.append(torch.stack(states["h"][key]))
        layer_input = torch.cat(outputs, dim=-1)
    return layer_input, states


def numpy64(tensor) -> np.ndarray:
    return tensor.detach().to(torch.float64).numpy()


def torch_gold(case: Case, dtype=torch.float64) -> TorchRun:
    """Run ``nn`` and the cell loop on the case's weights, inputs and initial states."""
    problem = case.problem
    cfg, spec = problem.cfg, problem.loss
    params = {name: value.astype(np.float64) for name, value in problem.params.items()}
    net = Net(cfg, params, dtype)
    leaves = {
        "h0": torch.tensor(problem.h0, dtype=dtype, requires_grad=True),
        "c0": None
        if problem.c0 is None
        else torch.tensor(problem.c0, dtype=dtype, requires_grad=True),
    }
    if "embedding.weight" in params:
        x = net.embedding(torch.as_tensor(problem.ids))
        x.retain_grad()
    else:
        x = torch.tensor(problem.x, dtype=dtype, requires_grad=True)
    initial = leaves["h0"] if cfg.cell != "lstm" else (leaves["h0"], leaves["c0"])
    output, final = net.rnn(x, initial)
    logits = net.head(output) if hasattr(net, "head") else None
    h_n, c_n = final if cfg.cell == "lstm" else (final, None)
    loss = torch_loss(spec, cfg, output, logits, problem.ids)
    loss.backward()
    grads = {name: numpy64(p.grad) for name, p in net.named_parameters()}
    grads.update(x=numpy64(x.grad), h0=numpy64(leaves["h0"].grad))
    if leaves["c0"] is not None:
        grads["c0"] = numpy64(leaves["c0"].grad)
    gold = TorchRun(
        numpy64(x),
        numpy64(output),
        numpy64(h_n),
        None if c_n is None else numpy64(c_n),
        None if logits is None else numpy64(logits),
        loss.item(),
        grads,
    )
    add_loop_values(gold, case, dtype)
    return gold


def add_loop_values(gold: TorchRun, case: Case, dtype) -> None:
    """Per-step states, gates and total derivatives from the cell loop, after checking the
    loop against ``nn`` (same output, same loss, same parameter gradients)."""
    problem = case.problem
    cfg = problem.cfg
    weights = {
        n: torch.tensor(v, dtype=dtype, requires_grad=True) for n, v in problem.params.items()
    }
    if "embedding.weight" in weights:
        x = weights["embedding.weight"][torch.as_tensor(problem.ids)]
    else:
        x = torch.tensor(problem.x, dtype=dtype)
    h0 = torch.tensor(problem.h0, dtype=dtype)
    c0 = None if problem.c0 is None else torch.tensor(problem.c0, dtype=dtype)
    output, states = cell_loop(cfg, weights, x, h0, c0)
    logits = (
        F.linear(output, weights["head.weight"], weights["head.bias"])
        if "head.weight" in weights
        else None
    )
    loss = torch_loss(problem.loss, cfg, output, logits, problem.ids)
    loss.backward()
    tight = (
        {"rtol": 1e-12, "atol": 1e-12} if dtype == torch.float64 else {"rtol": 1e-4, "atol": 1e-5}
    )
    np.testing.assert_allclose(numpy64(output), gold.output, **tight)
    for name, weight in weights.items():
        np.testing.assert_allclose(numpy64(weight.grad), gold.grads[name], **tight)
    for key, hs in states["h"].items():
        gold.h[key] = numpy64(torch.stack(hs))
        gold.grad_h[key] = np.stack(
            [numpy64(h.grad) if h.grad is not None else np.zeros(h.shape) for h in hs]
        )
        gold.gates[key] = {n: numpy64(v) for n, v in states["gates"][key].items()}
    for key, cs in states["c"].items():
        gold.c[key] = numpy64(torch.stack(cs))
        gold.grad_c[key] = np.stack(
            [numpy64(c.grad) if c.grad is not None else np.zeros(c.shape) for c in cs]
        )


def forward_mismatches(case: Case, gold: TorchRun, tol: float) -> list[str | None]:
    trace, cfg = case.trace, case.problem.cfg
    errors: list[str | None] = []
    errors.append(mismatch("x", trace.x, gold.x, tol))
    for (layer, direction), hidden in gold.h.items():
        recorded = trace.layer(layer, direction)
        errors.append(mismatch(f"l{layer}.{direction}.h", recorded.h, hidden, tol))
        if cfg.cell == "lstm":
            errors.append(
                mismatch(f"l{layer}.{direction}.c", recorded.c, gold.c[(layer, direction)], tol)
            )
        assert set(recorded.gates) == set(cfg.gates)
        for name, values in gold.gates[(layer, direction)].items():
            errors.append(
                mismatch(f"l{layer}.{direction}.{name}", recorded.gates[name], values, tol)
            )
        row = layer * cfg.num_directions + cfg.directions.index(direction)
        last = -1 if direction == "fwd" else 0
        errors.append(mismatch(f"h_n[{row}]", recorded.h[last], gold.h_n[row], tol))
        if cfg.cell == "lstm":
            errors.append(mismatch(f"c_n[{row}]", recorded.c[last], gold.c_n[row], tol))
    top = [trace.layer(cfg.num_layers - 1, d).h for d in cfg.directions]
    errors.append(mismatch("output", np.concatenate(top, axis=-1), gold.output, tol))
    if gold.logits is not None:
        errors.append(mismatch("logits", trace.logits, gold.logits, tol))
    return errors


def gradient_mismatches(case: Case, gold: TorchRun, tol: float) -> list[str | None]:
    grads = case.trace.grads
    errors: list[str | None] = []
    errors.append(mismatch("loss_value", grads.loss_value, np.float64(gold.loss), tol))
    for name, value in grads.params.items():
        errors.append(mismatch(f"grad {name}", value, gold.grads[name], tol))
    assert set(grads.params) == set(case.problem.params)
    errors.append(mismatch("grad x", grads.x, gold.grads["x"], tol))
    errors.append(mismatch("grad h0", grads.h0, gold.grads["h0"], tol))
    if "c0" in gold.grads:
        errors.append(mismatch("grad c0", grads.c0, gold.grads["c0"], tol))
    for key, value in gold.grad_h.items():
        errors.append(mismatch(f"grad h{key}", grads.h[key], value, tol))
    for key, value in gold.grad_c.items():
        errors.append(mismatch(f"grad c{key}", grads.c[key], value, tol))
    return errors


def assert_parity(case: Case, gold: TorchRun, forward_tol: float, gradient_tol: float) -> None:
    errors = forward_mismatches(case, gold, forward_tol)
    assert_no_mismatch(errors + gradient_mismatches(case, gold, gradient_tol))


@pytest.mark.parametrize("cfg", all_configs(kinds=TORCH_KINDS))
def test_float64_parity_last_output_sum(cfg):
    case = bare_case(cfg, LossSpec("last-output-sum"), seed=11)
    assert_parity(case, torch_gold(case), EXACT, EXACT)


@pytest.mark.parametrize("cfg", STACKED_AND_SINGLE)
def test_float64_parity_probe_of_a_top_layer_unit(cfg):
    spec = LossSpec("probe", step=2, unit=1, layer=-1, direction=cfg.directions[-1])
    case = bare_case(cfg, spec, seed=12)
    assert_parity(case, torch_gold(case), EXACT, EXACT)


@pytest.mark.parametrize("cfg", STACKED_AND_SINGLE)
@pytest.mark.parametrize(
    "spec",
    [LossSpec("class", target=2), LossSpec("tag", step=2, target=1),
     LossSpec("tag-all", target=0), LossSpec("next-token")],
    ids=lambda s: s.label,
)
def test_float64_parity_module_with_embedding_and_head(cfg, spec):
    case = vocab_case(cfg, spec, seed=13)
    assert_parity(case, torch_gold(case), EXACT, EXACT)


@pytest.mark.parametrize("cfg", cell_configs(2, True, TORCH_KINDS))
def test_float32_parity(cfg):
    """A float32 model runs forward in float32 (torch float32 within 1e-5); its gradients
    default to float64 and match a float64 torch run of the same (float32) weights."""
    case = bare_case(cfg, LossSpec("last-output-sum"), seed=14, dtype="float32")
    assert case.trace.layer(0).h.dtype == np.float32
    forward = torch_gold(case, torch.float32)
    errors = forward_mismatches(case, forward, SINGLE)
    errors += gradient_mismatches(case, torch_gold(case, torch.float64), SINGLE)
    assert_no_mismatch(errors)


@pytest.mark.parametrize(("dtype", "tol"), [("float64", EXACT), ("float32", SINGLE)])
def test_long_sequence_initial_state_gradients(dtype, tol):
    """dL/dh_0 and dL/dc_0 after 200 steps of a default-sized LSTM (values ~1e-40, below
    float32's normal range) against torch float64 autograd, relative to their size."""
    cfg = RecurrentConfig("lstm", 16, 32)
    text = " ".join(f"w{i % 37}" for i in range(200))
    spec = LossSpec("last-output-sum")
    case = bare_case(cfg, spec, seed=21, states=False, dtype=dtype, text=text, scale=32**-0.5)
    gold = torch_gold(case)
    for name in ("h0", "c0"):
        engine, expected = getattr(case.trace.grads, name), gold.grads[name]
        scale = np.abs(expected).max()
        assert 0 < scale < 1e-20
        assert np.abs(engine - expected).max() <= tol * scale, name


def one_layer_view(case: Case, gold: TorchRun, key) -> tuple:
    """Layer ``key`` alone as a one-layer forward cell: its config, weights renamed to
    ``l0``, its inputs and states in processing order (reversed for ``bwd``)."""
    cfg = case.problem.cfg
    layer, direction = key
    s = suffix(layer, direction)
    single = RecurrentConfig(
        cfg.cell,
        cfg.layer_input_size(layer),
        cfg.hidden_size,
        1,
        cfg.nonlinearity,
        cfg.bias,
        False,
        cfg.proj_size,
    )
    weights = {
        name[: -len(s)] + "l0": torch.tensor(value)
        for name, value in case.problem.params.items()
        if name.endswith("_" + s)
    }
    if layer == 0:
        inputs = gold.x
    else:
        inputs = np.concatenate([gold.h[layer - 1, d] for d in cfg.directions], axis=-1)
    order = slice(None) if direction == "fwd" else slice(None, None, -1)
    cells = gold.c[key][order] if key in gold.c else None
    return single, weights, torch.tensor(inputs[order].copy()), gold.h[key][order], cells


def torch_jacobian_norms(case: Case, gold: TorchRun, key) -> np.ndarray:
    """||d h_last / d h_t||_F by torch autograd: rerun the layer from h_t (and c_t) over
    the remaining steps of its own processing order, inputs held fixed."""
    single, weights, inputs, hidden, cells = one_layer_view(case, gold, key)
    steps = len(inputs)
    norms = np.empty(steps)
    for t in range(steps):
        c_t = None if cells is None else torch.tensor(cells[t].copy())[None]

        def last_state(h_t, t=t, c_t=c_t):
            if t == steps - 1:
                return h_t
            output, _ = cell_loop(single, weights, inputs[t + 1 :], h_t[None], c_t)
            return output[-1]

        jac = torch.autograd.functional.jacobian(last_state, torch.tensor(hidden[t].copy()))
        norms[t] = float(torch.linalg.norm(jac))
    return norms if key[1] == "fwd" else norms[::-1]


@pytest.mark.parametrize("cfg", cell_configs(2, True, TORCH_KINDS))
def test_float64_parity_of_state_jacobian_norms(cfg):
    case = bare_case(cfg, LossSpec("last-output-sum"), seed=16)
    gold = torch_gold(case)
    assert_no_mismatch(
        [
            mismatch(
                f"jacobian{key}",
                case.trace.grads.jacobian[key],
                torch_jacobian_norms(case, gold, key),
                EXACT,
            )
            for key in gold.h
        ]
    )


@settings(max_examples=25, deadline=None, derandomize=True)
@given(drawn_cases(top_layer_probes=True, kinds=TORCH_KINDS))
def test_float64_parity_for_drawn_shapes(drawn):
    cfg, spec, text, seed = drawn
    case = bare_case(cfg, spec, seed=seed, text=text)
    assert_parity(case, torch_gold(case), EXACT, EXACT)


def test_reference_is_torch():
    """The NumPy reference behind the central differences equals nn.LSTM with projection."""
    cfg = make_config("lstm-proj", 2, True)
    case = bare_case(cfg, LossSpec("last-output-sum"), seed=15)
    result = case.problem.forward()
    np.testing.assert_allclose(result.output[0], torch_gold(case).output, rtol=1e-12, atol=1e-12)
