"""PyTorch's own numbers for a model and a text: what the parity check compares with.

``nn.RNN/LSTM/GRU`` return h (and h_n, c_n) but not the gates, the cell states of every
step or the total derivatives dL/dh_t. So the values come from a step-by-step loop written
with torch ops on the module's own weights, in float64::

    RNN   h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
    LSTM  i, f, g, o = sigma, sigma, tanh, sigma of (W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
          c_t = f * c_{t-1} + i * g ;  h_t = o * tanh(c_t)  (then W_hr h_t with proj_size)
    GRU   r, z = sigma(W_ir x_t + b_ir + W_hr h + b_hr), sigma(... z rows ...)
          n = tanh(W_in x_t + b_in + r * (W_hn h + b_hn)) ;  h_t = (1 - z) * n + z * h

and, before anything is returned, that loop's outputs, h_n and c_n are checked against the
``nn`` module's forward on the same weights and inputs (:func:`_check_against_nn`): the
values are torch's, not a second copy of the engine's equations. Gradients are torch's
autograd of the model's loss, written here with torch ops (``F.cross_entropy`` on the
head's logits), with ``retain_grad`` on every h_t and c_t.

torch is imported on first use (never by ``import rnnstudio``); it runs on one thread
(``torch.set_num_threads(1)``, process-wide): this is small work, and a worker must leave
the other core to the window.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from ..engine.losses import (
    ClassCrossEntropy,
    LastOutputSum,
    Loss,
    NextTokenCrossEntropy,
    Probe,
    TagCrossEntropy,
)
from ..engine.model import Model
from ..engine.params import layer_suffix
from ..engine.readout import POOLED_READOUTS
from ..engine.tokenizers import Tokens
from ..engine.trace_keys import grad_key, state_key
from ..errors import Cancelled, ConfigError, RnnStudioError

__all__ = ["NN_AGREEMENT", "torch_available", "torch_values", "torch_version"]

#: How close the step loop must be to ``nn.RNN/LSTM/GRU``'s own forward (float64).
NN_AGREEMENT = 1e-12
StopCheck = Callable[[], bool]
Progress = Callable[[int, int], None]


def torch_available() -> bool:
    """Whether torch is installed (the live check needs it; nothing else does). Found,
    not imported: importing torch takes about 2 s, too long for a menu to wait."""
    return importlib.util.find_spec("torch") is not None


def torch_version() -> str:
    import torch

    return str(torch.__version__)


def torch_values(model: Model, tokens: Tokens, loss: Loss,
                 should_stop: StopCheck | None = None,
                 on_progress: Progress | None = None) -> dict[str, np.ndarray]:
    """torch's float64 values for ``tokens`` read by ``model`` from zero initial states.
    ``should_stop`` is asked and ``on_progress(done, total)`` told at every step (of every
    layer and direction): 2,000 tokens of a 128-unit LSTM take 4 s.

    Returns
    -------
    dict
        Trace-file keys (docs/formats.md) -> float64 arrays: ``l{k}.{fwd,bwd}.h`` (T,
        H_out), ``.c`` (T, H), each gate (T, H), ``logits`` (T, C) with a head, ``grad.x``
        (T, I), ``grad.l{k}.{dir}.h`` (T, H_out), ``grad.l{k}.{dir}.c`` (T, H), and
        ``loss`` (a 0-d array).
    """
    import torch

    torch.set_num_threads(1)
    cfg = model.config
    if cfg.recurrent.cell == "gru" and not cfg.recurrent.reset_after:
        raise ConfigError("this GRU applies its reset gate before the recurrent product "
                          "(Keras reset_after=False): PyTorch's nn.GRU has no such cell, so "
                          "there is nothing to compare with")
    weights = {name: torch.tensor(np.asarray(value, np.float64), requires_grad=True)
               for name, value in model.params.items()}
    if cfg.embedding == "table":
        x = weights["embedding.weight"][torch.as_tensor(np.asarray(tokens.ids))]
    else:  # the engine's hashed embedding is an input here (in float64), not a module
        wide = Model(replace(cfg, dtype="float64"), model.params, model.source)
        x = torch.tensor(wide.embed(np.asarray(tokens.ids)), requires_grad=True)
    x.retain_grad()
    output, states = _step_loop(cfg.recurrent, weights, x, _step_hook(
        len(tokens.ids) * cfg.recurrent.num_layers * cfg.recurrent.num_directions,
        should_stop, on_progress))
    _check_against_nn(cfg.recurrent, model.params, x.detach(), output.detach(), states)
    logits = _logits(model, weights, output)
    objective = _loss(loss, model, output, logits, states, tokens)
    objective.backward()
    return _collect(cfg.recurrent, x, logits, objective, states)


def _step_hook(total: int, should_stop: StopCheck | None,
               on_progress: Progress | None) -> Callable[[], None]:
    """What the loop calls at each step: stop if asked, report progress."""
    done = [0]

    def step() -> None:
        if should_stop is not None and should_stop():
            raise Cancelled("the PyTorch check was cancelled")
        done[0] += 1
        if on_progress is not None:
            on_progress(done[0], total)

    return step


def _step_loop(rec: Any, weights: dict, x: Any, step_hook: Callable[[], None]) -> tuple:
    """The cell loop of the module docstring; states[(layer, dir)] = {name: [tensor]}."""
    import torch

    states: dict = {}
    layer_input = x
    for layer in range(rec.num_layers):
        outputs = []
        for direction in rec.directions:
            record = _direction_loop(rec, weights, layer_input, layer, direction, step_hook)
            states[(layer, direction)] = record
            outputs.append(torch.stack(record["h"]))
        layer_input = torch.cat(outputs, dim=-1)
    return layer_input, states


def _direction_loop(rec: Any, weights: dict, layer_input: Any, layer: int, direction: str,
                    step_hook: Callable[[], None]) -> dict:
    import torch

    s = layer_suffix(layer, direction)
    w_ih, w_hh = weights[f"rnn.weight_ih_{s}"], weights[f"rnn.weight_hh_{s}"]
    b_ih, b_hh = weights.get(f"rnn.bias_ih_{s}"), weights.get(f"rnn.bias_hh_{s}")
    steps = len(layer_input)
    h = torch.zeros(rec.output_size, dtype=torch.float64)
    c = torch.zeros(rec.hidden_size, dtype=torch.float64)
    record: dict = {name: [None] * steps for name in ("h", "c", *rec.gates)}
    order = range(steps) if direction == "fwd" else range(steps - 1, -1, -1)
    for t in order:
        step_hook()
        gates, h, c = _cell_step(rec, weights, s, layer_input[t], h, c, w_ih, w_hh, b_ih, b_hh)
        h.retain_grad()
        record["h"][t] = h
        if rec.cell == "lstm":
            c.retain_grad()
            record["c"][t] = c
        for name, value in gates.items():
            record[name][t] = value
    if rec.cell != "lstm":
        del record["c"]
    return record


def _cell_step(rec: Any, weights: dict, s: str, x_t: Any, h: Any, c: Any,
               w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any) -> tuple:
    """One step of one cell: (gates, h_t, c_t), the equations of the module docstring."""
    import torch

    linear = torch.nn.functional.linear
    # Any: torch's Tensor.split is untyped, and mypy checks io/ strictly
    from_input: Any = linear(x_t, w_ih, b_ih)
    from_state: Any = linear(h, w_hh, b_hh)
    size = rec.hidden_size
    if rec.cell == "rnn":
        act = torch.tanh if rec.nonlinearity == "tanh" else torch.relu
        return {}, act(from_input + from_state), c
    if rec.cell == "lstm":
        i, f, g, o = (from_input + from_state).split(size)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g
        h = o * torch.tanh(c)
        if rec.proj_size:
            h = linear(h, weights[f"rnn.weight_hr_{s}"])
        return {"i": i, "f": f, "g": g, "o": o}, h, c
    (r_in, z_in, n_in), (r_h, z_h, n_h) = from_input.split(size), from_state.split(size)
    r, z = torch.sigmoid(r_in + r_h), torch.sigmoid(z_in + z_h)
    n = torch.tanh(n_in + r * n_h)
    return {"r": r, "z": z, "n": n}, (1 - z) * n + z * h, c


def _check_against_nn(rec: Any, params: Any, x: Any, output: Any, states: dict) -> None:
    """Raise unless ``nn.RNN/LSTM/GRU`` on the same weights gives the loop's outputs,
    h_n and c_n within :data:`NN_AGREEMENT`."""
    import torch

    kind = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[rec.cell]
    extra: dict[str, Any] = {"nonlinearity": rec.nonlinearity} if rec.cell == "rnn" else {}
    if rec.proj_size:
        extra["proj_size"] = rec.proj_size
    module = kind(rec.input_size, rec.hidden_size, num_layers=rec.num_layers, bias=rec.bias,
                  bidirectional=rec.bidirectional, **extra).to(torch.float64)
    module.load_state_dict({name[len("rnn."):]: torch.tensor(np.asarray(value, np.float64))
                            for name, value in params.items() if name.startswith("rnn.")})
    with torch.no_grad():
        nn_output, final = module(x)
    h_n, c_n = final if rec.cell == "lstm" else (final, None)
    last = {"fwd": -1, "bwd": 0}
    loop_h_n = torch.stack([states[key]["h"][last[key[1]]].detach() for key in states])
    pairs = [("output", nn_output, output), ("h_n", h_n, loop_h_n)]
    if c_n is not None:
        pairs.append(("c_n", c_n, torch.stack([states[key]["c"][last[key[1]]].detach()
                                               for key in states])))
    for name, expected, found in pairs:
        gap = float((expected - found).abs().max()) if found.numel() else 0.0
        if not gap <= NN_AGREEMENT:
            raise RnnStudioError(f"the torch step loop's {name} differs from nn.{kind.__name__}"
                                 f"'s by {gap:.3g}: the reference would not be torch's; "
                                 "report this with the model file")


def _logits(model: Model, weights: dict, output: Any) -> Any:
    """The head's logits (T, C) as :meth:`Model.head` defines them, or None."""
    import torch

    cfg = model.config
    if cfg.task is None:
        return None
    weight, bias = weights["head.weight"], weights["head.bias"]
    if cfg.readout not in POOLED_READOUTS:
        return torch.nn.functional.linear(output, weight, bias)
    if cfg.readout == "mean":
        vector = output.mean(dim=0)
    elif cfg.readout == "max":
        vector = output.max(dim=0).values
    else:
        width = output.shape[-1] // cfg.recurrent.num_directions
        vector = torch.cat([output[-1, :width], output[0, width:]])
    return torch.nn.functional.linear(vector, weight, bias).expand(len(output), -1)


def _loss(loss: Loss, model: Model, output: Any, logits: Any, states: dict,
          tokens: Tokens) -> Any:
    """The engine's loss written with torch ops (a predicted target is torch's argmax)."""
    import torch

    cross_entropy = torch.nn.functional.cross_entropy
    labels = model.config.labels
    if isinstance(loss, LastOutputSum):
        return output[-1].sum()
    if isinstance(loss, Probe):
        layer = loss.layer % model.config.recurrent.num_layers
        return states[(layer, loss.direction)][loss.quantity][loss.step][loss.unit]
    if logits is None:
        raise ConfigError(f"the {loss.name} loss needs a model with a readout head")
    if isinstance(loss, NextTokenCrossEntropy):
        return cross_entropy(logits[:-1], torch.as_tensor(np.asarray(tokens.ids)[1:]))
    if isinstance(loss, ClassCrossEntropy):
        rows = logits[-1:]
        step_rows = [len(logits) - 1]
    elif isinstance(loss, TagCrossEntropy):
        step_rows = list(range(len(logits))) if loss.step is None else [loss.step]
        rows = logits[step_rows]
    else:
        raise ConfigError(f"the PyTorch check does not know the loss {loss.name!r}")
    target = loss.target
    if target is None:
        chosen = rows.detach().argmax(dim=-1)
    else:
        index = labels.index(target) if isinstance(target, str) else target
        chosen = torch.full((len(step_rows),), index)
    return cross_entropy(rows, chosen)


def _collect(rec: Any, x: Any, logits: Any, objective: Any, states: dict) -> dict:
    """The values of :func:`torch_values`, as float64 NumPy arrays by trace-file key."""
    import torch

    values: dict[str, np.ndarray] = {"loss": np.array(float(objective.item()))}
    for (layer, direction), record in states.items():
        for name, steps in record.items():
            stacked = torch.stack(steps)
            values[state_key(layer, direction, name)] = stacked.detach().numpy().copy()
            if name in ("h", "c"):
                grads = [torch.zeros_like(step) if step.grad is None else step.grad
                         for step in steps]
                values[grad_key(layer, direction, name)] = torch.stack(grads).numpy().copy()
    if logits is not None:
        values["logits"] = logits.detach().numpy().copy()
    values["grad.x"] = x.grad.detach().numpy().copy()
    return values
