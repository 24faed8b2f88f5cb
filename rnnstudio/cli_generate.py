"""``rnnstudio generate``: a language model writes after a prompt; the text is printed.

Standard output holds the text alone (prompt and continuation), so it can be piped; on a
terminal the continuation is bold, so what the model wrote stands apart from what it was
given (``NO_COLOR`` or ``TERM=dumb`` turn that off). ``--out`` also writes the full
trace (states, gates, gradients) of prompt and continuation as a trace file, and a
summary line (how many tokens, why it stopped) goes to standard error.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, TextIO

from .engine.generation import Generation
from .terminal import printable

GENERATE_HELP = "write with a language model: continue a prompt token by token"
#: What the engine's options are called on this command line.
GENERATE_FLAGS = {"length": "--length", "temperature": "--temperature", "top_k": "--top-k",
                  "seed": "--seed"}
_BOLD, _PLAIN = "\x1b[1m", "\x1b[0m"
_ENDINGS = {"length": "all --length tokens", "end token": "ended at its end token",
            "stopped": "stopped"}


def add_generate_arguments(parser: argparse.ArgumentParser) -> None:
    """MODEL and the sampling options (the model-file options are cli.py's)."""
    parser.add_argument("model", metavar="MODEL",
                        help="a model with a next-token head, e.g. charlm-lstm")
    parser.add_argument("--prompt", required=True, help="the text to continue")
    parser.add_argument("--length", type=int, required=True, metavar="N",
                        help="tokens to write (fewer if the model writes its end token)")
    parser.add_argument("--temperature", type=float, default=1.0, metavar="T",
                        help="divides the logits before the softmax (default 1; 0: "
                        "greedy, always the most likely token)")
    parser.add_argument("--top-k", type=int, metavar="K",
                        help="draw only among the K most likely tokens (default: all)")
    parser.add_argument("--seed", type=int, dest="sample_seed", metavar="S",
                        help="seed of the draws: the same seed writes the same text "
                        "(default: a fresh one each run)")
    parser.add_argument("--out", metavar="FILE",
                        help="also write the trace of prompt and continuation: .npz, .csv "
                        "or .json (docs/formats.md)")


def run_generate(options: argparse.Namespace, model: Any) -> int:
    """Write, print the text, and save the trace when ``--out`` asks."""
    from .engine.generation import check_options

    check_options(model, options.length, options.temperature, options.top_k,
                  options.sample_seed)  # before the prompt is read
    generation = model.generate(options.prompt, length=options.length,
                                temperature=options.temperature, top_k=options.top_k,
                                seed=options.sample_seed)
    print_text(generation, sys.stdout)
    print(summary_line(generation), file=sys.stderr)
    if options.out is not None:
        from .io.trace_export import save_trace

        save_trace(model.trace(generation.all_tokens), options.out)
        print(f"wrote: {printable(options.out)}", file=sys.stderr)
    return 0


def print_text(generation: Generation, stream: TextIO) -> None:
    """The text on ``stream``; the continuation bold when ``stream`` is a terminal."""
    given = len(generation.prompt.rstrip())  # Generation.text: the prompt, then the writing
    prompt, written = (printable(part, len(part)) for part in (
        generation.text[:given], generation.text[given:]))
    if _styled(stream):
        written = f"{_BOLD}{written}{_PLAIN}"
    print(prompt + written, file=stream)


def summary_line(generation: Generation) -> str:
    """How many tokens were written, with what, and why it ended."""
    options = generation.options
    how = ("greedy (temperature 0)" if options.temperature == 0
           else f"temperature {options.temperature:g}")
    if options.top_k is not None:
        how += f", top-{options.top_k}"
    if options.seed is not None:
        how += f", seed {options.seed}"
    mean = float(generation.probabilities.mean()) if len(generation.tokens) else float("nan")
    return (f"rnnstudio: wrote {len(generation.tokens)} tokens after the prompt's "
            f"{len(generation.prompt_tokens)} ({how}; {_ENDINGS[generation.stop_reason]}); "
            f"mean probability of the written tokens {mean:.3f}")


def _styled(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal that wants styling (no-color.org)."""
    return (hasattr(stream, "isatty") and stream.isatty() and "NO_COLOR" not in os.environ
            and os.environ.get("TERM") != "dumb")
