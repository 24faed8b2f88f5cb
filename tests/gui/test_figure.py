"""Figures painted from the view data: vector cells, every token labelled, a layout per
width, PDF pages of the right size, the combined heatmaps + gradients figure."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ElementTree

import pytest
from conftest import ready
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage

from rnnstudio.errors import ExportError
from rnnstudio.gui import export
from rnnstudio.gui.figure_layout import layout_figure

SVG = "{http://www.w3.org/2000/svg}"
#: 13 tokens, several long: at 800 px they cannot stand side by side.
THIRTEEN = ("the international committee understood nothing whatsoever about recurrent "
            "networks until yesterday afternoon tea")


@pytest.fixture
def thirteen(session):  # type: ignore[no-untyped-def]
    ready(session, THIRTEEN, hidden_size=6)
    assert len(session.trace.tokens) == 13
    return session


def _rects(root: ElementTree.Element) -> list[QRectF]:
    """Every <rect> of Qt's SVG, in page coordinates (its groups carry a translation)."""
    found = []
    for group in root.iter(f"{SVG}g"):
        match = re.fullmatch(r"matrix\(1,0,0,1,([-\d.e]+),([-\d.e]+)\)",
                             group.get("transform", "matrix(1,0,0,1,0,0)"))
        if match is None:
            continue
        dx, dy = float(match.group(1)), float(match.group(2))
        for rect in group.findall(f"{SVG}rect"):
            found.append(QRectF(float(rect.get("x", 0)) + dx, float(rect.get("y", 0)) + dy,
                                float(rect.get("width", 0)), float(rect.get("height", 0))))
    return found


def _texts(root: ElementTree.Element) -> list[str]:
    return ["".join(node.itertext()).strip() for node in root.iter(f"{SVG}text")]


def test_svg_heatmap_cells_are_one_vector_rect_each(thirteen, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "heatmaps.svg"
    export.export_painted(thirteen, "heatmaps", path, 1600)
    root = ElementTree.parse(path).getroot()
    layout = layout_figure(export.figure_content(thirteen), 1600)
    rects = _rects(root)
    assert not list(root.iter(f"{SVG}image"))  # no raster to blur in librsvg or Inkscape
    assert "shape-rendering: crispEdges" in path.read_text()  # no hairlines between cells
    for data, band in zip(export.figure_content(thirteen).heatmaps, layout.cells, strict=True):
        units, steps = data.values.shape
        cell_width, cell_height = band.width() / steps, band.height() / units
        cells = [rect for rect in rects if band.adjusted(-0.01, -0.01, 0.01, 0.01)
                 .contains(rect) and abs(rect.width() - cell_width) < 0.01
                 and abs(rect.height() - cell_height) < 0.01]
        assert len(cells) == units * steps == 6 * 13


def test_a_large_heatmap_is_an_image_at_the_exported_resolution(session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """240 units x 100 steps (24,000 cells) would be a huge SVG as rectangles: the image is
    already as many pixels as the page gives it, so no viewer stretches it."""
    ready(session, " ".join(["tok"] * 100), hidden_size=240, cell="gru")
    path = tmp_path / "heatmaps.svg"
    export.export_painted(session, "heatmaps", path, 1600)
    layout = layout_figure(export.figure_content(session), 1600)
    images = list(ElementTree.parse(path).getroot().iter(f"{SVG}image"))
    assert len(images) == len(layout.cells) == 4  # h, r, z, n
    for image, band in zip(images, layout.cells, strict=True):
        assert (float(image.get("width")), float(image.get("height"))) == (
            band.width(), band.height())
        encoded = image.get("{http://www.w3.org/1999/xlink}href").split(",", 1)[1]
        pixels = QImage.fromData(base64.b64decode(encoded))
        assert (pixels.width(), pixels.height()) == (band.width(), band.height())


@pytest.mark.parametrize("width", [800, 1600])
def test_every_token_is_labelled_in_svg_and_png(thirteen, tmp_path, width) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "heatmaps.svg"
    export.export_painted(thirteen, "heatmaps", path, width)
    texts = _texts(ElementTree.parse(path).getroot())
    for token in thirteen.trace.tokens:
        assert token in texts, f"{token!r} missing at {width} px"
    labels = layout_figure(export.figure_content(thirteen), width).tokens
    assert labels.steps == tuple(range(13)) and not labels.numbered
    assert labels.texts == tuple(thirteen.trace.tokens)
    for rect, other in zip(labels.rects, labels.rects[1:], strict=False):
        assert not rect.intersects(other)
    assert all(rect.left() >= 0 and rect.right() <= width for rect in labels.rects)


def test_labels_go_flat_staggered_or_rotated_as_room_allows(thirteen) -> None:  # type: ignore[no-untyped-def]
    def rows(width: int) -> set[float]:
        return {rect.top() for rect in layout_figure(content, width).tokens.rects}

    content = export.figure_content(thirteen)
    assert len(rows(2400)) == 1 and len(rows(800)) == 2  # flat, then staggered
    ready(thirteen, " ".join(THIRTEEN.split() * 3), hidden_size=6)
    content = export.figure_content(thirteen)
    rotated = layout_figure(content, 800).tokens
    assert rotated.rotated and len(rotated.steps) == 39 and not rotated.numbered
    assert all(rect.height() > rect.width() for rect in rotated.rects)
    for rect, other in zip(rotated.rects, rotated.rects[1:], strict=False):
        assert not rect.intersects(other)


def test_png_is_laid_out_for_its_width(thirteen, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Wider figures get wider cells, not bigger letters."""
    content = export.figure_content(thirteen)
    for width in (800, 2400):
        export.export_painted(thirteen, "heatmaps", tmp_path / f"{width}.png", width)
        assert QImage(str(tmp_path / f"{width}.png")).width() == width
    narrow, wide = layout_figure(content, 800), layout_figure(content, 2400)
    assert wide.step_width > 3 * narrow.step_width
    assert wide.label_right == narrow.label_right  # the label column: same text, same size
    assert wide.title[-1].rect.height() == narrow.title[-1].rect.height()
    assert wide.tokens.rects[0].height() == narrow.tokens.rects[0].height() or (
        narrow.tokens.rotated and wide.tokens.rects[0].height() == narrow.tokens.rects[0].width())


def test_pdf_page_is_the_figure(thirteen, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "figure.pdf"
    export.export_painted(thirteen, "figure", path, 1600)
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    layout = layout_figure(export.figure_content(thirteen, "figure"), 1600)
    box = re.search(rb"/MediaBox \[([\d. ]+)\]", data)
    assert box is not None
    numbers = [float(value) for value in box.group(1).split()]
    assert numbers[2:] == pytest.approx([1200.0, round(layout.height) * 0.75], abs=0.5)


def test_combined_figure_shares_the_time_axis(thirteen, tmp_path) -> None:  # type: ignore[no-untyped-def]
    content = export.figure_content(thirteen, "figure")
    layout = layout_figure(content, 1600)
    assert layout.plot is not None and content.gradients is not None
    assert layout.plot.left() == layout.cells[0].left()
    assert layout.plot.right() == layout.cells[0].right()
    assert layout.plot.top() > layout.cells[-1].bottom()
    assert min(rect.top() for rect in layout.tokens.rects) > layout.plot.bottom() - 4
    path = tmp_path / "figure.svg"
    export.export_painted(thirteen, "figure", path, 1600)
    texts = _texts(ElementTree.parse(path).getroot())
    assert {"gradient norm", "10⁰", "||dL/dh||", "step (token read)"} <= set(texts)


def test_every_export_carries_its_context(thirteen, tmp_path) -> None:  # type: ignore[no-untyped-def]
    thirteen.set_cursor(4)
    line, detail = export.figure_title_of(thirteen, "this step")
    assert "This step" in line and thirteen.source.title in line
    assert "“the international committee" in line
    assert "step 4 “nothing”" in detail and "layer 0 of 1" in detail
    assert f"loss {thirteen.trace.grads.loss_name} = " in detail
    path = tmp_path / "heatmaps.svg"
    export.export_painted(thirteen, "heatmaps", path, 1600)
    texts = _texts(ElementTree.parse(path).getroot())
    assert export.figure_title_of(thirteen, "heatmaps")[1] in texts
    export.export_painted(thirteen, "heatmaps", path, 600)  # too narrow for one line
    texts = _texts(ElementTree.parse(path).getroot())
    line, detail = export.figure_title_of(thirteen, "heatmaps")
    wrapped = len(layout_figure(export.figure_content(thirteen), 600).title)
    assert wrapped > 2  # wrapped at " · ", nothing cut:
    assert " · ".join(texts[:wrapped]) == f"{line} · {detail}"


def test_pyqtgraph_panels_get_the_title_in_svg_png_and_pdf(thirteen, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for suffix in ("svg", "png", "pdf"):
        export.render_panel(thirteen, "gradients", tmp_path / f"g.{suffix}", 900)
    line, detail = export.figure_title_of(thirteen, "gradients")
    texts = _texts(ElementTree.parse(tmp_path / "g.svg").getroot())
    assert f"{line} · {detail}" in {" · ".join(texts[:count]) for count in (2, 3, 4)}
    assert "gradient norm (log)" in texts
    assert QImage(str(tmp_path / "g.png")).width() == 900
    assert (tmp_path / "g.pdf").read_bytes().startswith(b"%PDF")


def test_unknown_suffix_is_refused_before_drawing(thirteen, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ExportError, match=r"\.bmp.*\.png, \.svg or \.pdf"):
        export.export_painted(thirteen, "heatmaps", tmp_path / "x.bmp", 800)
    assert not (tmp_path / "x.bmp").exists()


def test_the_window_exports_the_figure_and_pdfs(window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """What the menu entries call: ``export_panel`` with the new kind and suffix."""
    assert window.export_panel("figure", tmp_path / "figure.pdf", 1200)
    assert (tmp_path / "figure.pdf").read_bytes().startswith(b"%PDF")
    assert window.export_panel("this step", tmp_path / "step.pdf", 1200)
    assert window.export_panel("figure", tmp_path / "figure.png", 1200)
    assert QImage(str(tmp_path / "figure.png")).width() == 1200
    assert window.export_panel("compare", tmp_path / "compare.pdf", 1200)
    assert (tmp_path / "compare.pdf").read_bytes().startswith(b"%PDF")


def test_figures_colour_cells_as_the_window_does_after_an_overflow(session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 11: a figure of an overflowing ReLU RNN keeps finite colours apart, draws
    inf/NaN cells in the window's non-finite colour with a labelled band, and follows
    the window's colour-scale choice."""
    import numpy as np

    from rnnstudio.engine.model import random_model
    from rnnstudio.gui.figure import cell_colors
    from rnnstudio.gui.figure_layout import bar_labels
    from rnnstudio.view.colours import NONFINITE_LABEL, NONFINITE_RGB

    model = random_model("rnn", 16, nonlinearity="relu", gain=10.0, seed=0)
    session.show_trace(model.trace(" ".join(["the cat sat on the mat"] * 20)), "overflow")
    [h] = [data for data in export.figure_content(session).heatmaps if data.name == "h"]
    bad = ~np.isfinite(h.values)
    assert bad.any() and (~bad).any()
    colours = cell_colors(h)
    assert colours.shape == (*h.values.shape, 4)
    assert (colours[bad][:, :3] == NONFINITE_RGB).all()
    assert len({tuple(colour) for colour in colours[~bad]}) > 10  # not one flat colour
    assert not (colours[~bad][:, :3] == NONFINITE_RGB).all(axis=1).any()
    assert NONFINITE_LABEL in [text for _, text in bar_labels(h)]
    session.set_colour_scale("linear")
    [linear] = [data for data in export.figure_content(session).heatmaps if data.name == "h"]
    session.set_colour_scale("symlog")
    [symlog] = [data for data in export.figure_content(session).heatmaps if data.name == "h"]
    assert not linear.scale.symlog and symlog.scale.symlog
    assert (cell_colors(linear) != cell_colors(symlog)).any()
    figure = export.figure_content(session, "figure")
    assert figure.gradients is not None and figure.gradients.undefined.startswith("No gradient")
    export.export_painted(session, "figure", tmp_path / "overflow.svg", 1200)
    svg = (tmp_path / "overflow.svg").read_text(encoding="utf-8")
    assert figure.gradients.undefined in svg and NONFINITE_LABEL in svg
