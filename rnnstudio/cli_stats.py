"""``rnnstudio stats``: how often each gate is nearly shut or nearly open (saturation
statistics, Karpathy, Johnson & Fei-Fei 2015), over a text or a whole text file.

A table per layer, direction and gate (mean fractions, the units most often saturated on
each side), or JSON with every unit. A ``--text-file`` is streamed a paragraph at a time
(:func:`rnnstudio.io.text_stream.read_paragraphs`), so its size bounds time, not memory.
Kept beside ``cli.py``, which registers it and reads the model as ``trace`` does.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from typing import Any

from .engine.saturation import (
    DEFAULT_LEFT,
    DEFAULT_RIGHT,
    GATE_NAMES,
    Saturation,
    check_thresholds,
    saturation,
)
from .terminal import printable

STATS_HELP = ("count how often each gate is nearly shut (< 0.1) or nearly open (> 0.9) "
              "over a text or a text file: saturation statistics")
#: Units listed per side and gate in the table (JSON has every unit).
TOP_UNITS = 3


def add_stats_arguments(parser: argparse.ArgumentParser) -> None:
    """MODEL and the thresholds (the text and model options are cli.py's)."""
    parser.add_argument("model", metavar="MODEL", help="model file or shipped model name")
    parser.add_argument("--left", type=float, default=DEFAULT_LEFT, metavar="L",
                        help=f"a gate below L is left-saturated, nearly shut (default "
                        f"{DEFAULT_LEFT})")
    parser.add_argument("--right", type=float, default=DEFAULT_RIGHT, metavar="R",
                        help=f"a gate above R is right-saturated, nearly open (default "
                        f"{DEFAULT_RIGHT})")
    parser.add_argument("--json", action="store_true",
                        help="print every unit's counts and fractions as JSON")


def stats_texts(options: argparse.Namespace) -> tuple[Iterable[str], str]:
    """The texts to count and a line saying what they are; a text file is checked
    (size, readable) here, before the model is read, and streamed later."""
    from .io.text_stream import read_paragraphs

    if options.text is not None:
        return [str(options.text)], "--text (one text)"
    if options.text_file == "-":
        return read_paragraphs(sys.stdin.buffer), "paragraphs of standard input"
    return (read_paragraphs(options.text_file),
            f"paragraphs of {printable(options.text_file)} (blank lines separate them)")


def run_stats(options: argparse.Namespace, model: Any, origin: str,
              texts: Iterable[str], source: str) -> int:
    """Count over ``texts`` with ``model`` and print the table or JSON."""
    left, right = check_thresholds(options.left, options.right)
    result = saturation(model, texts, left, right)
    if options.json:
        print(json.dumps({"model": origin, "texts_from": source, **result.to_dict()},
                         indent=2))
    else:
        print("\n".join([f"model: {origin}", *result_lines(result, source)]))
    return 0


def result_lines(result: Saturation, source: str) -> list[str]:
    """What was read, the definition, then one row per layer, direction and gate."""
    most_left = {key: _units(result, key, "left") for key in result.keys}
    width = max(len("most left-saturated"), *map(len, most_left.values())) + 2
    lines = [f"read: {result.texts:,} text(s), {result.steps:,} steps; {source}; each text "
             "from the zero state",
             f"counted: {result.definition()}",
             f"{'layer':<6}{'gate':<17}{'mean left':>10}{'mean right':>11}  "
             f"{'most left-saturated':<{width}}most right-saturated"]
    for key in result.keys:
        layer, direction, gate = key
        mean_left, mean_right = result.means(key)
        lines.append(f"{f'{layer} {direction}':<6}{GATE_NAMES[gate]:<17}{mean_left:>10.3f}"
                     f"{mean_right:>11.3f}  {most_left[key]:<{width}}"
                     f"{_units(result, key, 'right')}")
    return lines


def _units(result: Saturation, key: tuple[int, str, str], side: str) -> str:
    """``u12 0.40, u3 0.21``: the units most often saturated on ``side``; ``-`` if none."""
    top = result.top_units(key, side, TOP_UNITS)
    return ", ".join(f"u{unit} {fraction:.2f}" for unit, fraction in top) or "-"
