"""``rnnstudio corpus search`` and ``rnnstudio corpus top``: queries of a corpus index.

``search``: every span where the chosen units are all at or above a threshold, ranked
(:func:`rnnstudio.engine.corpus_query.find_spans`). ``top``: the k tokens where one unit is
highest or lowest (:func:`rnnstudio.engine.corpus_query.top_activations`), with the unit's
corpus-wide saturation when the index counted it. A table with context, or ``--json``.

``cli_corpus.py`` registers the ``corpus`` command and opens the index; these functions
take the opened :class:`~rnnstudio.engine.corpus_source.CorpusSource`. Every flag is
checked before any value is read: a bad one is one line naming the flag and the value,
exit status 2.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from .cli_errors import for_command_line, print_error
from .engine.corpus_query import check_query, search_spans, top_activations
from .engine.corpus_source import CorpusSource
from .errors import ConfigError, shown
from .limits import MAX_TOP_K, check_number, check_whole
from .terminal import printable
from .view.corpus import (
    ResultRow,
    activation_rows,
    describe_corpus,
    saturation_line,
    search_rule,
    span_rows,
    top_rule,
)

SEARCH_HELP = ("every span of a corpus index where the chosen units are all at or above a "
               "threshold, ranked, with context")
TOP_HELP = "the k tokens of a corpus index where a unit is highest (or lowest), with context"
_SEARCH_FLAGS = {"units": "--units", "threshold": "--threshold", "layer": "--layer",
                 "direction": "--direction", "quantity": "--quantity",
                 "min_length": "--min-length", "limit": "--limit"}
_TOP_FLAGS = {**_SEARCH_FLAGS, "units": "--unit", "k": "--k"}


def _add_place_arguments(parser: argparse.ArgumentParser) -> None:
    """NAME.rscorpus and which stored values to read (both commands)."""
    parser.add_argument("corpus", metavar="NAME.rscorpus", help="a corpus index")
    parser.add_argument("--quantity", default="h", metavar="Q",
                        help="stored quantity: h (default), c or a gate (i f g o, r z n)")
    parser.add_argument("--layer", type=int, default=0, metavar="L", help="layer (default 0)")
    parser.add_argument("--direction", default="fwd", metavar="D",
                        help="fwd (default) or bwd")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")


def add_search_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``corpus search``."""
    _add_place_arguments(parser)
    parser.add_argument("--units", required=True, metavar="U,U",
                        help="units that must all be on, comma-separated, e.g. 3,17")
    parser.add_argument("--threshold", type=float, required=True, metavar="T",
                        help="a unit is on at a token when its value is >= T")
    parser.add_argument("--min-length", type=int, default=1, metavar="N",
                        help="shortest span listed, in tokens (default 1)")
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="list the first N spans (default: all)")


def add_top_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``corpus top``."""
    _add_place_arguments(parser)
    parser.add_argument("--unit", type=int, required=True, metavar="U", help="the unit")
    parser.add_argument("--k", type=int, default=20, metavar="K",
                        help=f"tokens listed (default 20, at most {MAX_TOP_K:,})")
    parser.add_argument("--lowest", action="store_true",
                        help="list where the unit is lowest instead of highest")


def _units(text: str) -> list[int]:
    """``"3,17"`` -> [3, 17]; else a ConfigError naming ``units``."""
    try:
        return [int(part) for part in str(text).split(",")]
    except ValueError:
        raise ConfigError(f"units must be unit numbers separated by commas, e.g. 3,17, got "
                          f"{shown(text)}", argument="units") from None


def run_search(args: argparse.Namespace, source: CorpusSource) -> int:
    """Check every flag, search, print the table or JSON; 2 on a bad flag."""
    try:
        units = check_query(source, args.quantity, args.layer,
                            args.direction, _units(args.units))
        threshold = check_number("threshold", args.threshold, "give e.g. 0.5")
        min_length = check_whole("min_length", args.min_length, 1, 2**62, "give e.g. 2")
        if args.limit is not None:
            check_whole("limit", args.limit, 1, 2**62, "give e.g. 100, or leave it out")
    except ConfigError as error:
        print_error(for_command_line(error, _SEARCH_FLAGS))
        return 2
    found = search_spans(source, args.quantity, args.layer,
                         args.direction, units, threshold, min_length, args.limit)
    rows = span_rows(source, found.spans)
    rule = search_rule(units, threshold, min_length)
    what = f"{args.quantity} of layer {args.layer} {args.direction}"
    _print(args, source, rule, what, rows, "floor", "spans", total=found.total)
    return 0


def run_top(args: argparse.Namespace, source: CorpusSource) -> int:
    """Check every flag, list the top (or bottom) k tokens and the unit's saturation."""
    try:
        (unit,) = check_query(source, args.quantity, args.layer,
                              args.direction, [args.unit])
        k = check_whole("k", args.k, 1, MAX_TOP_K, "give e.g. 20")
    except ConfigError as error:
        print_error(for_command_line(error, _TOP_FLAGS))
        return 2
    hits = top_activations(source, args.quantity, args.layer,
                           args.direction, unit, k, args.lowest)
    rows = activation_rows(source, hits)
    saturated = saturation_line(source, args.quantity, args.layer,
                                args.direction, unit)
    what = f"{args.quantity} of layer {args.layer} {args.direction}"
    _print(args, source, top_rule(unit, args.lowest), what, rows, "value", "tokens",
           saturated)
    return 0


def _print(args: argparse.Namespace, source: CorpusSource, rule: str, what: str,
           rows: Sequence[ResultRow], score_name: str, key: str,
           saturated: str | None = None, total: int | None = None) -> None:
    """The rows as JSON or as a table under the corpus description and the rule;
    ``total``: how many there are in all when ``rows`` may be the first of them."""
    described = describe_corpus(source, str(args.corpus))
    if args.json:
        payload: dict[str, object] = {
            "corpus": str(args.corpus), "description": described, "values": what,
            "rule": rule, key: [row.to_dict() for row in rows]}
        if saturated is not None:
            payload["saturation"] = saturated
        if total is not None:
            payload["total"] = total
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    lines = [*described, f"values: {what}", f"rule: {rule}"]
    if saturated is not None:
        lines.append(f"saturation: {saturated}")
    count = f"{len(rows):,} {key}"
    if total is not None and total > len(rows):
        count = f"the first {len(rows):,} of {total:,} {key}"
    lines.append(count + (":" if rows else ""))
    if rows:
        lines.append(f"{'rank':>5}  {'document':>8}  {'position':>8}  {'length':>6}  "
                     f"{score_name:>8}  context ([...] marks the {key[:-1]})")
    lines += [f"{row.rank:>5}  {row.document:>8}  {row.position:>8}  {row.length:>6}  "
              f"{row.score:>8.4f}  {printable(row.context.marked(), 200)}" for row in rows]
    print("\n".join(lines))
