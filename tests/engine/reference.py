"""A small NumPy reference of ``torch.nn.RNN/LSTM/GRU`` written for the tests only.

It is deliberately independent of ``rnnstudio.engine``: one equation per line, straight
from the PyTorch documentation, float64, and every array carries a leading batch axis so
that one call evaluates many perturbed copies (central differences of every element of
a tensor in one go). Parameter names are PyTorch's, with the ``rnn.`` / ``embedding.`` /
``head.`` prefixes of an RNN Studio model.

Perturbation hooks: ``h_delta[(k, d)]`` (B, T, H_out) is added to h_t right after it is
computed (so it reaches the next step, the next layer and the loss), ``c_delta[(k, d)]``
(B, T, H) is added to c_t before h_t is computed from it. Differentiating the loss with
respect to these deltas at zero gives the total derivatives dL/dh_t and dL/dc_t.

Interventions: ``edit(key, t, name, value)`` returns the value the rest of the
computation reads instead of a gate, c or h as made (before the deltas are added).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from rnnstudio.engine.config import RecurrentConfig

Key = tuple[int, str]
Edit = Callable[[Key, int, str, np.ndarray], np.ndarray]


def no_edit(key: Key, t: int, name: str, value: np.ndarray) -> np.ndarray:
    return value


def sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def matvec(weight: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """(B, m, n) @ (B, n) -> (B, m), with broadcasting over the batch axis."""
    return np.matmul(weight, vector[..., None])[..., 0]


def stack_time(rows: list[np.ndarray]) -> np.ndarray:
    """Stack per-step (B, n) rows into (B, T, n); a perturbation may widen B mid-sequence."""
    return np.stack(np.broadcast_arrays(*rows), axis=1)


def suffix(layer: int, direction: str) -> str:
    return f"l{layer}" + ("_reverse" if direction == "bwd" else "")


def param_shapes(cfg: RecurrentConfig) -> dict[str, tuple[int, ...]]:
    """Names and shapes of ``nn.RNN/LSTM/GRU(...).state_dict()``, prefixed with ``rnn.``."""
    rows = cfg.gate_count * cfg.hidden_size
    shapes: dict[str, tuple[int, ...]] = {}
    for layer in range(cfg.num_layers):
        for direction in cfg.directions:
            s = suffix(layer, direction)
            shapes[f"rnn.weight_ih_{s}"] = (rows, cfg.layer_input_size(layer))
            shapes[f"rnn.weight_hh_{s}"] = (rows, cfg.output_size)
            if cfg.bias:
                shapes[f"rnn.bias_ih_{s}"] = (rows,)
                shapes[f"rnn.bias_hh_{s}"] = (rows,)
            if cfg.proj_size:
                shapes[f"rnn.weight_hr_{s}"] = (cfg.proj_size, cfg.hidden_size)
    return shapes


def random_params(
    cfg: RecurrentConfig,
    seed: int,
    *,
    scale: float = 0.6,
    vocab_size: int = 0,
    classes: int = 0,
) -> dict[str, np.ndarray]:
    """Random weights and random non-zero biases (``bias_ih`` != ``bias_hh``), float64."""
    rng = np.random.default_rng(seed)
    shapes = param_shapes(cfg)
    if vocab_size:
        shapes["embedding.weight"] = (vocab_size, cfg.input_size)
    if classes:
        shapes["head.weight"] = (classes, cfg.output_size * cfg.num_directions)
        shapes["head.bias"] = (classes,)
    return {name: rng.uniform(-scale, scale, shape) for name, shape in shapes.items()}


@dataclass
class Result:
    """Forward quantities, each with the batch axis first and time-major after it."""

    h: dict[Key, np.ndarray]  # (B, T, H_out)
    c: dict[Key, np.ndarray]  # (B, T, H), LSTM only
    gates: dict[Key, dict[str, np.ndarray]]  # name -> (B, T, H)
    output: np.ndarray  # (B, T, D * H_out), top layer, reverse half aligned to forward time
    logits: np.ndarray | None  # (B, T, C) when the params have a head


def _layer_params(cfg: RecurrentConfig, params: Mapping[str, np.ndarray], s: str) -> dict:
    return {
        "w_ih": params[f"rnn.weight_ih_{s}"],
        "w_hh": params[f"rnn.weight_hh_{s}"],
        "b_ih": params[f"rnn.bias_ih_{s}"] if cfg.bias else 0.0,
        "b_hh": params[f"rnn.bias_hh_{s}"] if cfg.bias else 0.0,
        "w_hr": params.get(f"rnn.weight_hr_{s}"),
    }


def cell_step(
    cfg: RecurrentConfig,
    p: dict,
    x: np.ndarray,
    h: np.ndarray,
    c: np.ndarray | None,
    c_delta: np.ndarray,
    edit: Callable[[str, np.ndarray], np.ndarray] = lambda name, value: value,
) -> tuple[np.ndarray, np.ndarray | None, dict[str, np.ndarray]]:
    """One step of one direction of one layer: (h', c', gates); ``edit(name, value)``
    replaces each quantity where it is made."""
    H = cfg.hidden_size
    gi = matvec(p["w_ih"], x) + p["b_ih"]  # W_i* x + b_i*
    gh = matvec(p["w_hh"], h) + p["b_hh"]  # W_h* h + b_h*
    if cfg.cell == "rnn":
        pre = gi + gh
        h_new = np.tanh(pre) if cfg.nonlinearity == "tanh" else np.maximum(pre, 0.0)
        return edit("h", h_new), None, {}
    if cfg.cell == "lstm":
        i = edit("i", sigmoid(gi[..., 0:H] + gh[..., 0:H]))
        f = edit("f", sigmoid(gi[..., H : 2 * H] + gh[..., H : 2 * H]))
        g = edit("g", np.tanh(gi[..., 2 * H : 3 * H] + gh[..., 2 * H : 3 * H]))
        o = edit("o", sigmoid(gi[..., 3 * H :] + gh[..., 3 * H :]))
        c_new = edit("c", f * c + i * g) + c_delta
        h_new = o * np.tanh(c_new)
        if p["w_hr"] is not None:
            h_new = matvec(p["w_hr"], h_new)  # h_t = W_hr (o * tanh c_t)
        return edit("h", h_new), c_new, {"i": i, "f": f, "g": g, "o": o}
    r = edit("r", sigmoid(gi[..., 0:H] + gh[..., 0:H]))
    z = edit("z", sigmoid(gi[..., H : 2 * H] + gh[..., H : 2 * H]))
    if cfg.reset_after:
        n = np.tanh(gi[..., 2 * H :] + r * gh[..., 2 * H :])
    else:  # Keras reset_after=False, ONNX linear_before_reset=0: W_hn (r * h) + b_hn
        b_hn = p["b_hh"][..., 2 * H :] if cfg.bias else 0.0
        n = np.tanh(gi[..., 2 * H :] + matvec(p["w_hh"][..., 2 * H :, :], r * h) + b_hn)
    n = edit("n", n)
    h_new = (1.0 - z) * n + z * h
    return edit("h", h_new), None, {"r": r, "z": z, "n": n}


def run(
    cfg: RecurrentConfig,
    params: Mapping[str, np.ndarray],
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray | None = None,
    h_delta: Mapping[Key, np.ndarray] | None = None,
    c_delta: Mapping[Key, np.ndarray] | None = None,
    edit: Edit = no_edit,
) -> Result:
    """Forward pass. ``x`` (B, T, I); ``h0`` (B, L*D, H_out); ``c0`` (B, L*D, H).

    Every params entry carries a batch axis (size 1 or B).
    """
    steps = x.shape[1]
    h_delta = h_delta or {}
    c_delta = c_delta or {}
    hs: dict[Key, np.ndarray] = {}
    cs: dict[Key, np.ndarray] = {}
    gates: dict[Key, dict[str, np.ndarray]] = {}
    layer_input = x
    for layer in range(cfg.num_layers):
        outputs = []
        for d, direction in enumerate(cfg.directions):
            key = (layer, direction)
            p = _layer_params(cfg, params, suffix(layer, direction))
            h = h0[:, layer * cfg.num_directions + d]
            c = c0[:, layer * cfg.num_directions + d] if cfg.cell == "lstm" else None
            order = range(steps) if direction == "fwd" else range(steps - 1, -1, -1)
            h_rows: list = [None] * steps
            c_rows: list = [None] * steps
            gate_rows: list = [None] * steps
            for t in order:
                dc = c_delta[key][:, t] if key in c_delta else 0.0
                h, c, g = cell_step(cfg, p, layer_input[:, t], h, c, dc,
                                    lambda name, value, key=key, t=t: edit(key, t, name, value))
                if key in h_delta:
                    h = h + h_delta[key][:, t]
                h_rows[t], c_rows[t], gate_rows[t] = h, c, g
            hs[key] = stack_time(h_rows)
            if cfg.cell == "lstm":
                cs[key] = stack_time(c_rows)
            gates[key] = {n: stack_time([g[n] for g in gate_rows]) for n in cfg.gates}
            outputs.append(hs[key])
        layer_input = np.concatenate(np.broadcast_arrays(*outputs), axis=-1)
    logits = None
    if "head.weight" in params:
        logits = np.matmul(layer_input, np.swapaxes(params["head.weight"], -1, -2))
        logits = logits + params["head.bias"][:, None, :]
    return Result(hs, cs, gates, layer_input, logits)


def cross_entropy(logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    """-log softmax(logits)[target] along the last axis; logits (B, ..., C)."""
    top = logits.max(axis=-1, keepdims=True)
    log_norm = np.log(np.exp(logits - top).sum(axis=-1)) + top[..., 0]
    picked = np.take_along_axis(logits, target[..., None], axis=-1)[..., 0]
    return log_norm - picked


@dataclass(frozen=True)
class LossSpec:
    """A loss as the tests describe it; ``kind`` is last-output-sum|probe|class|tag|tag-all|
    next-token ("tag" is one step's tag, "tag-all" the mean over every step)."""

    kind: str
    step: int = -1
    unit: int = 0
    layer: int = -1
    direction: str = "fwd"
    quantity: str = "h"
    target: int = 0  # class or tag index for "class", "tag", "tag-all"

    @property
    def label(self) -> str:
        if self.kind == "probe":
            return f"probe-{self.quantity}-l{self.layer}{self.direction}-t{self.step}u{self.unit}"
        if self.kind == "tag":
            return f"tag-t{self.step}"
        return self.kind


def loss_of(
    spec: LossSpec, result: Result, cfg: RecurrentConfig, ids: np.ndarray | None
) -> np.ndarray:
    """The loss per batch item, (B,)."""
    if spec.kind == "last-output-sum":
        return result.output[:, -1].sum(axis=-1)  # PyTorch output[-1].sum()
    if spec.kind == "probe":
        layer = spec.layer % cfg.num_layers
        table = result.h if spec.quantity == "h" else result.c
        return table[(layer, spec.direction)][:, spec.step, spec.unit]
    assert result.logits is not None
    if spec.kind == "class":
        target = np.full(result.logits.shape[0], spec.target)
        return cross_entropy(result.logits[:, -1], target)
    if spec.kind == "tag":
        target = np.full(result.logits.shape[0], spec.target)
        return cross_entropy(result.logits[:, spec.step], target)
    if spec.kind == "tag-all":
        targets = np.full(result.logits.shape[:2], spec.target)
        return cross_entropy(result.logits, targets).mean(axis=-1)
    assert spec.kind == "next-token" and ids is not None
    targets = np.broadcast_to(ids[1:], result.logits[:, :-1].shape[:2])
    return cross_entropy(result.logits[:, :-1], targets).mean(axis=-1)


@dataclass
class Problem:
    """Everything the reference needs to evaluate one loss (no batch axes here)."""

    cfg: RecurrentConfig
    params: dict[str, np.ndarray]
    x: np.ndarray  # (T, I) inputs of layer 0 (ignored when params has embedding.weight)
    h0: np.ndarray  # (L*D, H_out)
    c0: np.ndarray | None  # (L*D, H)
    loss: LossSpec
    ids: np.ndarray | None = None  # (T,) token ids
    edit: Edit = no_edit  # interventions (see ``run``)

    def forward(self, **overrides: np.ndarray) -> Result:
        """Batched forward; ``overrides`` replace a param (by name), x, h0, c0 or deltas.

        Delta overrides are named ``dh:{k}:{dir}`` / ``dc:{k}:{dir}``.
        """
        params = {n: overrides.get(n, v[None]) for n, v in self.params.items()}
        h_delta = {_key(n): v for n, v in overrides.items() if n.startswith("dh:")}
        c_delta = {_key(n): v for n, v in overrides.items() if n.startswith("dc:")}
        if "x" in overrides:
            x = overrides["x"]
        elif "embedding.weight" in params:
            x = params["embedding.weight"][:, self.ids]
        else:
            x = self.x[None]
        h0 = overrides.get("h0", self.h0[None])
        c0 = overrides.get("c0", None if self.c0 is None else self.c0[None])
        return run(self.cfg, params, x, h0, c0, h_delta, c_delta, self.edit)

    def loss_batch(self, **overrides: np.ndarray) -> np.ndarray:
        return loss_of(self.loss, self.forward(**overrides), self.cfg, self.ids)


def _key(name: str) -> Key:
    _, layer, direction = name.split(":")
    return int(layer), direction


def perturbation_batch(base: np.ndarray, eps: float) -> np.ndarray:
    """(2n, *shape): copies of ``base`` with element j raised by eps, then lowered by eps."""
    n = base.size
    batch = np.repeat(base.reshape(1, n), 2 * n, axis=0)
    index = np.arange(n)
    batch[index, index] += eps
    batch[n + index, index] -= eps
    return batch.reshape(2 * n, *base.shape)


def central_difference(
    f: Callable[[np.ndarray], np.ndarray], base: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """d f / d base by central differences; ``f`` maps (2n, *shape) -> (2n, ...)."""
    n = base.size
    values = f(perturbation_batch(base, eps))
    values = np.broadcast_to(values, (2 * n, *values.shape[1:]))  # f may ignore base
    return ((values[:n] - values[n:]) / (2 * eps)).reshape(*base.shape, *values.shape[1:])


def numerical_gradient(problem: Problem, name: str, eps: float = 1e-6) -> np.ndarray:
    """dL/d(name) where name is a param, ``x``, ``h0``, ``c0``, ``dh:k:dir`` or ``dc:k:dir``."""
    return central_difference(
        lambda batch: problem.loss_batch(**{name: batch}), base_of(problem, name), eps
    )


def base_of(problem: Problem, name: str) -> np.ndarray:
    """The unperturbed value of what ``numerical_gradient`` differentiates."""
    if name in problem.params:
        return problem.params[name]
    if name == "x":
        return _layer0_input(problem)
    if name in ("h0", "c0"):
        return getattr(problem, name)
    layer, direction = _key(name)
    table = problem.forward().h if name.startswith("dh:") else problem.forward().c
    return np.zeros_like(table[(layer, direction)][0])


def _layer0_input(problem: Problem) -> np.ndarray:
    if "embedding.weight" in problem.params:
        return problem.params["embedding.weight"][problem.ids]
    return problem.x


def state_jacobian_norms(problem: Problem, key: Key, eps: float = 1e-6) -> np.ndarray:
    """(T,) Frobenius norms of d h_last / d h_t within one layer and direction.

    ``h_last`` is the direction's final state: step T-1 forward, step 0 backward.
    """
    base = np.zeros_like(problem.forward().h[key][0])  # (T, H_out)
    last = -1 if key[1] == "fwd" else 0
    name = f"dh:{key[0]}:{key[1]}"
    jac = central_difference(lambda b: problem.forward(**{name: b}).h[key][:, last], base, eps)
    return np.sqrt((jac**2).sum(axis=(1, 2)))  # jac: (T, H_out[t], H_out[last])
