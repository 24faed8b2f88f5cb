"""The Trajectory dock's data: labels, axis names, the 3-D projection, the fit on a file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnstudio import random_model
from rnnstudio.engine.trajectory import fit_pca
from rnnstudio.errors import TextError
from rnnstudio.view.trajectory import (
    FLAT_VIEW,
    LABEL_ALL_UP_TO,
    axis_label,
    fit_description,
    labelled_steps,
    orthographic,
    ramp_colours,
    trajectory_figure,
)
from rnnstudio.view.trajectory_fit import TrajectoryRequest, compute_trajectories


def test_labels_every_token_of_a_short_text_and_thin_a_long_one() -> None:
    assert labelled_steps(LABEL_ALL_UP_TO) == tuple(range(LABEL_ALL_UP_TO))
    long = labelled_steps(200)
    assert long[0] == 0 and long[-1] == 199 and np.diff(long[:-1]).tolist() == [5] * 39
    assert len(labelled_steps(2000)) <= LABEL_ALL_UP_TO + 1


def test_axis_labels_state_the_variance_share() -> None:
    states = np.diag([3.0, 1.0, 0.0])  # variances 8/9 : 2/9 ... per axis, shares 0.9/0.1
    basis = fit_pca(np.vstack([states, -states]), 3)
    assert axis_label(basis, 0) == "PC1 (90% of variance)"
    assert axis_label(basis, 1) == "PC2 (10% of variance)"
    assert axis_label(basis, 2) == "PC3 (0% of variance)"
    flat = fit_pca(np.ones((3, 2)), 2)
    assert "zero variance" in fit_description(flat)
    assert fit_description(flat).startswith(
        "PCA of h of layer 0 (fwd), fit on this text (3 tokens)")


def test_the_flat_3d_view_is_the_2d_picture() -> None:
    points = np.random.default_rng(0).normal(size=(9, 3))
    np.testing.assert_allclose(orthographic(points, *FLAT_VIEW), points[:, :2], atol=1e-12)
    # from the side (azimuth 0, elevation 0) the screen shows PC2 right and PC3 up
    np.testing.assert_allclose(orthographic(points, 0.0, 0.0), points[:, 1:], atol=1e-12)


def test_colours_run_from_dark_to_light() -> None:
    colours = ramp_colours(10).astype(float)
    brightness = colours @ [0.299, 0.587, 0.114]
    assert colours.shape == (10, 3) and (np.diff(brightness) > 0).all()
    assert ramp_colours(1).shape == (1, 3)


def test_figure_points_are_the_chosen_components() -> None:
    model = random_model("lstm", hidden_size=8, seed=5)
    trace = model.trace("one two three four five six")
    result = compute_trajectories(TrajectoryRequest(trace, model, "c",
                                                    overlay_text="six five four"))
    basis = result.main.basis
    figure = trajectory_figure(result.main, (2, 0), result.overlay)
    projected = (trace.layer(0).c - basis.mean) @ basis.components.T
    np.testing.assert_allclose(figure.main.xy, projected[:, [2, 0]])
    second = model.trace("six five four", loss=None).layer(0).c
    np.testing.assert_allclose(figure.overlay.xy,
                               ((second - basis.mean) @ basis.components.T)[:, [2, 0]])
    assert figure.x_label.startswith("PC3 (") and figure.y_label.startswith("PC1 (")
    assert "second text (3 tokens)" in figure.caption
    tilted = trajectory_figure(result.main, (0, 1, 2), view=(30.0, 20.0))
    np.testing.assert_allclose(tilted.main.xy, orthographic(projected[:, :3], 30.0, 20.0))
    assert tilted.x_label == "" and tilted.axis_names[2].startswith("PC3")


@pytest.mark.parametrize("text", ["(()(()))((()))", "(()(()))((()))(((())))", "((((()))))",
                                  "()()(())((()))", "(((()))(()))"])
def test_the_shipped_brackets_lstm_follows_the_depth_along_pc1(text: str) -> None:
    """What docs/gui.md says of the brackets LSTM's trajectory, on texts of five shapes."""
    from rnnstudio import load_model
    from rnnstudio.models_index import shipped_models

    path = next(entry.path for entry in shipped_models() if entry.key == "brackets-lstm")
    trace = load_model(path).trace(text, loss=None)
    depth = np.cumsum([1 if char == "(" else -1 for char in text])
    for quantity in ("h", "c"):
        first = trace.trajectory(quantity=quantity).points[:, 0]
        assert abs(np.corrcoef(depth, first)[0, 1]) > 0.8


def test_fit_on_a_text_file_reads_each_line(tmp_path: Path) -> None:
    model = random_model("gru", hidden_size=6, seed=2)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat\n\nthe dog ran far\n", encoding="utf-8")
    trace = model.trace("a cat")
    progress: list[tuple[int, int]] = []
    result = compute_trajectories(TrajectoryRequest(trace, model, fit_file=corpus),
                                  on_progress=lambda done, total: progress.append((done, total)))
    states = [model.trace(line, loss=None).layer(0).h for line in ("the cat sat",
                                                                   "the dog ran far")]
    expected = fit_pca(states, 6)
    np.testing.assert_allclose(result.main.basis.components, expected.components)
    assert result.main.basis.tokens == 7 and progress == [(1, 2), (2, 2)]
    assert fit_description(result.main.basis).endswith("fit on corpus.txt (7 tokens)")
    (tmp_path / "blank.txt").write_text("\n  \n")
    with pytest.raises(TextError, match="no text to fit on"):
        compute_trajectories(TrajectoryRequest(trace, model, fit_file=tmp_path / "blank.txt"))
