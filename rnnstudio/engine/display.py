"""Short descriptions of a model and a trace: their ``repr`` and the rows of their
notebook tables (:mod:`rnnstudio.notebook`), so both say the same thing.

A default dataclass ``repr`` of a 200-token trace printed every array (25 KB); these
stay on one line whatever the text's length: at most ``SHOWN_TOKENS`` tokens, each cut
to ``TOKEN_CHARS`` characters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import RecurrentConfig
    from .model import Model
    from .trace import Trace

__all__ = ["model_facts", "model_repr", "shown_tokens", "trace_facts", "trace_repr"]

SHOWN_TOKENS = 5
TOKEN_CHARS = 12


def stack_text(recurrent: RecurrentConfig) -> str:
    """``2 layers x 32`` (``x 64 proj 16`` with a projection, ``, bidirectional``)."""
    layers = f"{recurrent.num_layers} layer{'s' * (recurrent.num_layers > 1)}"
    size = f"{recurrent.hidden_size}" + (f" proj {recurrent.proj_size}"
                                         if recurrent.proj_size else "")
    return f"{layers} x {size}" + (", bidirectional" if recurrent.bidirectional else "")


def shown_tokens(tokens: list[str]) -> str:
    """The first ``SHOWN_TOKENS`` tokens as ``['the', 'cat', ...]``, each cut short."""
    cut = [token if len(token) <= TOKEN_CHARS else token[:TOKEN_CHARS - 1] + "\u2026"
           for token in tokens[:SHOWN_TOKENS]]
    more = ", ..." if len(tokens) > SHOWN_TOKENS else ""
    return "[" + ", ".join(repr(token) for token in cut) + more + "]"


def trace_facts(trace: Trace) -> list[tuple[str, str]]:
    """(name, value) rows: cell, layers, dtype, tokens, loss (, interventions)."""
    config = trace.config
    grads = trace.grads
    loss = "none" if grads is None else f"{grads.loss_name} = {grads.loss_value:.6g}"
    facts = [("cell", config.recurrent.kind), ("layers", stack_text(config.recurrent)),
             ("dtype", config.dtype),
             ("tokens", f"{trace.steps} {shown_tokens(trace.tokens)}"), ("loss", loss)]
    if trace.interventions:  # an edited trace must not read as the model's own
        facts.append(("interventions", "; ".join(edit.spec() for edit in trace.interventions)))
    if trace.nonfinite is not None:
        facts.append(("non-finite", f"step {trace.nonfinite.step}, layer "
                                    f"{trace.nonfinite.layer} {trace.nonfinite.quantity}"))
    return facts


def model_facts(model: Model) -> list[tuple[str, str]]:
    """(name, value) rows: cell, layers, input size, vocabulary, task, parameters, dtype."""
    config = model.config
    tokenizer = config.tokenizer
    vocabulary = "open" if tokenizer.open else f"{len(tokenizer.vocabulary or ()):,}"
    task = "none (a bare cell)" if config.task is None else config.task
    if config.task in ("classify", "tag"):
        task += f" ({len(config.labels)} labels)"
    return [("cell", config.recurrent.kind), ("layers", stack_text(config.recurrent)),
            ("input", str(config.recurrent.input_size)),
            ("vocabulary", f"{vocabulary} ({tokenizer.kind} tokens)"), ("task", task),
            ("parameters", f"{model.num_parameters:,}"), ("dtype", config.dtype)]


def trace_repr(trace: Trace) -> str:
    """One line: ``<Trace LSTM, 1 layer x 32, float32; 200 tokens [...]; loss ...>``."""
    facts = dict(trace_facts(trace))
    edited = len(trace.interventions)
    return (f"<Trace {facts['cell']}, {facts['layers']}, {facts['dtype']}; "
            f"{trace.steps} tokens {shown_tokens(trace.tokens)}; loss {facts['loss']}"
            + (f"; {edited} intervention{'s' * (edited > 1)}" if edited else "") + ">")


def model_repr(model: Model) -> str:
    """One line: cell, layers, input size, vocabulary, task, parameter count, dtype."""
    facts = dict(model_facts(model))
    return (f"<Model {facts['cell']}, {facts['layers']}, input {facts['input']}, "
            f"vocabulary {facts['vocabulary']}, task {facts['task']}, "
            f"{facts['parameters']} parameters, {facts['dtype']}>")
