"""``score="log-odds"``: s = log p(t) - log(1 - p(t)), checked against central differences
of the textbook reference, IG's completeness, and a verdict so sure that log p rounds
to 0 while the log-odds still reads the model."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine.attribution import attribute
from rnnstudio.engine.model import Model
from rnnstudio.errors import ConfigError

from .cases import LABELS, VOCABULARY
from .reference import central_difference
from .test_attribution import DISTINCT, model_for, reference_score

CASES = [(kind, task) for kind in ("rnn-tanh", "lstm", "lstm-proj", "gru", "gru-before")
         for task in ("classify", "tag", "next-token")]


@pytest.mark.parametrize(("kind", "task"), CASES)
def test_log_odds_gradients_match_central_differences(kind, task):
    model, params = model_for(kind, task, 2, task != "next-token")
    step = None if task == "classify" else 2
    norm = attribute(model, DISTINCT, "gradient-norm", step=step, score="log-odds")
    times_input = attribute(model, DISTINCT, "gradient-x-input", step=step, score="log-odds")
    names = VOCABULARY if task == "next-token" else LABELS
    score, x = reference_score(model, params, DISTINCT, norm.step, names.index(norm.target),
                               "log-odds")
    gradient = central_difference(score, x, eps=1e-6)
    np.testing.assert_allclose(norm.scores, np.linalg.norm(gradient, axis=1), rtol=1e-6,
                               atol=1e-9)
    np.testing.assert_allclose(times_input.scores, (gradient * x).sum(axis=1), rtol=1e-6,
                               atol=1e-9)
    assert norm.score == pytest.approx(score(x[None])[0], abs=1e-10)
    assert norm.score_kind == "log-odds" and "log-odds" in norm.definition


@pytest.mark.parametrize(("kind", "task"), [("lstm", "classify"), ("gru", "tag")])
def test_integrated_gradients_of_the_log_odds_is_complete(kind, task):
    model, _ = model_for(kind, task, 2, True)
    result = attribute(model, DISTINCT, "integrated-gradients", steps=2048, score="log-odds")
    assert abs(result.completeness_gap) <= 1e-6
    assert result.scores.sum() == pytest.approx(result.score - result.baseline_score,
                                                abs=1e-6)


def test_occlusion_of_the_log_odds_is_the_change_of_log_p_minus_log_1_minus_p():
    model, _ = model_for("gru", "classify")
    log_p = attribute(model, DISTINCT, "occlusion")
    odds = attribute(model, DISTINCT, "occlusion", score="log-odds")
    p = np.exp(log_p.score)
    assert odds.score == pytest.approx(np.log(p) - np.log1p(-p), abs=1e-12)
    occluded_p = np.exp(log_p.score - log_p.scores)  # s(x) - score_t = s(occluded)
    expected = odds.score - (np.log(occluded_p) - np.log1p(-occluded_p))
    np.testing.assert_allclose(odds.scores, expected, atol=1e-10)


def test_a_saturated_verdict_still_has_attributions_in_log_odds():
    """The head scaled until the verdict's margin is 40: p is within 1e-17 of 1, so log p
    and its every attribution round to 0, while the log-odds is 40 and moved by the
    words."""
    model, params = model_for("lstm", "classify")
    logits = model.trace(DISTINCT, loss=None, jacobian=False).logits[-1]
    gain = 40 / (logits.max() - np.sort(logits)[-2])
    sure = Model(model.config, {**params, "head.weight": gain * params["head.weight"],
                                "head.bias": gain * params["head.bias"]})
    log_p = attribute(sure, DISTINCT, "gradient-x-input")
    odds = attribute(sure, DISTINCT, "gradient-x-input", score="log-odds")
    assert np.abs(log_p.scores).max() < 1e-12 and log_p.score > -1e-12
    logits = sure.trace(DISTINCT, loss=None, jacobian=False).logits[-1]
    target = LABELS.index(odds.target)
    others = np.delete(logits, target)
    exact = logits[target] - (others.max() + np.log(np.exp(others - others.max()).sum()))
    assert odds.score == pytest.approx(exact, rel=1e-12) and odds.score > 39
    assert np.abs(odds.scores).max() > 1.0


def test_score_is_checked_and_a_bare_stack_takes_none():
    model, _ = model_for("lstm", "classify")
    assert attribute(model, DISTINCT).score_kind == "log-p"
    with pytest.raises(ConfigError, match="log-p, log-odds, got 'odds'"):
        attribute(model, DISTINCT, score="odds")
    bare, _ = model_for("lstm", None)
    assert attribute(bare, DISTINCT).score_kind == "output-sum"
    with pytest.raises(ConfigError, match="no score"):
        attribute(bare, DISTINCT, score="log-odds")
