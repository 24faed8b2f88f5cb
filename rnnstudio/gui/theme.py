"""Colours and pyqtgraph options shared by every plot, so exports look like the window."""

from __future__ import annotations

import pyqtgraph as pg

BACKGROUND = "w"
FOREGROUND = "#2b2b2b"
CURSOR_COLOR = "#d1495b"
DIM_COLOR = (255, 255, 255, 175)  # steps not yet read are washed out, not hidden
SELECTION_COLOR = "#d1495b"

#: Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
SERIES_COLORS = {
    "h": "#0072B2", "c": "#E69F00", "i": "#009E73", "f": "#D55E00", "g": "#CC79A7",
    "o": "#56B4E9", "r": "#009E73", "z": "#D55E00", "n": "#CC79A7",
    "dL/dh": "#0072B2", "dL/dc": "#E69F00", "dL/dx": "#009E73", "dh_T/dh_t": "#CC79A7",
}

#: A tagger's tags on the token strip, in label order, skipping the saliency blue and the
#: cursor's red so a tag never reads as either.
TAG_COLORS = ("#E69F00", "#CC79A7", "#009E73", "#56B4E9", "#F0E442")
#: Tags most words carry ("other", the "O" of BIO tagging) are left unmarked: marking every
#: word would bury the few tags that say something.
UNMARKED_TAGS = frozenset({"other", "o", "none", "outside"})


def tag_colors(labels: tuple[str, ...] | list[str]) -> dict[str, str | None]:
    """Each tag's colour; None for an unmarked tag (see ``UNMARKED_TAGS``)."""
    marked = [label for label in labels if label.lower() not in UNMARKED_TAGS]
    colors: dict[str, str | None] = {label: None for label in labels}
    for index, label in enumerate(marked):
        colors[label] = TAG_COLORS[index % len(TAG_COLORS)]
    return colors


_configured = False
_dark = False


def set_dark(dark: bool) -> None:
    """Remember the scheme on screen; plots built afterwards take its colours."""
    global _dark
    _dark = bool(dark)


def is_dark() -> bool:
    return _dark


def text_color() -> str:
    """Titles and labels the GUI draws itself (pyqtgraph titles keep their first colour)."""
    return "#d4d4d4" if _dark else FOREGROUND


def legend_brush() -> pg.QtGui.QBrush:
    """A legend's backing: light on light plots, dark on dark ones."""
    return pg.mkBrush(30, 31, 34, 215) if _dark else pg.mkBrush(255, 255, 255, 215)


def grid_color() -> str:
    """Decade lines on log plots: faint against either background."""
    return "#3a3c40" if _dark else "#dddddd"


def dim_color() -> tuple[int, int, int, int]:
    """The wash over steps not yet read: the plot background, half transparent."""
    return (30, 31, 34, 175) if _dark else DIM_COLOR


def configure_pyqtgraph() -> None:
    """White plots with dark text (they go on slides); idempotent."""
    global _configured
    if _configured:
        return
    pg.setConfigOptions(background=BACKGROUND, foreground=FOREGROUND, antialias=False)
    _configured = True


#: Presentation mode's cursor: brighter and twice as thick, for the back of a lecture
#: hall (2.5 px of dark red vanished on a 1280 x 720 projector over cividis).
PRESENTATION_CURSOR_COLOR = "#ff1f4b"
_presenting = False


def set_presenting(presenting: bool) -> None:
    """Presentation mode on or off; cursor lines built afterwards take its pens."""
    global _presenting
    _presenting = bool(presenting)


def is_presenting() -> bool:
    return _presenting


def cursor_pen() -> pg.QtGui.QPen:
    """The step cursor on every plot (thicker and brighter while presenting)."""
    if _presenting:
        return pg.mkPen(PRESENTATION_CURSOR_COLOR, width=5)
    return pg.mkPen(CURSOR_COLOR, width=2.5)


def cursor_halo_pen() -> pg.QtGui.QPen:
    """The white halo under a cursor line: it keeps the line visible on any colour."""
    return pg.mkPen((255, 255, 255, 230), width=10 if _presenting else 6)


#: Longer curves are drawn without antialiasing: at T = 200, ten smooth curves took about
#: 16 ms a frame in software rendering, more than everything else on an edit together.
MAX_ANTIALIASED_STEPS = 100


def smooth_curves(steps: int) -> bool:
    return steps <= MAX_ANTIALIASED_STEPS
