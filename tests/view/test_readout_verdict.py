"""The window's verdict line claims no prefix verdict for a classifier whose readout reads
the whole text (final-states, mean, max)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rnnstudio.engine.model import Model, random_model
from rnnstudio.view.readout import softmax, step_readout

TEXT = "the cat sat on the mat"


def classifier(readout: str, bidirectional: bool = False) -> Model:
    base = random_model("lstm", 4, input_size=3, bidirectional=bidirectional, seed=4)
    rng = np.random.default_rng(1)
    width = 4 * (1 + bidirectional)
    params = {**base.params, "head.weight": rng.normal(size=(2, width)).astype(np.float32),
              "head.bias": rng.normal(size=2).astype(np.float32)}
    config = dataclasses.replace(base.config, task="classify", labels=("neg", "pos"),
                                 readout=readout)
    return Model(config, params)


@pytest.mark.parametrize("readout", ["final-states", "mean", "max"])
def test_pooled_readout_shows_only_the_verdict_after_the_last_token(readout):
    trace = classifier(readout, bidirectional=readout == "final-states").trace(TEXT, loss=None)
    verdict = softmax(trace.logits[-1])
    for step in range(len(trace.tokens) - 1):
        line = step_readout(trace, step)
        assert line is not None
        assert line.lead == (f"{readout} readout reads the whole text: verdict after the "
                             "last token “mat”")
        assert "ended" not in line.lead
        assert dict(line.choices) == pytest.approx({"neg": verdict[0], "pos": verdict[1]})
    assert step_readout(trace, len(trace.tokens) - 1).lead == "Verdict at the last token “mat”"


def test_last_step_readout_keeps_the_verdict_if_the_text_ended_there():
    trace = classifier("last-step").trace(TEXT, loss=None)
    line = step_readout(trace, 1)
    assert line.lead == "Verdict if the text ended at “cat”"
    assert dict(line.choices)["pos"] == pytest.approx(softmax(trace.logits[1])[1])
    assert not np.allclose(trace.logits[1], trace.logits[-1])
