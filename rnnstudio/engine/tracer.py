"""Run a model over one text: forward, loss, backward through time, Jacobian norms."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .interventions import Intervention
from .losses import Loss, LossInputs, parse_loss
from .readout import embedding_backward, head_backward
from .stack import StackCache
from .tokenizers import Tokens
from .trace import Gradients, LayerTrace, Trace, find_nonfinite

if TYPE_CHECKING:
    from .model import Model

StateKey = tuple[int, str, str]


def _states(cache: StackCache) -> dict[StateKey, np.ndarray]:
    """h and c of every layer and direction, forward time, (T, B, n)."""
    out = {}
    for key in cache.caches:
        record = cache.record(key)
        out[key + ("h",)] = record["h"]
        if "c" in record:
            out[key + ("c",)] = record["c"]
    return out


def _layer_traces(cache: StackCache) -> dict[tuple[int, str], LayerTrace]:
    traces = {}
    for key in cache.caches:
        record = {k: np.ascontiguousarray(v[:, 0]) for k, v in cache.record(key).items()}
        hidden, cell = record.pop("h"), record.pop("c", None)
        traces[key] = LayerTrace(hidden, cell, record)
    return traces


def _progress(on_progress: Callable[[int, int], None] | None, done: int, total: int) -> None:
    if on_progress is not None:
        on_progress(done, total)


def run_trace(
    model: Model,
    tokens: Tokens,
    loss: str | Loss | None,
    grad_dtype: np.dtype,
    jacobian: bool,
    h0: np.ndarray | None,
    c0: np.ndarray | None,
    should_stop: Callable[[], bool] | None,
    on_progress: Callable[[int, int], None] | None,
    interventions: tuple[Intervention, ...] = (),
) -> Trace:
    """See :meth:`Model.trace` (``interventions`` checked already). Overflow does not
    fail: the trace is returned with ``nonfinite`` naming where the first NaN or inf
    appeared."""
    started = time.perf_counter()
    rec = model.config.recurrent
    passes = len(model.stack.keys())
    total = passes * (1 + (loss is not None) + (loss is not None and jacobian))
    x = model.embed(tokens.ids)
    initial_h, initial_c = model.initial_states(h0, c0)
    with np.errstate(all="ignore"):  # overflow is reported through `nonfinite`
        cache = model.stack.forward(x[:, None, :], model.dtype, initial_h, initial_c,
                                    should_stop, edits=model.layer_edits(
                                        interventions, len(tokens.ids)))
        _progress(on_progress, passes, total)
        top = cache.outputs[-1]
        logits = model.head(top)
        states = _states(cache)
        forward_arrays = {**states}
        if logits is not None:
            forward_arrays[rec.num_layers - 1, "head", "logits"] = logits
        trace = Trace(
            config=model.config,
            tokens=tokens.tokens,
            token_ids=tokens.ids,
            unknown=tokens.unknown,
            x=x,
            layers=_layer_traces(cache),
            logits=None if logits is None else np.ascontiguousarray(logits[:, 0]),
            nonfinite=find_nonfinite(forward_arrays, tokens.tokens),
            h0=h0,
            c0=c0,
            interventions=interventions,
        )
        if loss is not None:
            loss_obj = parse_loss(loss) if isinstance(loss, str) else loss
            trace.grads = _backward(model, cache, tokens, logits, loss_obj, grad_dtype,
                                    jacobian, should_stop)
            _progress(on_progress, total, total)
    trace.seconds = time.perf_counter() - started
    return trace


def _backward(
    model: Model,
    cache: StackCache,
    tokens: Tokens,
    logits: np.ndarray | None,
    loss: Loss,
    dtype: np.dtype,
    jacobian: bool,
    should_stop: Callable[[], bool] | None,
) -> Gradients:
    rec, cfg = model.config.recurrent, model.config
    top_layer = rec.num_layers - 1
    seeds = loss.seeds(
        LossInputs(_states(cache), logits, tokens.ids, cfg.labels, top_layer,
                   rec.directions),
        dtype,
    )
    grad_states = dict(seeds.states)
    params: dict[str, np.ndarray] = {}
    if logits is not None:
        grad_logits = np.zeros(logits.shape, dtype) if seeds.logits is None else seeds.logits
        params.update(head_backward(model.params["head.weight"], cache.outputs[-1],
                                    grad_logits, rec, grad_states, cfg.readout))
    grads = model.stack.backward(cache, grad_states, dtype, should_stop)
    assert grads.x is not None and grads.h0 is not None
    grad_x = grads.x[:, 0]
    if cfg.embedding == "table":
        params["embedding.weight"] = embedding_backward(
            model.params["embedding.weight"].shape, tokens.ids, grad_x)
    params.update(grads.params)
    squeeze = {key: np.ascontiguousarray(v[:, 0]) for key, v in grads.hidden.items()}
    squeeze_c = {key: np.ascontiguousarray(v[:, 0]) for key, v in grads.cell.items()}
    result = Gradients(
        loss_name=loss.name,
        loss_value=seeds.value,
        h=squeeze,
        c=squeeze_c,
        x=np.ascontiguousarray(grad_x),
        params=params,
        h0=grads.h0[:, 0],
        c0=None if grads.c0 is None else grads.c0[:, 0],
    )
    if jacobian:
        result.jacobian = model.stack.jacobian_norms(cache, dtype, should_stop)
    named = {key + ("grad h",): v for key, v in squeeze.items()}
    named.update({key + ("grad c",): v for key, v in squeeze_c.items()})
    result.nonfinite = find_nonfinite(named, tokens.tokens)
    return result
