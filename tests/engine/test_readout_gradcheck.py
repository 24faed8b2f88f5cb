"""Pooled readouts (final-states, mean, max): every gradient against float64 central
differences of the engine's own loss, on models with non-zero biases and initial states."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rnnstudio.engine.model import Model
from rnnstudio.errors import ConfigError

from .cases import TEXT_WITH_UNKNOWN, cell_configs, initial_states
from .engine_side import vocab_model
from .reference import random_params

EPS = 1e-6
TOL = 1e-6


def readout_model(cfg, readout: str, seed: int = 5) -> tuple[Model, np.ndarray, np.ndarray]:
    base = vocab_model(cfg, random_params(cfg, seed, vocab_size=7, classes=3), "classify")
    config = dataclasses.replace(base.config, readout=readout)
    h0, c0 = initial_states(cfg, seed + 1)
    return Model(config, base.params), h0, c0


def loss_of(model: Model, params: dict, h0, c0) -> float:
    changed = Model(model.config, params)
    return changed.trace(TEXT_WITH_UNKNOWN, loss="class:1", jacobian=False,
                         h0=h0, c0=c0).grads.loss_value


def central_difference(model: Model, h0, c0, name: str) -> np.ndarray:
    params = {key: np.array(value) for key, value in model.params.items()}
    target = h0 if name == "h0" else c0 if name == "c0" else params[name]
    numeric = np.zeros(target.shape)
    for index in np.ndindex(target.shape):
        saved = target[index]
        target[index] = saved + EPS
        above = loss_of(model, params, h0, c0)
        target[index] = saved - EPS
        below = loss_of(model, params, h0, c0)
        target[index] = saved
        numeric[index] = (above - below) / (2 * EPS)
    return numeric


CONFIGS = [p for p in cell_configs(2, True) + cell_configs(1, False)
           if p.id in ("lstm-L2-bi", "gru-L2-bi", "rnn-tanh-L1-uni", "lstm-proj-L1-uni")]


@pytest.mark.parametrize("cfg", CONFIGS)
@pytest.mark.parametrize("readout", ["final-states", "mean", "max"])
def test_pooled_readout_gradients_match_central_differences(cfg, readout):
    model, h0, c0 = readout_model(cfg, readout)
    trace = model.trace(TEXT_WITH_UNKNOWN, loss="class:1", h0=h0, c0=c0, jacobian=False)
    names = list(model.params) + ["h0"] + (["c0"] if cfg.cell == "lstm" else [])
    for name in names:
        engine = trace.grads.h0 if name == "h0" else (
            trace.grads.c0 if name == "c0" else trace.grads.params[name])
        numeric = central_difference(model, h0, c0, name)
        assert np.abs(engine - numeric).max() <= TOL + TOL * np.abs(numeric).max(), name


@pytest.mark.parametrize("readout", ["final-states", "mean", "max"])
def test_pooled_logits_are_the_head_on_the_readout_vector(readout):
    cfg = CONFIGS[0].values[0]  # 2-layer bidirectional LSTM
    model, h0, c0 = readout_model(cfg, readout)
    trace = model.trace(TEXT_WITH_UNKNOWN, loss=None, h0=h0, c0=c0)
    forward, backward = trace.layer(1, "fwd").h, trace.layer(1, "bwd").h
    top = np.concatenate([forward, backward], axis=1)  # (T, 2H)
    vector = {"final-states": np.concatenate([forward[-1], backward[0]]),
              "mean": top.mean(axis=0), "max": top.max(axis=0)}[readout]
    expected = model.params["head.weight"] @ vector + model.params["head.bias"]
    assert np.allclose(trace.logits, expected[None, :], rtol=0, atol=1e-12)


def test_last_step_reads_the_top_output_at_every_step():
    cfg = CONFIGS[0].values[0]
    model, h0, c0 = readout_model(cfg, "last-step")
    trace = model.trace(TEXT_WITH_UNKNOWN, loss=None, h0=h0, c0=c0)
    top = np.concatenate([trace.layer(1, "fwd").h, trace.layer(1, "bwd").h], axis=1)
    expected = top @ model.params["head.weight"].T + model.params["head.bias"]
    assert np.allclose(trace.logits, expected, rtol=0, atol=1e-12)


def test_unknown_or_misplaced_readout_is_refused_naming_it():
    cfg = CONFIGS[0].values[0]
    with pytest.raises(ConfigError, match="unknown readout 'pooled': use one of last-step, "
                                          "final-states, mean, max, per-step"):
        readout_model(cfg, "pooled")
    base = vocab_model(cfg, random_params(cfg, 1, vocab_size=7, classes=7), "next-token")
    with pytest.raises(ConfigError, match="the mean readout gives one verdict per text"):
        dataclasses.replace(base.config, readout="mean")


def test_training_refuses_a_pooled_readout_before_reading_the_batch():
    """The trainer reads the head per step; a pooled model config is refused, not
    silently trained as last-step."""
    from rnnstudio.engine.training import batch_loss

    model, _, _ = readout_model(CONFIGS[0].values[0], "mean")
    with pytest.raises(ConfigError, match="the mean readout is not trained here"):
        batch_loss(model.config, dict(model.params), None, backward=True)  # type: ignore[arg-type]
