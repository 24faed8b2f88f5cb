"""What an exported figure says about itself: model, text, step and token, layer and
direction, loss. A figure pasted into a paper or a slide has lost the window around it,
so its title carries what the window's docks said ("This step" exported without its
step or token could not be read).

Qt-free: the export code asks for the lines and draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.trace import Trace
from .readout import shown_token

#: A text longer than this is cut at a word boundary: the title stays one line at 800 px.
EXCERPT_CHARS = 48

#: What each exportable panel is called in a figure's title.
PANEL_TITLES = {
    "heatmaps": "Heatmaps",
    "gradients": "Gradients through time",
    "step": "This step",
    "this step": "This step",
    "unit": "Unit inspector",
    "unit inspector": "Unit inspector",
    "figure": "Heatmaps and gradients",
}


@dataclass(frozen=True)
class FigureContext:
    """The view a figure shows. ``loss_value`` is None for a trace without gradients;
    ``unit`` only matters to the panels that show one unit."""

    model: str
    text: str
    step: int
    token: str
    layer: int
    layers: int
    direction: str
    bidirectional: bool
    loss_name: str
    loss_value: float | None
    unit: int | None = None


def figure_context(trace: Trace, model: str, text: str, step: int, layer: int,
                   direction: str, unit: int | None = None) -> FigureContext:
    """The context of ``trace`` shown at ``step`` (clamped to the trace), ``layer`` and
    ``direction``; ``text`` falls back to the tokens joined by spaces."""
    step = min(max(int(step), 0), len(trace.tokens) - 1)
    recurrent = trace.config.recurrent
    grads = trace.grads
    return FigureContext(
        model=model, text=text or " ".join(trace.tokens), step=step,
        token=shown_token(trace.tokens[step]), layer=layer, layers=recurrent.num_layers,
        direction=direction, bidirectional=recurrent.bidirectional,
        loss_name="" if grads is None else grads.loss_name,
        loss_value=None if grads is None else float(grads.loss_value), unit=unit)


def architecture(trace: Trace) -> str:
    """"LSTM, 2 layers x 16 units, bidirectional": the model a trace file came from,
    when no model is open to name it."""
    recurrent = trace.config.recurrent
    layers = "1 layer" if recurrent.num_layers == 1 else f"{recurrent.num_layers} layers"
    words = f"{recurrent.cell.upper()}, {layers} × {recurrent.hidden_size} units"
    return words + (", bidirectional" if recurrent.bidirectional else "")


def text_excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` on one line, cut after at most ``limit`` characters at a word boundary
    (mid-word only when one word is that long), with "…" when cut."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


def _where(context: FigureContext) -> str:
    """"layer 1 of 2, backward": the direction only when there are two."""
    where = f"layer {context.layer} of {context.layers}"
    if context.bidirectional:
        where += ", " + ("backward" if context.direction == "bwd" else "forward")
    return where


def _loss(context: FigureContext) -> str:
    if context.loss_value is None:
        return "no loss (no gradients)"
    return f"loss {context.loss_name} = {context.loss_value:.4g}"


def figure_title(context: FigureContext, panel: str) -> tuple[str, str]:
    """Two title lines for ``panel``: what and which text; where in it and which loss.

    >>> line, detail = figure_title(FigureContext("GRU", "the cat sat", 1, "cat", 0, 1,
    ...     "fwd", False, "next-token", 2.5), "step")
    >>> line
    'This step · GRU · “the cat sat”'
    >>> detail
    'step 1 “cat” · layer 0 of 1 · loss next-token = 2.5'
    """
    name = PANEL_TITLES.get(panel, panel.capitalize())
    line = f"{name} · {context.model} · “{text_excerpt(context.text)}”"
    detail = [f"step {context.step} “{context.token}”", _where(context)]
    if context.unit is not None and panel in ("unit", "unit inspector", "step", "this step"):
        detail.append(f"unit {context.unit}")
    detail.append(_loss(context))
    return line, " · ".join(detail)
