"""What the Corpus dock and ``rnnstudio corpus search|top`` show: the corpus's
description, the rules in words and one row per result with its context (Qt-free).

A row holds plain values (rank, document, token position, length, score or value) and the
:class:`~rnnstudio.engine.corpus_query_context.Context` around the hit, so the window can
mark the hit in colour and the terminal with brackets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..engine.corpus_query import RANKING, Activation, Span
from ..engine.corpus_query_brush import BRUSH_AFTER, BRUSH_BEFORE, BRUSH_THRESHOLD, brush_rule
from ..engine.corpus_query_context import CONTEXT_AFTER, CONTEXT_BEFORE, Context, context
from ..engine.corpus_source import CorpusSource
from ..engine.saturation import GATE_NAMES

__all__ = ["BRUSH_AFTER", "BRUSH_BEFORE", "BRUSH_THRESHOLD", "PANEL_AFTER", "PANEL_BEFORE",
           "RANKING", "CorpusSource",
           "ResultRow", "brush_rule", "activation_rows", "describe_corpus", "fingerprint_line",
           "counted", "model_matches", "saturation_line", "search_rule", "span_rows",
           "stored_values", "top_rule"]


#: Context tokens in the Corpus dock's tables (the CLI shows 30 before and 10 after): at
#: 1280 x 720 the context column is about 250 px, and 30 characters before the hit pushed
#: the hit itself out of it (seen under Xvfb).
PANEL_BEFORE, PANEL_AFTER = 12, 6


@dataclass(frozen=True)
class ResultRow:
    """One result: ``rank`` (from 1), token ``position`` of ``document`` and ``length``
    tokens from there, ``score`` (a span's floor, a token's value), its ``context``."""

    rank: int
    document: int
    position: int
    length: int
    corpus_position: int
    score: float
    context: Context

    @property
    def where(self) -> str:
        """``doc 3, tokens 12-16`` (a span) or ``doc 3, token 12`` (one token)."""
        if self.length == 1:
            return f"doc {self.document}, token {self.position}"
        return f"doc {self.document}, tokens {self.position}-{self.position + self.length - 1}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: every field, the context as before / hit / after."""
        return {"rank": self.rank, "document": self.document, "position": self.position,
                "length": self.length, "corpus_position": self.corpus_position,
                "score": self.score, "context": {
                    "before": self.context.before, "hit": self.context.hit,
                    "after": self.context.after, "marked": self.context.marked()}}


class _Tokens:
    """Each document's tokens read once per table (a corpus on disk re-tokenizes)."""

    def __init__(self, source: CorpusSource) -> None:
        self.source = source
        self.cache: dict[int, list[str]] = {}

    def context(self, document: int, start: int, stop: int, before: int,
                after: int) -> Context:
        if document not in self.cache:
            self.cache[document] = self.source.document_tokens(document)
        return context(self.source, document, start, stop, before, after,
                       self.cache[document])


def span_rows(source: CorpusSource, spans: Sequence[Span], before: int = CONTEXT_BEFORE,
              after: int = CONTEXT_AFTER) -> list[ResultRow]:
    """One row per span, in the given (ranked) order."""
    tokens = _Tokens(source)
    return [ResultRow(rank, span.document, span.start, span.length, span.corpus_start,
                      span.score, tokens.context(span.document, span.start, span.stop,
                                                 before, after))
            for rank, span in enumerate(spans, start=1)]


def activation_rows(source: CorpusSource, hits: Sequence[Activation],
                    before: int = CONTEXT_BEFORE, after: int = CONTEXT_AFTER) -> list[ResultRow]:
    """One row per token, in the given (ranked) order."""
    tokens = _Tokens(source)
    return [ResultRow(rank, hit.document, hit.position, 1, hit.corpus_position, hit.value,
                      tokens.context(hit.document, hit.position, hit.position + 1, before,
                                     after))
            for rank, hit in enumerate(hits, start=1)]


def counted(count: int, noun: str) -> str:
    """``1 span``, ``3 spans``, ``12,000 tokens``: a count and its noun, in the number
    it needs (nouns here take an s)."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def search_rule(units: Sequence[int], threshold: float, min_length: int) -> str:
    """The search and its ranking in words."""
    named = ", ".join(map(str, units))
    which = f"unit {named} is" if len(units) == 1 else f"units {named} are all"
    return (f"spans of at least {counted(min_length, 'token')} inside one document where {which} "
            f">= {threshold:g}; ranked {RANKING}")


def top_rule(unit: int, lowest: bool) -> str:
    """What a top-activations table lists, in words."""
    side = "lowest" if lowest else "highest"
    return f"the tokens where unit {unit} is {side}, {side} first; equal values in corpus order"


def model_matches(source: CorpusSource, model_fingerprint: str | None) -> bool:
    """Whether the open model (its fingerprint; None: no model) made the corpus."""
    return model_fingerprint is not None and model_fingerprint == source.fingerprint


def fingerprint_line(source: CorpusSource, model_fingerprint: str | None) -> str:
    """Whether the corpus was made with the open model, in words."""
    if model_matches(source, model_fingerprint):
        return f"made with the open model (fingerprint {source.fingerprint})"
    if model_fingerprint is None:
        return f"made with model {source.fingerprint}"
    return (f"made with another model ({source.fingerprint}; the open one is "
            f"{model_fingerprint}): its results cannot be opened in the main view")


def describe_corpus(source: CorpusSource, name: str,
                    model_fingerprint: str | None = None) -> list[str]:
    """Lines: the corpus's name, size, what it stores, and which model made it."""
    documents = len(source.doc_starts) - 1
    return [f"{name}: {counted(documents, 'document')}, {counted(source.token_count, 'token')}",
            f"stores {stored_values(source)}",
            fingerprint_line(source, model_fingerprint)]


def stored_values(source: CorpusSource) -> str:
    """``h, c of layer 0 fwd``: the quantities stored and the layers they are stored for."""
    keys = ", ".join(f"{layer} {direction}" for layer, direction in source.keys)
    layers = "layer" if len(source.keys) == 1 else "layers"
    return f"{', '.join(source.quantities)} of {layers} {keys}"


def saturation_line(source: CorpusSource, quantity: str, layer: int, direction: str,
                    unit: int) -> str | None:
    """The unit's corpus-wide saturation fractions, when the corpus counted them for this
    quantity (gates, or h of a tanh RNN); else None."""
    counts = source.saturation
    key = (layer, direction, quantity)
    if counts is None or key not in counts.keys:
        return None
    left = float(counts.left_fraction(key)[unit])
    right = float(counts.right_fraction(key)[unit])
    return (f"{GATE_NAMES[quantity]}, unit {unit} over the corpus ({counts.steps:,} tokens): "
            f"left-saturated {left:.3f}, right-saturated {right:.3f} "
            f"({counts.definition()})")
