"""What the Write dock lists after a writing: each written token, how sure the model was
of it, and whether it was the model's first choice (no Qt).

Why a list: the summary line gives the mean probability, but a lecturer asks "why did it
write *that*?" of one token; its probability and rank answer it, and a click on the row
puts the cursor there, where This step shows the distribution it was drawn from.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.generation import Generation
from .readout import shown_token

__all__ = ["MAX_WRITTEN_ROWS", "WrittenRow", "written_rows"]

#: The list keeps the newest this many tokens: a list of 2,000 rows is not read.
MAX_WRITTEN_ROWS = 500


@dataclass(frozen=True)
class WrittenRow:
    """One written token: its ``step`` in the whole text (what the cursor takes), the
    token as shown, its probability softmax(l / T) and ``rank`` (1: the first choice)."""

    step: int
    token: str
    probability: float
    rank: int

    def cells(self) -> tuple[str, str, str, str]:
        """The row as the table shows it: step, token, p, rank."""
        return (str(self.step), shown_token(self.token), f"{self.probability:.2f}",
                str(self.rank))


def written_rows(generation: Generation, limit: int = MAX_WRITTEN_ROWS) -> list[WrittenRow]:
    """The last ``limit`` written tokens of ``generation``, in writing order."""
    first = len(generation.prompt_tokens)
    count = len(generation.tokens)
    return [WrittenRow(first + k, generation.tokens[k], float(generation.probabilities[k]),
                       int(generation.ranks[k]) + 1)
            for k in range(max(0, count - limit), count)]
