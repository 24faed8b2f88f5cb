"""The same interventions written by hand in a PyTorch step loop (autograd gives the
gradients): the engine's edited trace and its BPTT agree with it."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine import random_model

torch = pytest.importorskip("torch")

TEXT = "the cat sat on the mat and the dog ran off"
EDITS = ["f=1:units=0-3:steps=4-", "i=0:units=0-3:steps=4-", "h*0.5:units=5,6:steps=2-7",
         "c=0.25:units=9:steps=6", "o*0:units=11"]


def torch_lstm_edited(params: dict, x: np.ndarray, steps: int):
    """nn.LSTM's equations step by step with EDITS in place: ``torch.where`` for a set
    (no gradient reaches the made value), a product for a scale."""
    w_ih, w_hh = (torch.tensor(params[f"rnn.{name}_l0"]) for name in ("weight_ih", "weight_hh"))
    bias = torch.tensor(params["rnn.bias_ih_l0"] + params["rnn.bias_hh_l0"])
    size = w_hh.shape[1]
    units = torch.arange(size)
    inputs = torch.tensor(x, requires_grad=True)
    h, c = torch.zeros(size, dtype=torch.float64), torch.zeros(size, dtype=torch.float64)
    hidden, cells = [], []
    for t in range(steps):
        i, f, g, o = (w_ih @ inputs[t] + w_hh @ h + bias).chunk(4)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        if t >= 4:
            f = torch.where(units < 4, torch.ones_like(f), f)
            i = torch.where(units < 4, torch.zeros_like(i), i)
        o = o * torch.where(units == 11, 0.0, 1.0)
        c = f * c + i * g
        if t == 6:
            c = torch.where(units == 9, torch.full_like(c, 0.25), c)
        h = o * torch.tanh(c)
        if 2 <= t <= 7:
            h = h * torch.where((units == 5) | (units == 6), 0.5, 1.0)
        h.retain_grad()
        c.retain_grad()
        hidden.append(h)
        cells.append(c)
    hidden[-1].sum().backward()
    return hidden, cells, inputs


def test_the_engine_replays_what_torch_computes_by_hand() -> None:
    model = random_model("lstm", 12, input_size=8, dtype="float64", seed=5)
    trace = model.trace(TEXT, loss="last-output-sum", interventions=EDITS)
    hidden, cells, inputs = torch_lstm_edited(model.state_dict(), trace.x, trace.steps)
    layer, grads = trace.layer(0), trace.grads
    np.testing.assert_allclose(layer.h, torch.stack(hidden).detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.c, torch.stack(cells).detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(grads.h[0, "fwd"], torch.stack([h.grad for h in hidden]).numpy(),
                               atol=1e-12)
    np.testing.assert_allclose(grads.c[0, "fwd"], torch.stack([c.grad for c in cells]).numpy(),
                               atol=1e-12)
    np.testing.assert_allclose(grads.x, inputs.grad.numpy(), atol=1e-12)
    assert (layer.c[4:, :4] == layer.c[3, :4]).all()
