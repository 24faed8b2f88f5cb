"""``rnnstudio attribute``: one score per token of a text, by a stated method, printed as
an aligned table (position, token, score) or as JSON with the same values.

Kept beside ``cli.py`` (which registers it and reads the model and the text the way
``trace`` does) so that module stays about tracing files.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .engine.attribution import BASELINES, DEFAULT_STEPS, METHODS, SCORES, Attribution
from .errors import ConfigError
from .terminal import printable

ATTRIBUTE_HELP = "score each token of a text: which words the model's verdict rests on"
#: A completeness gap above this share of s(x) - s(baseline) gets a warning line.
GAP_WARNING = 0.01
_TOKEN_WIDTH = 24


def add_attribute_arguments(parser: argparse.ArgumentParser) -> None:
    """MODEL and the method's options (the text and model-file options are cli.py's,
    shared with ``trace``)."""
    parser.add_argument("model", metavar="MODEL", help="model file or shipped model name")
    parser.add_argument("--method", choices=METHODS, default="gradient-x-input",
                        help="default gradient-x-input (signed; gradient-norm is not)")
    parser.add_argument("--target", metavar="LABEL",
                        help="the class (tag, next token) explained, by name or index "
                        "(default: the one the model predicts)")
    parser.add_argument("--score", choices=SCORES,
                        help="a model with a head: explain log p of the target (default) "
                        "or its log-odds, log p - log(1 - p), which does not saturate "
                        "when p is near 1")
    parser.add_argument("--step", type=int, metavar="N",
                        help="a tagger's or language model's step (default: the last)")
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, metavar="N",
                        help=f"integrated-gradients: integration steps (default {DEFAULT_STEPS})")
    parser.add_argument("--baseline", choices=BASELINES,
                        help="occlusion and integrated-gradients: what replaces a token "
                        "(default unk, or zeros for an open vocabulary; delete: occlusion)")
    parser.add_argument("--json", action="store_true",
                        help="print the tokens, scores and definitions as JSON")
    parser.add_argument("--out", metavar="FILE",
                        help="also write the scores to FILE: .csv (a row a token) or .json")


def check_out(out: str | None) -> None:
    """``--out``: a .csv or .json path that can be written (checked before any work)."""
    if out is None:
        return
    from .io.atomic import check_writable
    from .io.attribution_export import ATTRIBUTION_EXTENSIONS

    if Path(out).suffix.lower() not in ATTRIBUTION_EXTENSIONS:
        raise ConfigError(f"--out {out}: unknown extension; use .csv or .json")
    check_writable(out)


def target_value(text: str | None) -> int | str | None:
    """``--target``: an index ("1") or a name ("positive")."""
    if text is None:
        return None
    return int(text) if text.lstrip("-").isdigit() else text


def run_attribute(options: argparse.Namespace, model: Any, origin: str, text: str) -> int:
    """Attribute ``text`` with ``model`` and print the result (``origin``: the model's
    file, as ``trace`` names it)."""
    from .io.attribution_export import save_attribution

    result = model.attribute(text, options.method, target_value(options.target),
                             options.step, options.steps, options.baseline,
                             score=options.score)
    if options.json:
        print(json.dumps({"model": origin, **result.to_dict()}, indent=2, ensure_ascii=False))
    else:
        print("\n".join([f"model: {origin}", *result_lines(result)]))
    if options.out is not None:
        save_attribution(result, options.out)
        if not options.json:  # stdout stays one JSON document
            print(f"wrote: {printable(options.out)}")
    return 0


def result_lines(result: Attribution) -> list[str]:
    """The definition, the method, IG's completeness, then one row a token."""
    lines = [f"score s: {result.definition} = {result.score:.6g}"]
    method = result.method
    if result.baseline is not None:
        method += f", baseline {result.baseline}"
    if result.steps is not None:
        method += f", {result.steps} steps (midpoint rule)"
    lines.append(f"method: {method}" + ("" if result.signed else " (unsigned)"))
    lines += completeness_lines(result)
    width = min(_TOKEN_WIDTH, max(5, *(len(printable(t, _TOKEN_WIDTH)) for t in result.tokens)))
    lines.append(f"{'pos':>5}  {'token':<{width}}  score")
    lines += [f"{position:>5}  {printable(token, _TOKEN_WIDTH):<{width}}  {score:+.6g}"
              for position, (token, score) in enumerate(zip(result.tokens, result.scores,
                                                            strict=True))]
    return lines


def completeness_lines(result: Attribution) -> list[str]:
    """IG only: the scores' sum against s(x) - s(baseline), and a warning when the gap is
    more than :data:`GAP_WARNING` of it."""
    if result.completeness_gap is None or result.baseline_score is None:
        return []
    change = result.score - result.baseline_score
    lines = [f"completeness: sum of scores {result.scores.sum():.6g}, s(x) - s(baseline) = "
             f"{result.score:.6g} - ({result.baseline_score:.6g}) = {change:.6g}, gap "
             f"{result.completeness_gap:.2g}"]
    if abs(result.completeness_gap) > GAP_WARNING * max(abs(change), 1e-12):
        lines.append(f"warning: the gap is more than {GAP_WARNING:.0%} of the change: the "
                     "scores are not yet the integral; use more --steps")
    return lines
