"""Readouts as PyTorch classifiers are built: ``fc(cat(hidden[-2], hidden[-1]))`` (the
tutorial bidirectional classifier), a mean-pool and a max-pool head; float64 logits, loss
and every gradient against autograd."""

from __future__ import annotations

import numpy as np
import pytest

from .cases import TEXT_WITH_UNKNOWN, make_config
from .test_readout_gradcheck import readout_model
from .test_torch_parity import cell_loop

torch = pytest.importorskip("torch")

EXACT = 1e-10
TARGET = 1


def torch_classifier(model, readout: str, ids, h0, c0):
    """Logits, loss and the tensors whose gradients are compared, from ``torch.nn``."""
    cfg = model.config.recurrent
    kind = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cfg.cell]
    rnn = kind(cfg.input_size, cfg.hidden_size, cfg.num_layers,
               bidirectional=cfg.bidirectional).double()
    rnn.load_state_dict({name[4:]: torch.tensor(np.array(value))
                         for name, value in model.params.items() if name.startswith("rnn.")})
    params = {name: torch.tensor(np.array(value), requires_grad=True)
              for name, value in model.params.items() if not name.startswith("rnn.")}
    params.update({"rnn." + name: tensor for name, tensor in rnn.named_parameters()})
    x = params["embedding.weight"][torch.tensor(ids)][:, None, :]
    x.retain_grad()
    initial_h = torch.tensor(h0[:, None, :], requires_grad=True)
    initial_c = None if c0 is None else torch.tensor(c0[:, None, :], requires_grad=True)
    output, state = rnn(x, initial_h if initial_c is None else (initial_h, initial_c))
    hidden = state[0] if cfg.cell == "lstm" else state
    output.retain_grad()
    hidden.retain_grad()
    if readout == "final-states":
        vector = torch.cat((hidden[-2], hidden[-1]), dim=1)
    elif readout == "mean":
        vector = output.mean(dim=0)
    else:
        vector = output.max(dim=0).values
    logits = vector @ params["head.weight"].T + params["head.bias"]
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor([TARGET]))
    loss.backward()
    grads = {name: tensor.grad.numpy() for name, tensor in params.items()
             if name.startswith(("rnn.", "head."))}
    grads["x"], grads["h0"] = x.grad[:, 0].numpy(), initial_h.grad[:, 0].numpy()
    if initial_c is not None:
        grads["c0"] = initial_c.grad[:, 0].numpy()
    return logits.detach().numpy()[0], float(loss.detach()), grads


def torch_state_gradients(model, readout: str, x: np.ndarray, h0, c0) -> dict:
    """Total dL/dh_t per (layer, direction) from a cell-by-cell torch loop (``nn.LSTM``
    keeps no per-step graph nodes), its readout written as above."""
    cfg = model.config.recurrent
    weights = {name: torch.tensor(np.array(value), requires_grad=True)
               for name, value in model.params.items()}
    initial_c = None if c0 is None else torch.tensor(c0)
    output, states = cell_loop(cfg, weights, torch.tensor(x), torch.tensor(h0), initial_c)
    top, width = cfg.num_layers - 1, cfg.hidden_size
    if readout == "final-states":
        vector = torch.cat((states["h"][top, "fwd"][-1], states["h"][top, "bwd"][0]), dim=0)
    elif readout == "mean":
        vector = output.mean(dim=0)
    else:
        vector = output.max(dim=0).values
    assert vector.shape[-1] == 2 * width
    logits = vector @ weights["head.weight"].T + weights["head.bias"]
    torch.nn.functional.cross_entropy(logits[None], torch.tensor([TARGET])).backward()
    return {key: torch.stack([h.grad for h in steps]).numpy()
            for key, steps in states["h"].items()}


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("readout", ["final-states", "mean", "max"])
def test_two_layer_bidirectional_classifier_matches_torch(cell, readout):
    cfg = make_config(cell, layers=2, bidirectional=True)
    model, h0, c0 = readout_model(cfg, readout, seed=11)
    trace = model.trace(TEXT_WITH_UNKNOWN, loss=f"class:{TARGET}", h0=h0, c0=c0,
                        jacobian=False)
    cell_states = c0 if cell == "lstm" else None
    logits, loss, gold = torch_classifier(model, readout, trace.token_ids, h0, cell_states)
    assert np.abs(trace.logits[-1] - logits).max() <= EXACT
    assert abs(trace.grads.loss_value - loss) <= EXACT
    engine = {**trace.grads.params, "x": trace.grads.x, "h0": trace.grads.h0}
    if cell == "lstm":
        engine["c0"] = trace.grads.c0
    for name, expected in gold.items():
        assert np.abs(engine[name] - expected).max() <= EXACT, name
    gold_states = torch_state_gradients(model, readout, trace.x, h0, cell_states)
    for key, expected in gold_states.items():
        assert np.abs(trace.grads.h[key] - expected).max() <= EXACT, key


def test_final_states_differ_from_last_step_on_a_bidirectional_model():
    """The issue's case: reading [fwd h_T, bwd h_T] is another classifier than h_n."""
    cfg = make_config("lstm", layers=2, bidirectional=True)
    pooled, h0, c0 = readout_model(cfg, "final-states", seed=11)
    last, _, _ = readout_model(cfg, "last-step", seed=11)
    verdict = pooled.trace(TEXT_WITH_UNKNOWN, loss=None, h0=h0, c0=c0).logits[-1]
    reading = last.trace(TEXT_WITH_UNKNOWN, loss=None, h0=h0, c0=c0).logits[-1]
    assert np.abs(verdict - reading).max() > 1e-3
