"""The tokens around a hit or span inside its document, as the results tables show them.

A context never leaves the document (documents were read separately). Tokens are joined
with the source's joiner (``""`` for a character model, ``" "`` otherwise), so a context of
a character model reads as the text did.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..limits import check_whole
from .corpus_source import CorpusSource

__all__ = ["CONTEXT_AFTER", "CONTEXT_BEFORE", "Context", "context"]

#: Tokens shown before and after a hit: enough for a sentence of words or a line of
#: characters to its left, where a unit's reason usually lies (it reads left to right).
CONTEXT_BEFORE = 30
CONTEXT_AFTER = 10


@dataclass(frozen=True)
class Context:
    """The text ``before`` a hit, the ``hit`` itself and the text ``after`` it, each
    joined with the source's joiner; ``clipped_before`` / ``clipped_after`` say whether
    the document goes on beyond what is shown."""

    before: str
    hit: str
    after: str
    joiner: str
    clipped_before: bool
    clipped_after: bool

    def marked(self, left: str = "[", right: str = "]") -> str:
        """One line: ``…before [hit] after…`` (the marks around the hit)."""
        head = ("…" if self.clipped_before else "") + self.before
        tail = self.after + ("…" if self.clipped_after else "")
        pieces = [piece for piece in (head, f"{left}{self.hit}{right}", tail) if piece]
        return self.joiner.join(pieces)


def context(source: CorpusSource, document: int, start: int, stop: int,
            before: int = CONTEXT_BEFORE, after: int = CONTEXT_AFTER,
            tokens: list[str] | None = None) -> Context:
    """The context of tokens ``[start, stop)`` of ``document``: up to ``before`` tokens
    before and ``after`` tokens after, inside the document. ``tokens``: the document's
    tokens when the caller has them already (a table of many hits in one document)."""
    count = len(source.doc_starts) - 1
    document = check_whole("document", document, 0, count - 1, "pick a document of the corpus")
    if tokens is None:
        tokens = source.document_tokens(document)
    start = check_whole("start", start, 0, max(len(tokens) - 1, 0), "a token of the document")
    stop = check_whole("stop", stop, start + 1, len(tokens), "at least one token")
    first, last = max(start - before, 0), min(stop + after, len(tokens))
    join = source.joiner.join
    return Context(join(tokens[first:start]), join(tokens[start:stop]), join(tokens[stop:last]),
                   source.joiner, first > 0, last < len(tokens))
