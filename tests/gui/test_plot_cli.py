"""The headless ``rnnstudio plot`` renderer, from a saved trace file."""

from __future__ import annotations

import argparse
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
from PySide6.QtGui import QImage

from rnnstudio.engine.model import random_model
from rnnstudio.errors import RnnStudioError
from rnnstudio.gui.plot_cli import add_plot_arguments, main, run_plot
from rnnstudio.gui.trace_file import load_trace


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_plot_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.fixture
def trace_path(tmp_path):  # type: ignore[no-untyped-def]
    trace = random_model("lstm", hidden_size=6, num_layers=2, seed=1).trace("the cat sat on")
    path = tmp_path / "trace.npz"
    np.savez(path, **trace.arrays())  # the trace-file keys, as io.save_trace writes them
    return path, trace


def test_saved_trace_reads_back_like_the_engine_trace(trace_path) -> None:  # type: ignore[no-untyped-def]
    path, trace = trace_path
    saved = load_trace(path)
    assert saved.tokens == trace.tokens
    for key in ((0, "fwd"), (1, "fwd")):
        np.testing.assert_array_equal(saved.layer(*key).gates["f"], trace.layer(*key).gates["f"])
        np.testing.assert_array_equal(saved.grads.h[key], trace.grads.h[key])
        np.testing.assert_array_equal(saved.grads.jacobian[key], trace.grads.jacobian[key])


@pytest.mark.parametrize("panel", ["heatmaps", "gradients", "step", "unit"])
def test_plot_png_from_a_trace_file(qtbot, trace_path, tmp_path, panel) -> None:  # type: ignore[no-untyped-def]
    path, _ = trace_path
    out = tmp_path / f"{panel}.png"
    assert run_plot(_args(str(path), "--out", str(out), "--panel", panel, "--width", "900",
                          "--layer", "1", "--step", "2")) == 0
    assert QImage(str(out)).width() == 900


def test_plot_svg_has_axis_labels(qtbot, trace_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, _ = trace_path
    out = tmp_path / "fig.svg"
    assert run_plot(_args(str(path), "--out", str(out))) == 0
    texts = {"".join(node.itertext()).strip()
             for node in ElementTree.parse(out).getroot().iter("{http://www.w3.org/2000/svg}text")}
    assert {"step (token read)", "f forget", "cat"} <= texts


def test_plot_errors_are_messages(qtbot, trace_path, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path, _ = trace_path
    assert main([str(path), "--out", str(tmp_path / "x.gif")]) == 2
    assert capsys.readouterr().err.startswith("rnnstudio: error: ")
    with pytest.raises(RnnStudioError, match="layer 5"):
        run_plot(_args(str(path), "--out", str(tmp_path / "x.png"), "--layer", "5"))


def test_plot_from_a_json_trace_and_from_a_model_file(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from rnnstudio import io as rnn_io

    model = random_model("gru", hidden_size=5, seed=2)
    rnn_io.save_trace(model.trace("one two three"), tmp_path / "trace.json")
    assert run_plot(_args(str(tmp_path / "trace.json"), "--out", str(tmp_path / "a.png"),
                          "--panel", "gradients", "--width", "640")) == 0
    assert QImage(str(tmp_path / "a.png")).width() == 640
    rnn_io.save_model(model, tmp_path / "model.safetensors")
    assert run_plot(_args(str(tmp_path / "model.safetensors"), "--text", "one two",
                          "--out", str(tmp_path / "b.svg"), "--panel", "unit")) == 0
    with pytest.raises(RnnStudioError, match="--text"):
        run_plot(_args(str(tmp_path / "model.safetensors"), "--out", str(tmp_path / "c.svg")))
