"""What an animation of the cursor stepping through the text is, before anything is drawn:
the panel, the frame size, the rate and the sub-steps, checked together; which frame
shows which step; and the dissolve between two steps.

A frame per token shows the panel with the cursor on that token. With ``substeps`` k > 1
each token takes k frames that dissolve from the previous token's picture into its own
(the new column fades in, the cursor line moves across), eased so the motion starts and
ends gently; the title, which names the step, switches at once; the first token dissolves
in from white, so every frame differs from the one before it (a GIF writer would merge
two equal frames into one). Pixels are blended, not
redrawn: k sub-steps cost one drawing per token.

Qt-free: the window's export and ``rnnstudio animate`` check their options here, and the
blend is tested without a QApplication.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError, ExportError
from ..limits import (
    ANIMATION_FPS,
    ANIMATION_HEIGHTS,
    ANIMATION_WIDTHS,
    MAX_ANIMATION_FRAMES,
    MAX_GIF_FPS,
    MAX_GIF_PIXELS,
    MAX_SUBSTEPS,
    check_number,
    check_whole,
)

#: The panels an animation can show (name: what the frame holds).
ANIMATION_PANELS = {
    "heatmaps": "the heatmaps of the layer",
    "figure": "the heatmaps and the gradients on one time axis",
    "strip": "the token strip above the heatmaps",
    "gradients": "the gradients through time",
    "step": "This step: the readout and the vectors at the cursor",
    "unit": "the unit inspector",
}
ANIMATION_SUFFIXES = (".gif", ".mp4")
#: Text on a 720-pixel-high frame is drawn this many times its size in an exported figure
#: (9 pt labels read as 12.6 pt: View > Presentation's enlargement for a 1280 x 720
#: projector); a taller frame scales with its height, so 1080p looks the same, sharper.
SLIDE_TEXT_SCALE, SLIDE_HEIGHT = 1.4, 720


@dataclass(frozen=True)
class AnimationSpec:
    """A checked request: ``panel`` (a key of :data:`ANIMATION_PANELS`), frames of
    ``width`` x ``height`` pixels, ``fps`` frames a second, ``substeps`` frames a token."""

    panel: str
    width: int
    height: int
    fps: float
    substeps: int = 1

    @property
    def text_zoom(self) -> float:
        """How much larger than in a figure text is drawn (never smaller)."""
        return max(1.0, SLIDE_TEXT_SCALE * self.height / SLIDE_HEIGHT)

    def frame_count(self, steps: int) -> int:
        return steps * self.substeps


def parse_size(text: str, name: str = "size") -> tuple[int, int]:
    """``"1280x720"`` as (1280, 720); anything else a one-line error naming ``name``."""
    match = re.fullmatch(r"\s*(\d{1,6})\s*[x×X]\s*(\d{1,6})\s*", text)
    if match is None:
        raise ConfigError(f"{name} must be WIDTHxHEIGHT in pixels, e.g. 1280x720, got "
                          f"{text!r}", argument=name)
    return int(match.group(1)), int(match.group(2))


def check_animation(path: str | Path, panel: str, width: int, height: int, fps: float,
                    substeps: int = 1, names: dict[str, str] | None = None) -> AnimationSpec:
    """Every option of an animation written to ``path``, checked before the text is read
    or anything drawn; ``names`` maps "size", "fps", "substeps", "panel" to the flags
    that set them (the CLI's), else the words are used.

    Raises
    ------
    ExportError
        ``path`` is not .gif or .mp4.
    ConfigError
        A panel, size, rate or sub-step count out of range (naming the flag).
    """
    flag = {"size": "size", "fps": "fps", "substeps": "substeps", "panel": "panel",
            **(names or {})}
    suffix = Path(path).suffix.lower()
    if suffix not in ANIMATION_SUFFIXES:
        raise ExportError(f"cannot write an animation as {suffix or 'a file without suffix'}"
                          f" ({Path(path).name}): use .gif or .mp4")
    if panel not in ANIMATION_PANELS:
        raise ConfigError(f"{flag['panel']} {panel!r} is not a panel: use "
                          f"{', '.join(ANIMATION_PANELS)}", argument=flag["panel"])
    fix = "e.g. 1280x720"
    width = check_whole(f"{flag['size']} width", width, *ANIMATION_WIDTHS, fix)
    height = check_whole(f"{flag['size']} height", height, *ANIMATION_HEIGHTS, fix)
    if suffix == ".mp4" and (width % 2 or height % 2):
        raise ConfigError(f"{flag['size']} {width}x{height}: an MP4 (H.264, yuv420p) needs an "
                          "even width and height, e.g. 1280x720", argument=flag["size"])
    high = MAX_GIF_FPS if suffix == ".gif" else ANIMATION_FPS[1]
    fps = check_number(flag["fps"], fps, "a GIF plays at most 50 frames a second; write "
                       ".mp4 for more" if suffix == ".gif" else "e.g. 4",
                       low=ANIMATION_FPS[0], high=high)
    substeps = check_whole(flag["substeps"], substeps, 1, MAX_SUBSTEPS,
                           "1 is a frame per token")
    return AnimationSpec(panel, width, height, fps, substeps)


def check_frames(spec: AnimationSpec, steps: int, suffix: str) -> int:
    """The number of frames for a text of ``steps`` tokens, refused above the limits
    (once the text is read, still before drawing)."""
    frames = spec.frame_count(steps)
    if frames > MAX_ANIMATION_FRAMES:
        raise ConfigError(f"{steps} tokens x {spec.substeps} sub-steps make {frames:,} frames, "
                          f"more than {MAX_ANIMATION_FRAMES:,}: use fewer sub-steps or a "
                          "shorter text", argument="substeps")
    pixels = frames * spec.width * spec.height
    if suffix.lower() == ".gif" and pixels > MAX_GIF_PIXELS:
        raise ConfigError(f"a GIF of {frames:,} frames of {spec.width}x{spec.height} holds "
                          f"{pixels:,} pixels in memory, more than {MAX_GIF_PIXELS:,}: write "
                          ".mp4, or use a smaller size or fewer sub-steps", argument="size")
    return frames


def eased(fraction: float) -> float:
    """Smoothstep: 0 at 0, 1 at 1, flat at both ends."""
    return fraction * fraction * (3.0 - 2.0 * fraction)


def substep_frames(previous: np.ndarray | None, current: np.ndarray, substeps: int,
                   title_rows: int = 0) -> Iterator[np.ndarray]:
    """The ``substeps`` frames of one token: (H, W, 3) uint8 pictures dissolving from
    ``previous`` (None: white) into ``current``, the last one ``current`` itself. The
    top ``title_rows`` rows are ``current``'s from the first frame on: a dissolving title
    showed two step numbers over each other."""
    if substeps == 1:
        yield current
        return
    start = (np.full_like(current, 255) if previous is None else previous).astype(np.float32)
    end = current.astype(np.float32)
    for index in range(1, substeps):
        weight = eased(index / substeps)
        frame = np.rint(start + (end - start) * weight).astype(np.uint8)
        frame[:title_rows] = current[:title_rows]
        yield frame
    yield current
