"""``trace.plot``: the panels of ``rnnstudio plot`` drawn with matplotlib from the view
layer's data (same colours byte for byte, same tokens, titles and curves), and without
matplotlib the app's own picture."""

from __future__ import annotations

import importlib.util
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rnnstudio as rs
from rnnstudio.cli import main
from rnnstudio.errors import ExportError
from rnnstudio.notebook_plot import PanelImage
from rnnstudio.view.colour_maps import colour_table_rgb
from rnnstudio.view.figure_context import architecture, figure_context, figure_title
from rnnstudio.view.heatmaps import GATE_COLORMAP, SIGNED_COLORMAP

#: The matplotlib tests; the one without matplotlib runs everywhere.
needs_matplotlib = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                                      reason="matplotlib is not installed")
if not needs_matplotlib.args[0]:
    import matplotlib

    matplotlib.use("Agg")

TEXT = "the cat sat on the mat and then it slept"


@pytest.fixture(scope="module")
def trace() -> rs.Trace:
    return rs.random_model("lstm", 8, num_layers=2, seed=0).trace(TEXT)


def test_the_colour_tables_are_the_windows_byte_for_byte() -> None:
    from rnnstudio.gui.widgets.heatmap_row import colour_table

    for name in (SIGNED_COLORMAP, GATE_COLORMAP, "viridis"):
        packed = colour_table(name)
        window = np.stack([(packed >> 16) & 0xFF, (packed >> 8) & 0xFF, packed & 0xFF], axis=1)
        np.testing.assert_array_equal(colour_table_rgb(name), window.astype(np.uint8))


def expected_colour(value: float, levels: tuple[float, float], colormap: str) -> np.ndarray:
    """A linear scale's colour of one value, as the window's colour_indices picks it."""
    position = (value - levels[0]) / (levels[1] - levels[0])
    return colour_table_rgb(colormap)[min(int(np.clip(position, 0, 1) * 255), 254)]


@needs_matplotlib
def test_heatmaps_show_the_windows_colours_tokens_and_title(trace: rs.Trace) -> None:
    figure = trace.plot("heatmaps", step=3)
    axes = [axis for axis in figure.axes if axis.images]
    assert [axis.get_ylabel() for axis in axes] == ["h hidden", "c cell", "i input",
                                                    "f forget", "g candidate", "o output"]
    hidden, forget = axes[0].images[0].get_array(), axes[3].images[0].get_array()
    assert hidden.shape == (8, len(trace.tokens), 3)
    for step, unit in ((0, 0), (3, 5), (9, 7)):
        np.testing.assert_array_equal(
            hidden[unit, step],
            expected_colour(float(trace.layer(0).h[step, unit]), (-1.0, 1.0), SIGNED_COLORMAP))
        np.testing.assert_array_equal(
            forget[unit, step],
            expected_colour(float(trace.layer(0).gates["f"][step, unit]), (0.0, 1.0),
                            GATE_COLORMAP))
    assert [label.get_text() for label in axes[-1].get_xticklabels()] == trace.tokens
    bar = next(axis for axis in figure.axes if not axis.images and axis.get_yticklabels())
    assert [label.get_text() for label in bar.get_yticklabels()] == ["-1", "0", "1"]
    context = figure_context(trace, architecture(trace), "", 3, 0, "fwd")
    assert figure.get_suptitle() == "\n".join(figure_title(context, "heatmaps"))


@needs_matplotlib
def test_gradients_are_the_traces_norms_on_a_log_axis(trace: rs.Trace) -> None:
    figure = trace.plot("gradients")
    axis = figure.axes[0]
    assert axis.get_yscale() == "log"
    curves = {line.get_label(): line.get_ydata() for line in axis.get_lines()
              if line.get_label().startswith("||")}
    assert trace.grads is not None
    np.testing.assert_allclose(curves["||dL/dh||"],
                               np.linalg.norm(trace.grads.h[0, "fwd"], axis=1), rtol=1e-12)
    np.testing.assert_allclose(curves["||dL/dx||"], np.linalg.norm(trace.grads.x, axis=1),
                               rtol=1e-12)
    assert [label.get_text() for label in axis.get_xticklabels()] == trace.tokens


@needs_matplotlib
def test_unit_and_step_panels_show_that_units_values(trace: rs.Trace) -> None:
    unit = trace.plot("unit", unit=2, layer=1).axes[0]
    lines = {line.get_label(): line.get_ydata() for line in unit.get_lines()}
    np.testing.assert_allclose(lines["h"], trace.layer(1).h[:, 2], rtol=1e-6)
    np.testing.assert_allclose(lines["f"], trace.layer(1).gates["f"][:, 2], rtol=1e-6)
    step = trace.plot("step", step=4).axes
    heights = [patch.get_height() for patch in step[1].patches]
    np.testing.assert_allclose(heights, trace.layer(0).c[4], rtol=1e-6)


@needs_matplotlib
def test_the_panel_is_drawn_into_given_axes(trace: rs.Trace) -> None:
    from matplotlib.figure import Figure

    figure = Figure()
    left, right = figure.subplots(1, 2)
    assert trace.plot("heatmaps", ax=right, quantities=("h",)) is figure
    assert right.images and not left.images
    assert right.get_title().startswith("Heatmaps · LSTM")
    with pytest.raises(ExportError, match="draws 6 plots: pass 6 Axes"):
        trace.plot("heatmaps", ax=left)
    with pytest.raises(ExportError, match="no panel 'maps': use one of heatmaps"):
        trace.plot("maps")
    with pytest.raises(ExportError, match="options are layer, direction"):
        trace.plot("heatmaps", colour="red")
    with pytest.raises(ExportError, match=r"no layer 0 \(bwd\)"):
        trace.plot("heatmaps", direction="bwd")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_without_matplotlib_the_picture_is_rnnstudio_plots(
        trace: rs.Trace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import fails
    image = trace.plot("figure", width=900, step=2)
    assert isinstance(image, PanelImage)
    png = image._repr_png_()
    assert png_size(png)[0] == 900
    svg = image.save(tmp_path / "figure.svg").read_text(encoding="utf-8")
    assert all(f">{token}<" in svg for token in ("cat", "slept"))  # text stays text
    assert "step 2 “sat”" in svg
    source = rs.save_trace(trace, tmp_path / "trace.npz")
    out = tmp_path / "cli.png"
    assert main(["plot", str(source), "--panel", "figure", "--width", "900",
                        "--step", "2", "--out", str(out)]) == 0
    assert out.read_bytes() == png  # the same picture, pixel for pixel


@needs_matplotlib
def test_plotting_with_matplotlib_starts_no_qt() -> None:
    code = ("import sys, matplotlib; matplotlib.use('Agg'); import rnnstudio as rs; "
            "rs.random_model('gru', 4, seed=0).trace('a b c').plot('figure'); "
            "loaded = sorted(name for name in sys.modules if name.startswith(('PySide6', "
            "'pyqtgraph'))); assert not loaded, loaded")
    subprocess.run([sys.executable, "-c", code], check=True)
