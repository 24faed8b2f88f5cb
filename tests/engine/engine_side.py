"""The few calls the proofs make into ``rnnstudio`` (docs/api.md), kept in one place."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnstudio.engine import losses
from rnnstudio.engine.config import RecurrentConfig
from rnnstudio.engine.model import Model, ModelConfig, random_model
from rnnstudio.engine.tokenizers import Tokenizer

from .cases import LABELS, TEXT, TEXT_WITH_UNKNOWN, VOCABULARY, initial_states
from .reference import LossSpec, Problem, random_params


def bare_model(cfg: RecurrentConfig, params: dict, dtype: str = "float64") -> Model:
    """A model with a hashed embedding and the given ``rnn.*`` weights."""
    base = random_model(
        cfg.cell,
        cfg.hidden_size,
        input_size=cfg.input_size,
        num_layers=cfg.num_layers,
        nonlinearity=cfg.nonlinearity,
        bidirectional=cfg.bidirectional,
        proj_size=cfg.proj_size,
        bias=cfg.bias,
        dtype=dtype,
        reset_after=cfg.reset_after,
    )
    return Model(base.config, {name: value.astype(dtype) for name, value in params.items()})


def engine_loss(spec: LossSpec):
    if spec.kind == "last-output-sum":
        return losses.LastOutputSum()
    if spec.kind == "probe":
        return losses.Probe(
            spec.step, spec.unit, layer=spec.layer, direction=spec.direction, quantity=spec.quantity
        )
    if spec.kind == "class":
        return losses.ClassCrossEntropy(spec.target)
    if spec.kind in ("tag", "tag-all"):
        return losses.TagCrossEntropy(spec.step if spec.kind == "tag" else None, spec.target)
    return losses.NextTokenCrossEntropy()


def trace(model: Model, spec: LossSpec | None, h0=None, c0=None, text: str = TEXT,
          interventions=()):
    """``model.trace`` with the loss ``spec``, optional initial states and interventions."""
    kwargs = {"interventions": interventions} if interventions else {}
    if h0 is not None:
        kwargs["h0"] = h0
    if c0 is not None:
        kwargs["c0"] = c0
    return model.trace(text, loss=None if spec is None else engine_loss(spec), **kwargs)


@dataclass
class Case:
    """One traced engine model and the reference problem that must compute the same loss."""

    model: Model
    trace: object
    problem: Problem


def bare_case(
    cfg: RecurrentConfig,
    spec: LossSpec,
    seed: int = 0,
    *,
    states: bool = True,
    dtype: str = "float64",
    text: str = TEXT,
    scale: float = 0.6,
    interventions=(),
    edit=None,
) -> Case:
    """Random non-zero weights, biases and initial states on a hashed-embedding model.

    The reference gets the weights and states exactly as the engine holds them (rounded to
    ``dtype``), in float64; the engine traces with ``interventions`` and the reference
    computes with ``edit`` (the same edits, see ``reference.run``).
    """
    params = rounded(random_params(cfg, seed, scale=scale), dtype)
    h0, c0 = initial_states(cfg, seed + 1) if states else zero_states(cfg)
    h0, c0 = rounded(h0, dtype), rounded(c0, dtype)
    model = bare_model(cfg, params, dtype)
    traced = trace(model, spec, h0 if states else None, c0 if states else None, text,
                   interventions)
    x = np.asarray(traced.x, dtype=np.float64)
    problem = Problem(cfg, params, x, h0, c0, spec, np.asarray(traced.token_ids))
    if edit is not None:
        problem.edit = edit
    return Case(model, traced, problem)


def vocab_case(cfg: RecurrentConfig, spec: LossSpec, seed: int = 0) -> Case:
    """A model with an embedding table over VOCABULARY and a readout head: LABELS for a
    class or tag loss, the vocabulary for next-token. Its text has an unknown word."""
    task = {"class": "classify", "tag": "tag", "tag-all": "tag"}.get(spec.kind, "next-token")
    classes = len(VOCABULARY) if task == "next-token" else len(LABELS)
    params = random_params(cfg, seed, vocab_size=len(VOCABULARY), classes=classes)
    h0, c0 = initial_states(cfg, seed + 1)
    model = vocab_model(cfg, params, task)
    traced = trace(model, spec, h0, c0, text=TEXT_WITH_UNKNOWN)
    ids = np.asarray(traced.token_ids)
    problem = Problem(cfg, params, params["embedding.weight"][ids], h0, c0, spec, ids)
    return Case(model, traced, problem)


def vocab_model(cfg: RecurrentConfig, params: dict, task: str | None) -> Model:
    """A float64 word model over VOCABULARY with an embedding table and, with a task, a head."""
    config = ModelConfig(
        recurrent=cfg,
        tokenizer=Tokenizer("word", VOCABULARY),
        embedding="table",
        task=task,
        labels=LABELS if task in ("classify", "tag") else (),
        dtype="float64",
    )
    return Model(config, params)


def rounded(values, dtype: str):
    """Values as the engine stores them in ``dtype``, back in float64 (None stays None)."""
    if values is None:
        return None
    if isinstance(values, dict):
        return {name: rounded(value, dtype) for name, value in values.items()}
    return np.asarray(values).astype(dtype).astype(np.float64)


def zero_states(cfg: RecurrentConfig) -> tuple[np.ndarray, np.ndarray | None]:
    rows = cfg.num_layers * cfg.num_directions
    c0 = np.zeros((rows, cfg.hidden_size)) if cfg.cell == "lstm" else None
    return np.zeros((rows, cfg.output_size)), c0
