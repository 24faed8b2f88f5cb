"""Jupyter display: the PNG encoder, the diverging colours, the HTML of a trace and a model."""

from __future__ import annotations

import base64
import re
import struct
import zlib

import numpy as np
import pytest

import rnnstudio as rs
from rnnstudio.notebook import (
    NEGATIVE_RGB,
    NONFINITE_RGB,
    PNG_SIGNATURE,
    POSITIVE_RGB,
    ZERO_RGB,
    cell_pixels,
    diverging_rgb,
    encode_png,
)


def decode_png(data: bytes) -> np.ndarray:
    """An 8-bit RGB, filter-0 PNG back to (height, width, 3), checking every CRC."""
    assert data[:8] == PNG_SIGNATURE
    position, chunks = 8, {}
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind, body = data[position + 4:position + 8], data[position + 8:position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length:position + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
        chunks[kind] = chunks.get(kind, b"") + body
        position += 12 + length
    assert list(chunks)[-1] == b"IEND"
    width, height, depth, colour, _, _, _ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour) == (8, 2)
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, -1)
    assert (rows[:, 0] == 0).all()  # filter type 0 on every row
    return rows[:, 1:].reshape(height, width, 3)


def test_a_tiny_image_round_trips_through_the_encoder():
    image = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]],
                      [[0, 0, 0], [255, 255, 255], [7, 8, 9]]], dtype=np.uint8)
    np.testing.assert_array_equal(decode_png(encode_png(image)), image)
    with pytest.raises(ValueError, match=r"\(height, width, 3\)"):
        encode_png(np.zeros((2, 2), np.uint8))


def test_the_diverging_ramp_has_its_anchors_and_clips():
    values = np.array([-1.0, 0.0, 1.0, -5.0, 7.0, np.nan, np.inf, 0.5])
    colours = diverging_rgb(values)
    assert [tuple(rgb) for rgb in colours[:7]] == [
        NEGATIVE_RGB, ZERO_RGB, POSITIVE_RGB, NEGATIVE_RGB, POSITIVE_RGB, NONFINITE_RGB,
        NONFINITE_RGB]
    halfway = np.rint((np.array(ZERO_RGB) + np.array(POSITIVE_RGB)) / 2)
    np.testing.assert_array_equal(colours[7], halfway)


def test_the_trace_png_is_h_of_layer_0_units_down_steps_across():
    model = rs.random_model("gru", 3, seed=5)
    trace = model.trace(["a", "b", "c", "d"])
    image = decode_png(trace._repr_png_())
    scale = cell_pixels(4, 3)
    assert scale == 8 and image.shape == (3 * scale, 4 * scale, 3)
    expected = diverging_rgb(trace.layer(0).h.T.astype(np.float64))
    np.testing.assert_array_equal(image[::scale, ::scale], expected)


def test_the_png_decodes_in_qt_too():
    """An independent decoder reads the same pixels (Qt is in the test environment)."""
    gui = pytest.importorskip("PySide6.QtGui")
    image = np.arange(2 * 5 * 3, dtype=np.uint8).reshape(2, 5, 3) * 8
    decoded = gui.QImage.fromData(encode_png(image), "PNG")
    assert (decoded.width(), decoded.height()) == (5, 2)
    assert decoded.pixelColor(4, 1).getRgb()[:3] == tuple(image[1, 4])


def test_the_trace_html_escapes_tokens_and_holds_the_heatmap():
    model = rs.random_model("lstm", 4, seed=6)
    trace = model.trace(["<b>", "&amp;", "x'y", "\"q\""])
    text = trace._repr_html_()
    assert "<b>" not in text and "&#x27;&lt;b&gt;&#x27;" in text
    assert "&amp;amp;" in text and "&quot;q&quot;" in text
    tags = set(re.findall(r"</?([a-z]+)", text))
    assert tags == {"div", "table", "tr", "th", "td", "img", "small"}
    encoded = re.search(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", text)
    assert encoded and base64.b64decode(encoded[1]) == trace._repr_png_()
    assert "last-output-sum = " in text and "4 steps across" in text


def test_a_long_wide_trace_shows_its_first_steps_and_units_and_says_so():
    model = rs.random_model("rnn", 130, input_size=2, seed=7)
    trace = model.trace([f"t{index}" for index in range(600)], loss=None)
    image = decode_png(trace._repr_png_())
    assert image.shape == (128, 500, 3)  # one pixel per cell
    assert "500 of 600 steps, 128 of 130 units" in trace._repr_html_()


def test_the_model_html_is_an_escaped_table_of_its_facts():
    model = rs.random_model("lstm", 5, seed=8)
    text = model._repr_html_()
    assert "<th style='text-align:left'>task</th>" in text
    assert f"<td style='text-align:left'>{model.num_parameters:,}</td>" in text
    assert text.count("<tr>") == 7


def test_a_corpus_from_the_top_level_names_answers_as_the_traces_do(tmp_path):
    """What a notebook types: rs.index_corpus, rs.open_corpus, rs.search_spans,
    rs.top_activations, rs.brush_units; the index answers as an in-memory corpus of
    the same documents (rs.ArrayCorpus, exact model.trace values) does, within float16."""
    model = rs.random_model("gru", hidden_size=6, num_layers=2, bidirectional=True, seed=3)
    texts = [f"the {w} dog ran after the {w} cat" for w in ("red", "old", "big", "shy")]
    source = tmp_path / "four.txt"
    source.write_text("\n\n".join(texts), "utf-8")
    rs.index_corpus(model, source, tmp_path / "four.rscorpus")
    on_disk = rs.open_corpus(tmp_path / "four.rscorpus")
    exact = rs.ArrayCorpus.from_texts(model, texts)
    assert on_disk.doc_starts.tolist() == exact.doc_starts.tolist()
    np.testing.assert_allclose(on_disk.values("h", 1, "bwd", range(6)),
                               exact.values("h", 1, "bwd", range(6)), rtol=2**-10, atol=1e-4)
    top = rs.top_activations(on_disk, "h", 1, "bwd", 2, k=5)
    best = rs.top_activations(exact, "h", 1, "bwd", 2, k=5)
    np.testing.assert_allclose([a.value for a in top], [a.value for a in best], rtol=2**-10)
    trace = model.trace(texts[0], loss=None, jacobian=False)
    units = rs.brush_units(trace.layers[0, "fwd"].h, 2, 4, threshold=0.0, before=0)
    assert 0 < len(units) < 6
    assert units == [u for u in range(6) if (trace.layers[0, "fwd"].h[2:4, u] >= 0).all()]
    found = rs.search_spans(exact, "h", 0, "fwd", units, 0.0, limit=1)
    assert found.total >= len(found.spans) == 1
