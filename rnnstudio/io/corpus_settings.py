"""What a corpus index stores and how: settings checked before any reading, the
manifest's header, and the rule that decides whether an existing index may be continued.

An index is continued only with the same model (weights fingerprint), the same settings
that change the files (quantities, document and shard sizes) and unchanged source files
(path, size, modification time); anything else is refused with what differs and what to
do (another ``--out``, or ``--restart``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._version import __version__
from ..engine.trajectory import model_fingerprint
from ..errors import ConfigError
from ..limits import (
    MAX_CORPUS_BATCH,
    MAX_DOC_TOKENS,
    MAX_SHARD_BYTES,
    MAX_SHARD_TOKENS,
    check_whole,
)
from .corpus_documents import SourceFile
from .corpus_file import FORMAT, STORAGE_DTYPE, VERSION, CorpusFileError

if TYPE_CHECKING:
    from ..engine.model import Model

__all__ = ["DEFAULT_BATCH_SIZE", "DEFAULT_DOC_TOKENS", "DEFAULT_SHARD_TOKENS", "STATE_RULE",
           "CorpusSettings", "check_continuable", "default_out", "manifest_header",
           "stored_quantities", "unit_counts"]

#: Tokens of a document before a paragraph is cut at sentence ends: a long paragraph of a
#: novel is 300-600 words; 2,000 keeps a batch's memory small.
DEFAULT_DOC_TOKENS = 2000
#: Tokens of a shard: 65,536 x 256 units x 2 bytes = 32 MB of h per layer and direction.
DEFAULT_SHARD_TOKENS = 65_536
DEFAULT_BATCH_SIZE = 64
STATE_RULE = ("reset at every document: each document is read from the zero state, so its "
              "numbers equal model.trace(document_text)")
#: Settings that change the stored files (a batch size changes only the order of sums).
_COMPARED = ("quantities", "max_doc_tokens", "shard_tokens", "storage_dtype")


@dataclass(frozen=True)
class CorpusSettings:
    """``quantities``: ``"h"`` (default), ``"h,c"``, ``"all"`` (h, c and every gate) or
    a comma list of trace names; documents of at most ``max_doc_tokens`` tokens; shards
    of at most ``shard_tokens``; ``batch_size`` documents through the forward at once."""

    quantities: str = "h"
    max_doc_tokens: int = DEFAULT_DOC_TOKENS
    shard_tokens: int = DEFAULT_SHARD_TOKENS
    batch_size: int = DEFAULT_BATCH_SIZE

    def checked(self, model: Model) -> CorpusSettings:
        """The settings with sizes checked against the limits and this model (the
        buffered shard's bytes included); a :class:`ConfigError` names the setting."""
        longest = min(MAX_DOC_TOKENS, model.config.max_tokens())  # one trace of the model
        docs = check_whole("max_doc_tokens", self.max_doc_tokens, 1, longest,
                           "documents are cut at sentence ends to this many tokens, at most "
                           "what one trace of this model reads")
        shard = check_whole("shard_tokens", self.shard_tokens, docs, MAX_SHARD_TOKENS,
                            "a shard holds whole documents, so at least max_doc_tokens")
        batch = check_whole("batch_size", self.batch_size, 1, MAX_CORPUS_BATCH,
                            "e.g. 64 documents")
        stored = stored_quantities(model, self.quantities)
        per_token = _stored_units(model, stored) * STORAGE_DTYPE.itemsize
        if shard * per_token > MAX_SHARD_BYTES:
            raise ConfigError(f"shard_tokens {shard:,} buffers {shard * per_token:,} bytes "
                              f"({per_token:,} a token), more than {MAX_SHARD_BYTES:,}; use "
                              f"at most {MAX_SHARD_BYTES // per_token:,} or store fewer "
                              "quantities", argument="shard_tokens")
        return CorpusSettings(",".join(stored), docs, shard, batch)


def default_out(source: str) -> str:
    """Where an index of ``source`` goes by default, beside it: ``books/`` ->
    ``books.rscorpus``, ``a.txt`` -> ``a.rscorpus``."""
    path = Path(source.rstrip("/\\") or ".")
    return str(path.with_suffix(".rscorpus") if path.suffix else
               path.with_name(path.name + ".rscorpus"))


def stored_quantities(model: Model, spec: str) -> tuple[str, ...]:
    """The trace names ``spec`` asks for, in trace order: ``h``, ``c`` (LSTM), gates."""
    rec = model.config.recurrent
    every = ("h", "c", *rec.gates) if rec.cell == "lstm" else ("h", *rec.gates)
    if not isinstance(spec, str):
        raise ConfigError(f"quantities must be text such as 'h', 'h,c' or 'all', got {spec!r}",
                          argument="quantities")
    if spec.strip() == "all":
        return every
    asked = [name.strip() for name in spec.split(",") if name.strip()]
    unknown = [name for name in asked if name not in every]
    if not asked or unknown:
        raise ConfigError(f"quantities {spec!r}: this {rec.cell} model records "
                          f"{', '.join(every)}; give some of them (e.g. h or h,c) or all",
                          argument="quantities")
    return tuple(name for name in every if name in asked)


def unit_counts(model: Model) -> dict[str, int]:
    """Units of every recorded quantity: h has the output size, the rest hidden size."""
    rec = model.config.recurrent
    return {name: rec.output_size if name == "h" else rec.hidden_size
            for name in ("h", "c", *rec.gates)}


def _stored_units(model: Model, stored: tuple[str, ...]) -> int:
    """Values stored per token over every layer and direction."""
    rec = model.config.recurrent
    units = unit_counts(model)
    return rec.num_layers * rec.num_directions * sum(units[name] for name in stored)


def manifest_header(model: Model, title: str, settings: CorpusSettings,
                    files: list[SourceFile]) -> dict[str, Any]:
    """Everything the manifest says before the first shard (no shards, no counts)."""
    rec = model.config.recurrent
    stored = tuple(settings.quantities.split(","))
    tokenizer = model.tokenizer
    return {
        "format": FORMAT, "version": VERSION, "rnnstudio_version": __version__,
        "numpy_version": np.__version__,
        "model": {"fingerprint": model_fingerprint(model.params), "title": title,
                  "summary": model.summary(), "recurrent": rec.to_dict(),
                  "dtype": model.config.dtype},
        "tokenizer": tokenizer.to_dict(),
        "joiner": tokenizer.joiner,
        "settings": {"quantities": list(stored),
                     "keys": [list(key) for key in model.stack.layers(model.dtype)],
                     "units": {name: unit_counts(model)[name] for name in stored},
                     "state": STATE_RULE, "max_doc_tokens": settings.max_doc_tokens,
                     "shard_tokens": settings.shard_tokens, "batch_size": settings.batch_size,
                     "storage_dtype": STORAGE_DTYPE.name},
        "sources": [file.to_dict() for file in files],
        "shards": [], "documents": 0, "tokens": 0, "complete": False, "saturation": None,
    }


def check_continuable(old: Mapping[str, Any], new: Mapping[str, Any], where: str) -> None:
    """Refuse to continue the index at ``where`` (manifest ``old``) with ``new``'s model,
    settings or sources, saying which differs and what to do."""
    fix = f"give another --out, or --restart to replace {where}"
    if old["model"]["fingerprint"] != new["model"]["fingerprint"]:
        raise CorpusFileError(f"{where} was made with another model ({old['model']['title']}"
                              f", fingerprint {old['model']['fingerprint']}); {fix}")
    for name in _COMPARED:
        if old["settings"][name] != new["settings"][name]:
            raise CorpusFileError(f"{where} was made with {name} {old['settings'][name]}, "
                                  f"not {new['settings'][name]}; {fix}")
    if old["sources"] != new["sources"]:
        before = {entry["path"]: entry for entry in old["sources"]}
        now = {entry["path"]: entry for entry in new["sources"]}
        changed = [path for path in [*now, *before] if before.get(path) != now.get(path)]
        raise CorpusFileError(f"{where} was made from other source files ({changed[0]} "
                              f"differs or is missing); {fix}")
