"""``rnnstudio animate MODEL|SESSION --text TEXT --out a.gif|a.mp4``: the cursor stepping
through the text, as a GIF or an MP4 for slides.

One frame per token (times ``--substeps``: a dissolve from token to token) of one panel
or of the heatmaps + gradients figure, ``--size`` pixels, ``--fps`` frames a second. The
source is read as ``rnnstudio plot`` reads it (a session file shows exactly its view; a
model reads ``--text``; a trace file its tokens) and drawn by the window's own code
(:mod:`rnnstudio.gui.animation`) with an offscreen Qt.

Every option, the encoder (the ``video`` extra) and the output folder are checked before
the source is read; the frame count once the text is tokenized, still before drawing.
Qt is imported only when the command runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .io.animation_file import check_animation_file
from .view.animation import ANIMATION_PANELS, AnimationSpec, check_animation, parse_size

ANIMATE_HELP = ("write a GIF or MP4 of the cursor stepping through the text (a frame per "
                "token) over the heatmaps, gradients, token strip, this-step or unit panel, "
                "or the heatmaps + gradients figure, for slides")
_FLAGS = {"size": "--size", "fps": "--fps", "substeps": "--substeps", "panel": "--panel"}


def add_animate_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``animate`` sub-command's arguments to ``parser``."""
    parser.add_argument("source", metavar="MODEL_OR_SESSION",
                        help="a model file or shipped model name (with --text), a session "
                             "(.rnnstudio) or a trace file")
    parser.add_argument("--text", help="sentence to read (needed with a model)")
    parser.add_argument("--out", required=True, metavar="FILE",
                        help="the animation: .gif (Pillow) or .mp4 (H.264, imageio-ffmpeg); "
                             'both from pip install "rnnstudio[video]"')
    parser.add_argument("--panel", default="figure", metavar="PANEL",
                        help=f"what each frame shows: {', '.join(ANIMATION_PANELS)} "
                             "(default: figure = heatmaps and gradients on one time axis)")
    parser.add_argument("--size", default="1280x720", metavar="WxH",
                        help="frame size in pixels (default 1280x720; text is sized for a "
                             "720p slide and scales with the height)")
    parser.add_argument("--fps", type=float, default=4.0,
                        help="frames a second (default 4: a token every 0.25 s)")
    parser.add_argument("--substeps", type=int, default=1,
                        help="frames per token, dissolving from one token into the next "
                             "(default 1; e.g. --substeps 3 --fps 12)")
    parser.add_argument("--layer", type=int, help="layer to show (default: the session's, "
                                                  "else 0)")
    parser.add_argument("--direction", choices=("fwd", "bwd"))
    parser.add_argument("--unit", type=int, help="unit for --panel unit/step")
    parser.add_argument("--loss", help="loss with a model: last-output-sum, next-token, "
                                       "class, tag ... (default: the model's task loss)")
    from .cli_model_file import add_model_file_options

    add_model_file_options(parser.add_argument_group("model file options (with a model)"))
    parser.set_defaults(step=None)  # the session reader's cursor: every step is drawn


def checked_spec(args: argparse.Namespace) -> AnimationSpec:
    """The options as an :class:`AnimationSpec`, or a one-line error naming the flag;
    the encoder and the output folder checked too (nothing is read yet)."""
    width, height = parse_size(args.size, "--size")
    spec = check_animation(args.out, args.panel, width, height, args.fps, args.substeps,
                           _FLAGS)
    check_animation_file(args.out)
    return spec


def run_animate(args: argparse.Namespace) -> int:
    """Handler of ``rnnstudio animate``: writes the animation, prints one line, returns 0.
    Bad input raises ``RnnStudioError`` (exit status 2, one line)."""
    spec = checked_spec(args)
    from .gui.animation import FrameRenderer, animation_frames
    from .gui.plot_cli import headless_session
    from .io.animation_file import save_animation
    from .view.animation import check_frames

    with headless_session(args) as session:
        frames = check_frames(spec, session.step_count, Path(args.out).suffix)
        renderer = FrameRenderer(session, spec)
        try:
            last = renderer.render(session.step_count - 1)  # every colour, for a GIF
            path = save_animation(args.out, animation_frames(renderer, spec.substeps),
                                  spec.fps, palette_from=last)
        finally:
            renderer.close()
    size = path.stat().st_size
    print(f"wrote {path} ({frames} frames of {spec.width}x{spec.height} at {spec.fps:g} fps, "
          f"{size / 1e6:.1f} MB)")
    return 0
