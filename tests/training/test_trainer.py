"""The NumPy trainer: batched gradients equal per-example ones, loss goes down,
runs are reproducible and cancellable."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine.optimizers import Adam, clip_by_norm
from rnnstudio.engine.tasks import Batch, make_task, span_starts
from rnnstudio.engine.training import (
    TrainConfig,
    batch_loss,
    evaluate,
    initial_params,
    model_config_for,
    train,
)
from rnnstudio.errors import Cancelled


def _setup(cell: str, task_name: str) -> tuple:
    config = TrainConfig(task=task_name, cell=cell, hidden_size=6, input_size=4)
    task = make_task(task_name)
    model_config = model_config_for(config, task)
    params = initial_params(model_config, np.random.default_rng(0), forget_bias=1.0)
    params = {k: v.astype(np.float64) for k, v in params.items()}
    return task, model_config, params


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("task_name", ["recall", "idioms", "charlm"])
def test_batched_gradient_is_mean_of_per_example_gradients(cell: str, task_name: str) -> None:
    task, model_config, params = _setup(cell, task_name)
    batch = task.sample(np.random.default_rng(1), 5)
    loss, _, grads, _ = batch_loss(model_config, params, batch, True)
    mean = {k: np.zeros_like(v) for k, v in grads.items()}
    losses = []
    for b in range(5):
        targets = None if batch.targets is None else batch.targets[..., b : b + 1]
        one = Batch([batch.tokens[b]], targets)
        loss_b, _, grads_b, _ = batch_loss(model_config, params, one, True)
        losses.append(loss_b)
        for k in mean:
            mean[k] += grads_b[k] / 5
    assert loss == pytest.approx(np.mean(losses), rel=1e-5)
    for k in grads:
        scale = np.abs(grads[k]).max() + 1e-12
        assert np.abs(grads[k] - mean[k]).max() / scale < 1e-5, k


def test_batch_gradient_matches_finite_differences() -> None:
    task, model_config, params = _setup("lstm", "sentiment")
    batch = task.sample(np.random.default_rng(2), 3)
    _, _, grads, _ = batch_loss(model_config, params, batch, True)
    rng = np.random.default_rng(3)
    for name in ("rnn.weight_hh_l0", "embedding.weight", "head.bias"):
        index = tuple(rng.integers(s) for s in params[name].shape)
        eps = 1e-3  # the forward runs in float32
        plus = {k: v.copy() for k, v in params.items()}
        minus = {k: v.copy() for k, v in params.items()}
        plus[name][index] += eps
        minus[name][index] -= eps
        numeric = (batch_loss(model_config, plus, batch, False)[0]
                   - batch_loss(model_config, minus, batch, False)[0]) / (2 * eps)
        assert grads[name][index] == pytest.approx(numeric, abs=2e-4, rel=2e-2), name


@pytest.mark.parametrize(
    ("task_name", "cell", "steps"),
    [("recall", "lstm", 80), ("sentiment", "gru", 400), ("brackets", "lstm", 80),
     ("adding", "gru", 400), ("charlm", "rnn", 80), ("idioms", "rnn", 80)],
)
def test_training_reduces_held_out_loss(task_name: str, cell: str, steps: int) -> None:
    config = TrainConfig(task=task_name, cell=cell, hidden_size=16, steps=steps, batch_size=16,
                         eval_every=steps // 8, eval_size=64, learning_rate=0.02)
    result = train(config)
    first, last = result.reports[0], result.reports[-1]
    assert len(result.reports) == 8
    assert last.eval_loss < 0.9 * first.eval_loss
    assert last.grad_norms.shape == (len(make_task(task_name).sample(
        np.random.default_rng(config.seed + 1_000_003), 1).tokens[0]),)


def test_training_is_reproducible_from_seed() -> None:
    config = TrainConfig(task="adding", cell="gru", hidden_size=8, steps=15, eval_every=5)
    a, b = train(config), train(config)
    for name, value in a.model.params.items():
        np.testing.assert_array_equal(value, b.model.params[name])
    c = train(TrainConfig(task="adding", cell="gru", hidden_size=8, steps=15, eval_every=5,
                          seed=1))
    name = "rnn.weight_hh_l0"
    assert not np.array_equal(a.model.params[name], c.model.params[name])
    assert a.model.config.card["train"]["seed"] == 0


def test_training_can_be_cancelled_and_reports_progress() -> None:
    seen: list[tuple[int, int]] = []

    def stop() -> bool:
        return len(seen) >= 3

    with pytest.raises(Cancelled):
        train(TrainConfig(task="sentiment", cell="rnn", hidden_size=8, steps=50),
              should_stop=stop, on_progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 50), (2, 50), (3, 50)]


def test_clipping_scales_to_the_global_norm() -> None:
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    assert clip_by_norm(grads, 1.0) == pytest.approx(5.0)
    total = np.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))
    assert total == pytest.approx(1.0)
    np.testing.assert_allclose(grads["a"], [0.6, 0.0])
    untouched = {"a": np.array([0.3, 0.4])}
    assert clip_by_norm(untouched, 1.0) == pytest.approx(0.5)
    np.testing.assert_allclose(untouched["a"], [0.3, 0.4])


def test_only_a_bidirectional_tagger_tags_the_ambiguous_word() -> None:
    """At "under" in "... under the weather" the deciding word is two steps ahead: a
    forward-only tagger is at chance on the first word of every phrase, a bidirectional
    one is right (the claim the idioms lesson makes)."""
    task = make_task("idioms")
    at_starts = {}
    for bidirectional in (False, True):
        config = TrainConfig(task="idioms", cell="lstm", hidden_size=16, steps=250,
                             bidirectional=bidirectional, eval_every=250)
        model = train(config).model
        at_starts[bidirectional] = evaluate(model, task, 512, 5, 32, span_starts)
        assert evaluate(model, task, 512, 5, 32) > (0.97 if bidirectional else 0.8)
    assert at_starts[True] > 0.97
    assert 0.35 < at_starts[False] < 0.65


def test_adam_updates_every_parameter_as_the_textbook_does() -> None:
    """Three updates of parameters of two dtypes against Adam written per parameter, the
    way the trainer did before the flat moments: bit for bit."""
    rng = np.random.default_rng(4)
    params = {"a": rng.normal(size=(3, 4)).astype(np.float32),
              "b": rng.normal(size=5).astype(np.float32), "c": rng.normal(size=(2, 2))}
    expected = {name: value.copy() for name, value in params.items()}
    moments = {name: (np.zeros_like(value), np.zeros_like(value))
               for name, value in params.items()}
    optimizer = Adam(0.01)
    for count in range(1, 4):
        grads = {name: rng.normal(size=value.shape).astype(value.dtype)
                 for name, value in params.items()}
        optimizer.update(params, grads)
        for name, grad in grads.items():
            first, second = moments[name]
            first = 0.9 * first + 0.1 * grad
            second = 0.999 * second + 0.001 * grad * grad
            moments[name] = (first, second)
            corrected = first / (1 - 0.9**count)
            scale = np.sqrt(second / (1 - 0.999**count)) + 1e-8
            expected[name] -= 0.01 * corrected / scale
    for name, value in params.items():
        assert value.dtype == expected[name].dtype
        np.testing.assert_array_equal(value, expected[name], err_msg=name)


def test_training_steps_may_leave_out_the_gradient_norms() -> None:
    """``grad_norms=False`` changes nothing but the norms: same loss, same gradients."""
    task, model_config, params = _setup("lstm", "recall")
    batch = task.sample(np.random.default_rng(6), 4)
    loss, accuracy, grads, norms = batch_loss(model_config, params, batch, True)
    loss_b, accuracy_b, grads_b, norms_b = batch_loss(model_config, params, batch, True,
                                                      grad_norms=False)
    assert (loss_b, accuracy_b) == (loss, accuracy)
    assert norms.shape == (len(batch.tokens[0]),) and norms.min() > 0 and norms_b.size == 0
    for name, value in grads.items():
        np.testing.assert_array_equal(grads_b[name], value, err_msg=name)
