"""The window's colour tables without Qt: the same 255 colours per map, byte for byte.

The window takes its tables from pyqtgraph (``colormap.get(name).getLookupTable(nPts=255,
alpha=False)``), which imports Qt. A notebook plot must show the same colours without
starting Qt, so the table is computed here the way pyqtgraph 0.13-0.14 computes it, from
the same CSV file in pyqtgraph's package folder (found without importing pyqtgraph):

    stop    = int(255 * (int(255 * csv + 0.5) * 257 / 65535 as float32))   # QColor, then bytes
    colour  = int(interp(linspace(0, 1, 255), linspace(0, 1, rows), stop))

(both ``int`` truncate, as pyqtgraph's ``astype(np.ubyte)`` and its uint8 result array
do). A test compares these tables with the window's for every map the view uses.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np

from .colours import COLOUR_COUNT, NONFINITE_RGB

__all__ = ["colour_table_rgb"]


@functools.cache
def colour_table_rgb(colormap: str) -> np.ndarray:
    """(256, 3) uint8: ``colormap``'s COLOUR_COUNT colours from the low end, then the
    non-finite colour at ``NONFINITE_INDEX`` (as the window's ``colour_table``)."""
    rows = _csv_rows(colormap)
    # QColor keeps 16 bits a channel and getRgbF divides in single precision.
    as_float = (np.floor(255 * rows + 0.5).astype(np.float32) * np.float32(257)
                / np.float32(65535)).astype(np.float64)
    stops = (as_float * 255).astype(np.uint8)
    positions = np.linspace(0.0, 1.0, len(rows))
    wanted = np.linspace(0.0, 1.0, COLOUR_COUNT)
    table = np.stack([np.interp(wanted, positions, stops[:, channel]) for channel in range(3)],
                     axis=1).astype(np.uint8)
    return np.vstack([table, np.array([NONFINITE_RGB], dtype=np.uint8)])


def _csv_rows(colormap: str) -> np.ndarray:
    """(rows, 3) float64 of pyqtgraph's ``colors/maps/<colormap>.csv`` (``r,g,b`` in
    0..1 a line; ``;`` starts a comment)."""
    spec = importlib.util.find_spec("pyqtgraph")  # finds the folder, imports nothing
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("pyqtgraph is not installed: pip install pyqtgraph")
    path = Path(next(iter(spec.submodule_search_locations))) / "colors" / "maps" / \
        f"{colormap}.csv"
    values = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split(";", 1)[0].strip().split(",")
        if len(fields) >= 3:
            values.append([float(field) for field in fields[:3]])
    return np.array(values, dtype=np.float64)
