"""Write an attribution (one score per token) to ``.csv`` or ``.json``, atomically.

The JSON is :meth:`Attribution.to_dict` (what ``rnnstudio attribute --json`` prints):
tokens, scores, the method, the score definition, baseline, steps, completeness gap. The
CSV is one row per token, ``step,token,score,method,explains``: the last two repeat on
every row so a row read alone still says what its number is (docs/formats.md).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import IO

from ..engine.attribution import Attribution
from ..errors import ExportError
from .atomic import check_writable, write_atomic

__all__ = ["ATTRIBUTION_CSV_HEADER", "ATTRIBUTION_EXTENSIONS", "save_attribution"]

ATTRIBUTION_EXTENSIONS = (".csv", ".json")
ATTRIBUTION_CSV_HEADER = ("step", "token", "score", "method", "explains")


def save_attribution(result: Attribution, path: str | Path) -> Path:
    """Write ``result`` to ``path`` (.csv or .json by extension); :class:`ExportError`
    naming the path for another extension or a place that cannot be written."""
    target = Path(path)
    extension = target.suffix.lower()
    if extension not in ATTRIBUTION_EXTENSIONS:
        raise ExportError(f"cannot write {target}: unknown attribution extension "
                          f"{extension or '(none)'!r}; use .csv or .json")
    check_writable(target)

    def write(stream: IO[bytes]) -> None:
        if extension == ".json":
            stream.write(json.dumps(result.to_dict(), indent=1, ensure_ascii=False,
                                    allow_nan=False).encode("utf-8"))
            return
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        rows = csv.writer(text, lineterminator="\n")
        rows.writerow(ATTRIBUTION_CSV_HEADER)
        for step, (token, score) in enumerate(zip(result.tokens, result.scores, strict=True)):
            rows.writerow((step, token, repr(float(score)), result.method, result.definition))
        text.flush()
        text.detach()  # the caller owns (and closes) the binary stream

    return write_atomic(target, write)
