"""The headless ``rnnstudio plot`` renderer, from a saved trace file."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from rnnstudio.engine.model import random_model
from rnnstudio.errors import RnnStudioError
from rnnstudio.gui.plot_cli import add_plot_arguments, main, run_plot
from rnnstudio.io import load_trace

ROOT = Path(__file__).resolve().parents[2]


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


def test_saved_trace_reads_back_as_the_engine_trace(trace_path) -> None:  # type: ignore[no-untyped-def]
    path, trace = trace_path
    saved = load_trace(path)
    assert type(saved) is type(trace) and saved.config == trace.config
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


def _hostile_npz(tmp_path, trace_path, change):  # type: ignore[no-untyped-def]
    """The fixture's trace with ``change(arrays)`` applied, saved as a plain .npz."""
    path, trace = trace_path
    arrays = trace.arrays()
    change(arrays)
    np.savez(tmp_path / "hostile.npz", **arrays)
    return tmp_path / "hostile.npz"


@pytest.mark.parametrize(("change", "words"), [
    (lambda arrays: arrays.update(meta=np.array("{not json")), "meta is not valid JSON"),
    (lambda arrays: arrays.update(meta=np.array("[1, 2]")), "meta must be a JSON object"),
    (lambda arrays: arrays.pop("l0.fwd.h"), "l0.fwd.h is missing"),
    (lambda arrays: arrays.update(meta=np.array("[" * 100_000)), "nested too deeply"),
    (lambda arrays: arrays.update({"l1.fwd.f": arrays["l1.fwd.f"][:2]}),
     r"l1\.fwd\.f has shape \(2, 6\); this trace needs \(T, H\) = \(4, 6\)"),
], ids=["non-json-meta", "list-meta", "missing-h", "deep-meta", "short-gate"])
def test_plot_of_a_malformed_trace_is_one_line(qtbot, trace_path, tmp_path, capsys,  # type: ignore[no-untyped-def]
                                               change, words) -> None:
    import re

    path = _hostile_npz(tmp_path, trace_path, change)
    assert main([str(path), "--out", str(tmp_path / "x.png")]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"rnnstudio: error: {path}: ") and error.count("\n") == 1, error
    assert re.search(words, error), error
    assert not (tmp_path / "x.png").exists()


def test_plot_of_a_corrupt_zip_or_deep_json_is_one_line(qtbot, trace_path, tmp_path,  # type: ignore[no-untyped-def]
                                                        capsys) -> None:
    path, _ = trace_path
    data = path.read_bytes()
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(data[: len(data) // 2])  # the zip directory at the end is gone
    deep = tmp_path / "deep.json"
    deep.write_text('{"format": "rnnstudio-trace", "meta": ' + "[" * 100_000)
    for bad, words in ((corrupt, "corrupt zip archive"), (deep, "nested too deeply")):
        assert main([str(bad), "--out", str(tmp_path / "x.png")]) == 2
        error = capsys.readouterr().err
        assert error.startswith(f"rnnstudio: error: {bad}: ") and error.count("\n") == 1
        assert words in error, error


def _plot_process(*argv: str, tmp_path) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    """``rnnstudio plot`` in a fresh interpreter: Qt writes to the real stderr there."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "RNNSTUDIO_LOG_DIR": str(tmp_path / "logs")}
    return subprocess.run([sys.executable, "-m", "rnnstudio", "plot", *argv], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_plot_that_works_writes_nothing_to_stderr(trace_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, _ = trace_path
    out = tmp_path / "quiet.png"
    done = _plot_process(str(path), "--out", str(out), "--panel", "gradients", "--width", "640",
                         tmp_path=tmp_path)
    assert (done.returncode, done.stderr, done.stdout) == (0, "", f"wrote {out}\n")
    assert QImage(str(out)).width() == 640


@pytest.mark.parametrize(("flags", "words"), [
    (("--height", "100000000"),
     "--height must be a whole number from 100 to 10,000, got 100000000"),
    (("--height", "-1"), "--height must be a whole number from 100 to 10,000, got -1"),
    (("--width", "0"), "--width must be a whole number from 16 to 20,000, got 0"),
    (("--width", "20000"), "--width 20000 and --height 900 make an image of 180,000,000 "
                           "pixels, more than the 40,000,000 allowed"),
])
def test_an_absurd_figure_size_is_refused_up_front(trace_path, tmp_path, capsys, flags,  # type: ignore[no-untyped-def]
                                                   words) -> None:
    path, _ = trace_path
    out = tmp_path / "huge.png"
    assert main([str(path), "--out", str(out), *flags]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"rnnstudio: error: {words}")
    assert error.count("\n") == 1 and not out.exists()


def test_a_huge_height_is_one_line_from_the_command_too(tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "not-read.npz"  # the size is refused before the source is read
    done = _plot_process(str(missing), "--out", str(tmp_path / "x.png"), "--height",
                         "100000000", tmp_path=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == ("rnnstudio: error: --height must be a whole number from 100 to "
                           "10,000, got 100000000; give a size in that range\n")


def test_plot_figure_as_pdf_and_unknown_kinds(qtbot, trace_path, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """The combined figure from the CLI, as a PDF whose page is the figure; an unknown
    panel or suffix is a usage error (status 2), and nothing is written."""
    import re

    path, _ = trace_path
    out = tmp_path / "figure.pdf"
    assert main([str(path), "--out", str(out), "--panel", "figure", "--width", "1000"]) == 0
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    box = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data)
    assert box is not None and float(box.group(1)) == 750.0 and float(box.group(2)) > 300
    with pytest.raises(SystemExit) as stopped:
        main([str(path), "--out", str(tmp_path / "x.png"), "--panel", "mosaic"])
    assert stopped.value.code == 2 and "mosaic" in capsys.readouterr().err
    assert main([str(path), "--out", str(tmp_path / "x.eps"), "--panel", "figure"]) == 2
    assert ".eps" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "x.eps").exists()
