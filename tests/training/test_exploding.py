"""Training that explodes (primer claim c), and clipping that tames it: the settings
lesson 05-exploding quotes, and others beside them (seeds, a weight-first overflow)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from rnnstudio.engine.tasks import make_task
from rnnstudio.engine.training import (
    TrainConfig,
    batch_loss,
    divergence_story,
    initial_params,
    model_config_for,
    train,
)
from rnnstudio.errors import TrainingDiverged

#: Lesson 05's run: a ReLU RNN (nothing squashes h) on sentiment, plain SGD at
#: learning rate 3, no clipping; every step reported so the climb is drawn as it happens.
EXPLODING = TrainConfig(task="sentiment", cell="rnn", nonlinearity="relu", hidden_size=16,
                        steps=60, optimizer="sgd", learning_rate=3.0, clip_norm=None, seed=2,
                        eval_every=1, eval_size=64, curriculum=0.0)


def _diverge(config: TrainConfig) -> TrainingDiverged:
    with pytest.raises(TrainingDiverged) as info:
        train(config)
    return info.value


def test_sgd_without_clipping_explodes_at_step_9_through_the_forward_pass() -> None:
    error = _diverge(EXPLODING)
    record = error.record
    assert (error.step, error.what) == (9, "training loss") and math.isnan(error.value)
    assert record.losses.shape == record.grad_norms.shape == (9,)
    # Between 0.3 and 6 for five steps, then thirteen decades in three (5.5 -> 2e14).
    norms = record.grad_norms
    assert norms[0] == pytest.approx(0.33, abs=0.005)
    assert norms[:5].min() > 0.3 and norms[:5].max() < 6
    assert norms[4] == pytest.approx(5.5, abs=0.05)
    assert np.all(np.diff(norms[4:8]) > 0) and 13 <= np.log10(norms[7] / norms[4]) < 14
    assert record.last_finite(norms) == (8, pytest.approx(2.0e14, rel=0.05))
    assert record.last_finite(record.losses) == (8, pytest.approx(1.1e14, rel=0.05))
    # No weight is non-finite yet: the hidden state overflowed float32 first.
    name, size = record.largest_weight
    assert name == "rnn.weight_hh_l0" and 1e14 < size < 1e15
    assert record.train_seconds > 0
    story = divergence_story(error)
    assert story.startswith("At step 9 the loss became nan: the forward pass overflowed "
                            "(rnn.weight_hh_l0 had grown to 6e+14). Last finite loss "
                            "1.1e+14 at step 8; gradient norm 0.33 at step 1, 2e+14 at step 8.")


def test_the_next_update_would_make_every_weight_nan() -> None:
    """The primer's "weights overflow to NaN": at step 9 the gradient of every weight is
    NaN, so one more update would have made all of them NaN; the trainer stops first."""
    model_config = model_config_for(EXPLODING, make_task("sentiment"))
    rng = np.random.default_rng(EXPLODING.seed)
    params = initial_params(model_config, rng, EXPLODING.forget_bias)
    task = make_task("sentiment")
    with np.errstate(all="ignore"):
        for step in range(1, 10):
            loss, _, grads, _ = batch_loss(model_config, params, task.sample(rng, 32), True)
            if step < 9:
                for key, grad in grads.items():
                    params[key] -= EXPLODING.learning_rate * grad
    assert math.isnan(loss)
    assert all(np.isnan(grad).any() for grad in grads.values())


def test_clipping_tames_the_same_run_but_does_not_make_it_learn() -> None:
    result = train(replace(EXPLODING, clip_norm=1.0))
    reports = result.reports
    norms = np.concatenate([report.step_grad_norms for report in reports])
    assert norms.shape == (60,) and np.isfinite(norms).all() and 5.5 < norms.max() < 6.5
    assert all(np.isfinite(value).all() for value in result.model.params.values())
    assert max(float(np.abs(value).max()) for value in result.model.params.values()) < 5
    # Finite, but each step still moves the weights by 3 (rate x max norm): at chance.
    assert {report.eval_accuracy for report in reports[-5:]} == {0.5}


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_other_seeds_explode_too_and_clipping_tames_each(seed: int) -> None:
    """At learning rate 5 every seed tried overflows within 10 steps (at 3, 2 of 6 did
    not, in 100 steps); with clipping at 1 none does."""
    config = replace(EXPLODING, seed=seed, learning_rate=5.0, steps=40, eval_every=40)
    assert _diverge(config).step <= 10
    train(replace(config, clip_norm=1.0))  # raises if it diverges


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_squashed_cells_stay_finite_at_the_same_settings(cell: str) -> None:
    """tanh keeps h in -1..1 (claim d), so the gradient cannot grow without end."""
    result = train(replace(EXPLODING, cell=cell, nonlinearity="tanh", eval_every=60))
    assert all(np.isfinite(value).all() for value in result.model.params.values())


def test_a_weight_can_overflow_before_the_loss() -> None:
    """A narrower window: the loss (4.5e36) still fits float32, the gradient does not,
    and the update makes weight_hh_l0 infinite."""
    error = _diverge(replace(EXPLODING, hidden_size=8, learning_rate=5.0, eval_every=60))
    assert (error.step, error.what) == (6, "weight rnn.weight_hh_l0")
    assert math.isinf(error.value)
    assert divergence_story(error).startswith(
        "At step 6 the weight rnn.weight_hh_l0 became -inf, the first weight to overflow. "
        "Last finite loss 4.5e+36 at step 6")


def test_reports_carry_every_step_and_the_speed_without_evaluations() -> None:
    config = TrainConfig(task="sentiment", cell="gru", hidden_size=8, steps=12,
                         eval_every=5)
    reports = train(config).reports
    assert [report.step for report in reports] == [5, 10, 12]
    assert [report.step_losses.size for report in reports] == [5, 5, 2]
    assert [report.step_grad_norms.size for report in reports] == [5, 5, 2]
    for report in reports:
        assert report.train_loss == pytest.approx(report.step_losses.mean())
        assert 0 < report.train_seconds < report.seconds  # evaluations are not counted
        assert report.steps_per_second == pytest.approx(report.step / report.train_seconds)
    assert reports[0].train_seconds < reports[1].train_seconds < reports[2].train_seconds


def test_lesson_05_offers_exactly_these_runs() -> None:
    """The numbers lesson 05 quotes are the ones asserted above: its stages offer this
    file's runs, without and with clipping."""
    from rnnstudio.view.lessons import load_lessons

    lesson = next(item for item in load_lessons() if item.name == "05-exploding")
    assert [stage.training for stage in lesson.stages] == [
        EXPLODING, replace(EXPLODING, clip_norm=1.0)]
    first, second = (" ".join(stage.notice) for stage in lesson.stages)
    for quoted in ("0.33 at step 1", "5.5 at step 5", "2e+14 at step 8", "step 9",
                   "rnn.weight_hh_l0 had grown to 6e+14"):
        assert quoted in first
    for quoted in ("All 60 steps", "(to about 6)", "none above 5", "50%", "seeds 0 to 4"):
        assert quoted in second
