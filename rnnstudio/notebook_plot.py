"""``trace.plot(panel, ax=None, **options)``: the panels of ``rnnstudio plot`` in a notebook.

With matplotlib (``pip install 'rnnstudio[notebook]'``) a panel is drawn into ``ax`` or a
new ``Figure`` from the view layer's own data, so it shows what the window shows: the
heatmaps' values, colour scales (levels, symmetric-log, the non-finite colour) and
colours byte for byte (:func:`.colour_indices` through the window's colour tables,
:mod:`.view.colour_maps`), the gradient curves with their vanished and exploded
markers (:mod:`.view.gradients`), the figure's two title lines
(:mod:`.view.figure_context`) and the tokens as tick labels. Curve colours and fonts are
matplotlib's.

Without matplotlib, ``plot`` returns a :class:`PanelImage`: ``rnnstudio plot`` itself,
run in a child process on the trace saved to a temporary ``.npz``, so the picture is
exactly the app's. Not in the kernel's own process: Qt paints text only with a
QGuiApplication, and one created there (offscreen, as ``rnnstudio plot`` does) would stay
for the kernel's life and capture any Qt GUI the user starts later (``%gui qt``, a
``qt`` matplotlib backend); the child costs about 2 s a picture instead.
"""

from __future__ import annotations

import math
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ExportError, RnnStudioError
from .gui.plot_cli import PANELS
from .view.colour_maps import colour_table_rgb
from .view.colours import COLOUR_COUNT, NONFINITE_LABEL, colour_indices
from .view.figure_context import architecture, figure_context, figure_title
from .view.heatmaps import QUANTITY_DESCRIPTIONS, HeatmapData, step_bars
from .view.readout import shown_token
from .view.trace_view import LayerView, layer_view

if TYPE_CHECKING:
    from .engine.trace import Trace

__all__ = ["PanelImage", "PlotOptions", "heatmap_rgb", "plot_trace"]

#: The window's token label length (gui/widgets/token_axis.py) and the most labels shown.
MAX_LABEL_CHARS = 24
MAX_TOKEN_LABELS = 60
TIME_AXIS_TITLE = "step (token read)"
GRADIENT_AXIS_TITLE = "gradient norm"
#: Unread steps are washed out by white at this opacity, as in the window (175 of 255).
DIM_ALPHA = 175 / 255
DPI = 96
#: Heatmap rows as tall as in the app's figure (gui/figure_layout.py), the gradients'
#: plot in the figure panel, the gap between plots, the title and the token axis.
UNIT_PIXELS = 5.0
GRADIENT_PIXELS = 300.0
ROW_GAP = 24.0
EXTRA_PIXELS = 130.0


@dataclass(frozen=True)
class PlotOptions:
    """What ``rnnstudio plot`` takes besides the source: where to look (``layer``,
    ``direction``, the cursor ``step``, default the last; ``unit`` for the step and unit
    panels), the figure's size in pixels at 96 dpi, the ``model`` named in the title
    (default the architecture) and, for the heatmaps, which ``quantities``."""

    layer: int = 0
    direction: str = "fwd"
    step: int | None = None
    unit: int | None = None
    width: int = 1600
    height: int = 900
    model: str | None = None
    quantities: tuple[str, ...] | None = None
    text: str = field(default="", repr=False)


def plot_trace(trace: Trace, panel: str = "heatmaps", ax: Any = None, **options: Any) -> Any:
    """Draw ``panel`` of ``trace``: a matplotlib ``Figure`` (``ax``'s, or a new one), or
    a :class:`PanelImage` without matplotlib. See :meth:`Trace.plot`."""
    if panel not in PANELS:
        raise ExportError(f"no panel {panel!r}: use one of {', '.join(PANELS)}")
    try:
        chosen = PlotOptions(**options)
    except TypeError as error:
        raise ExportError(f"trace.plot: {error}; options are "
                          f"{', '.join(PlotOptions.__dataclass_fields__)}") from None
    if (chosen.layer % trace.config.recurrent.num_layers, chosen.direction) \
            not in trace.layers:
        raise ExportError(f"the trace has no layer {chosen.layer} ({chosen.direction})")
    try:
        from matplotlib.figure import Figure
    except ImportError:
        if ax is not None:
            raise ExportError("ax= needs matplotlib: pip install matplotlib") from None
        return PanelImage(trace, panel, chosen)
    view = layer_view(trace, chosen.layer % trace.config.recurrent.num_layers,
                      chosen.direction)
    shown = view.heatmaps if chosen.quantities is None else tuple(
        data for data in view.heatmaps if data.name in chosen.quantities)
    view = LayerView(view.layer, view.direction, shown, view.gradients)
    heights = _row_heights(panel, view, chosen)
    count = len(heights)
    if ax is None:
        figure = Figure(figsize=(chosen.width / DPI, (sum(heights) + EXTRA_PIXELS) / DPI),
                        dpi=DPI, layout="constrained")
        axes = list(np.atleast_1d(figure.subplots(
            count, 1, sharex=True, gridspec_kw={"height_ratios": heights})))
    else:
        axes = list(np.atleast_1d(np.asarray(ax, dtype=object)).ravel())
        if len(axes) != count:
            raise ExportError(f"the {panel} panel draws {count} plots: pass {count} Axes "
                              "(or quantities=('h',) and one Axes for one heatmap)")
        figure = axes[0].figure
    _DRAW[panel](axes, trace, view, chosen)
    title = "\n".join(_title(trace, panel, chosen))
    if ax is None:
        figure.suptitle(title, fontsize=10)
    else:
        axes[0].set_title(title, fontsize=9)
    return figure


def _row_heights(panel: str, view: LayerView, options: PlotOptions) -> list[float]:
    """Pixels of each plot: a heatmap as tall as in the app's figure (5 px a unit, 40 to
    140 px) plus room for its ticks; the other panels share ``height``."""
    rows = [min(max(data.values.shape[0] * UNIT_PIXELS, 40.0), 140.0) + ROW_GAP
            for data in view.heatmaps]
    if panel == "heatmaps":
        return rows
    if panel == "figure":
        return [*rows, GRADIENT_PIXELS]
    count = len(rows) if panel == "step" else 1
    return [max(options.height - EXTRA_PIXELS, 100.0) / count] * count


def _title(trace: Trace, panel: str, options: PlotOptions) -> tuple[str, str]:
    context = figure_context(trace, options.model or architecture(trace), options.text,
                             _cursor(trace, options), options.layer, options.direction,
                             options.unit)
    return figure_title(context, panel)


def _cursor(trace: Trace, options: PlotOptions) -> int:
    """The cursor step, negative from the end (default: the last step)."""
    step = -1 if options.step is None else options.step
    return min(max(step + trace.steps if step < 0 else step, 0), trace.steps - 1)


def heatmap_rgb(data: HeatmapData) -> np.ndarray:
    """(units, T, 3) uint8: the window's colour of every cell of ``data``."""
    return colour_table_rgb(data.colormap)[colour_indices(np.asarray(data.values),
                                                          data.scale)]


def _token_axis(axis: Any, trace: Trace) -> None:
    """Tokens under the steps as the window labels them; every k-th (as ``k:token``)
    beyond ``MAX_TOKEN_LABELS``."""
    labels = [shown_token(token) for token in trace.tokens]
    labels = [label if len(label) <= MAX_LABEL_CHARS else label[:MAX_LABEL_CHARS - 1] + "…"
              for label in labels]
    stride = math.ceil(len(labels) / MAX_TOKEN_LABELS)
    steps = list(range(0, len(labels), stride))
    texts = [labels[step] if stride == 1 else f"{step}:{labels[step]}" for step in steps]
    axis.set_xticks(steps, texts, rotation=90 if len(steps) > 12 else 0, fontsize=8)
    axis.set_xlim(-0.5, len(labels) - 0.5)


def _draw_heatmaps(axes: Sequence[Any], trace: Trace, view: LayerView,
                   options: PlotOptions) -> None:
    """One image per quantity, its colour bar in real values, the cursor, the tokens."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import ListedColormap, Normalize

    cursor = _cursor(trace, options)
    for axis, data in zip(axes, view.heatmaps, strict=False):
        axis.imshow(heatmap_rgb(data), aspect="auto", interpolation="nearest")
        axis.set_ylabel(data.title)
        axis.set_yticks([0, data.values.shape[0] - 1])
        table = colour_table_rgb(data.colormap)[:COLOUR_COUNT] / 255.0
        bar = axis.figure.colorbar(ScalarMappable(Normalize(0.0, 1.0), ListedColormap(table)),
                                   ax=axis, fraction=0.03, pad=0.01)
        ticks = data.scale.ticks()
        bar.set_ticks([position for position, _ in ticks], labels=[text for _, text in ticks])
        if data.nonfinite:
            bar.set_label(f"magenta: {NONFINITE_LABEL} ({data.nonfinite} cells)")
        unread = (-0.5, cursor - 0.5) if view.reads_backward else (cursor + 0.5,
                                                                     trace.steps - 0.5)
        if unread[1] > unread[0]:
            axis.axvspan(*unread, color="white", alpha=DIM_ALPHA, linewidth=0)
        axis.axvline(cursor, color="tab:red", linewidth=1.5)
        _token_axis(axis, trace)
    axes[-1].set_xlabel(TIME_AXIS_TITLE)


def _draw_gradients(axes: Sequence[Any], trace: Trace, view: LayerView,
                    options: PlotOptions) -> None:
    """The norms on a log axis, gaps where not finite or 0, and the markers."""
    axis, curves = axes[-1], view.gradients
    for name, norm in curves.norms.items():
        shown = np.where(np.isfinite(norm) & (norm > 0), norm, np.nan)
        axis.plot(np.arange(len(norm)), shown, marker="." if len(norm) <= 60 else None,
                  linewidth=2, label=f"||{name}||")
    for kind, style in (("vanished", {"marker": "x", "color": "black"}),
                        ("exploded", {"marker": "^", "color": "#b00020",
                                      "markerfacecolor": "none"})):
        steps, values = curves.marked(kind)
        if steps.size:
            axis.plot(steps, values, linestyle="none", label=kind, **style)
    message = curves.undefined or ("" if curves.norms else
                                   "no gradients: trace with a loss (the default) to see them")
    if message:
        axis.text(0.5, 0.5, message, transform=axis.transAxes, ha="center", color="#b00020")
    if curves.decades is not None:
        axis.set_yscale("log")
        axis.set_ylim(10.0 ** curves.decades[0], 10.0 ** curves.decades[1])
        axis.legend(loc="best", fontsize=8)
    axis.set_ylabel(GRADIENT_AXIS_TITLE)
    axis.axvline(_cursor(trace, options), color="tab:red", linewidth=1.5)
    axis.set_xlabel(TIME_AXIS_TITLE)
    _token_axis(axis, trace)


def _draw_figure(axes: Sequence[Any], trace: Trace, view: LayerView,
                 options: PlotOptions) -> None:
    _draw_heatmaps(axes[:-1], trace, view, options)
    axes[-2].set_xlabel("")  # one time axis, under the gradients
    _draw_gradients(axes, trace, view, options)


def _draw_step(axes: Sequence[Any], trace: Trace, view: LayerView,
               options: PlotOptions) -> None:
    """Every quantity's units at the cursor step as bars (This step), the chosen unit
    outlined, non-finite ones full height in magenta."""
    cursor = _cursor(trace, options)
    for index, (axis, data) in enumerate(zip(axes, view.heatmaps, strict=False)):
        bars = step_bars(data, cursor)
        units = np.arange(len(bars.heights))
        axis.bar(units, bars.heights, color=f"C{index}")
        if bars.nonfinite.size:
            axis.bar(bars.nonfinite, bars.levels[1], color="magenta")
        if options.unit is not None:
            axis.bar([options.unit], [bars.heights[options.unit]], fill=False,
                     edgecolor="tab:red", linewidth=1.5)
        axis.axhline(0.0, color="#bbbbbb", linewidth=0.8)
        axis.set_ylim(*bars.levels)
        axis.set_title(f"{data.name} — {QUANTITY_DESCRIPTIONS[data.name]}", loc="left",
                       fontsize=8)
    axes[-1].set_xlabel("unit")


def _draw_unit(axes: Sequence[Any], trace: Trace, view: LayerView,
               options: PlotOptions) -> None:
    """One unit's value of every quantity over the steps (the Unit inspector)."""
    axis, unit = axes[-1], options.unit or 0
    for data in view.heatmaps:
        if not 0 <= unit < data.values.shape[0]:
            raise ExportError(f"no unit {unit}: {data.title} has {data.values.shape[0]}")
        axis.plot(np.arange(trace.steps), data.values[unit], label=data.name,
                  linewidth=2 if data.name in ("h", "c") else 1)
    axis.axhline(0.0, color="#bbbbbb", linewidth=0.8)
    axis.axvline(_cursor(trace, options), color="tab:red", linewidth=1.5)
    axis.set_title(f"unit {unit} · layer {view.layer} {view.direction}", fontsize=9)
    axis.set_ylabel("value")
    axis.legend(loc="best", fontsize=8, ncols=len(view.heatmaps))
    axis.set_xlabel(TIME_AXIS_TITLE)
    _token_axis(axis, trace)


_DRAW = {"heatmaps": _draw_heatmaps, "gradients": _draw_gradients, "figure": _draw_figure,
         "step": _draw_step, "unit": _draw_unit}


class PanelImage:
    """A panel as ``rnnstudio plot`` draws it, rendered on first use: Jupyter shows it
    through ``_repr_png_``; ``save(path)`` writes PNG, SVG or PDF by the suffix."""

    def __init__(self, trace: Trace, panel: str, options: PlotOptions) -> None:
        self.trace, self.panel, self.options = trace, panel, options
        self._png: bytes | None = None

    def __repr__(self) -> str:
        return f"<PanelImage {self.panel} of {architecture(self.trace)}>"

    def _repr_png_(self) -> bytes:
        if self._png is None:
            with tempfile.TemporaryDirectory(prefix="rnnstudio-plot-") as folder:
                self._png = self._render(Path(folder) / "panel.png").read_bytes()
        return self._png

    def save(self, path: str | Path) -> Path:
        """Write the panel to ``path`` (.png, .svg or .pdf) and return it."""
        return self._render(Path(path))

    def _render(self, out: Path) -> Path:
        from .io.trace_export import save_trace

        options = self.options
        with tempfile.TemporaryDirectory(prefix="rnnstudio-plot-") as folder:
            source = save_trace(self.trace, Path(folder) / "trace.npz")
            command = [sys.executable, "-m", "rnnstudio", "plot", str(source), "--out",
                       str(out), "--panel", self.panel, "--layer", str(options.layer),
                       "--direction", options.direction, "--width", str(options.width),
                       "--height", str(options.height)]
            for name in ("step", "unit"):
                if getattr(options, name) is not None:
                    command += [f"--{name}", str(getattr(options, name))]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines() or ["no message"]
            raise RnnStudioError(f"rnnstudio plot failed: {lines[-1]}")
        return out
