"""The worker's job, without a worker: load, tokenize once, choose the loss, trace."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine.losses import Probe, TagCrossEntropy
from rnnstudio.engine.model import Model, random_model
from rnnstudio.errors import TextError
from rnnstudio.io.model_source import ModelSource, RandomModelSpec
from rnnstudio.view.tracing import TraceRequest, compute_trace


def test_a_loss_past_the_end_of_a_shorter_text_gives_way_to_the_task_loss() -> None:
    source = ModelSource.shipped("idioms-lstm")
    long = compute_trace(TraceRequest(source, "feeling under the weather", TagCrossEntropy(3)))
    assert long.loss == TagCrossEntropy(3) and long.trace.grads.loss_name == "tag:3"
    short = compute_trace(TraceRequest(source, "feeling under", TagCrossEntropy(3), long.model))
    assert short.loss == TagCrossEntropy() and short.trace.grads.loss_name == "tag"
    probe = compute_trace(TraceRequest(source, "feeling under", Probe(-3, 0), long.model))
    assert probe.loss == TagCrossEntropy()


def test_the_text_is_tokenized_once(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = RandomModelSpec(hidden_size=4)
    model = spec.build()
    calls: list[str] = []
    original = Model.tokenize

    def counting(self: Model, text: str):  # type: ignore[no-untyped-def]
        calls.append(text)
        return original(self, text)

    monkeypatch.setattr(Model, "tokenize", counting)
    outcome = compute_trace(TraceRequest(ModelSource.random(spec), "a b c", Probe(1, 0), model))
    assert calls == ["a b c"] and outcome.loss == Probe(1, 0)
    reference = random_model("lstm", hidden_size=4).trace("a b c", loss=Probe(1, 0))
    np.testing.assert_array_equal(outcome.trace.grads.h[0, "fwd"], reference.grads.h[0, "fwd"])
    assert not outcome.trace.grads.jacobian  # separate, later work


def test_an_empty_text_is_refused_with_a_message() -> None:
    with pytest.raises(TextError, match="empty"):
        compute_trace(TraceRequest(ModelSource.random(RandomModelSpec()), "   "))
