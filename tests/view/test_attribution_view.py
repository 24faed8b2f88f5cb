"""The token strip's colouring (view/attribution.py): levels, hues, tooltip words, and the
window's attribution of the shipped sentiment model (IG refined until complete)."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine.losses import ClassCrossEntropy, LastOutputSum, TagCrossEntropy
from rnnstudio.engine.model import random_model
from rnnstudio.io.model_source import load_shipped_model
from rnnstudio.view.attribution import (
    GAP_SHARE,
    IG_STEPS,
    NEGATIVE_RGB,
    POSITIVE_RGB,
    STRIP_ATTRIBUTIONS,
    STRIP_LABELS,
    attribution_shading,
    chip_tint,
    explained_choice,
    shading_of,
    strip_attribution,
    strip_score,
)

REVIEW = ("Amazing! This box of cereal gave me a perfectly balanced breakfast, as all "
          "things should be. I only ate half of it but will definitely be buying again!")


def test_signed_levels_keep_the_sign_and_scale_by_the_largest_size():
    shading = shading_of(np.array([2.0, -4.0, 0.0, np.nan]), True, "occlusion", "s")
    np.testing.assert_array_equal(shading.levels, [0.5, -1.0, 0.0, 0.0])
    np.testing.assert_array_equal(shading.values, [2.0, -4.0, 0.0, 0.0])
    unsigned = shading_of(np.array([1.0, 3.0, np.inf]), False, "norm", "s")
    np.testing.assert_allclose(unsigned.levels, [1 / 3, 1.0, 0.0])
    assert np.all(shading_of(np.zeros(3), True, "x", "s").levels == 0.0)


def test_the_two_signs_take_two_hues_and_zero_no_tint():
    assert chip_tint(0.5, True)[:3] == POSITIVE_RGB
    assert chip_tint(-0.5, True)[:3] == NEGATIVE_RGB
    assert chip_tint(-1.0, True)[3] == chip_tint(1.0, True)[3] == 240
    assert chip_tint(0.25, True)[3] < chip_tint(0.75, True)[3]
    assert chip_tint(0.0, True) is None
    assert chip_tint(0.0, False) == (*POSITIVE_RGB, 40)  # unsigned: "measured, small"
    assert chip_tint(1.0, False) == (*POSITIVE_RGB, 240)


def test_the_tooltip_gives_the_signed_value_and_what_it_does():
    shading = shading_of(np.array([0.25, -1.0, 0.0]), True, "gradient × input", "s")
    assert shading.describe(0) == "gradient × input +0.25 (raises s; 0.25 of the largest)"
    assert shading.describe(1) == "gradient × input -1 (lowers s; 1.00 of the largest)"
    assert shading.describe(2) == "gradient × input +0 (no effect on s; 0.00 of the largest)"
    unsigned = shading_of(np.array([0.5, 2.0]), False, "||dL/dx_t||", "s")
    assert unsigned.describe(0) == "||dL/dx_t|| 0.5 (0.25 of the largest)"


def test_every_choice_has_words_and_a_session_file_value():
    assert tuple(STRIP_LABELS) == STRIP_ATTRIBUTIONS


def test_the_window_explains_the_losss_class_or_tag_else_the_prediction():
    assert explained_choice(ClassCrossEntropy("positive")) == ("positive", None)
    assert explained_choice(TagCrossEntropy(3, "idiom")) == ("idiom", 3)
    assert explained_choice(ClassCrossEntropy()) == (None, None)
    assert explained_choice(LastOutputSum()) == (None, None)
    assert explained_choice(None) == (None, None)


@pytest.fixture(scope="module")
def sentiment():
    return load_shipped_model("sentiment-lstm")


def test_integrated_gradients_in_the_window_take_the_steps_completeness_needs(sentiment):
    tokens = sentiment.tokenize(REVIEW)
    first = sentiment.attribute(tokens, "integrated-gradients", steps=IG_STEPS[0],
                                 score="log-odds")
    change = first.score - first.baseline_score
    assert abs(first.completeness_gap) > GAP_SHARE * abs(change)  # 64 steps fall short here
    shown = strip_attribution(sentiment, tokens, "integrated-gradients", ClassCrossEntropy())
    assert shown.steps > IG_STEPS[0]
    assert abs(shown.completeness_gap) <= GAP_SHARE * abs(shown.score - shown.baseline_score)
    again = sentiment.attribute(tokens, "integrated-gradients", steps=shown.steps,
                                 score="log-odds")
    np.testing.assert_array_equal(shown.scores, again.scores)
    shading = attribution_shading(shown)
    assert shading.signed and f"{shown.steps} steps, completeness gap" in shading.caption
    assert shown.definition in shading.caption


def test_a_named_class_in_the_loss_is_what_the_strip_explains(sentiment):
    tokens = sentiment.tokenize("not very good")
    shown = strip_attribution(sentiment, tokens, "occlusion", ClassCrossEntropy("positive"))
    expected = sentiment.attribute(tokens, "occlusion", target="positive",
                                    score="log-odds")
    assert shown.target == "positive" and shown.score_kind == "log-odds"
    np.testing.assert_array_equal(shown.scores, expected.scores)


def test_a_classifiers_strip_explains_the_log_odds_a_taggers_log_p(sentiment):
    assert strip_score(sentiment) == "log-odds"
    assert strip_score(load_shipped_model("idioms-gru")) == "log-p"
    assert strip_score(random_model("gru", 4, input_size=3)) is None
