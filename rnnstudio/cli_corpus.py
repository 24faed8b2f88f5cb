"""``rnnstudio corpus``: index a text file or folder with a model (``corpus index``),
describe an index (``corpus info``) and query it (``corpus search``, ``corpus top``, whose
flags and output live in :mod:`.cli_corpus_query`).

``corpus index`` prints a progress line on stderr (tokens, tokens/s, ETA from the bytes
read) and stops cleanly on Ctrl+C after the batch it is in: the finished shards are kept,
and the same command continues after them. Kept beside ``cli.py``, which registers it and
reads the model as ``trace`` does.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from .cli_corpus_query import (
    SEARCH_HELP,
    TOP_HELP,
    add_search_arguments,
    add_top_arguments,
    run_search,
    run_top,
)
from .io.corpus_settings import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_DOC_TOKENS,
    DEFAULT_SHARD_TOKENS,
    STATE_RULE,
    default_out,
)
from .terminal import printable
from .view.corpus import counted, stored_values

__all__ = ["CORPUS_HELP", "add_corpus_commands", "run_corpus_index", "run_corpus_info"]

CORPUS_HELP = "index a text file or folder with a model, and query the index"
INDEX_HELP = ("read a text file or a folder of text files with a model and store every "
              "token's h (and on request c and the gates) in NAME.rscorpus")
INFO_HELP = "describe a corpus index: documents, tokens, model, settings, saturation"
#: The exit status of a run stopped by Ctrl+C (as for every other command: 128 + SIGINT).
INTERRUPTED = 130


def add_corpus_commands(corpus: argparse.ArgumentParser,
                        model_options: Callable[[argparse.ArgumentParser], None],
                        index_handler: Callable[[argparse.Namespace], int]) -> Any:
    """``index``, ``info``, ``search`` and ``top`` under ``corpus``; returns the
    sub-command group. ``model_options`` adds cli.py's model-file options."""
    group = corpus.add_subparsers(dest="corpus_command", metavar="SUBCOMMAND", required=True)
    index = group.add_parser("index", help=INDEX_HELP, description=INDEX_HELP)
    index.add_argument("model", metavar="MODEL", help="model file or shipped model name")
    index.add_argument("--text-file", metavar="FILE", required=True,
                       help="a UTF-8 text file, or a folder of them (read in sorted order)")
    index.add_argument("--out", metavar="NAME.rscorpus",
                       help="the index folder (default: the text's name + .rscorpus)")
    index.add_argument("--quantities", default="h", metavar="h|h,c|all",
                       help="what to store per token: h (default), h,c, all (h, c and every "
                       "gate) or a comma list such as h,f")
    index.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, metavar="N",
                       help=f"documents read at once (default {DEFAULT_BATCH_SIZE})")
    index.add_argument("--max-doc-tokens", type=int, default=DEFAULT_DOC_TOKENS, metavar="N",
                       help="longer paragraphs are cut at sentence ends (default "
                       f"{DEFAULT_DOC_TOKENS})")
    index.add_argument("--shard-tokens", type=int, default=DEFAULT_SHARD_TOKENS, metavar="N",
                       help=f"tokens per shard file (default {DEFAULT_SHARD_TOKENS:,})")
    index.add_argument("--jobs", type=int, default=None, metavar="N",
                       help="shards indexed at once, each in its own thread (default: the "
                       "cores, at most 4); the files written do not depend on it")
    index.add_argument("--restart", action="store_true",
                       help="replace an existing index at --out instead of continuing it")
    model_options(index)
    index.set_defaults(handler=index_handler)
    info = group.add_parser("info", help=INFO_HELP, description=INFO_HELP)
    info.add_argument("corpus", metavar="NAME.rscorpus", help="a corpus index folder")
    info.add_argument("--json", action="store_true", help="print the manifest's facts as JSON")
    info.set_defaults(handler=run_corpus_info)
    search = group.add_parser("search", help=SEARCH_HELP, description=SEARCH_HELP)
    add_search_arguments(search)
    search.set_defaults(handler=lambda options: run_search(options, _opened(options)))
    top = group.add_parser("top", help=TOP_HELP, description=TOP_HELP)
    add_top_arguments(top)
    top.set_defaults(handler=lambda options: run_top(options, _opened(options)))
    return group


def _opened(options: argparse.Namespace) -> Any:
    """The index named by ``options.corpus`` (a bad folder is a one-line error)."""
    from .io.corpus_reader import open_corpus

    return open_corpus(options.corpus)


def run_corpus_index(options: argparse.Namespace, model: Any, origin: str) -> int:
    """Index ``options.text_file`` with ``model``; progress on stderr; Ctrl+C stops."""
    from .io.corpus_index import index_corpus
    from .io.corpus_settings import CorpusSettings

    out = options.out or default_out(options.text_file)
    settings = CorpusSettings(options.quantities, options.max_doc_tokens,
                              options.shard_tokens, options.batch_size)
    stop = _StopOnInterrupt()
    progress = _ProgressLine()
    with stop:
        report = index_corpus(model, options.text_file, out, settings, progress,
                              stop, options.restart, origin, options.jobs)
    progress.finish()
    print(f"model: {origin}")
    print(f"state: {STATE_RULE}")
    if report.resumed_shards and report.complete:
        print(f"continued after {counted(report.resumed_shards, 'finished shard')}")
    print(f"{'wrote' if report.complete else 'kept'}: {printable(str(report.path))} "
          f"({counted(report.documents, 'document')}, {counted(report.tokens, 'token')}, "
          f"{counted(report.shards, 'shard')})")
    if not report.complete:
        print(f"stopped after {counted(report.shards, 'shard')}; run the same command to resume",
              file=sys.stderr)
        return INTERRUPTED
    return 0


class _StopOnInterrupt:
    """``should_stop`` that turns Ctrl+C (SIGINT) into a clean stop between batches."""

    def __init__(self) -> None:
        self.asked = False
        self._previous: Any = None

    def __call__(self) -> bool:
        return self.asked

    def __enter__(self) -> _StopOnInterrupt:
        self._previous = signal.signal(signal.SIGINT, self._ask)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._previous)

    def _ask(self, _signum: int, _frame: Any) -> None:
        self.asked = True


class _ProgressLine:
    """``on_progress`` printing tokens, tokens/s and the ETA (from bytes) on stderr, at
    most twice a second, and the last state at the end (so the final line is never a
    stale one); the rate counts this run's tokens only (a resumed run's first call gives
    the tokens already indexed)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.first_tokens: int | None = None
        self.tty = sys.stderr.isatty()
        self.last_shown = -1.0
        self.line, self.shown = "", ""

    def __call__(self, tokens: int, bytes_read: int, total_bytes: int) -> None:
        now = time.perf_counter()
        if self.first_tokens is None:
            self.first_tokens, self.started = tokens, now
            return
        elapsed = max(now - self.started, 1e-9)
        fraction = bytes_read / total_bytes if total_bytes else 1.0
        eta = elapsed * (1 - fraction) / fraction if fraction > 0 else 0.0
        self.line = (f"indexed {tokens:,} tokens ({100 * fraction:.0f}% of the text), "
                     f"{(tokens - self.first_tokens) / elapsed:,.0f} tokens/s, "
                     f"ETA {_duration(eta)}")
        if now - self.last_shown >= 0.5:
            self._show()
            self.last_shown = now

    def _show(self) -> None:
        print(f"\r{self.line}" if self.tty else self.line, end="" if self.tty else "\n",
              file=sys.stderr, flush=True)
        self.shown = self.line

    def finish(self) -> None:
        if self.line != self.shown:
            self._show()
        if self.tty and self.shown:
            print(file=sys.stderr)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"


def run_corpus_info(options: argparse.Namespace) -> int:
    """Print what an index holds (or its facts as JSON)."""
    from .io.corpus_reader import open_corpus

    corpus = open_corpus(options.corpus)
    manifest = corpus.manifest
    facts = {"path": str(corpus.folder), "documents": corpus.document_count,
             "tokens": corpus.token_count, "complete": manifest["complete"],
             "model": manifest["model"], "settings": manifest["settings"],
             "shards": len(manifest["shards"]), "sources": len(manifest["sources"]),
             "saturation": manifest["saturation"]}
    if options.json:
        print(json.dumps(facts, indent=2, sort_keys=True))
        return 0
    print("\n".join(info_lines(corpus)))
    return 0


def info_lines(corpus: Any) -> list[str]:
    """The lines of ``corpus info``: sizes, model, settings, saturation summary."""
    from .cli_stats import result_lines

    manifest, settings = corpus.manifest, corpus.manifest["settings"]
    lines = [f"corpus: {printable(str(corpus.folder))}"
             f"{'' if manifest['complete'] else ' (unfinished: run the same index command)'}",
             f"documents: {corpus.document_count:,}, tokens: {corpus.token_count:,}, "
             f"shards: {len(manifest['shards'])}, source files: {len(manifest['sources'])}",
             f"model: {printable(manifest['model']['title'])} "
             f"(fingerprint {manifest['model']['fingerprint']})",
             f"  {manifest['model']['summary']}",
             f"stored: {stored_values(corpus)}, {settings['storage_dtype']}",
             f"state: {settings['state']}",
             f"documents of at most {settings['max_doc_tokens']:,} tokens; shards of at "
             f"most {settings['shard_tokens']:,}"]
    saturation = corpus.saturation
    if saturation is None:
        return [*lines, "saturation: not counted (a ReLU RNN has no saturating range)"]
    return [*lines, "saturation over the corpus:",
            *("  " + line for line in result_lines(saturation, "every document"))]
