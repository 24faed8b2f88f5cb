"""``rnnstudio plot SOURCE --out fig.png|svg|pdf``: the GUI's panels without a window.

A session file renders exactly the view it describes (model, text, loss, cursor, layer,
direction, unit, options) through the same :class:`Session` and panel code as the window.

The CLI wires it as::

    plot = subparsers.add_parser("plot", help=PLOT_HELP)
    add_plot_arguments(plot)
    plot.set_defaults(handler=run_plot)   # run_plot(args) -> exit code

Qt is imported only inside ``run_plot``, so ``rnnstudio --help`` stays fast. The figure's
size is checked before the source is read or anything is drawn, and Qt's known harmless
messages from the offscreen platform are kept off stderr: a successful run prints only
``wrote PATH``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..limits import check_figure_size

if TYPE_CHECKING:
    from ..view.tracing import Placement
    from .session import Session

PLOT_HELP = ("render the heatmaps, gradients, this-step or unit panel, or the heatmaps and "
             "gradients on one time axis (figure), of a session, a trace or a model to PNG, "
             "SVG or PDF")
PANELS = ("heatmaps", "gradients", "step", "unit", "figure")


def add_plot_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``plot`` sub-command's arguments to ``parser``."""
    parser.add_argument("source", metavar="SESSION_TRACE_OR_MODEL",
                        help="a session (.rnnstudio), a trace (.npz/.json from "
                             "'rnnstudio trace') or a model file")
    parser.add_argument("--text", help="sentence to read (needed with a model)")
    parser.add_argument("--out", required=True, help="output file, .png, .svg or .pdf")
    parser.add_argument("--panel", choices=PANELS, default="heatmaps",
                        help="which panel to render; figure = heatmaps and gradients on one "
                             "time axis (default: heatmaps)")
    parser.add_argument("--layer", type=int, help="layer to show (default: the session's, "
                                                  "else 0)")
    parser.add_argument("--direction", choices=("fwd", "bwd"))
    parser.add_argument("--step", type=int, help="cursor step, negative from the end; later "
                                                 "steps are dimmed (default: the session's, "
                                                 "else the last)")
    parser.add_argument("--unit", type=int, help="unit for --panel unit/step")
    from ..cli import add_model_file_options

    add_model_file_options(parser.add_argument_group("model file options (with a model)"))
    parser.add_argument("--loss", help="loss with a model: last-output-sum, next-token, "
                                       "class, tag ... (default: the model's task loss)")
    parser.add_argument("--width", type=int, default=1600,
                        help="figure width in pixels at 96 dpi (PDF: 0.75 pt a pixel); the "
                             "figure is laid out for it, text keeps its size")
    parser.add_argument("--height", type=int, default=900,
                        help="height of the gradients, step and unit panels in pixels "
                             "(heatmaps and figure take the height they need)")


def _fill(args: argparse.Namespace, session: Session) -> None:
    """Give ``session`` what ``args.source`` holds: a session file exactly as saved, a
    trace file, or a model reading ``--text``; the command's own options on top."""
    from ..cli import key_map, model_file_flags, model_file_overrides
    from ..engine.losses import parse_loss
    from ..errors import RnnStudioError
    from ..io import load_model, load_trace
    from ..io.model_source import ModelSource
    from ..io.session_file import is_session_file, load_session
    from ..io.sniff import is_trace_file
    from ..view.lessons import load_lessons
    from ..view.tracing import Placement
    from .session_files import restore

    source = Path(args.source)
    names = key_map(args)  # checked before any file is read
    overrides = model_file_overrides(args)
    placement = Placement(step=args.step, layer=args.layer, direction=args.direction,
                          unit=args.unit)
    given = model_file_flags(args, ("readout",))
    if given and (is_session_file(source) or is_trace_file(source)):
        raise RnnStudioError(f"{source}: {given} to a model file")
    if is_session_file(source):
        state = load_session(source)
        if not restore(session, state, load_lessons(), synchronous=True):
            raise RnnStudioError(f"{source}: the session could not be shown (see above)")
    elif is_trace_file(source):
        session.show_trace(load_trace(source), source.name)
    else:
        model_source = ModelSource.named(str(source))
        # A broken file says so before --text is asked for.
        model = (load_model(model_source.path, dict(names), **overrides)
                 if (names or overrides) and model_source.path is not None
                 else model_source.load())
        if not args.text:
            raise RnnStudioError(f"{source} is a model: give the sentence with --text")
        loss = parse_loss(args.loss) if args.loss else None
        if not session.first_trace(model_source, args.text, Placement(step=-1), loss, model):
            raise RnnStudioError(f"{source}: the text could not be read (see above)")
    _place(session, placement)


def _place(session: Session, placement: Placement) -> None:
    from ..errors import ExportError

    assert session.trace is not None
    layer = session.layer if placement.layer is None else placement.layer
    direction = placement.direction or session.direction
    if (layer, direction) not in session.trace.layers:
        raise ExportError(f"the trace has no layer {layer} ({direction})")
    session.set_view(layer, direction)
    if placement.step is not None:
        step = placement.step
        session.set_cursor(step + session.step_count if step < 0 else step)
    if placement.unit is not None:
        session.select_unit(placement.unit)


@contextmanager
def headless_session(args: argparse.Namespace) -> Iterator[Session]:
    """A session showing ``args.source`` (as :func:`_fill` reads it) with every gradient
    curve computed, on an offscreen Qt; shut down when the block ends. ``plot`` and
    ``animate`` draw from it."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # no window, also on a desktop
    from PySide6.QtWidgets import QApplication

    from .desktop.qt_logging import qt_messages_logged
    from .session import Session

    with qt_messages_logged():
        if QApplication.instance() is None:
            QApplication([sys.argv[0]])  # kept alive by Qt until the process ends
        session = Session()
        errors: list[str] = []
        session.error_raised.connect(errors.append)
        try:
            try:
                _fill(args, session)
            except Exception as error:
                if errors:  # the session said why: say it instead of "see above"
                    raise type(error)("; ".join(errors)) from error
                raise
            session.complete_gradients()
            yield session
        finally:
            session.shutdown()


def render(args: argparse.Namespace) -> Path:
    """Draw the chosen panel and write ``args.out``; returns the path."""
    check_figure_size(args.width, args.height, ("--width", "--height"))  # before reading
    from . import export

    with headless_session(args) as session:
        export.render_panel(session, args.panel, args.out, args.width, args.height)
    return Path(args.out)


def run_plot(args: argparse.Namespace) -> int:
    """Handler of ``rnnstudio plot``: writes the figure and returns 0.

    Bad input raises ``RnnStudioError`` (as the other sub-command handlers do), so the
    CLI prints it as ``rnnstudio: error: ...`` and exits with status 2.
    """
    path = render(args)
    print(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m rnnstudio.gui.plot_cli``: the same as ``rnnstudio plot``."""
    from ..errors import RnnStudioError

    parser = argparse.ArgumentParser(prog="rnnstudio plot", description=PLOT_HELP)
    add_plot_arguments(parser)
    try:
        return run_plot(parser.parse_args(argv))
    except RnnStudioError as error:
        print(f"rnnstudio: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
