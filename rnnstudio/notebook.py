"""How a trace and a model show themselves in Jupyter: an HTML table of their facts
and, for a trace, a heatmap of the first layer's hidden state as an inline PNG.

No Qt and no matplotlib: the PNG is written here with NumPy and zlib (8-bit RGB, filter
type 0 on every row, CRC-32 per chunk), so a notebook needs nothing but ``rnnstudio``.
The heatmap is ``h`` of layer 0, forward, one row per unit and one column per step (as
in the window), each cell ``CELL_PIXELS`` wide at most, and at most ``MAX_STEPS`` steps
by ``MAX_UNITS`` units (the caption says when it shows fewer). Colours are a diverging
ramp for values in -1..1, blue (-1) to light grey (0) to yellow (+1), in the spirit of
the window's colour-blind-safe CET-CBD1; values beyond -1..1 (a ReLU RNN's) take the
end colours, NaN and infinities magenta as in the window.

``Trace._repr_html_`` and ``Model._repr_html_`` import this module on first use, so
``import rnnstudio`` stays as fast as before.
"""

from __future__ import annotations

import base64
import html
import struct
import zlib
from typing import TYPE_CHECKING

import numpy as np

from .engine.display import model_facts, trace_facts

if TYPE_CHECKING:
    from .engine.model import Model
    from .engine.trace import Trace

__all__ = ["diverging_rgb", "encode_png", "model_html", "trace_html", "trace_png"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CELL_PIXELS = 8
#: The heatmap's longer side aims at this many pixels (cells shrink to 1 pixel, no less).
TARGET_PIXELS = 480
MAX_STEPS = 500
MAX_UNITS = 128
#: Ramp anchors at -1, 0, +1 (RGB) and the colour of NaN and infinities.
NEGATIVE_RGB = (38, 96, 220)
ZERO_RGB = (221, 221, 221)
POSITIVE_RGB = (232, 196, 32)
NONFINITE_RGB = (255, 0, 255)


def encode_png(rgb: np.ndarray) -> bytes:
    """PNG bytes of an image (height, width, 3) uint8: one IHDR, one IDAT, IEND.

    Each row is stored with filter type 0 (none) and the whole image deflated once;
    good enough for a few hundred thousand pixels of smooth colour.
    """
    image = np.ascontiguousarray(rgb, dtype=np.uint8)
    if image.ndim != 3 or image.shape[2] != 3 or 0 in image.shape:
        raise ValueError(f"an RGB image must have shape (height, width, 3), got {image.shape}")
    height, width = image.shape[:2]
    rows = np.zeros((height, 1 + 3 * width), dtype=np.uint8)  # column 0: filter type 0
    rows[:, 1:] = image.reshape(height, 3 * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (PNG_SIGNATURE + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + _chunk(b"IEND", b""))


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def diverging_rgb(values: np.ndarray) -> np.ndarray:
    """Colours (..., 3) uint8 of ``values``: -1 blue, 0 grey, +1 yellow, linear between,
    clipped beyond; NaN and infinities magenta."""
    finite = np.isfinite(values)
    position = np.clip(np.where(finite, values, 0.0), -1.0, 1.0)[..., None]
    zero, negative, positive = (np.array(rgb, dtype=np.float64)
                                for rgb in (ZERO_RGB, NEGATIVE_RGB, POSITIVE_RGB))
    end = np.where(position < 0, negative, positive)
    colours = zero + np.abs(position) * (end - zero)
    colours[~finite] = NONFINITE_RGB
    return np.rint(colours).astype(np.uint8)


def cell_pixels(steps: int, units: int) -> int:
    """Pixels per cell side: the longer side near ``TARGET_PIXELS``, 1 to ``CELL_PIXELS``."""
    return max(1, min(CELL_PIXELS, TARGET_PIXELS // max(steps, units, 1)))


def trace_png(trace: Trace) -> bytes:
    """The heatmap of ``h`` of layer 0 (forward): units down, steps across."""
    hidden = np.asarray(trace.layer(0, "fwd").h, dtype=np.float64)[:MAX_STEPS, :MAX_UNITS]
    scale = cell_pixels(*hidden.shape)
    cells = diverging_rgb(hidden.T)  # (units, steps, 3)
    return encode_png(np.repeat(np.repeat(cells, scale, axis=0), scale, axis=1))


def _table(facts: list[tuple[str, str]]) -> str:
    rows = "".join(f"<tr><th style='text-align:left'>{html.escape(name)}</th>"
                   f"<td style='text-align:left'>{html.escape(value)}</td></tr>"
                   for name, value in facts)
    return f"<table>{rows}</table>"


def trace_html(trace: Trace) -> str:
    """A table of the trace's facts and the heatmap of ``h`` as a ``data:`` PNG."""
    steps, units = trace.layer(0, "fwd").h.shape
    shown = f"{min(steps, MAX_STEPS)} of {steps} steps" if steps > MAX_STEPS else \
        f"{steps} steps"
    if units > MAX_UNITS:
        shown += f", {MAX_UNITS} of {units} units"
    caption = (f"h of layer 0 (forward), units down, {shown} across; blue -1, grey 0, "
               "yellow +1, magenta NaN/inf")
    image = base64.b64encode(trace_png(trace)).decode("ascii")
    return (f"<div class='rnnstudio-trace'>{_table(trace_facts(trace))}"
            f"<img src='data:image/png;base64,{image}' alt='{html.escape(caption)}' "
            f"style='image-rendering:pixelated'/>"
            f"<div><small>{html.escape(caption)}</small></div></div>")


def model_html(model: Model) -> str:
    """A table of the model's facts (cell, sizes, vocabulary, task ...)."""
    return f"<div class='rnnstudio-model'>{_table(model_facts(model))}</div>"
