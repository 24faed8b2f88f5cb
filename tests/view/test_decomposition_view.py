"""The Gradient paths panel's numbers are the engine's, and an exploding product is
drawn above 10^0, a vanishing one below it."""

from __future__ import annotations

import numpy as np

import rnnstudio as rs
from rnnstudio.engine.decomposition import decompose
from rnnstudio.view import decomposition as paths

TEXT = "the cat sat on the mat and the dog ran"


def test_lstm_view_draws_the_engine_retention_and_norms():
    model = rs.random_model("lstm", hidden_size=5, seed=1, bidirectional=True)
    trace = model.trace(TEXT)
    found = decompose(model, trace, 0, "bwd")
    view = paths.paths_view(trace, found)
    np.testing.assert_array_equal(view.image, found.log10_retention.T.astype(np.float32))
    np.testing.assert_array_equal(view.bottom[paths.FULL_C], found.log10_full_norm)
    np.testing.assert_array_equal(view.bottom[paths.HIGHWAY_F], found.log10_retention_norm)
    assert view.anchor == 0 and "first token" in view.explanation  # bwd reads from the end
    assert view.levels[1] == 0.0 and view.levels[0] <= view.image.min()
    low, high = view.bottom_range
    full = view.bottom[paths.FULL_C]
    assert low <= np.nanmin(full) and np.nanmax(full) <= high


def test_gru_view_names_z_and_its_convention():
    model = rs.random_model("gru", hidden_size=4, seed=2)
    trace = model.trace(TEXT)
    found = decompose(model, trace)
    view = paths.paths_view(trace, found)
    assert set(view.bottom) == {paths.FULL_H, paths.HIGHWAY_Z}
    assert "z near 1 keeps" in view.explanation
    np.testing.assert_array_equal(view.image, found.log10_retention.T.astype(np.float32))


def test_an_exploding_rnn_is_drawn_above_one_and_a_zero_is_a_gap():
    model = rs.random_model("rnn", hidden_size=6, seed=3, nonlinearity="relu", gain=4.0,
                            dtype="float64")
    trace = model.trace(f"{TEXT} {TEXT}", loss=None)
    found = decompose(model, trace)
    view = paths.paths_view(trace, found)
    assert view.bottom[paths.SPECTRAL][0] > 3  # more than 10^3 at the first step
    assert view.bottom_range[1] >= view.bottom[paths.SPECTRAL][0]
    np.testing.assert_array_equal(view.top[paths.STEP_MAX], found.log10_step_sv_max)
    np.testing.assert_array_equal(view.bottom[paths.BOUND_MAX], found.log10_bound_max)
    zero = np.isneginf(found.log10_step_sv_min)
    assert np.array_equal(np.isnan(view.top[paths.STEP_MIN]), zero)
    if np.isneginf(found.log10_bound_min).any():
        assert "lower bound is 0" in view.note
    line = paths.describe_paths_step(trace, view, found, 0, 0)
    assert f"‖dh_T/dh_t‖₂ = {10 ** found.log10_full_spectral[0]:.3g}" in line


def test_a_vanishing_rnn_is_drawn_below_one():
    model = rs.random_model("rnn", hidden_size=6, seed=3, gain=0.3)
    trace = model.trace(TEXT, loss=None)
    view = paths.paths_view(trace, decompose(model, trace))
    assert np.all(view.bottom[paths.SPECTRAL][:-1] < 0) and view.bottom[paths.SPECTRAL][-1] == 0.0
    assert np.all(view.bottom[paths.BOUND_MIN] <= view.bottom[paths.SPECTRAL] + 1e-9)


def test_decades_and_their_labels():
    assert paths.decade_span([np.array([-3.2, np.nan, -0.5])]) == (-4.0, 0.0)
    assert paths.decade_span([np.array([2.5])], include_zero=False) == (2.0, 3.0)
    assert paths.decade_ticks(-4.0, 0.0) == [(-4.0, "10⁻⁴"), (-3.0, "10⁻³"), (-2.0, "10⁻²"),
                                       (-1.0, "10⁻¹"), (0.0, "10⁰")]
    assert [value for value, _ in paths.decade_ticks(-100.0, 0.0)] == list(range(-100, 1, 20))
