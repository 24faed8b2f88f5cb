"""The readout in words, and which readouts a model's task allows (Model dock, dialog)."""

from __future__ import annotations

from rnnstudio.engine.readout import READOUTS
from rnnstudio.view.readout import (
    READOUT_WORDS,
    readout_choices,
    readout_words,
    renamed_words,
)


def test_every_readout_has_words() -> None:
    assert set(READOUT_WORDS) == set(READOUTS)
    assert readout_words("final-states", bidirectional=True) == (
        "final states: forward after the last token, backward after the first")
    assert readout_words("last-step") == "reads the head on h after the last token"
    assert "backward one has read only that token" in readout_words("last-step", True)
    assert readout_words("mean", guessed=True) == "mean over steps of the top layer's h (guessed)"


def test_pooled_readouts_only_for_a_classifier() -> None:
    assert readout_choices("classify") == READOUTS
    assert readout_choices("tag") == readout_choices("next-token") == ("last-step", "per-step")
    assert readout_choices(None) == ()


def test_renamed_submodules_in_words() -> None:
    names = (("embed", "embedding"), ("lstm", "rnn"), ("fc", "head"))
    assert renamed_words(names) == "embed → embedding, lstm → rnn, fc → head"
    assert renamed_words(()) == ""
