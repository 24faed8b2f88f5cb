"""What the Trajectory dock draws, as plain data: the path of a text's states through two
chosen principal components (or three, seen orthographically), its labels, its colour
ramp, and a second text in the same basis.

Labels: every token of a text of at most :data:`LABEL_ALL_UP_TO` tokens; past that every
k-th token, k = ceil(T / LABEL_ALL_UP_TO), plus the last (and the cursor's, drawn with its
highlight), so
at most about 40 labels whatever the length (at 1280 x 720 the dock holds about that many
short words before they overlap). The colour ramp runs from the first token to the last
(viridis, stopped before its pale yellow, which vanished on a light background).

Three dimensions without OpenGL: the points (PC_a, PC_b, PC_c) are rotated by an azimuth
about the third axis and tilted by an elevation, then drawn orthographically::

    right = (-sin az, cos az, 0)
    up    = (-sin el cos az, -sin el sin az, cos el)
    screen = (p . right, p . up)

so azimuth -90, elevation 90 (looking down the third axis) is the 2-D picture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..engine.trajectory import THIS_TEXT, PcaBasis, Trajectory
from .colour_maps import colour_table_rgb
from .colours import COLOUR_COUNT
from .readout import shown_token

#: Texts up to this many tokens have every token labelled.
LABEL_ALL_UP_TO = 40
#: The colour ramp: this much of viridis from its dark end (the rest is pale yellow).
RAMP_SHARE = 0.85
#: Azimuth and elevation (degrees) that show the 3-D view as the 2-D one.
FLAT_VIEW = (-90.0, 90.0)


def labelled_steps(count: int) -> tuple[int, ...]:
    """The steps that carry a label (see the module docstring for the rule); the
    cursor's token is labelled with its highlight, whichever step it is on."""
    if count <= LABEL_ALL_UP_TO:
        return tuple(range(count))
    stride = math.ceil(count / LABEL_ALL_UP_TO)
    return tuple(sorted(set(range(0, count, stride)) | {count - 1}))


def label_rule(count: int) -> str:
    """The label rule in force for ``count`` tokens, as the dock states it."""
    if count <= LABEL_ALL_UP_TO:
        return "every token labelled"
    stride = math.ceil(count / LABEL_ALL_UP_TO)
    return f"a label every {stride} tokens, on the last and on the cursor's"


def axis_label(basis: PcaBasis, index: int) -> str:
    """``PC1 (43% of variance)`` for component ``index`` (0-based)."""
    share = float(basis.ratio[index]) * 100
    shown = f"{share:.0f}" if share >= 1 or share == 0 else f"{share:.1g}"
    return f"PC{index + 1} ({shown}% of variance)"


def fit_description(basis: PcaBasis) -> str:
    """What the basis was fitted on, and on which states, as the dock says it."""
    where = "this text" if basis.fitted_on == THIS_TEXT else basis.fitted_on
    tokens = f"{basis.tokens} token{'s' if basis.tokens != 1 else ''}"
    text = f"PCA of {basis.where}, fit on {where} ({tokens})"
    if basis.degenerate:
        text += (": every state is the same point (zero variance), so every token sits "
                 "at the origin")
    return text


def ramp_colours(count: int) -> np.ndarray:
    """(count, 3) uint8 colours from the first token (dark) to the last (light)."""
    table = colour_table_rgb("viridis")[:COLOUR_COUNT]
    if count <= 1:
        return table[:1].repeat(count, axis=0)
    rows = np.round(np.linspace(0, RAMP_SHARE * (COLOUR_COUNT - 1), count)).astype(int)
    return table[rows]


def screen_axes(azimuth: float, elevation: float) -> np.ndarray:
    """(2, 3): the screen's right and up directions in (PC_a, PC_b, PC_c) coordinates."""
    az, el = math.radians(azimuth), math.radians(elevation)
    return np.array([[-math.sin(az), math.cos(az), 0.0],
                     [-math.sin(el) * math.cos(az), -math.sin(el) * math.sin(az),
                      math.cos(el)]])


def orthographic(points: np.ndarray, azimuth: float, elevation: float) -> np.ndarray:
    """(T, 3) points seen from ``azimuth``/``elevation`` (degrees) -> (T, 2) screen."""
    return points @ screen_axes(azimuth, elevation).T


@dataclass(frozen=True)
class TrajectoryPlot:
    """One path as drawn: ``xy`` (T, 2) screen coordinates (the chosen components' values
    in 2-D), ``tokens`` as shown, ``labelled`` steps, ``colours`` (T, 3) uint8."""

    xy: np.ndarray
    tokens: tuple[str, ...]
    labelled: tuple[int, ...]
    colours: np.ndarray


@dataclass(frozen=True)
class TrajectoryFigure:
    """The whole picture: the text's path, an optional second text in the same basis,
    axis labels (2-D) or the projected axes with their labels (3-D), and what it says."""

    main: TrajectoryPlot
    overlay: TrajectoryPlot | None
    x_label: str
    y_label: str
    #: 3-D only: the components' directions on screen (3, 2) and their labels.
    axes: np.ndarray | None
    axis_names: tuple[str, ...]
    caption: str


def trajectory_figure(main: Trajectory, shown: tuple[int, ...],
                      overlay: Trajectory | None = None,
                      view: tuple[float, float] = FLAT_VIEW) -> TrajectoryFigure:
    """The figure of ``main`` (and ``overlay``, projected in its basis) on the components
    ``shown`` (two indices: a plane; three: seen from ``view`` = azimuth, elevation)."""
    basis = main.basis
    if len(shown) not in (2, 3) or not all(0 <= index < basis.count for index in shown):
        raise ValueError(f"components {shown}: choose 2 or 3 of 0..{basis.count - 1}")
    names = tuple(axis_label(basis, index) for index in shown)
    axes = screen_axes(*view).T if len(shown) == 3 else None

    def plot(path: Trajectory) -> TrajectoryPlot:
        picked = path.points[:, list(shown)]
        xy = picked if axes is None else picked @ axes
        count = len(path.tokens)
        return TrajectoryPlot(np.ascontiguousarray(xy), tuple(map(shown_token, path.tokens)),
                              labelled_steps(count), ramp_colours(count))

    caption = f"{fit_description(basis)} · {label_rule(len(main.tokens))}"
    if overlay is not None:
        caption += f" · second text ({len(overlay.tokens)} tokens) in the same basis"
    flat = axes is None  # in 3-D the projected axes carry the names, not the frame
    return TrajectoryFigure(plot(main), None if overlay is None else plot(overlay),
                            names[0] if flat else "", names[1] if flat else "", axes,
                            names, caption)
