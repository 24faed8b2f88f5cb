"""Where everything of an exported heatmap figure goes, for the width it is exported at.

The figure is laid out for its own width: text keeps its point size (9 pt, at 96 dpi)
and the cells take the room left, so a 2400 px figure has wider cells, not bigger
letters, and an 800 px one keeps every token label legible. (Scaling the on-screen dock
to 1600 px made labels overlap and dropped tokens.) Every token gets a label: in one
row, on two staggered rows, or rotated 90 degrees; only when even rotated labels overlap
are they thinned, and then they carry their step number, as on the window's axis.

Coordinates are pixels at 96 dpi; the same layout is painted on a PNG image, an SVG
generator and a PDF page.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QImage

from ..view.colours import NONFINITE_LABEL
from ..view.gradients import GradientCurves
from ..view.heatmaps import HeatmapData
from ..view.readout import shown_token
from .widgets.token_axis import plan_labels, token_label

#: Dots per inch of every figure: 1 pt = 4/3 px, as on a standard screen.
FIGURE_DPI = 96
LABEL_POINTS, TITLE_POINTS = 9.0, 10.5
MARGIN = 16.0
#: Narrower figures are laid out at this width and scaled down as a whole.
MIN_LAYOUT_WIDTH = 480
#: A heatmap row is this many pixels per unit tall, within these bounds.
UNIT_PIXELS, ROW_HEIGHTS = 5.0, (40.0, 140.0)
ROW_GAP, BAR_WIDTH, GRADIENT_HEIGHT = 8.0, 12.0, 170.0
#: A row fitted to a frame's height keeps at least this many pixels (its two unit
#: labels, 0 and the last, then still fit beside it).
MIN_FITTED_ROW = 16.0
TIME_AXIS_TITLE = "step (token read)"
#: Token labels are cut after this many characters (the window's axis: ten), so a figure
#: names whole words where the window, short of room, abbreviates them.
MAX_LABEL_CHARS = 24
GRADIENT_AXIS_TITLE = "gradient norm"


@dataclass(frozen=True)
class FigureContent:
    """What a figure shows: two title lines, the heatmaps (each (units, T)), the tokens,
    optionally the gradient curves under them, and the cursor."""

    title: tuple[str, str]
    heatmaps: tuple[HeatmapData, ...]
    tokens: tuple[str, ...]
    gradients: GradientCurves | None
    cursor: int
    reads_backward: bool = False


@dataclass(frozen=True)
class TokenLabels:
    """One label per labelled step. ``rects`` are the boxes the labels cover on the
    figure (for rotated labels, the rotated box); ``numbered`` when thinned."""

    steps: tuple[int, ...]
    texts: tuple[str, ...]
    rects: tuple[QRectF, ...]
    rotated: bool
    numbered: bool


@dataclass(frozen=True)
class FigureLayout:
    """Rectangles of one figure, ``width`` x ``height`` pixels at :data:`FIGURE_DPI`.

    ``cells[k]`` is where heatmap k's (units, T) cells go; ``bars[k]`` its colour bar;
    ``plot`` the gradient plot (or None); every plot spans the same x range, so step t is
    at ``step_x(t)`` everywhere.
    """

    width: float
    height: float
    title: tuple[TitleLine, ...]
    label_right: float
    cells: tuple[QRectF, ...]
    bars: tuple[QRectF, ...]
    plot: QRectF | None
    tokens: TokenLabels
    axis_title: QRectF
    legend: QRectF | None
    steps: int

    @property
    def step_width(self) -> float:
        return self.time_span.width() / max(self.steps, 1)

    @property
    def time_span(self) -> QRectF:
        """The x range every plot shares (first heatmap's, else the gradient plot's)."""
        return self.cells[0] if self.cells else self.plot or QRectF()

    def step_x(self, step: float) -> float:
        """x of the centre of step ``step``."""
        return self.time_span.left() + (step + 0.5) * self.step_width


def figure_font(points: float = LABEL_POINTS, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSizeF(points)
    font.setBold(bold)
    return font


def reference_device() -> QImage:
    """A 96 dpi image: text measured on it is as wide as on every figure's device."""
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    dots_per_meter = round(FIGURE_DPI / 0.0254)
    image.setDotsPerMeterX(dots_per_meter)
    image.setDotsPerMeterY(dots_per_meter)
    return image


def metrics(font: QFont) -> QFontMetricsF:
    return QFontMetricsF(font, reference_device())


def bar_labels(data: HeatmapData) -> tuple[tuple[float, str], ...]:
    """The colour bar's ticks as the window's bar has them: (position 0..1 from the low
    end, label of the real value); with inf or NaN cells the non-finite band's label
    first (at position -1, the band under the colours), so it is never the one left out."""
    ticks = data.scale.ticks()
    return ((-1.0, NONFINITE_LABEL), *ticks) if data.nonfinite else ticks


def plan_tokens(tokens: tuple[str, ...], left: float, step_width: float,
                top: float) -> TokenLabels:
    """Every token's label under steps of ``step_width`` px starting at ``left``."""
    measure = metrics(figure_font())
    texts = [token_label(shown_token(token), MAX_LABEL_CHARS) for token in tokens]
    widths = [measure.horizontalAdvance(text) for text in texts]
    widest, line = max(widths, default=0.0), measure.height()
    plan = plan_labels(widest, line, step_width, 0.0, rotate_thinned=True)
    if not plan.rotated:  # flat: one row, or two staggered rows
        rects = [QRectF(left + (step + 0.5) * step_width - width / 2,
                        top + (line if plan.staggered and step % 2 else 0.0), width, line)
                 for step, width in enumerate(widths)]
        return TokenLabels(tuple(range(len(texts))), tuple(texts), tuple(rects), False, False)
    stride = plan.stride
    steps = list(range(0, len(texts), stride))
    if stride > 1:
        texts = [f"{step}:{texts[step]}" for step in range(len(texts))]
        widths = [measure.horizontalAdvance(text) for text in texts]
    rects = [QRectF(left + (step + 0.5) * step_width - line / 2, top, line, widths[step])
             for step in steps]
    return TokenLabels(tuple(steps), tuple(texts[step] for step in steps), tuple(rects),
                       True, stride > 1)


def _row_height(data: HeatmapData) -> float:
    low, high = ROW_HEIGHTS
    return min(max(data.values.shape[0] * UNIT_PIXELS, low), high)


def _columns(content: FigureContent, width: float) -> tuple[float, float, float]:
    """(label_right, cells_left, cells_right): the label column sized to its widest
    label and unit number, the colour bars' labels on the right."""
    measure = metrics(figure_font())
    names = [data.title for data in content.heatmaps]
    if content.gradients is not None:
        names.append(GRADIENT_AXIS_TITLE)
    label_width = max((measure.horizontalAdvance(name) for name in names), default=0.0)
    ticks = [str(data.values.shape[0] - 1) for data in content.heatmaps] + ["10⁻¹⁰"]
    tick_width = max(measure.horizontalAdvance(text) for text in ticks)
    bar_width = max((measure.horizontalAdvance(text) for data in content.heatmaps
                     for _, text in bar_labels(data)), default=0.0)
    label_right = MARGIN + label_width
    cells_left = round(label_right + 8 + tick_width + 6)
    cells_right = round(width - MARGIN - BAR_WIDTH - 6 - bar_width)
    return label_right, cells_left, cells_right


@dataclass(frozen=True)
class TitleLine:
    """One line of a figure's title, where it goes and whether it is bold."""

    rect: QRectF
    text: str
    bold: bool


def _wrapped(text: str, measure: QFontMetricsF, room: float) -> list[str]:
    """``text`` broken at its " · " separators into lines no wider than ``room`` (a
    single part wider than that is elided): the context is never cut off mid-page."""
    lines: list[str] = []
    for part in text.split(" · "):
        joined = f"{lines[-1]} · {part}" if lines else part
        if lines and measure.horizontalAdvance(joined) <= room:
            lines[-1] = joined
        else:
            lines.append(measure.elidedText(part, Qt.TextElideMode.ElideRight, room))
    return lines


def title_lines(title: tuple[str, str], width: float) -> tuple[TitleLine, ...]:
    """The title's two lines (bold context, then the details), each wrapped to fit a
    ``width`` px page, from the top margin down."""
    result, top, room = [], MARGIN, width - 2 * MARGIN
    for text, bold in zip(title, (True, False), strict=True):
        measure = metrics(figure_font(TITLE_POINTS if bold else LABEL_POINTS, bold))
        for line in _wrapped(text, measure, room):
            result.append(TitleLine(QRectF(MARGIN, top, room, measure.height()), line, bold))
            top += measure.height() + 2
    return tuple(result)


def layout_figure(content: FigureContent, width: int,
                  height: float | None = None) -> FigureLayout:
    """Lay ``content`` out for a figure ``width`` pixels wide (at least
    :data:`MIN_LAYOUT_WIDTH`: narrower figures are this layout scaled down); with a
    ``height`` (an animation's frame), the heatmap rows and the gradient plot shrink,
    down to :data:`MIN_FITTED_ROW` px, so that the figure fits it with its text at size."""
    natural = _layout(content, width, 1.0)
    if height is None or natural.height <= height:
        return natural
    rows = sum(rect.height() for rect in natural.cells) + (
        natural.plot.height() if natural.plot is not None else 0.0)
    room = rows - (natural.height - height)
    return _layout(content, width, max(room, 0.0) / max(rows, 1.0))


def _layout(content: FigureContent, width: int, row_scale: float) -> FigureLayout:
    """The layout with every row and the gradient plot ``row_scale`` times their height."""
    width = max(width, MIN_LAYOUT_WIDTH)
    line = metrics(figure_font()).height()
    title = title_lines(content.title, width)
    label_right, left, right = _columns(content, width)
    top = title[-1].rect.bottom() + 2 * ROW_GAP
    cells, bars = [], []
    for data in content.heatmaps:
        height = round(max(_row_height(data) * row_scale, MIN_FITTED_ROW))
        cells.append(QRectF(left, round(top), right - left, height))
        bars.append(QRectF(right + 6, round(top), BAR_WIDTH, height))
        top = round(top) + height + ROW_GAP
    plot = None
    if content.gradients is not None:
        plot_height = round(max(GRADIENT_HEIGHT * row_scale, 3 * MIN_FITTED_ROW))
        plot = QRectF(left, top, right - left, plot_height)
        top += plot_height + ROW_GAP
    steps = len(content.tokens)
    tokens = plan_tokens(content.tokens, left, (right - left) / max(steps, 1), top - 2)
    top = max((rect.bottom() for rect in tokens.rects), default=top) + 4
    axis_title = QRectF(left, top, right - left, line)
    top = axis_title.bottom() + 4
    legend = None
    if content.gradients is not None:
        legend = QRectF(MARGIN, top, width - 2 * MARGIN, 2 * line)
        top = legend.bottom()
    return FigureLayout(float(width), float(round(top + MARGIN)), title, label_right,
                        tuple(cells), tuple(bars), plot, tokens, axis_title, legend, steps)
