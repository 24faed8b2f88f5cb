"""The shipped reviews models on the primer's cereal review (claim j), on hand-written
reviews the grammar did not write, and on fresh generated ones: every number their
cards and docs/models.md quote, re-measured."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from rnnstudio.engine.model import Model
from rnnstudio.engine.tasks import make_task
from rnnstudio.engine.training import evaluate
from rnnstudio.io import load_model
from rnnstudio.models_index import models_folder

ROOT = Path(__file__).resolve().parents[2]
CEREAL = ("Amazing! This box of cereal gave me a perfectly balanced breakfast, as all "
          "things should be. I only ate half of it but will definitely be buying again!")
FLIPPED = CEREAL.replace("Amazing", "Terrible").replace("definitely be buying again",
                                                        "never be buying again")
KEYWORDS = {"amazing", "perfectly", "balanced", "definitely", "buying"}
FADING = {"this", "gave", "all", "should"}
#: Paraphrases (product swapped, sentences reordered, words changed): (text, positive?).
PARAPHRASES = [
    (CEREAL.replace("cereal", "granola"), True),
    (CEREAL.replace("box of cereal", "bag of coffee").replace("breakfast", "morning"), True),
    ("I only ate half of it but will definitely be buying again! This box of cereal gave "
     "me a perfectly balanced breakfast, as all things should be. Amazing!", True),
    ("This box of cereal gave me a perfectly balanced breakfast. Amazing! I will "
     "definitely be buying again.", True),
    (FLIPPED.replace("cereal", "granola"), False),
    ("I only ate half of it and will never be buying again. This box of cereal gave me a "
     "stale breakfast. Terrible!", False),
]
GATED = ("lstm", "gru")


def builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_models",
                                                  ROOT / "packaging" / "build_models.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILD = builder()
MODELS = {cell: load_model(Path(str(models_folder())) / f"reviews-{cell}.safetensors")
          for cell in ("rnn", "lstm", "gru")}


def log_odds(model: Model, tokens: list[str]) -> float:
    """log P(positive) - log P(negative) after the last token."""
    logits = model.trace(tokens, loss=None, jacobian=False).logits
    assert logits is not None
    return float(logits[-1, 1] - logits[-1, 0])


def positive(model: Model, text: str) -> float:
    return float(1.0 / (1.0 + np.exp(-log_odds(model, model.tokenize(text).tokens))))


def ranked(model: Model, text: str, method: str) -> list[str]:
    """The tokens by ``method``'s score of the positive log-odds, largest first (the
    log-odds, not P(positive): it is not rounded away where P(positive) is 0.99999)."""
    result = model.attribute(text, method, target="positive", score="log-odds")
    return [result.tokens[k] for k in np.argsort(-result.scores, kind="stable")]


@pytest.mark.parametrize("cell", MODELS)
def test_held_out_accuracy_is_the_cards_on_another_seed(cell: str) -> None:
    card = MODELS[cell].config.card
    accuracy = evaluate(MODELS[cell], make_task("reviews"), 2048, 515_151,
                        card["eval"]["batch_size"])
    assert card["eval"]["seed"] != 515_151
    assert accuracy > card["held_out_accuracy"] - 0.03


@pytest.mark.parametrize("cell", MODELS)
def test_challenge_accuracy_is_the_cards(cell: str) -> None:
    reviews = BUILD.challenge_reviews(ROOT / "resources/samples/reviews_challenge.txt")
    assert len(reviews) == 50
    assert sorted(label for label, _ in reviews).count("positive") == 25
    card = MODELS[cell].config.card
    assert card["challenge"]["reviews"] == 50
    assert BUILD.challenge_accuracy(MODELS[cell], reviews) == card["challenge_accuracy"]
    assert card["challenge_accuracy"] >= (0.9 if cell in GATED else 0.85)


@pytest.mark.parametrize("cell", GATED)
def test_the_cereal_review_is_positive_with_no_unknown_word(cell: str) -> None:
    model = MODELS[cell]
    assert model.tokenize(CEREAL).unknown == []
    assert len(model.tokenize(CEREAL).tokens) == 32
    assert positive(model, CEREAL) > 0.95


@pytest.mark.parametrize("cell", GATED)
def test_its_keywords_decide_the_verdict_not_its_punctuation(cell: str) -> None:
    model = MODELS[cell]
    assert positive(model, FLIPPED) < 0.05
    assert positive(model, CEREAL.replace("!", "")) > 0.95
    assert positive(model, FLIPPED.replace("!", "")) < 0.05


@pytest.mark.parametrize("cell", GATED)
@pytest.mark.parametrize("method", ["occlusion", "gradient-x-input"])
def test_attribution_ranks_keywords_above_the_words_a_reader_lets_fade(
        cell: str, method: str) -> None:
    """The issue's proof: by occlusion and by gradient x input, a keyword is among the
    five top tokens and "this", "gave", "all", "should" are not."""
    top = ranked(MODELS[cell], CEREAL, method)[:5]
    assert set(top) & KEYWORDS, top
    assert not set(top) & FADING, top


@pytest.mark.parametrize("cell", GATED)
@pytest.mark.parametrize(("text", "is_positive"), PARAPHRASES)
def test_paraphrases_keep_the_verdict(cell: str, text: str, is_positive: bool) -> None:
    assert (positive(MODELS[cell], text) > 0.5) == is_positive


def test_what_the_rnn_does_with_the_cereal_review() -> None:
    """docs/models.md: the RNN says positive too, but the flipped review stays positive
    (0.64): "terrible" 32 tokens before the end has faded from its state, and the
    "never" near the end alone does not outweigh the rest."""
    rnn = MODELS["rnn"]
    assert positive(rnn, CEREAL) > 0.95
    assert positive(rnn, FLIPPED) == pytest.approx(0.643, abs=0.005)
    # "will definitely be buying again" decides
    assert ranked(rnn, CEREAL, "occlusion")[:2] == ["be", "buying"]


@pytest.mark.parametrize("cell", MODELS)
def test_terrible_alone_does_not_flip_it_by_the_tasks_own_rule(cell: str) -> None:
    """Only "amazing" -> "terrible": every model stays positive, as the grammar's rule
    says (-3 for "terrible", +3 for "perfectly balanced", +2 x 3 for the repurchase
    intent after "but"); only with "never be buying again" does the gated models'
    verdict flip (test above)."""
    assert positive(MODELS[cell], CEREAL.replace("Amazing", "Terrible")) > 0.95
