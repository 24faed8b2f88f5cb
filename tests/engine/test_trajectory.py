"""PCA of a text's states against numpy's SVD, a basis carried to another text, and the
edge cases: one token, every state equal."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio import random_model
from rnnstudio.engine.trajectory import check_basis, fit_pca, model_fingerprint
from rnnstudio.errors import ConfigError


def _states(seed: int = 0, count: int = 30, width: int = 8) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(count, width)) @ rng.normal(size=(width, width))


def test_components_variance_and_points_equal_numpy_svd() -> None:
    states = _states()
    basis = fit_pca(states, 4)
    centred = states - states.mean(axis=0)
    _, singular, rows = np.linalg.svd(centred, full_matrices=False)
    for mine, theirs in zip(basis.components, rows[:4], strict=True):  # up to sign
        assert min(np.abs(mine - theirs).max(), np.abs(mine + theirs).max()) < 1e-10
    np.testing.assert_allclose(basis.mean, states.mean(axis=0))
    np.testing.assert_allclose(basis.explained_variance, singular[:4] ** 2 / len(states))
    np.testing.assert_allclose(basis.ratio, singular[:4] ** 2 / (singular ** 2).sum())
    points = basis.project(states)
    np.testing.assert_allclose(points, centred @ basis.components.T)
    # the variance along each axis is what the basis says, and the axes are uncorrelated
    np.testing.assert_allclose(points.var(axis=0), basis.explained_variance)
    covariance = np.cov(points.T, bias=True)
    np.testing.assert_allclose(covariance - np.diag(np.diag(covariance)), 0, atol=1e-9)
    np.testing.assert_allclose(basis.components @ basis.components.T, np.eye(4), atol=1e-12)


def test_signs_are_fixed_by_the_largest_entry() -> None:
    basis = fit_pca(_states(3), 3)
    peaks = basis.components[np.arange(3), np.abs(basis.components).argmax(axis=1)]
    assert (peaks > 0).all()
    assert fit_pca(_states(3)[::-1], 3) == fit_pca(_states(3)[::-1], 3)


def test_a_basis_fitted_on_text_a_projects_text_b() -> None:
    model = random_model("lstm", hidden_size=12, seed=4)
    first, second = model.trace("the cat sat on the mat"), model.trace("a dog ran off")
    path = first.trajectory(quantity="c", components=3)
    carried = second.trajectory(basis=path.basis)
    cell_b = second.layer(0).c
    np.testing.assert_allclose(carried.points,
                               (cell_b - path.basis.mean) @ path.basis.components.T)
    np.testing.assert_allclose(path.basis.mean, first.layer(0).c.mean(axis=0), rtol=1e-6)
    assert carried.tokens == tuple(second.tokens) and carried.points.shape == (4, 3)
    with pytest.raises(ConfigError, match="belongs to c of layer 0"):
        second.trajectory(quantity="h", basis=path.basis)


def test_several_texts_are_stacked() -> None:
    parts = [_states(1, 5), _states(2, 9)]
    assert fit_pca(parts, 3) == fit_pca(np.concatenate(parts), 3)
    assert fit_pca(parts, 3).tokens == 14


def test_one_token_has_zero_variance_and_every_component() -> None:
    model = random_model("gru", hidden_size=6, seed=1)
    path = model.trace("hello").trajectory(components=2)
    assert path.basis.degenerate and path.basis.tokens == 1
    np.testing.assert_array_equal(path.basis.ratio, [0.0, 0.0])
    np.testing.assert_array_equal(path.points, [[0.0, 0.0]])
    np.testing.assert_allclose(path.basis.components @ path.basis.components.T, np.eye(2))


def test_equal_states_are_zero_variance_not_nan() -> None:
    states = np.full((7, 5), 0.1)  # a float mean of equal values is not always exact
    with np.errstate(all="raise"):
        basis = fit_pca(states, 2)
    assert basis.degenerate and basis.total_variance == 0.0
    np.testing.assert_array_equal(basis.ratio, [0.0, 0.0])
    np.testing.assert_array_equal(basis.project(states), np.zeros((7, 2)))


def test_bad_requests_say_what_exists() -> None:
    model = random_model("rnn", hidden_size=5, seed=0, num_layers=2)
    trace = model.trace("one two")
    with pytest.raises(ConfigError, match="only an LSTM has c"):
        trace.trajectory(quantity="c")
    with pytest.raises(ConfigError, match="layers 0 to 1"):
        trace.trajectory(layer=2)
    with pytest.raises(ConfigError, match="has fwd"):
        trace.trajectory(direction="bwd")
    with pytest.raises(ConfigError, match="choose 1 to 5"):
        trace.trajectory(components=6)
    with pytest.raises(ConfigError, match="NaN or infinity"):
        fit_pca(np.array([[0.0, np.inf]]))
    with pytest.raises(ConfigError, match="fitted on 5 units"):
        trace.trajectory().basis.project(np.zeros((2, 4)))


def test_check_basis_refuses_another_width_or_model() -> None:
    model = random_model("lstm", hidden_size=6, seed=0)
    other = random_model("lstm", hidden_size=6, seed=1)
    basis = fit_pca(_states(0, 10, 6), 2, fingerprint=model_fingerprint(model.params))
    check_basis(basis, model.config, model_fingerprint(model.params))
    with pytest.raises(ConfigError, match="fitted on another model"):
        check_basis(basis, other.config, model_fingerprint(other.params))
    with pytest.raises(ConfigError, match="has 8"):
        check_basis(basis, random_model("lstm", hidden_size=8).config)
    assert model_fingerprint(model.params) != model_fingerprint(other.params)
    assert len(model_fingerprint(model.params)) == 16
