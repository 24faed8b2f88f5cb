"""``rnnstudio plot TRACE_OR_MODEL --out fig.png|svg``: the GUI's panels without a window.

The CLI wires it as::

    plot = subparsers.add_parser("plot", help=PLOT_HELP)
    add_plot_arguments(plot)
    plot.set_defaults(handler=run_plot)   # run_plot(args) -> exit code

Qt is imported only inside ``run_plot``, so ``rnnstudio --help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

PLOT_HELP = "render the heatmaps, gradients, this-step or unit panel to PNG or SVG"
PANELS = ("heatmaps", "gradients", "step", "unit")


def add_plot_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``plot`` sub-command's arguments to ``parser``."""
    parser.add_argument("source", metavar="TRACE_OR_MODEL",
                        help="a trace (.npz or .json from 'rnnstudio trace') or a model file")
    parser.add_argument("--text", help="sentence to read (needed with a model)")
    parser.add_argument("--out", required=True, help="output file, .png or .svg")
    parser.add_argument("--panel", choices=PANELS, default="heatmaps",
                        help="which panel to render (default: heatmaps)")
    parser.add_argument("--layer", type=int, default=0, help="layer to show (default 0)")
    parser.add_argument("--direction", choices=("fwd", "bwd"), default="fwd")
    parser.add_argument("--step", type=int, default=-1,
                        help="cursor step; later steps are dimmed (default: last)")
    parser.add_argument("--unit", type=int, default=0, help="unit for --panel unit/step")
    parser.add_argument("--loss", default="default",
                        help="loss with a model: last-output-sum, next-token, class, tag ...")
    parser.add_argument("--width", type=int, default=1600, help="PNG width in pixels")
    parser.add_argument("--height", type=int, default=900,
                        help="panel height in pixels before scaling to --width")


def _load(args: argparse.Namespace) -> tuple[Any, Any]:
    """(model or None, trace) from a trace file, or a model file plus ``--text``."""
    from ..errors import RnnStudioError
    from ..io import is_trace_file, load_trace
    from . import engine_bridge

    if is_trace_file(args.source):
        return None, load_trace(args.source)
    # Read first: a corrupt or truncated file is neither, and the reader says what is wrong.
    model = engine_bridge.load_model(args.source)
    if not args.text:
        raise RnnStudioError(f"{args.source} is a model: give the sentence with --text")
    loss = engine_bridge.LossChoice(args.loss)
    return model, engine_bridge.trace_text(model, args.text, loss, jacobian=True)


def _panel(name: str, session: Any) -> Any:
    from .widgets.gradients import GradientPanel
    from .widgets.heatmaps import HeatmapPanel
    from .widgets.step_view import StepView
    from .widgets.unit_inspector import UnitInspector

    return {"heatmaps": HeatmapPanel, "gradients": GradientPanel, "step": StepView,
            "unit": UnitInspector}[name](session)


def render(args: argparse.Namespace) -> Path:
    """Draw the chosen panel for the trace and write ``args.out``; returns the path."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # no window, also on a desktop
    from PySide6.QtWidgets import QApplication

    from ..errors import ExportError
    from . import export
    from .session import Session

    app = QApplication.instance() or QApplication([sys.argv[0]])
    model, trace = _load(args)
    session = Session()
    try:
        session.layer, session.direction = args.layer, args.direction
        if (args.layer, args.direction) not in trace.layers:
            raise ExportError(f"the trace has no layer {args.layer} ({args.direction})")
        session.show_trace(model, trace, Path(args.source).name)
        steps = len(trace.tokens)
        session.set_cursor(args.step if args.step >= 0 else steps + args.step)
        session.select_unit(args.unit)
        panel = _panel(args.panel, session)
        # Lay out at a screen-like size; the exporter then scales to --width, so fonts
        # keep their proportion to the plot at any output size.
        panel.resize(min(max(args.width, 600), 2000), args.height)
        panel.show()
        app.processEvents()
        export.export_figure(export.plot_items_of(panel), args.out, args.width)
        panel.close()
    finally:
        session.shutdown()
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
