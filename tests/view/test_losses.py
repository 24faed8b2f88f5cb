"""The Loss box: the entries a model offers, and the entry a loss in force belongs to."""

from __future__ import annotations

import pytest

from rnnstudio.engine.losses import ClassCrossEntropy, Probe, TagCrossEntropy, parse_loss
from rnnstudio.io.model_source import ModelSource
from rnnstudio.view.losses import Where, entry_key, loss_entries, loss_note

WHERE = Where(step=3, unit=5, layer=0, direction="bwd")


def _entries(key: str):  # type: ignore[no-untyped-def]
    config = ModelSource.shipped(key).load().config
    return {entry.key: entry for entry in loss_entries(config)}


def test_a_tagger_offers_its_tag_losses_first_and_makes_them_at_the_cursor() -> None:
    entries = _entries("idioms-lstm")
    keys = list(entries)
    assert keys[0] == "tag" and keys[-2:] == ["last-output-sum", "probe"]
    assert entries["tag@cursor"].make(WHERE) == TagCrossEntropy(3)
    assert entries["tag@cursor:idiom"].make(WHERE) == TagCrossEntropy(3, "idiom")
    assert entries["probe"].make(WHERE) == Probe(3, 5, "h", 0, "bwd")


def test_a_classifier_offers_the_predicted_class_and_each_label() -> None:
    entries = _entries("sentiment-lstm")
    assert list(entries)[:3] == ["class", "class:negative", "class:positive"]
    assert entries["class:positive"].make(WHERE) == ClassCrossEntropy("positive")


@pytest.mark.parametrize("key", ["sentiment-lstm", "idioms-gru", "charlm-lstm", "recall-rnn"])
def test_every_entry_makes_a_loss_that_belongs_to_it(key: str) -> None:
    for entry in _entries(key).values():
        loss = entry.make(WHERE)
        assert entry_key(loss) == entry.key
        assert parse_loss(loss.name) == loss


def test_the_note_names_what_the_box_cannot() -> None:
    tokens = ["under", "the", "weather", "today"]
    assert loss_note(ClassCrossEntropy(), tokens, listed=True) == ""
    assert loss_note(TagCrossEntropy(2), tokens, listed=True).endswith("“weather” (step 2)")
    assert loss_note(ClassCrossEntropy(1), tokens, listed=False) == (
        "cross-entropy of the class “1” at the last step")
