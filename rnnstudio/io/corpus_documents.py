"""The documents of a corpus: paragraphs of text files, streamed, cut to a token limit.

A source is one UTF-8 text file or a folder of them (every regular file below it whose
name and folders do not start with ``.``, in sorted path order). Each file is read a
paragraph at a time (:func:`rnnstudio.io.text_stream.read_paragraphs`: blank lines
separate paragraphs; never the whole file at once). A paragraph of more than
``max_doc_tokens`` tokens is cut at sentence ends (after ``.``, ``!`` or ``?`` and a
space) into pieces of at most that many; a sentence still longer is cut between words,
and a word longer still (a char tokenizer over a text without spaces) every
``max_doc_tokens`` characters (a tokenizer never makes more tokens than characters).

One document is one of those texts, and the index reads each from the zero state, so a
document's numbers are those of ``model.trace(document.text)``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..engine.tokenizers import Tokenizer
from ..errors import TextError
from ..limits import MAX_CORPUS_BYTES, MAX_CORPUS_FILES
from .text_stream import read_paragraphs

__all__ = ["Document", "SourceFile", "documents", "list_sources"]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class SourceFile:
    """A text file of a corpus as it was when listed: what a resumed index compares."""

    path: str
    size: int
    mtime_ns: int

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "size": self.size, "mtime_ns": self.mtime_ns}


@dataclass(frozen=True)
class Document:
    """One document: its text and the model tokenizer's tokens of it (at least one)."""

    text: str
    tokens: list[str]


def list_sources(source: str | os.PathLike[str]) -> list[SourceFile]:
    """The text files of ``source`` (a file, or a folder's non-hidden files in sorted
    path order) with sizes and modification times; refused before anything is read when
    missing, empty, or past ``MAX_CORPUS_FILES`` / ``MAX_CORPUS_BYTES``."""
    root = Path(source)
    if root.is_file():
        paths = [root]
    elif root.is_dir():
        paths = sorted(path for path in root.rglob("*") if path.is_file()
                       and not any(part.startswith(".") for part in path.relative_to(root).parts))
        if not paths:
            raise TextError(f"{root}: the folder holds no text files; give a folder of "
                            "UTF-8 .txt files or one file")
    else:
        raise TextError(f"{root}: no such file or folder; give a UTF-8 text file or a folder")
    if len(paths) > MAX_CORPUS_FILES:
        raise TextError(f"{root}: {len(paths):,} files, more than the {MAX_CORPUS_FILES:,} "
                        "of one corpus; index it in parts")
    files = []
    for path in paths:
        try:
            status = path.stat()
        except OSError as exc:
            raise TextError(f"cannot read text file {path}: {exc.strerror or exc}") from None
        files.append(SourceFile(str(path), status.st_size, status.st_mtime_ns))
    total = sum(file.size for file in files)
    if total > MAX_CORPUS_BYTES:
        raise TextError(f"{root}: {total:,} bytes of text, more than the {MAX_CORPUS_BYTES:,}"
                        " of one corpus; index it in parts")
    return files


def documents(
    files: list[SourceFile], tokenizer: Tokenizer, max_doc_tokens: int,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[Document]:
    """The documents of ``files`` in order (module docstring); paragraphs without a
    token are left out. ``on_bytes(bytes_read)`` follows each paragraph, counted over
    every file. A file that is not UTF-8 or cannot be read is a :class:`TextError`
    naming it."""
    before = 0
    for file in files:
        def progress(done: int, _total: int, before: int = before) -> None:
            if on_bytes is not None:
                on_bytes(before + done)

        for paragraph in read_paragraphs(file.path, limit=MAX_CORPUS_BYTES,
                                         on_progress=progress):
            yield from _pieces(paragraph, tokenizer, max_doc_tokens)
        before += file.size
        if on_bytes is not None:
            on_bytes(before)


def _pieces(text: str, tokenizer: Tokenizer, limit: int) -> Iterator[Document]:
    """``text`` as one document, or cut into pieces of at most ``limit`` tokens."""
    tokens = tokenizer.split(text)
    if len(tokens) <= limit:
        if tokens:
            yield Document(text, tokens)
        return
    for piece in _packed(_SENTENCE_END.split(text), tokenizer, limit):
        tokens = tokenizer.split(piece)
        if tokens:
            yield Document(piece, tokens)


def _packed(parts: list[str], tokenizer: Tokenizer, limit: int) -> Iterator[str]:
    """``parts`` joined by spaces into texts of at most ``limit`` tokens: joining adds at
    most one token (a char tokenizer's space), so ``count(a) + 1 + count(b)`` bounds the
    join; a part over the limit alone is cut into words, then into characters."""
    piece: list[str] = []
    count = 0
    for part in parts:
        size = len(tokenizer.split(part))
        if size > limit:
            if piece:
                yield " ".join(piece)
                piece, count = [], 0
            words = _SPACES.split(part.strip())
            if len(words) > 1:
                yield from _packed(words, tokenizer, limit)
            else:
                yield from (part[at : at + limit] for at in range(0, len(part), limit))
            continue
        joined = count + size + (1 if piece else 0)
        if piece and joined > limit:
            yield " ".join(piece)
            piece, joined = [], size
        piece.append(part)
        count = joined
    if piece:
        yield " ".join(piece)
